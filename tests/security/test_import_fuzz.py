"""Hypothesis on the Excel import: whatever the file or the cells, the answer is rows or a
Chinese refusal (InvalidInput), never another exception, and a refused file imports nothing.

Twice the examples of the Hypothesis profile (HQR_FUZZ_EXAMPLES, see tests/conftest.py), which
also makes the run deterministic; ``make fuzz`` runs it with fresh randomness.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import FUZZ_EXAMPLES
from tests.ledger.helpers import PROJECT_HEADERS, project_row, workbook
from webapp.core.errors import InvalidInput
from webapp.extensions import db
from webapp.ledger import excel, operations
from webapp.ledger.fields import KINDS
from webapp.ledger.models import Project

SETTINGS = settings(max_examples=FUZZ_EXAMPLES * 2, suppress_health_check=list(HealthCheck))
VALID = workbook([project_row("F-1"), project_row("F-2")])

cells = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["是", "否", "框架", "砖混", "满意", "合格", "2026-07-01", "2026-02-30", " "]),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.booleans(),
)


def _mutated(data: bytes, at: int, value: int) -> bytes:
    at %= len(data)
    return data[:at] + bytes([value]) + data[at + 1 :]


def test_any_bytes_give_rows_or_a_chinese_refusal():
    @SETTINGS
    @given(
        st.one_of(
            st.binary(max_size=4096),
            st.tuples(st.integers(0, 10**6), st.integers(0, 255)).map(
                lambda p: _mutated(VALID, *p)
            ),
        )
    )
    def check(data: bytes) -> None:
        try:
            rows = excel.read_sheet(data, KINDS["projects"])
        except InvalidInput as err:
            assert err.message  # a message for the user, e.g. 不是有效的 Excel 文件
        else:
            assert isinstance(rows, list)

    check()


def test_any_cells_import_wholly_or_not_at_all(make_user, org):
    clerk = make_user("clerk", "410102")
    unit = org("410102")
    db.session.commit()

    @SETTINGS
    @given(
        st.lists(
            st.fixed_dictionaries({h: cells for h in PROJECT_HEADERS[:9]}), min_size=1, max_size=4
        )
    )
    # Inputs found by earlier runs (every one found goes here):
    @example([{"建筑面积（平方米）": 1.000000025377643e26}])  # quantize past 28 digits: a 500
    def check(fuzzed: list[dict]) -> None:
        rows = [project_row(f"H-{i}", **row) for i, row in enumerate(fuzzed)]
        try:
            data = workbook(rows)
        except Exception:  # noqa: BLE001 - a value openpyxl itself cannot write: not our input
            return
        try:
            result = operations.import_records(
                clerk, KINDS["projects"], unit, excel.read_sheet(data, KINDS["projects"])
            )
        except InvalidInput as err:
            assert err.message
            db.session.flush()
            assert db.session.execute(select(func.count(Project.id))).scalar_one() == 0
        else:
            stored = db.session.execute(select(func.count(Project.id))).scalar_one()
            assert stored == result.created + result.updated + result.unchanged
        finally:
            db.session.rollback()

    check()


def test_the_fuzzer_reaches_both_answers():
    """Not vacuous: a valid workbook imports, a damaged zip is refused."""
    assert len(excel.read_sheet(VALID, KINDS["projects"])) == 2
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as zf:
        zf.writestr("[Content_Types].xml", b"<broken")
    try:
        excel.read_sheet(damaged.getvalue(), KINDS["projects"])
    except InvalidInput as err:
        assert "Excel" in err.message
    else:
        raise AssertionError("a damaged file was read")
