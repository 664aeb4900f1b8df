"""Writing a filtered set of audit records as CSV (streamed) or Excel (bounded).

CSV is UTF-8 with a byte-order mark so that Excel opens the Chinese correctly.  Cells that a
spreadsheet would read as a formula are neutralised by the rule every export shares
(``webapp.core.spreadsheet``): a login name typed by an attacker must not become a formula on
the auditor's machine.

Every row also carries the previous record's hash and the exact canonical JSON that, prefixed
by it, was hashed (``audit.hashed_content``), and the file ends with a summary row stating the
chain head at export time: ``scripts/verify_audit_export.py`` checks a file with Python's
standard library alone (docs/audit.md, 校验导出文件).  None of the columns a verifier relies on
can be neutralised: ids are numbers, hashes hex, the content starts with ``{``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook

from webapp.audit.vocabulary import action_label, object_type_label
from webapp.core import audit, clock
from webapp.core.models import AuditRecord
from webapp.core.spreadsheet import append_row, csv_safe

HEADERS = [
    "编号",
    "时间（北京时间）",
    "操作人",
    "单位代码",
    "操作代码",
    "操作",
    "对象类型",
    "对象编号",
    "说明",
    "来源地址",
    "变更前",
    "变更后",
    "哈希",
    "上一条哈希",
    "哈希内容（JSON）",
]

#: First cell of the summary row that ends every export (the verifier looks for it).
SUMMARY_MARK = "#导出摘要 export summary"
#: The summary's scope cell: the whole chain up to the head, or the rows of a filter.
FULL, FILTERED = "完整链 full chain", "筛选 filtered"


def row_of(rec: AuditRecord) -> list[Any]:
    local = clock.to_local(rec.created_at)
    return [
        rec.id,
        local.strftime("%Y-%m-%d %H:%M:%S") if local else "",
        rec.actor_name,
        rec.org_code or "",
        rec.action,
        action_label(rec.action),
        object_type_label(rec.object_type),
        rec.object_id or "",
        rec.message or "",
        rec.client_addr or "",
        _json(rec.before),
        _json(rec.after),
        rec.hash,
        rec.prev_hash,
        audit.hashed_content(rec),
    ]


def summary_row(upto_id: int, upto_hash: str, rows: int, filters: dict[str, str]) -> list[Any]:
    """The last row of an export: the chain head when it was taken, how many rows it has, and
    whether it is the whole chain up to that head or a filtered part (and the filter)."""
    return [
        SUMMARY_MARK,
        "链头编号 head id",
        upto_id,
        "链头哈希 head hash",
        upto_hash,
        "记录数 rows",
        rows,
        "范围 scope",
        FILTERED if filters else FULL,
        "筛选条件 filters",
        json.dumps(filters, ensure_ascii=False, sort_keys=True),
    ]


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def csv_header() -> str:
    """The byte-order mark and the header line."""
    return "\ufeff" + csv_rows_text([HEADERS])


def csv_rows(records: Iterable[AuditRecord]) -> str:
    return csv_rows_text([csv_safe(v) for v in row_of(rec)] for rec in records)


def csv_rows_text(rows: Iterable[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def xlsx_bytes(records: Iterable[AuditRecord], summary: list[Any]) -> bytes:
    """An Excel workbook (write-only mode keeps memory flat) with every value a plain string
    or number, never a formula."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计日志")
    ws.freeze_panes = "A2"
    for col, width in zip(
        "ABCDEFGHIJKLMNO",
        (8, 20, 16, 10, 22, 18, 12, 16, 30, 16, 40, 40, 20, 20, 60),
        strict=True,
    ):
        ws.column_dimensions[col].width = width
    ws.append(HEADERS)
    for rec in records:
        append_row(ws, row_of(rec))
    append_row(ws, summary)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
