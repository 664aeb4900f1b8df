"""The reporting-work record (第八条(五)) from synthetic report.* records."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.audit.helpers import write
from webapp.audit.reporting import reporting_details, reporting_record


def _submit(org: str, period: str, on_time: bool, when: datetime, kind: str = "quarterly"):
    return write(
        "report.submit",
        when,
        actor_name=f"reviewer_{org}",
        org=org,
        object_type="report",
        object_id=f"{org}-{kind}-{period}",
        after={"period": period, "kind": kind, "due_at": "2026-03-31", "on_time": on_time},
    )


def _return(org: str, period: str, when: datetime, kind: str = "quarterly"):
    return write(
        "report.return",
        when,
        actor_name="reviewer_410000",
        org=org,
        object_type="report",
        object_id=f"{org}-{kind}-{period}",
        after={"period": period, "kind": kind},
        message="附表5 合计行与各行之和不符",
    )


def _accept(org: str, period: str, when: datetime, kind: str = "quarterly"):
    return write(
        "report.accept",
        when,
        actor_name="reviewer_410000",
        org=org,
        object_type="report",
        object_id=f"{org}-{kind}-{period}",
        after={"period": period, "kind": kind},
    )


def _day(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 2, tzinfo=UTC)


def _seed() -> None:
    # 郑州 (410100): Q1 on time, returned once, resubmitted late, accepted; Q2 on time, accepted.
    _submit("410100", "2026Q1", True, _day(3, 30))
    _return("410100", "2026Q1", _day(4, 2))
    _submit("410100", "2026Q1", False, _day(4, 5))
    _accept("410100", "2026Q1", _day(4, 6))
    _submit("410100", "2026Q2", True, _day(6, 29))
    _accept("410100", "2026Q2", _day(7, 1))
    # 开封 (410200): Q1 first submitted late; annual 2026 on time (submitted in 2026-12).
    _submit("410200", "2026Q1", False, _day(4, 10))
    _submit("410200", "2026", True, _day(12, 18), kind="annual")
    # 巩义 (410181, directly administered): Q4 of 2025 submitted in January 2026 — counts for 2025.
    _submit("410181", "2025Q4", False, _day(1, 8))
    # 中原区 (410102, a county of 郑州)
    _submit("410102", "2026Q1", True, _day(3, 25))
    # noise: other actions and other years must not count
    write("user.update", _day(3, 1), org="410100", after={"period": "2026Q1"})


def test_reporting_record_for_a_year():
    _seed()
    rows = {r.org_code: r for r in reporting_record(2026)}
    zz = rows["410100"]
    assert (zz.reports, zz.submissions, zz.on_time, zz.late) == (2, 3, 2, 1)
    assert (zz.late_reports, zz.returns, zz.accepted) == (0, 1, 2)
    kf = rows["410200"]
    assert (kf.reports, kf.submissions, kf.on_time, kf.late, kf.late_reports) == (2, 2, 1, 1, 1)
    assert (kf.returns, kf.accepted) == (0, 0)
    assert rows["410181"].submissions == 0  # its 2025Q4 belongs to 2025
    assert rows["410102"].on_time == 1
    assert rows["410300"].submissions == 0  # every unit is listed, silent ones too
    assert "410000" not in rows  # the province reports to no one
    assert reporting_record(2025, None)[0].org_code  # other years work
    gy = {r.org_code: r for r in reporting_record(2025)}["410181"]
    assert (gy.submissions, gy.late, gy.late_reports) == (1, 1, 1)


def test_reporting_record_of_a_subtree(org):
    _seed()
    rows = reporting_record(2026, org("410100"))
    assert [r.org_code for r in rows][0] == "410100"
    assert all(r.org_code.startswith("4101") for r in rows)
    assert {r.org_code for r in rows if r.submissions} == {"410100", "410102"}


def test_reporting_details_of_a_unit(org):
    _seed()
    details = reporting_details(2026, org("410100"))
    assert [(d.period, d.kind) for d in details] == [
        ("2026Q1", "quarterly"),
        ("2026Q2", "quarterly"),
    ]
    q1 = details[0]
    assert q1.submissions == 2 and q1.first_on_time is True and q1.late_submissions == 1
    assert q1.returns == 1 and q1.accepted_at == _day(4, 6)
    assert q1.first_submitted_at == _day(3, 30)


def test_reporting_pages_for_the_province(logged_in, make_user):
    _seed()
    client = logged_in("assessor", "410000")
    page = client.get("/audit/reporting?year=2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "郑州市" in html and 'data-org="410100"' in html
    assert "审计日志" not in html.split("<main")[1].split("<h1")[0]  # no auditor tabs for them
    direct = client.get("/audit/reporting?year=2026&direct=1").get_data(as_text=True)
    assert 'data-org="410100"' in direct and 'data-org="410102"' not in direct
    unit = client.get("/audit/reporting/410100?year=2026").get_data(as_text=True)
    assert "2026年第一季度" in unit and "季度分析报告" in unit  # never the raw key 2026Q1
    api = client.get("/api/v1/audit/reporting?year=2026").get_json()
    assert {r["org_code"]: r["returns"] for r in api}["410100"] == 1


def test_reporting_pages_permissions(app, logged_in):
    clerk = logged_in("clerk", "410100")
    assert clerk.get("/audit/reporting?year=2026").status_code == 403
    city = app.test_client()
    from tests.conftest import login
    from webapp.core.operations import create_user
    from webapp.extensions import db

    create_user(
        None,
        username="leader_zz",
        full_name="郑州领导",
        org_code="410100",
        roles=["leader"],
        password="Leader#2026",
    )
    db.session.commit()
    login(city, "leader_zz", "Leader#2026")
    assert city.get("/audit/reporting?year=2026").status_code == 200  # their own subtree
    assert city.get("/audit/reporting?year=2026&org=410200").status_code == 403  # a peer city
    assert city.get("/audit/").status_code == 403  # not an auditor


def _opened(org: str, period: str, when: datetime, round_: int = 1):
    key = f"report:{org}:{period}" + ("" if round_ == 1 else f":r{round_}")
    return write(
        "workflow.start",
        when,
        org=org,
        object_type="process_instance",
        object_id=key,
        after={"process": "quarterly_report", "business_key": key},
    )


def test_expected_missing_late_and_errors():
    """domain.md §7 Decision (reporting record): 'expected = every report the unit had to make
    (each quarter opened for it, and the annual report for cities and directly administered
    counties); missing = expected − submitted; late = first submitted after its due time;
    errors = returns that the upper level classifies as 数据差错 or 内容失误 (a required choice
    when returning; other returns do not count) plus corrections after acceptance.
    "按时报送" is met only when nothing is missing and nothing late.'"""
    for q in (1, 2, 3):
        _opened("410300", f"2026Q{q}", _day(3 * q - 2, 1))
    _opened("410300", "2026", _day(12, 1))
    _opened("410300", "2026Q1", _day(5, 1), round_=2)  # a correction is no new report
    _opened("410300", "2025Q4", _day(1, 1))  # another year
    _submit("410300", "2026Q1", True, _day(3, 29))
    write(
        "report.return",
        _day(4, 1),
        org="410300",
        after={"period": "2026Q1", "kind": "quarterly", "return_kind": "data_error", "error": True},
    )
    write(
        "report.return",
        _day(4, 2),
        org="410300",
        after={"period": "2026Q1", "kind": "quarterly", "return_kind": "other", "error": False},
    )
    _submit("410300", "2026Q1", False, _day(4, 3))  # a late resubmission: the first was on time
    _accept("410300", "2026Q1", _day(4, 4))
    write(
        "report.correction",
        _day(5, 1),
        org="410300",
        after={"period": "2026Q1", "kind": "quarterly"},
    )
    _submit("410300", "2026Q2", True, _day(6, 29))
    rec = {r.org_code: r for r in reporting_record(2026)}["410300"]
    assert (rec.expected, rec.reports, rec.missing) == (4, 2, 2)
    assert rec.late_reports == 0 and rec.returns == 2
    assert (rec.error_returns, rec.corrections, rec.errors) == (1, 1, 2)
    assert rec.on_time_met is False  # two reports never submitted
    detail = reporting_details(2026, org_of("410300"))[0]
    assert (detail.error_returns, detail.corrections) == (1, 1)

    # all submitted, none late: met; one first submitted late: not met
    _submit("410300", "2026Q3", True, _day(9, 29))
    _submit("410300", "2026", True, _day(12, 18), kind="annual")
    assert {r.org_code: r for r in reporting_record(2026)}["410300"].on_time_met is True
    _submit("410200", "2026Q1", False, _day(4, 10))
    kf = {r.org_code: r for r in reporting_record(2026)}["410200"]
    assert kf.missing == 0 and kf.late_reports == 1 and kf.on_time_met is False


def org_of(code: str):
    from webapp.core.operations import get_org

    return get_org(code)
