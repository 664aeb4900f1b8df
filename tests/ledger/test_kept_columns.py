"""The columns the database keeps on a project (stored generated columns, webapp.ledger.models):
area and cost in integer hundredths, the registration, 合格 acceptance and 准予备案 dates as
yyyymmdd.  附表5/7 sum and compare these instead of the figures and dates, so they must be right
after every way a project is written: created and edited one by one (the ORM), imported and
re-imported from a workbook (Core batches, which set only the changed columns), and inserted in
bulk (Core, as the benchmark loads the ledger)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from tests.ledger.helpers import project_row, workbook
from webapp.core.models import User
from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.ledger import excel, operations
from webapp.ledger.fields import KINDS
from webapp.ledger.models import Project, day_number

PROJECTS = KINDS["projects"]
#: every generated date before today (a ledger date may not be later: webapp.core.dates)
BASE = date(2020, 1, 1)
#: NUMERIC(14, 2): up to 999,999,999,999.99, where a REAL has the fewest spare digits.
hundredths = st.integers(1, 10**14 - 1) | st.integers(1, 10**7)


@st.composite
def values(draw: Any) -> dict[str, Any]:
    """A valid project's figures and dates (field name → text, as a form sends them)."""
    registered = BASE + timedelta(days=draw(st.integers(0, 1500)))
    out = {
        "area_m2": str(Decimal(draw(hundredths)) / 100),
        "cost_10k_yuan": str(Decimal(draw(hundredths)) / 100),
        "registered_on": registered.isoformat(),
        "user_rating": draw(st.sampled_from(["满意", "不满意", "未评价"])),
    }
    if draw(st.booleans()):
        accepted = registered + timedelta(days=draw(st.integers(0, 400)))
        result = draw(st.sampled_from(["合格", "不合格"]))
        out |= {"accepted_on": accepted.isoformat(), "acceptance_result": result}
        if draw(st.booleans()):
            filed = accepted + timedelta(days=draw(st.integers(0, 90)))
            filing = "准予备案" if result == "合格" and draw(st.booleans()) else "不予备案"
            out |= {"filed_on": filed.isoformat(), "filing_result": filing}
    return out


def _expected(v: dict[str, Any]) -> dict[str, Any]:
    def day(name: str, conclusion: str | None = None, needed: str | None = None) -> int | None:
        if v.get(name) is None or (conclusion and v.get(conclusion) != needed):
            return None
        return day_number(date.fromisoformat(v[name]))

    return {
        "area_cents": int(Decimal(v["area_m2"]) * 100),
        "cost_cents": int(Decimal(v["cost_10k_yuan"]) * 100),
        "registered_day": day("registered_on"),
        "passed_day": day("accepted_on", "acceptance_result", "合格"),
        "granted_day": day("filed_on", "filing_result", "准予备案"),
    }


KEPT = ["area_cents", "cost_cents", "registered_day", "passed_day", "granted_day"]


def _kept(registration_no: str) -> dict[str, Any]:
    cols = [getattr(Project, k) for k in KEPT]
    row = db.session.execute(select(*cols).where(Project.registration_no == registration_no)).one()
    return {k: (None if v is None else int(v)) for k, v in zip(KEPT, row, strict=True)}


def _form(reg: str, v: dict[str, Any]) -> dict[str, Any]:
    return {"registration_no": reg, "name": f"工程{reg}", "structure_type": "框架", **v}


_HEADERS = {
    "area_m2": "建筑面积（平方米）",
    "cost_10k_yuan": "工程造价（万元）",
    "registered_on": "监督注册日期",
    "accepted_on": "竣工验收日期",
    "acceptance_result": "竣工验收结论",
    "filed_on": "备案日期",
    "filing_result": "备案结论",
    "user_rating": "用户评价",
}


def _sheet(reg: str, v: dict[str, Any]) -> bytes:
    return workbook([project_row(reg, **{_HEADERS[k]: x for k, x in v.items()})])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=values(), second=values())
def test_every_writer_keeps_the_integer_columns_right(make_user, first, second):
    db.session.execute(delete(Project))
    clerk = db.session.execute(
        select(User).where(User.username == "kept_clerk")
    ).scalar_one_or_none() or make_user("clerk", "410102", username="kept_clerk")
    unit = get_org("410102")

    # One by one (ORM): created, then edited.
    saved = operations.save_record(clerk, PROJECTS, unit, _form("F-1", first)).record
    db.session.flush()
    assert _kept("F-1") == _expected(first)
    operations.save_record(clerk, PROJECTS, unit, _form("F-1", second), saved)
    db.session.flush()
    assert _kept("F-1") == _expected(second)

    # Imported (a new row), then re-imported with other figures (an UPDATE of those only).
    def imported(v: dict[str, Any]) -> None:
        operations.import_records(
            clerk, PROJECTS, unit, excel.read_sheet(_sheet("I-1", v), PROJECTS)
        )

    imported(first)
    assert _kept("I-1") == _expected(first)
    imported(second)
    assert _kept("I-1") == _expected(second)

    # In bulk (Core), the way the benchmark loads 100,000 projects.
    row = {**_form("B-1", first), "org_id": unit.id, "contractor": "", "supervisor": ""}
    row |= {"progress": "", "remarks": "", "is_residential": False}
    row |= {"is_affordable_housing": False, "is_public": False}
    for k in ("area_m2", "cost_10k_yuan"):
        row[k] = Decimal(row[k])
    for k in ("registered_on", "accepted_on", "filed_on"):
        if row.get(k):
            row[k] = date.fromisoformat(row[k])
    db.session.execute(insert(Project), [row])
    assert _kept("B-1") == _expected(first)
    db.session.rollback()
