"""Property tests: over random ledgers the identities of domain.md §4 hold in computed tables."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.ledger.models import Project, QualityAccident
from webapp.stats.checks import run_checks
from webapp.stats.compute import compute_table
from webapp.stats.periods import Period

UNITS = ["410000", "410100", "410102", "410103", "410181", "410200", "410202"]
BASE = date(2025, 7, 1)


@st.composite
def project(draw, i):
    registered = BASE + timedelta(days=draw(st.integers(0, 540)))
    accepted = filed = None
    result = filing = None
    if draw(st.booleans()):
        accepted = registered + timedelta(days=draw(st.integers(0, 200)))
        result = draw(st.sampled_from(["合格", "合格", "不合格"]))
        if result == "合格" and draw(st.booleans()):
            filed = accepted + timedelta(days=draw(st.integers(0, 120)))
            filing = draw(st.sampled_from(["准予备案", "准予备案", "不予备案"]))
    return {
        "org": draw(st.sampled_from(UNITS)),
        "registration_no": f"R{i}",
        "name": f"工程{i}",
        "structure_type": draw(st.sampled_from(["框架", "钢结构", "砖混"])),
        "area_m2": Decimal(draw(st.integers(1, 10_000_000))) / 100,
        "cost_10k_yuan": Decimal(draw(st.integers(1, 5_000_000))) / 100,
        "registered_on": registered,
        "accepted_on": accepted,
        "acceptance_result": result,
        "filed_on": filed,
        "filing_result": filing,
        "user_rating": draw(st.sampled_from(["满意", "不满意", "未评价"])),
        "is_residential": draw(st.booleans()),
        "is_affordable_housing": draw(st.booleans()),
        "is_public": draw(st.booleans()),
    }


ledgers = st.integers(0, 25).flatmap(lambda n: st.tuples(*[project(i) for i in range(n)]))


def _load(rows) -> None:
    db.session.execute(delete(QualityAccident))
    db.session.execute(delete(Project))
    orgs = {code: get_org(code) for code in UNITS}
    for r in rows:
        db.session.add(Project(**{**r, "org": orgs[r["org"]]}))
    db.session.flush()


def _errors(checks):
    return [c for c in checks if c["severity"] == "error"]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ledgers, quarter=st.integers(1, 4))
def test_identities_hold_over_random_ledgers(rows, quarter):
    _load(rows)
    period = Period(2026, quarter)
    province = compute_table(5, "410000", period)
    previous = compute_table(5, "410000", period.previous())
    children = {code: compute_table(5, code, period) for code in ("410100", "410181", "410200")}
    checks = run_checks(province, previous=previous, related={"children": children})
    assert _errors(checks) == []
    for table in children.values():
        assert _errors(run_checks(table)) == []
    t6 = compute_table(6, "410000", period)
    assert _errors(run_checks(t6, related={"table5": province})) == []
    total = province["total"]
    assert total["registered"]["count"] == sum(
        1 for r in rows if period.start <= r["registered_on"] <= period.end
    )
    year = compute_table(7, "410100", Period(2026))
    assert _errors(run_checks(year, previous=compute_table(7, "410100", Period(2025)))) == []
    db.session.rollback()
