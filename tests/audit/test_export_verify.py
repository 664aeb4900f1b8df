"""An auditor verifies an exported trail with scripts/verify_audit_export.py alone.

The script runs as the auditor would run it: a subprocess of a bare Python (``-I -S``: no
site-packages, so nothing but the standard library), on the file exactly as downloaded.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests.audit.helpers import write
from tests.conftest import FUZZ_EXAMPLES
from webapp.audit import export
from webapp.core import audit, clock, spreadsheet
from webapp.core.models import AuditRecord
from webapp.extensions import db

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_audit_export.py"
_spec = importlib.util.spec_from_file_location("verify_audit_export", SCRIPT)
assert _spec is not None and _spec.loader is not None
verifier = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(verifier)

COL = {name: i for i, name in enumerate(export.HEADERS)}


def _seed() -> None:
    """A chain with the text that trips spreadsheets and JSON: Chinese, formulas, quotes,
    line breaks, microseconds and times on both sides of a Beijing midnight."""
    for i in range(12):
        write(
            "user.update" if i % 3 else "auth.login",
            datetime(2025, 5, 1 + i % 4, 15 + i % 3, 59, 59, 123456 + i, tzinfo=UTC),
            org="410102" if i % 2 else "410302",
            actor_name=['=HYPERLINK("http://x")', "张三", "-1", 'a"b'][i % 4],
            object_type="user",
            object_id=f"+{i}" if i % 5 == 0 else i,
            before={"full_name": f"旧名{i}", "n": -i} if i % 2 else None,
            after={"full_name": f"用户\n{i}", "quote": '"', "f": "=1+1"},
            message=f"@第{i}号\r\n第二行" if i % 3 == 0 else f"第{i}号",
        )


def _verify(path: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(SCRIPT), str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


def _csv(client: Any, query: str = "") -> list[list[str]]:
    response = client.get(f"/audit/export.csv?{query}")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def _save(rows: list[list[str]], path: Path) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    return path


@pytest.fixture
def chain(logged_in: Any) -> tuple[Any, list[list[str]]]:
    _seed()
    client = logged_in("auditor", "410000")
    return client, _csv(client)


def test_a_full_csv_export_verifies_and_states_its_head(chain, tmp_path):
    client, rows = chain
    records = rows[1:-1]
    assert rows[0] == export.HEADERS and len(records) >= 12
    head = db.session.execute(
        db.select(AuditRecord).where(AuditRecord.id == int(records[-1][0]))
    ).scalar_one()
    summary = rows[-1]
    assert summary[0] == export.SUMMARY_MARK
    assert summary[2] == str(head.id) and summary[4] == head.hash
    assert summary[6] == str(len(records)) and summary[8] == "完整链 full chain"
    assert records[0][COL["上一条哈希"]] == audit.GENESIS
    # the export's own record states the head it exported up to
    db.session.expire_all()
    rec = db.session.execute(
        db.select(AuditRecord).where(AuditRecord.action == "audit.export")
    ).scalar_one()
    assert rec.after["upto_id"] == head.id and rec.after["upto_hash"] == head.hash
    code, out = _verify(_save(rows, tmp_path / "audit.csv"))
    assert code == 0, out
    assert f"校验通过，共校验 {len(records)} 条记录" in out and "VALID" in out
    assert "完整链" in out


@pytest.mark.parametrize(
    ("column", "change"),
    [
        ("变更前", lambda v: v.replace("旧名", "新名")),
        ("变更后", lambda v: v.replace("用户", "客户")),
        ("操作人", lambda v: v + "x"),
        ("时间（北京时间）", lambda v: v[:-1] + ("1" if v[-1] != "1" else "2")),
        ("哈希", lambda v: ("0" if v[0] != "0" else "1") + v[1:]),
        ("上一条哈希", lambda v: ("0" if v[0] != "0" else "1") + v[1:]),
        ("哈希内容（JSON）", lambda v: v.replace('"action":"user.update"', '"action":"user.x"')),
        ("说明", lambda v: v + "。"),
    ],
)
def test_one_tampered_cell_names_its_row(chain, tmp_path, column, change):
    _client, rows = chain
    k = 6  # a user.update record with a "before" (the sixth record, row 7 of the file)
    original = rows[k][COL[column]]
    rows[k][COL[column]] = change(original)
    assert rows[k][COL[column]] != original
    code, out = _verify(_save(rows, tmp_path / "audit.csv"))
    assert code == 1, out
    assert f"第 {k + 1} 行（编号 {rows[k][0]}）" in out and "NOT VALID" in out


def test_a_deleted_middle_row_or_a_cut_end_is_detected(chain, tmp_path):
    _client, rows = chain
    gone = [*rows[:5], *rows[6:]]  # the record after the gap no longer links
    code, out = _verify(_save(gone, tmp_path / "gap.csv"))
    assert code == 1 and f"（编号 {rows[6][0]}）：与上一条记录不衔接" in out, out
    code, out = _verify(_save([*rows[:-2], rows[-1]], tmp_path / "last.csv"))
    assert code == 1 and "导出摘要写明" in out, out
    code, out = _verify(_save(rows[:-3], tmp_path / "cut.csv"))
    assert code == 1 and "缺少末尾的导出摘要行" in out, out
    # cut and the summary rewritten to match: the last record is not the stated head
    summary = [*rows[-1]]
    summary[6] = str(len(rows) - 4)
    code, out = _verify(_save([*rows[:-3], summary], tmp_path / "forged.csv"))
    assert code == 1 and "不是导出摘要写明的链头" in out, out
    # a full export relabelled as filtered still has to link (it states no filter)
    summary = [*rows[-1]]
    summary[6], summary[8] = str(len(rows) - 3), export.FILTERED
    code, out = _verify(_save([*gone[:-1], summary], tmp_path / "relabelled.csv"))
    assert code == 1 and f"（编号 {rows[6][0]}）：与上一条记录不衔接" in out, out


def test_a_filtered_export_verifies_row_by_row(chain, tmp_path):
    client, _rows = chain
    rows = _csv(client, "org=410102&subtree=0")
    records = rows[1:-1]
    assert len(records) == 6 and {r[COL["单位代码"]] for r in records} == {"410102"}
    assert rows[-1][8] == "筛选 filtered" and json.loads(rows[-1][10]) == {
        "org": "410102",
        "subtree": "0",
    }
    code, out = _verify(_save(rows, tmp_path / "filtered.csv"))
    assert code == 0 and "共校验 6 条记录" in out and "筛选导出" in out, out
    rows[3][COL["操作代码"]] = "auth.login"
    code, out = _verify(_save(rows, tmp_path / "tampered.csv"))
    assert code == 1 and f"第 4 行（编号 {rows[3][0]}）：「操作代码」列" in out, out


def test_a_filtered_export_checks_links_where_ids_are_consecutive(chain, tmp_path):
    client, _rows = chain
    rows = _csv(client, "date_from=2025-05-01&date_to=2025-05-31")
    assert int(rows[2][0]) == int(rows[1][0]) + 1
    rows[2][COL["上一条哈希"]], rows[2][COL["哈希"]] = _rehashed(rows[2], "f" * 64)
    code, out = _verify(_save(rows, tmp_path / "relinked.csv"))
    assert code == 1 and f"第 3 行（编号 {rows[2][0]}）：与上一条记录不衔接" in out, out


def _rehashed(row: list[str], prev: str) -> tuple[str, str]:
    content = row[COL["哈希内容（JSON）"]]
    return prev, hashlib.sha256((prev + content).encode()).hexdigest()


def test_an_excel_export_verifies_and_a_tampered_cell_is_named(chain, tmp_path):
    client, rows = chain
    response = client.get("/audit/export.xlsx")
    assert response.status_code == 200
    path = tmp_path / "audit.xlsx"
    path.write_bytes(response.get_data())
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[1]] == export.HEADERS
    assert sheet.cell(row=2, column=COL["哈希内容（JSON）"] + 1).quotePrefix is False
    code, out = _verify(path)
    # one record more than the CSV: the CSV export's own record
    assert code == 0 and f"共校验 {len(rows) - 1} 条记录" in out, out
    # Excel re-saving keeps the cells' text: openpyxl's save writes shared strings (Excel's
    # own form), which the script reads too
    book = load_workbook(path)
    cell = book.active.cell(row=5, column=COL["变更后"] + 1)
    cell.value = cell.value.replace("用户", "客户")
    book.save(path)
    code, out = _verify(path)
    assert code == 1 and "第 5 行" in out and "「变更后」列与哈希内容不符" in out, out


def test_the_script_knows_the_export_and_the_hash_as_the_product_writes_them():
    assert verifier.GENESIS == audit.GENESIS
    assert verifier.SUMMARY_MARK == export.SUMMARY_MARK
    assert (verifier.FULL, verifier.FILTERED) == (export.FULL, export.FILTERED)
    assert verifier.FORMULA_START == spreadsheet.FORMULA_START
    assert verifier.CONTENT_KEYS == {"created_at", *audit._HASHED}
    named = {verifier.ID, verifier.HASH, verifier.PREV, verifier.CONTENT, verifier.TIME}
    assert named | set(verifier.SHOWN) | set(verifier.JSON_SHOWN) <= set(export.HEADERS)
    assert clock.LOCAL_TZ.utcoffset(datetime(2025, 1, 1)) == timedelta(hours=8)


def test_the_documented_example_is_the_hash_the_product_computes():
    """docs/audit.md's worked example, recomputed by the product's own _hash."""
    doc = (SCRIPT.resolve().parents[2] / "docs" / "audit.md").read_text(encoding="utf-8")
    lines = {
        line.split(maxsplit=1)[0]: line.split(maxsplit=1)[1]
        for line in doc.splitlines()
        if line.startswith(("上一条哈希 ", "哈希内容 ", "哈希 "))
    }
    values = json.loads(lines["哈希内容"])
    values["created_at"] = datetime.fromisoformat(values["created_at"])
    assert audit._content(values) == lines["哈希内容"]
    assert audit._hash(lines["上一条哈希"], values) == lines["哈希"]


def test_the_audit_page_points_to_the_verification_and_serves_the_script(logged_in):
    client = logged_in("auditor", "410000")
    page = client.get("/audit/").get_data(as_text=True)
    note = page[page.index("导出 CSV") :][:900]
    assert 'href="/audit/verify_audit_export.py"' in note and "“校验导出文件”一节" in note
    script = client.get("/audit/verify_audit_export.py")
    assert script.status_code == 200 and "attachment" in script.headers["Content-Disposition"]
    assert script.get_data() == SCRIPT.read_bytes()


# -- the hashed content column is what the chain hashes -------------------------------------

_PREFIXES = st.sampled_from(["", "=", "+", "-", "@", "'", '"', "\t", "\r\n", "\n", "审计", "{"])
_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=20)
_FIELD = st.builds(lambda p, t: p + t, _PREFIXES, _TEXT)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    _FIELD,
)
#: JSON two levels deep, written out: st.recursive with this extend raised a
#: HypothesisDeprecationWarning ("doesn't use its argument", an error under the suite's
#: filterwarnings) in a PostgreSQL run of tests/audit with xdist.
_JSON = st.one_of(
    _SCALARS,
    st.lists(_SCALARS, max_size=3),
    st.dictionaries(_FIELD, st.one_of(_SCALARS, st.lists(_SCALARS, max_size=2)), max_size=3),
)
_ZONES = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=8)),
        timezone(timedelta(hours=-5, minutes=-30)),
        ZoneInfo("America/New_York"),
        ZoneInfo("Asia/Shanghai"),
    ]
)
#: From 1992: China last kept summer time in 1991, and the script reads 北京时间 as UTC+8.
_WHEN = st.datetimes(
    min_value=datetime(1992, 1, 1),
    max_value=datetime(2099, 12, 31),
    timezones=_ZONES,
    allow_imaginary=False,
)
#: Snapshots are objects or lists (a bare number above 2**63 comes back from SQLite's JSON
#: column as a float: see the report of this change).
_SNAPSHOT = st.one_of(
    st.none(),
    st.lists(_JSON, max_size=3),
    st.dictionaries(_FIELD, _JSON, max_size=4),
)


@settings(max_examples=FUZZ_EXAMPLES * 2, suppress_health_check=list(HealthCheck))
@given(
    when=_WHEN,
    actor=_FIELD,
    message=st.one_of(st.none(), _FIELD),
    object_id=st.one_of(st.none(), _FIELD),
    before=_SNAPSHOT,
    after=_SNAPSHOT,
)
@example(
    when=datetime(2026, 3, 29, 1, 30, 0, 999999, tzinfo=ZoneInfo("Europe/Berlin")),
    actor="=cmd|' /C calc'!A0",
    message='多行\n"引号",逗号',
    object_id="-0",
    before={"时间": "2025-01-01T00:00:00+08:00"},
    after=[1.5, -0.0, 10**19, "\u2028"],
)
def test_the_exported_content_is_what_the_hash_covers(
    app, when, actor, message, object_id, before, after
):
    clock.set_now(when)
    try:
        rec = audit.record(
            "user.update",
            actor_name=actor[:60],
            org="=41",
            object_type="user",
            object_id=object_id[:60] if object_id else object_id,
            before=before,
            after=after,
            message=message,
        )
        db.session.commit()
    finally:
        clock.set_now(None)
    db.session.expire_all()
    stored = db.session.get(AuditRecord, rec.id)  # as the database gives it back
    row = export.row_of(stored)
    content = row[COL["哈希内容（JSON）"]]
    assert content.startswith("{") and row[COL["上一条哈希"]] == stored.prev_hash
    digest = hashlib.sha256((stored.prev_hash + content).encode("utf-8")).hexdigest()
    assert digest == stored.hash == audit.compute_hash(stored.prev_hash, stored)
    values = json.loads(content)
    assert datetime.fromisoformat(values["created_at"]) == when
    assert values["created_at"].endswith("+00:00") and len(values["created_at"]) == 32
    assert (values["actor_name"], values["before"], values["after"]) == (
        stored.actor_name,
        before,
        after,
    )
    # through the CSV text and the script's own check of one row
    text = export.csv_rows_text([[spreadsheet.csv_safe(v) for v in row]])
    (read,) = list(csv.reader(io.StringIO(text, newline="")))
    verifier._check_record(2, read[0], read, COL)
