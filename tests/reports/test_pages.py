"""Report pages: the workspace, the status board with 催办, peers' summary view."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import csrf_token, login
from tests.reports.conftest import PERIOD, draft
from webapp.engine import Notification
from webapp.extensions import db


def _open(api) -> None:
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})


def test_board_shows_lower_units_and_reminds_one(workflows, oracle, api, app, make_user):
    _open(api)
    api("clerk", "410102")  # the county's clerk, to be reminded
    draft(api("clerk", "410103"), "410103")
    web = app.test_client()
    make_user("reviewer", "410100", username="zz_reviewer")
    login(web, "zz_reviewer")
    page = web.get(f"/reports/board?period={PERIOD}").get_data(as_text=True)
    assert "中原区" in page and "审核中" in page and "填报中" in page
    zhongyuan = api("clerk", "410102").report("410102")
    response = web.post(
        f"/reports/{zhongyuan['id']}/remind", data={"csrf_token": csrf_token(web, "/reports/")}
    )
    assert response.status_code == 302
    db.session.commit()
    notes = list(
        db.session.execute(select(Notification).where(Notification.kind == "remind")).scalars()
    )
    assert len(notes) == 1 and "催办" in notes[0].message


def test_a_county_cannot_remind_its_city(workflows, oracle, api, app, make_user):
    _open(api)
    city_report = api("clerk", "410100").report("410100")
    web = app.test_client()
    make_user("reviewer", "410102", username="zy_reviewer")
    login(web, "zy_reviewer")
    response = web.post(
        f"/reports/{city_report['id']}/remind", data={"csrf_token": csrf_token(web, "/reports/")}
    )
    assert response.status_code == 404


def test_peer_sees_accepted_summary_only(workflows, oracle, api, app, make_user):
    _open(api)
    clerk, reviewer = api("clerk", "410181"), api("reviewer", "410181")
    draft(clerk, "410181", text="巩义内部情况")
    reviewer.complete(reviewer.task("410181"), "approve")
    report_id = clerk.report("410181")["id"]
    web = app.test_client()
    make_user("reviewer", "410300", username="ly_reviewer")  # 洛阳: a peer of 巩义
    login(web, "ly_reviewer")
    assert web.get(f"/reports/{report_id}").status_code == 404  # not accepted: not seen at all
    province = api("reviewer", "410000")
    province.complete(province.task("410181"), "accept")
    page = web.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "附表5 季度统计表" in page and "仅显示已接收的汇总表" in page
    assert "巩义内部情况" not in page and "narrative-form" not in page
    assert web.get(f"/reports/{report_id}/document.docx").status_code == 403


def test_workspace_lists_problems_and_saves_explanations(workflows, oracle, api, app, make_user):
    _open(api)
    report = api("clerk", "410103").report("410103")
    web = app.test_client()
    make_user("clerk", "410103", username="eq_clerk")
    login(web, "eq_clerk")
    page = web.get(f"/reports/{report['id']}").get_data(as_text=True)
    assert "提交前需处理" in page and "请对预警作出说明" in page
    warning = next(c for c in report["checks"] if c["severity"] == "warning")
    response = web.post(
        f"/reports/{report['id']}/explanations",
        data={
            "csrf_token": csrf_token(web, f"/reports/{report['id']}"),
            f"exp_{warning['id']}": "备案滞后，已核实。",
        },
    )
    assert response.status_code == 302
    assert (
        api("clerk", "410103").report("410103")["explanations"][warning["id"]]
        == "备案滞后，已核实。"
    )


def test_a_reminder_never_redirects_off_the_site(workflows, oracle, api, app, make_user):
    from tests.security.test_safe_next import HOSTILE, assert_local

    _open(api)
    zhongyuan = api("clerk", "410102").report("410102")
    make_user("reviewer", "410100", username="zz_reviewer")
    web = app.test_client()
    login(web, "zz_reviewer")
    for target in [f"/reports/board?period={PERIOD}", *HOSTILE]:
        token = csrf_token(web, "/reports/")
        response = web.post(
            f"/reports/{zhongyuan['id']}/remind", data={"csrf_token": token, "next": target}
        )
        assert_local(response)
        if target.startswith("/reports"):
            assert response.headers["Location"].endswith(target)


def test_reuse_with_nothing_to_copy_says_so(workflows, oracle, api, app, make_user):
    """Issue 15: '引用上期内容 with nothing to copy says so on the page (today a 404 page)'."""
    _open(api)  # 2026Q3 only: 2026Q2 was never opened for 中原区
    report_id = api("clerk", "410102").report("410102")["id"]
    web = app.test_client()
    make_user("clerk", "410102", username="zy_clerk2")
    login(web, "zy_clerk2")
    page = web.get(f"/reports/{report_id}").get_data(as_text=True)
    assert 'id="nothing-to-reuse"' in page and "上期没有可引用的内容" in page
    response = web.post(
        f"/reports/{report_id}/reuse",
        data={"csrf_token": csrf_token(web, "/reports/")},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "上期没有可引用的内容" in response.get_data(as_text=True)


def test_upper_level_chooses_the_kind_of_a_return(workflows, oracle, api, app, make_user):
    """domain.md §7: errors are 'returns that the upper level classifies as 数据差错 or 内容失误
    (a required choice when returning; other returns do not count)'."""
    _open(api)
    clerk, reviewer = api("clerk", "410181"), api("reviewer", "410181")
    draft(clerk, "410181")
    reviewer.complete(reviewer.task("410181"), "approve")
    report_id = clerk.report("410181")["id"]
    web = app.test_client()
    make_user("reviewer", "410000", username="hn_reviewer2")
    login(web, "hn_reviewer2")
    page = web.get(f"/reports/{report_id}").get_data(as_text=True)
    assert 'name="f_return_kind"' in page and "内容失误" in page
    task = api("reviewer", "410000").task("410181")
    task_page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'name="f_return_kind"' in task_page and "数据差错" in task_page
    # Found from outside: 办理人 said nothing (or only （未签收）) and 期限 was blank on the
    # acceptance, which has no deadline: now who may take it, and 无.
    assert '<td id="task-holder">河南省 审核人（未签收）</td>' in task_page
    assert '<td id="task-due">无</td>' in task_page
    token = csrf_token(web, "/reports/")
    refused = web.post(
        f"/tasks/{task['id']}/complete",
        data={"csrf_token": token, "outcome": "return", "comment": "格式不规范"},
    )
    assert refused.status_code == 422 and "退回类别" in refused.get_data(as_text=True)
    bare = web.post(
        f"/tasks/{task['id']}/complete", data={"csrf_token": token, "outcome": "return"}
    )  # neither opinion nor kind: both told at once
    assert bare.status_code == 422
    assert "必须填写审批意见" in bare.get_data(as_text=True)
    assert "必须选择退回类别" in bare.get_data(as_text=True)
    # Found from outside: the kind chosen before a refused 退回 (no opinion) came back blank.
    no_opinion = web.post(
        f"/tasks/{task['id']}/complete",
        data={"csrf_token": token, "outcome": "return", "f_return_kind": "data_error"},
    )
    assert no_opinion.status_code == 422
    assert '<option value="data_error" selected>' in no_opinion.get_data(as_text=True)
    done = web.post(
        f"/tasks/{task['id']}/complete",
        data={
            "csrf_token": token,
            "outcome": "return",
            "comment": "格式不规范",
            "f_return_kind": "other",
        },
    )
    assert done.status_code == 302
    db.session.commit()
    # The history says which kind of return it was, beside its result (found from outside).
    history = web.get(f"/tasks/instances/{task['instance_id']}").get_data(as_text=True)
    assert '退回<span class="text-muted">（退回类别：其他（格式、补充说明等））</span>' in history
    from webapp.audit.reporting import reporting_record

    gy = {r.org_code: r for r in reporting_record(2026)}["410181"]
    assert gy.returns == 1 and gy.errors == 0  # 其他 does not count as an error


def test_the_reports_page_links_the_statistics_only_to_their_readers(app, make_user):
    """Found by the demo link sweep: administrators and auditors (who open periods here) were
    shown 统计报表（实时）, a page of the ledger's readers: a link to a 403."""
    for role, shown in (("admin", False), ("auditor", False), ("reviewer", True)):
        web = app.test_client()
        make_user(role, "410000", username=f"stats_{role}")
        login(web, f"stats_{role}")
        page = web.get("/reports/").get_data(as_text=True)
        assert ('href="/stats/"' in page) is shown, role
        assert (web.get("/stats/").status_code == 200) is shown, role
