"""The report's rules: checks block steps, segregation of duties, deadlines with a frozen clock,
locking, corrections, the annual report, access."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tests.reports.conftest import PERIOD, draft
from webapp.core import clock
from webapp.engine import Notification, run_timers
from webapp.extensions import db
from webapp.reports.models import Report


def _open(api, period: str = PERIOD) -> None:
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": period})


def test_unexplained_warning_blocks_the_clerk(workflows, oracle, api):
    _open(api)
    clerk = api("clerk", "410103")  # 二七区: filing rate 200 % → a warning
    report = clerk.report("410103")
    warnings = [c for c in report["checks"] if c["severity"] == "warning"]
    assert any("100" in c["message"] for c in warnings)
    refused = clerk.complete(clerk.task("410103"), "next", status=422)
    assert any("请对预警作出说明" in m for m in refused["errors"].values())
    clerk.send(
        "PUT",
        f"/api/v1/reports/{report['id']}/explanations",
        {"explanations": {c["id"]: "备案滞后于竣工，属正常。" for c in warnings}},
    )
    clerk.complete(clerk.task("410103"), "next")
    # The narrative step needs every section.
    refused = clerk.complete(clerk.task("410103"), "submit", status=422)
    assert any("尚未填写" in m for m in refused["errors"].values())


def test_the_drafter_may_not_approve(workflows, oracle, api, make_user, client):
    _open(api)
    from tests.reports.conftest import Api

    make_user(["clerk", "reviewer"], "410102", username="both_410102")
    both = Api(client, "both_410102")
    draft(both, "410102")
    refused = both.complete(both.task("410102"), "approve", status=422)
    assert "职责分离" in refused["errors"]["reviewer"]
    other = api("reviewer", "410102")
    other.complete(other.task("410102"), "approve")


def test_frozen_after_submission_and_locked_after_acceptance(workflows, oracle, api):
    _open(api)
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    draft(clerk, "410102")
    report_id = clerk.report("410102")["id"]
    # In review: the clerk can no longer change the narrative.
    clerk.send(
        "PUT", f"/api/v1/reports/{report_id}/narrative", {"sections": {"s01": "改动"}}, status=409
    )
    reviewer.complete(reviewer.task("410102"), "approve")
    api("reviewer", "410100").complete(api("reviewer", "410100").task("410102"), "accept")
    report = clerk.report("410102")
    assert report["state"] == "accepted" and report["frozen"]
    assert report["documents"][-1]["stage"] == "accepted"
    clerk.send(
        "PUT",
        f"/api/v1/reports/{report_id}/explanations",
        {"explanations": {"x": "改动"}},
        status=409,
    )


def test_correction_runs_the_same_flow_and_keeps_the_accepted_figures(workflows, oracle, api):
    from webapp.reports.operations import get_report, request_correction

    _open(api)
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    city = api("reviewer", "410100")
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve")
    city.complete(city.task("410102"), "accept")
    db.session.commit()
    report = get_report(clerk.report("410102")["id"])
    accepted = report.accepted_snapshot
    from webapp.core.models import User

    user = db.session.execute(select(User).where(User.username == "clerk_410102")).scalar_one()
    request_correction(user, report, "竣工日期录入错误")
    db.session.commit()
    assert clerk.report("410102")["state"] == "drafting"
    assert clerk.report("410102")["round"] == 2
    # The city still reads the accepted figures while the correction runs.
    zz = api("clerk", "410100").report("410100")
    row = next(r for r in zz["tables"]["table5"]["rows"] if r["org_code"] == "410102")
    assert row["status"] == "已接收"
    assert row["registered"] == accepted["tables"]["table5"]["total"]["registered"]
    draft(clerk, "410102", text="更正后")
    reviewer.complete(reviewer.task("410102"), "approve")
    city.complete(city.task("410102"), "accept")
    assert clerk.report("410102")["state"] == "accepted"
    assert len(clerk.report("410102")["documents"]) == 2


def test_province_accepts_its_own_report(workflows, oracle, api):
    _open(api)
    clerk, reviewer = api("clerk", "410000"), api("reviewer", "410000")
    draft(clerk, "410000")
    reviewer.complete(reviewer.task("410000"), "approve")
    assert clerk.report("410000")["state"] == "accepted"


def _notes(user_name: str, kind: str) -> list[Notification]:
    from webapp.core.models import User

    db.session.commit()
    user = db.session.execute(select(User).where(User.username == user_name)).scalar_one()
    return list(
        db.session.execute(
            select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
        ).scalars()
    )


def _fire_due_timers() -> None:
    """Passes until nothing is due, as the worker does: every unit's report falls due at the same
    second, more than one pass takes (62 units, 50 a pass)."""
    while run_timers()["instances"]:
        pass


def test_reminder_then_overdue_with_a_frozen_clock(workflows, oracle, api, app, monkeypatch):
    monkeypatch.setitem(app.config, "API_TOKEN_HOURS", 24 * 365)  # the clock jumps weeks
    start = datetime(2026, 9, 10, 9, 0, tzinfo=clock.LOCAL_TZ)
    clock.set_now(start)
    clerk = api("clerk", "410102")
    api("reviewer", "410100")  # the upper level's reviewer, to be told of the overdue report
    api("clerk", "410103")
    _open(api)
    report = clerk.report("410102")
    assert report["due_at"].startswith("2026-09-30T15:59:59")  # 23:59:59 Asia/Shanghai
    remind_days = app.config["REPORT_REMIND_DAYS"]
    clock.set_now(
        datetime(2026, 9, 30, 23, 59, 59, tzinfo=clock.LOCAL_TZ)
        - timedelta(days=remind_days)
        + timedelta(minutes=1)
    )
    _fire_due_timers()
    db.session.commit()
    assert len(_notes("clerk_410102", "reminder")) == 1
    assert clerk.report("410102")["state"] == "drafting"
    # 二七区 submits in time; 中原区 does not.
    draft(api("clerk", "410103"), "410103")
    api("reviewer", "410103").complete(api("reviewer", "410103").task("410103"), "approve")
    clock.set_now(datetime(2026, 10, 1, 0, 5, tzinfo=clock.LOCAL_TZ))
    _fire_due_timers()
    db.session.commit()
    assert clerk.report("410102")["state"] == "overdue"
    assert api("clerk", "410103").report("410103")["state"] == "submitted"
    overdue = _notes("reviewer_410100", "overdue")
    # Every county of 郑州 but 二七区 (which submitted in time) is reported to the city, once.
    assert len(overdue) == 10
    assert len([n for n in overdue if "中原区" in n.message]) == 1
    assert not [n for n in overdue if "二七区" in n.message]
    # Issue 18: the unit's own clerk is told too, with the period and the unit named.
    (late,) = _notes("clerk_410102", "overdue")
    assert "2026年第三季度 · 中原区" in late.message and "已标记逾期" in late.message
    run_timers()  # a later pass tells nobody twice
    assert len(_notes("reviewer_410100", "overdue")) == 10
    assert len(_notes("clerk_410102", "overdue")) == 1
    # A late submission is recorded as late.
    draft(clerk, "410102")
    api("reviewer", "410102").complete(api("reviewer", "410102").task("410102"), "approve")
    assert clerk.report("410102")["state"] == "submitted"
    # Cleared once acted on: the clerk's step is done; the city's reviewer now holds the
    # acceptance of 中原区, so its 逾期 notice stays until it acts.
    assert _notes("clerk_410102", "overdue")[0].cleared_at is not None
    (city_note,) = [n for n in _notes("reviewer_410100", "overdue") if "中原区" in n.message]
    assert city_note.cleared_at is None


def test_backfilled_period_sends_no_reminders(workflows, oracle, api):
    clerk = api("clerk", "410102")
    _open(api, "2025Q1")  # long past: history being backfilled
    run_timers()
    db.session.commit()
    assert _notes("clerk_410102", "reminder") == []
    assert clerk.report("410102", "2025Q1")["state"] == "drafting"


def test_annual_report_has_table7_and_annual_table6(workflows, oracle, api):
    _open(api, "2026")
    clerk = api("clerk", "410100")
    report = clerk.report("410100", "2026")
    assert report["kind"] == "annual"
    assert set(report["tables"]) == {"table1", "table2", "table3", "table4", "table6", "table7"}
    assert report["tables"]["table7"]["total"]["registered"]["count"] >= 1
    assert report["sections"][-1]["key"] == "s12"
    # Counties make no annual report (第十一条: cities and directly administered counties).
    assert clerk.get("/api/v1/reports?org=410102&period=2026")["items"] == []
    db.session.commit()
    assert db.session.execute(select(Report).where(Report.period == "2026")).scalars().all()


def test_access_by_org_relation(workflows, oracle, api):
    _open(api)
    sibling = api("clerk", "410103")
    zhongyuan = api("clerk", "410102").report("410102")
    sibling.get(f"/api/v1/reports/{zhongyuan['id']}", status=404)
    sibling.get("/api/v1/reports?org=410102", status=403)
    api("reviewer", "410100").get(f"/api/v1/reports/{zhongyuan['id']}")  # its city may
    api("clerk", "410300").get(f"/api/v1/reports/{zhongyuan['id']}", status=404)
    api("clerk", "410102").send("POST", "/api/v1/reports/open", {"period": "2026Q4"}, status=403)


def test_carry_over_check_compares_figures_built_the_same_way(workflows, api):
    """Two counties with 4,449 ㎡ each: rows print 0.44 + 0.44 = 0.88 while the exact total
    rounds to 0.89; the city's 接转 must be checked against its previous 在建 summed the same
    way, or a rounding difference blocks the report (found on the demo ledger)."""
    from datetime import date
    from decimal import Decimal

    from webapp.core.operations import get_org
    from webapp.ledger.models import Project

    for i, code in enumerate(("410102", "410103")):
        db.session.add(
            Project(
                org_id=get_org(code).id,
                registration_no=f"R-{i}",
                name=f"工程{i}",
                structure_type="框架",
                area_m2=Decimal("4449"),
                cost_10k_yuan=Decimal("1000"),
                registered_on=date(2026, 5, 10),
            )
        )
    db.session.commit()
    _open(api)
    report = api("clerk", "410100").report("410100")
    total = report["tables"]["table5"]["total"]
    assert total["carried_over"]["area_10k_m2"] == "0.88"
    assert not [c for c in report["checks"] if c["id"].startswith("identity.carried_over")]


def test_the_report_list_refuses_a_period_that_cannot_exist(workflows, oracle, api):
    """Found from outside: ``/api/v1/reports?period=2026Q9`` answered an empty list, as if the
    unit had no report, where the public reports' list refuses its bad period.  The period is read
    by the one parser (PeriodKeyField), so ``2026q3`` means 2026Q3 and 2026Q9 is a 422."""
    _open(api, "2026Q3")
    clerk = api("clerk", "410102")
    assert clerk.get("/api/v1/reports?org=410102&period=2026q3")["items"][0]["period"] == "2026Q3"
    for bad in ("2026Q9", "zzz"):
        refused = clerk.get(f"/api/v1/reports?org=410102&period={bad}", status=422)
        assert "报告期" in str(refused["errors"]["query"]["period"])


def test_carry_over_is_checked_against_the_units_own_accepted_report(workflows, api):
    """Found from outside: a county clerk corrected the area of a project in construction after
    the city had accepted 2026Q3.  The county's 2026Q4 compared its 接转 with the ledger as it is
    now (always equal) and went up clean; the city, which reads the accepted 2026Q3, then met
    接转 ≠ 上期在建 as an error it cannot fix (a dead end).  The unit's own row is now checked
    against its own accepted report, as a warning that says where the difference comes from and
    what to do (a closed period changes only through 更正), and the city, reading two accepted
    reports of its county, sees the same warning with the county's explanation, not an error."""
    from datetime import date
    from decimal import Decimal

    from webapp.core.operations import get_org
    from webapp.ledger.models import Project

    project = Project(
        org_id=get_org("410102").id,
        registration_no="R-carry",
        name="在建工程",
        structure_type="框架",
        area_m2=Decimal("38550"),
        cost_10k_yuan=Decimal("30000"),
        registered_on=date(2026, 4, 6),
    )
    db.session.add(project)
    db.session.commit()
    _open(api)
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    city = api("reviewer", "410100")
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve")
    city.complete(city.task("410102"), "accept")
    assert clerk.report("410102")["state"] == "accepted"

    project.area_m2 = Decimal("38850")  # 3.86 → 3.89 万㎡, a closed period's figure changed
    db.session.commit()
    _open(api, "2026Q4")
    report = clerk.report("410102", "2026Q4")
    carried = [c for c in report["checks"] if c["id"].startswith("identity.carried_over")]
    assert [(c["id"], c["rows"], c["severity"]) for c in carried] == [
        ("identity.carried_over.area_10k_m2", ["410102", "total"], "warning")  # one: 即合计
    ]
    assert "（3.89）≠ 上期（2026年第三季度）在建面积（3.86）" in carried[0]["message"]
    assert all("对上期报告提出更正" in c["message"] for c in carried)
    assert not any("取整" in c["message"] for c in carried)

    draft(clerk, "410102", "2026Q4")  # explains the warning
    reviewer.complete(reviewer.task("410102", "2026Q4"), "approve")
    city.complete(city.task("410102", "2026Q4"), "accept")
    upper = api("clerk", "410100").report("410100", "2026Q4")
    row = [
        c
        for c in upper["checks"]
        if c["id"].startswith("identity.carried_over") and "410102" in c["rows"]
    ]
    assert [c["severity"] for c in row] == ["warning"], upper["checks"]
    assert not [
        c
        for c in upper["checks"]
        if c["id"].startswith("identity.carried_over") and c["severity"] == "error"
    ]


def test_a_blocking_check_names_its_table_in_chinese():
    """Found from outside: the problems list read 校验错误（table5）：…, the JSON key."""
    from webapp.reports.models import Report
    from webapp.reports.readiness import data_problems

    check = {"id": "identity.total", "severity": "error", "rows": [], "message": "合计不符"}
    built = {"checks": [{**check, "table": "table5"}], "lower_units": []}
    assert data_problems(Report(), built) == ["校验错误（附表5 季度统计表）：合计不符"]
