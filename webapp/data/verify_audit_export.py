#!/usr/bin/env python3
"""Verify an exported audit trail (审计日志导出文件) without the product, its code or its database.

Usage::

    python3 verify_audit_export.py audit-20261207-101500.csv     (or .xlsx)

Needs only Python 3.9+ and its standard library: an auditor can read this file in full before
running it.  It reads the CSV exactly as downloaded (UTF-8 with a byte-order mark; do not open
and re-save it in Excel first, which changes cells such as the all-zero hash) or the Excel file
(an .xlsx is a zip of XML files, read here with ``zipfile`` and ``xml.etree``).

For every record row it checks:

1. SHA-256 of the UTF-8 bytes of 上一条哈希 followed by 哈希内容（JSON） equals 哈希;
2. the readable columns (time, actor, unit, action code, object id, message, address, before,
   after) say what the hashed content says (a cell a spreadsheet could take for a formula was
   written with a leading apostrophe in CSV: that form is accepted too);
3. ids increase, and a record links to the row above it (its 上一条哈希 is that row's 哈希)
   whenever no record can lie between them: always in a full-chain export (and the first row
   then starts from the genesis hash, 64 zeros), and where the ids are consecutive in a
   filtered export;
4. the summary row at the end (导出摘要: the chain head when the file was made, the number of
   rows, full chain or filtered) is there and agrees with the rows: a file cut short loses it
   or no longer has the rows it states; a full-chain file ends at the head it states.

The format is documented in docs/audit.md (校验导出文件) so that the same checks can be done by
hand with any SHA-256 tool.  Exit status: 0 valid, 1 not valid, 2 file not readable.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

GENESIS = "0" * 64
SUMMARY_MARK = "#导出摘要 export summary"
FULL, FILTERED = "完整链 full chain", "筛选 filtered"
#: The keys of the hashed content: the time and the record's fields.
CONTENT_KEYS = frozenset(
    {
        "created_at",
        "actor_id",
        "actor_name",
        "org_code",
        "action",
        "object_type",
        "object_id",
        "before",
        "after",
        "message",
        "client_addr",
    }
)
ID, HASH, PREV, CONTENT, TIME = "编号", "哈希", "上一条哈希", "哈希内容（JSON）", "时间（北京时间）"
#: Readable columns and the content field each shows (as text, empty for none).
SHOWN = {
    "操作人": "actor_name",
    "单位代码": "org_code",
    "操作代码": "action",
    "对象编号": "object_id",
    "说明": "message",
    "来源地址": "client_addr",
}
JSON_SHOWN = {"变更前": "before", "变更后": "after"}
#: The time column is Beijing time (UTC+8, no daylight saving), to the second.
BEIJING = timezone(timedelta(hours=8))
#: Text a spreadsheet may read as a formula; the export prefixes it with ' in CSV cells.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Control characters an .xlsx cannot hold; the export writes U+FFFD in their place.
XLSX_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
HEX64 = re.compile(r"[0-9a-f]{64}")


class Broken(Exception):
    """The first row that does not verify: its row number in the file, id and reason."""

    def __init__(self, row: int | None, record_id: object, zh: str, en: str) -> None:
        super().__init__(en)
        self.row, self.record_id, self.zh, self.en = row, record_id, zh, en


# -- reading -------------------------------------------------------------------------------


def read_csv(path: str) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _xml(data: bytes) -> ElementTree.Element:
    # An .xlsx's parts never declare a DOCTYPE: refusing one leaves no entity to expand.
    if b"<!DOCTYPE" in data.upper():
        raise ElementTree.ParseError("DOCTYPE in a spreadsheet part")
    return ElementTree.fromstring(data)  # noqa: S314 (stdlib only, no DOCTYPE: see above)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ElementTree.Element) -> str:
    return "".join(t.text or "" for t in element.iter() if _local(t.tag) == "t")


def _column(ref: str) -> int:
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + ord(ch.upper()) - 64
    return n - 1


def read_xlsx(path: str) -> list[list[str]]:
    """The first worksheet's cells as text (numbers as written, e.g. ``12``)."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = _xml(z.read("xl/sharedStrings.xml"))
            shared = [_text(si) for si in root if _local(si.tag) == "si"]
        book = _xml(z.read("xl/workbook.xml"))
        first = next(e for e in book.iter() if _local(e.tag) == "sheet")
        rid = next(v for k, v in first.attrib.items() if _local(k) == "id")
        rels = _xml(z.read("xl/_rels/workbook.xml.rels"))
        target = next(e.get("Target", "") for e in rels if e.get("Id") == rid)
        sheet = target.lstrip("/") if target.startswith("/") else "xl/" + target
        root = _xml(z.read(sheet))
    rows: list[list[str]] = []
    for row in (e for e in root.iter() if _local(e.tag) == "row"):
        number = int(row.get("r") or len(rows) + 1)
        while len(rows) < number:
            rows.append([])
        cells = rows[number - 1]
        for c in (e for e in row if _local(e.tag) == "c"):
            col = _column(c.get("r") or "") if c.get("r") else len(cells)
            kind = c.get("t")
            value = next((e for e in c if _local(e.tag) == "v"), None)
            if kind == "inlineStr":
                text = _text(c)
            elif kind == "s" and value is not None:
                text = shared[int(value.text or 0)]
            else:
                text = value.text or "" if value is not None else ""
            while len(cells) <= col:
                cells.append("")
            cells[col] = text
    return rows


# -- checking ------------------------------------------------------------------------------


def _shows(cell: str, expected: str) -> bool:
    """Whether a cell shows ``expected`` as the export writes it (CSV or Excel)."""
    forms = {expected, XLSX_ILLEGAL.sub("\ufffd", expected)}
    if expected.startswith(FORMULA_START):
        forms.add("'" + expected)
    return cell in forms


def _as_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return None
        return int(value) if value.is_integer() else None


def check_rows(rows: list[list[str]]) -> dict:
    """Verify the rows of an export; return the summary, or raise :class:`Broken`."""
    if not rows or ID not in rows[0]:
        raise Broken(1, None, "第一行不是审计日志导出的表头", "the first row is not the header")
    header = rows[0]
    missing = [name for name in (ID, HASH, PREV, CONTENT) if name not in header]
    if missing:
        raise Broken(1, None, f"缺少列：{'、'.join(missing)}", f"missing columns: {missing}")
    at = {name: i for i, name in enumerate(header)}
    records: list[tuple[int, list[str]]] = []
    summary: list[str] | None = None
    at_summary = len(rows) + 1  # where a missing summary row should have been
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if summary is not None:
            raise Broken(number, None, "导出摘要行之后还有内容", "rows after the summary row")
        if row and row[0] == SUMMARY_MARK:
            summary, at_summary = row + [""] * 11, number
        else:
            records.append((number, row + [""] * (len(header) - len(row))))
    prev_id: int | None = None
    prev_hash: str | None = None
    # The whole chain when the summary says so or states no filter (so that relabelling a
    # full export as filtered cannot switch the link checks off).
    full = summary is not None and (summary[8] == FULL or summary[10].strip() == "{}")
    for number, row in records:
        rid = row[at[ID]]
        _check_record(number, rid, row, at)
        this_id = int(rid)  # checked above
        if prev_id is not None and this_id <= prev_id:
            raise Broken(number, rid, "编号未按升序排列", "ids are not in increasing order")
        linked = row[at[PREV]] == (GENESIS if prev_hash is None else prev_hash)
        must_link = full or (prev_id is not None and this_id == prev_id + 1)
        if must_link and not linked:
            raise Broken(
                number,
                rid,
                "与上一条记录不衔接（其间的记录被删除、插入或改动）",
                "does not link to the record before it (a record was deleted, inserted or "
                "changed in between)",
            )
        prev_id, prev_hash = this_id, row[at[HASH]]
    if summary is None:
        raise Broken(
            at_summary,
            None,
            "缺少末尾的导出摘要行：文件可能被截断",
            "the summary row at the end is missing: the file may have been cut short",
        )
    head_id, stated, head_hash = _as_int(summary[2]), _as_int(summary[6]), summary[4]
    scope = (summary[8], summary[10].strip() == "{}")
    if (
        head_id is None
        or stated is None
        or not HEX64.fullmatch(head_hash)
        or scope not in ((FULL, True), (FILTERED, False))
    ):
        raise Broken(at_summary, None, "导出摘要行格式不对", "the summary row is malformed")
    if stated != len(records):
        raise Broken(
            at_summary,
            None,
            f"导出摘要写明 {stated} 条记录，文件中有 {len(records)} 条",
            f"the summary states {stated} records, the file has {len(records)}",
        )
    for number, row in records:
        rid = int(row[at[ID]])
        if rid > head_id or (rid == head_id and row[at[HASH]] != head_hash):
            raise Broken(number, rid, "与导出摘要的链头不符", "does not agree with the stated head")
    if full and (prev_hash or GENESIS) != head_hash:
        raise Broken(
            at_summary,
            None,
            "完整链导出的最后一条记录不是导出摘要写明的链头：文件末尾可能被截断",
            "the last record of a full-chain export is not the stated head: the end may be cut",
        )
    return {
        "records": len(records),
        "full": full,
        "head_id": head_id,
        "head_hash": head_hash,
        "filters": summary[10],
    }


def _check_record(number: int, rid: str, row: list[str], at: dict[str, int]) -> None:
    def broken(zh: str, en: str) -> Broken:
        return Broken(number, rid, zh, en)

    if _as_int(rid) is None:
        raise broken("编号不是整数", "the id is not a whole number")
    prev, digest, content = row[at[PREV]], row[at[HASH]], row[at[CONTENT]]
    if not HEX64.fullmatch(prev) or not HEX64.fullmatch(digest):
        raise broken("哈希或上一条哈希不是 64 位十六进制数", "a hash is not 64 hex digits")
    if hashlib.sha256((prev + content).encode("utf-8")).hexdigest() != digest:
        raise broken(
            "哈希不符：上一条哈希 + 哈希内容 的 SHA-256 不等于 哈希（内容或哈希被改动）",
            "hash mismatch: SHA-256 of previous hash + content is not the hash (edited)",
        )
    try:
        values = json.loads(content)
    except ValueError:
        values = None
    if not isinstance(values, dict) or set(values) != CONTENT_KEYS:
        raise broken("哈希内容不是审计记录的 JSON", "the hashed content is not a record's JSON")
    if TIME in at:
        try:
            when = datetime.fromisoformat(values["created_at"]).astimezone(BEIJING)
        except (TypeError, ValueError):
            raise broken(
                "哈希内容中的时间无法解析", "the time in the content is unreadable"
            ) from None
        if row[at[TIME]] != when.strftime("%Y-%m-%d %H:%M:%S"):
            raise broken("时间列与哈希内容不符", "the time column differs from the hashed content")
    for column, key in (*SHOWN.items(), *JSON_SHOWN.items()):
        value = values[key]
        if value is None:
            text = ""
        elif column in JSON_SHOWN:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        else:
            text = str(value)
        if column in at and not _shows(row[at[column]], text):
            raise broken(
                f"「{column}」列与哈希内容不符", f"column {column} differs from the content"
            )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("用法 usage: python3 verify_audit_export.py 导出文件.csv|.xlsx", file=sys.stderr)
        return 2
    path = argv[1]
    try:
        rows = read_xlsx(path) if zipfile.is_zipfile(path) else read_csv(path)
    except (OSError, UnicodeDecodeError, csv.Error, KeyError, StopIteration) as err:
        print(f"无法读取文件 cannot read the file: {err}")
        print("（CSV 须为导出时的 UTF-8 原文件 / the CSV must be the UTF-8 file as downloaded）")
        return 2
    except ElementTree.ParseError as err:
        print(f"无法读取文件 cannot read the file: {err}")
        return 2
    try:
        summary = check_rows(rows)
    except Broken as err:
        where = f"第 {err.row} 行" if err.row else ""
        if err.record_id not in (None, ""):
            where += f"（编号 {err.record_id}）"
        print(f"结论：校验未通过。首个问题在{where}：{err.zh}")
        print(f"Verdict: NOT VALID. First broken: row {err.row}, id {err.record_id}: {err.en}")
        return 1
    n, head = summary["records"], f"{summary['head_id']} / {summary['head_hash']}"
    print(f"结论：校验通过，共校验 {n} 条记录。导出时的链头（编号/哈希）：{head}")
    print(f"Verdict: VALID, {n} records checked. Chain head at export (id / hash): {head}")
    if summary["full"]:
        print(
            "完整链：自首条记录起逐条衔接至链头。请将链头哈希与保存在系统之外的锚点核对。\n"
            "Full chain: every record links from the first to the head. Compare the head hash "
            "with an anchor kept outside the system."
        )
    else:
        print(
            f"筛选导出（条件 {summary['filters']}）：每条记录的哈希与内容相符，编号相邻的记录相互"
            "衔接；但不能证明没有遗漏符合条件的记录，也不能证明记录出自系统的哈希链——"
            "请在系统中按编号核对哈希，或校验完整链导出。\n"
            f"Filtered export ({summary['filters']}): each record's hash matches its content and "
            "records with adjacent ids link; it does not prove that no matching record was left "
            "out, nor that the records belong to the system's chain: compare hashes by id in "
            "the system, or verify a full-chain export."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
