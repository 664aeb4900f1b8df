"""A message that names something the user can do on another tab or page links to it.

Found by using the product as a clerk: the carry-over (接转) warning said 由该单位对上期报告提出
更正 with no way to the 更正 form (on the previous report's 文书 tab); the 提交前需处理 list named
the 分析报告 tab's sections and the warnings' explanations without a link; a check's error said
须修改台账 without one."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from tests.conftest import login
from tests.reports.conftest import draft
from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.ledger.models import Project


def _page_as(client, username: str, path: str) -> str:
    own = client.application.test_client()
    login(own, username)
    return own.get(path).get_data(as_text=True)


def _row_of(html: str, check_id: str) -> str:
    found = re.search(rf'<tr[^>]*data-check="{re.escape(check_id)}">(.*?)</tr>', html, re.S)
    assert found, check_id
    return found.group(1)


def _closed_quarter_changed(api):
    """中原区's 2026Q3 accepted, then a project of it edited: 2026Q4's 接转 differs (a warning)."""
    project = Project(
        org_id=get_org("410102").id,
        registration_no="R-links",
        name="在建工程",
        structure_type="框架",
        area_m2=Decimal("38550"),
        cost_10k_yuan=Decimal("30000"),
        registered_on=date(2026, 4, 6),
    )
    db.session.add(project)
    db.session.commit()
    admin = api("admin", "410000")
    admin.send("POST", "/api/v1/reports/open", {"period": "2026Q3"})
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve")
    api("reviewer", "410100").complete(api("reviewer", "410100").task("410102"), "accept")
    project.area_m2 = Decimal("38850")
    db.session.commit()
    admin.send("POST", "/api/v1/reports/open", {"period": "2026Q4"})
    return clerk.report("410102", "2026Q3"), clerk.report("410102", "2026Q4")


def test_the_carry_over_warning_links_to_the_previous_reports_correction(workflows, api, client):
    q3, q4 = _closed_quarter_changed(api)
    carried = [c for c in q4["checks"] if c["id"].startswith("identity.carried_over")]
    assert carried and all(c.get("action") == "correct_previous" for c in carried)

    link = f'href="/reports/{q3["id"]}#tab-docs"'
    row = _row_of(_page_as(client, "clerk_410102", f"/reports/{q4['id']}"), carried[0]["id"])
    assert link in row and "对上期报告发起更正" in row
    # the unit's reviewer may open it, not start the 更正: the label says whose it is
    row = _row_of(_page_as(client, "reviewer_410102", f"/reports/{q4['id']}"), carried[0]["id"])
    assert link in row and "查看中原区上期报告" in row
    # and the 更正 form is there, on the tab the link opens
    assert 'id="correction-form"' in _page_as(client, "clerk_410102", f"/reports/{q3['id']}")


def test_each_problem_links_to_the_tab_where_it_is_dealt_with(workflows, oracle, api, client):
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": "2026Q3"})
    report = api("clerk", "410103").report("410103")  # 二七区: a warning, nothing written yet
    html = _page_as(client, "clerk_410103", f"/reports/{report['id']}")
    problems = re.search(r'id="report-problems">(.*?)</div>', html, re.S).group(1)
    items = re.findall(r"<li>(.*?)</li>", problems, re.S)
    explain = [i for i in items if "请对预警作出说明" in i]
    narrative = [i for i in items if "尚未填写" in i]
    assert explain and all('href="#tab-data"' in i for i in explain)
    assert narrative and all('href="#tab-narrative"' in i for i in narrative)
    # every problem listed names where to go
    assert all("前往“" in i for i in items), items


def test_a_check_error_links_to_the_ledger(workflows, oracle, api, client, monkeypatch):
    """The checks table's 须修改台账后重新计算 links the ledger; the problem says which tab."""
    from webapp.reports import pages

    built = pages.figures

    def with_an_error(report):
        data = built(report)
        error = {"id": "identity.total", "severity": "error", "rows": ["total"]}
        data["checks"] = [*data["checks"], {**error, "message": "合计不符", "table": "table5"}]
        return data

    monkeypatch.setattr(pages, "figures", with_an_error)
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": "2026Q3"})
    report = api("clerk", "410102").report("410102")
    html = _page_as(client, "clerk_410102", f"/reports/{report['id']}")
    assert 'href="/ledger/">修改台账</a>后重新计算' in _row_of(html, "identity.total")
    problems = re.search(r'id="report-problems">(.*?)</div>', html, re.S).group(1)
    error = next(i for i in re.findall(r"<li>(.*?)</li>", problems, re.S) if "合计不符" in i)
    assert 'href="#tab-data"' in error


def test_the_stats_table_links_a_checks_action_as_the_report_page_does(
    workflows, api, client, monkeypatch
):
    """Reported from outside: 报表 › 附表5 shows checks with no way to where their action is done.
    Computed from the live ledger for both periods, that page cannot raise the carry-over warning
    of a closed, accepted quarter itself (the scenario below gives 校验通过 there), so the report's
    own check is planted into it: whatever check carries an ``action``, the stats page links it
    through the report page's source (``pages.action_links``, registered with the stats package)."""
    q3, q4 = _closed_quarter_changed(api)
    carried = [c for c in q4["checks"] if c["id"].startswith("identity.carried_over")]
    path = "/stats/table5?org=410102&period=2026Q4"
    assert "校验通过" in _page_as(client, "clerk_410102", path)
    from webapp.stats import compute

    real = compute.table_with_checks

    def with_the_reports_check(n, org, period):
        table = real(n, org, period)
        table["checks"] = [{k: v for k, v in carried[0].items() if k != "table"}]
        return table

    monkeypatch.setattr(compute, "table_with_checks", with_the_reports_check)
    html = _page_as(client, "clerk_410102", path)
    item = re.search(rf'<li[^>]*data-check="{re.escape(carried[0]["id"])}">(.*?)</li>', html, re.S)
    assert item, "the warning is on the stats page"
    assert f'href="/reports/{q3["id"]}#tab-docs"' in item.group(1)
    assert "对上期报告发起更正" in item.group(1)
