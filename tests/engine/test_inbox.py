"""The inbox and task pages (issue 18): titles in words, claim only where it decides something,
search/filter/sort/pages, the return reason on every first screen, the next step after an
action, the reviewer's summary, the person picker of 抄送/转办, confirmations.

Run on the real quarterly_report.bpmn with the oracle ledger (tests/reports/conftest.py).
"""

from __future__ import annotations

import re
from datetime import datetime

from tests.conftest import ROOT, csrf_token, login
from tests.reports.conftest import PERIOD, Api, draft
from webapp.core import clock
from webapp.engine import TaskCopy
from webapp.extensions import db

PREPARE = "填报数据（附表1–6/7）"


def _open(api) -> None:
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})


def _web(app, make_user, role: str, org: str, username: str | None = None):
    client = app.test_client()
    name = username or f"web_{role}_{org}"
    make_user(role, org, username=name, full_name=f"{org}{role}")
    login(client, name)
    return client


def _inbox(client, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    response = client.get(f"/tasks/?{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_titles_name_step_period_and_unit_never_the_business_key(
    workflows, oracle, api, app, make_user
):
    """Issue 18: "three identical rows told apart by internal keys" — a task reads
    "填报数据 · 2026年第三季度 · 中原区" on the inbox, the task page and in the API."""
    _open(api)
    clerk = api("clerk", "410102")
    web = _web(app, make_user, "clerk", "410102")
    page = _inbox(web)
    assert "填报数据 · 2026年第三季度 · 中原区" in page
    assert (
        "report:410102" not in page
        and "2026Q3" not in page.split("inbox-filter")[1].split("</form>")[1]
    )
    task = clerk.task("410102", name=PREPARE)
    assert task["title"] == "填报数据 · 2026年第三季度 · 中原区"
    detail = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "填报数据 · 2026年第三季度 · 中原区" in detail and "report:410102" not in detail
    instance = web.get(f"/tasks/instances/{task['instance_id']}").get_data(as_text=True)
    assert "2026年第三季度 · 中原区" in instance and "report:410102" not in instance


def test_claim_only_where_several_people_could_take_the_task(
    workflows, oracle, api, app, make_user
):
    """Issue 18: "every task shows 待签收 although no claim is needed" — a task of one candidate
    is theirs (待办理, no 签收 button); with two candidates it is 待签收 until one claims it."""
    _open(api)
    api("clerk", "410102")
    alone = _web(app, make_user, "clerk", "410103")  # the only clerk of 二七区
    row = _inbox(alone)
    assert "待办理" in row and "待签收" not in row
    task_id = re.search(r'data-task="(\d+)"', row).group(1)
    page = alone.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "待办理" in page and ">签收<" not in page
    two = _web(app, make_user, "clerk", "410102")  # 中原区 has two clerks now
    row = _inbox(two)
    assert "待签收" in row
    task = api("clerk", "410102").task("410102", name=PREPARE)
    page = two.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert ">签收<" in page
    listed = api("clerk", "410102").get("/api/v1/tasks?view=todo")["items"]
    assert [t["needs_claim"] for t in listed] == [True]
    claimed = two.post(
        f"/tasks/{task['id']}/claim", data={"csrf_token": csrf_token(two, "/tasks/")}
    )
    assert claimed.status_code == 302
    assert api("clerk", "410102").get("/api/v1/tasks")["items"] == []  # now the other's
    assert "已签收" in _inbox(two)


def test_search_filter_sort_and_pages_in_the_page_and_the_api(
    workflows, oracle, api, app, make_user
):
    """Issue 18: "no search, filter or sort" — the city's reviewer filters the 上级接收 tasks of
    its counties by unit, period, kind and text, sorts them and pages through; the API lists the
    same rows with the same arguments."""
    _open(api)
    for code in ("410102", "410103", "410104"):
        api("clerk", code)
        api("reviewer", code)
        draft(api("clerk", code), code)
        reviewer = api("reviewer", code)
        reviewer.complete(reviewer.task(code), "approve")
    city = api("reviewer", "410100")
    everything = city.get("/api/v1/tasks?view=todo")
    titles = [t["title"] for t in everything["items"]]
    assert everything["total"] == 3
    assert sorted(titles) == sorted(
        f"上级接收 · 2026年第三季度 · {n}" for n in ("中原区", "二七区", "管城回族区")
    )
    one = city.get("/api/v1/tasks?org=410103")
    assert [t["title"] for t in one["items"]] == ["上级接收 · 2026年第三季度 · 二七区"]
    assert city.get("/api/v1/tasks?q=管城")["total"] == 1  # 管城回族区 = 410104
    assert city.get(f"/api/v1/tasks?period={PERIOD}&process=quarterly_report")["total"] == 3
    assert city.get("/api/v1/tasks?period=2025Q3")["total"] == 0
    paged = city.get("/api/v1/tasks?per_page=2&page=2&sort=received")
    assert paged["total"] == 3 and len(paged["items"]) == 1 and paged["page"] == 2
    first = city.get("/api/v1/tasks?per_page=2&page=1&sort=received")["items"]
    assert {t["id"] for t in first}.isdisjoint({t["id"] for t in paged["items"]})
    web = _web(app, make_user, "reviewer", "410100")
    page = _inbox(web, org="410103")
    assert "上级接收 · 2026年第三季度 · 二七区" in page and "中原区" not in page.split("<tbody>")[1]
    assert '<option value="410103" selected>' in page and "清除条件" in page
    assert "2026年第三季度" in page.split('id="f-period"')[1].split("</select>")[0]
    assert "共 3 项" in _inbox(web) and "共 1 项" in _inbox(web, q="二七")
    assert "没有符合条件的待办事项" in _inbox(web, q="不存在的单位")
    done = api("reviewer", "410102").get("/api/v1/tasks?view=done")
    assert done["items"][0]["title"] == "本级审核 · 2026年第三季度 · 中原区"


def test_overdue_tasks_are_red(workflows, oracle, api, app, make_user):
    """Issue 18: overdue in red — a task past its deadline is marked 已逾期 on its row."""
    clock.set_now(datetime(2026, 9, 5, 9, 0, tzinfo=clock.LOCAL_TZ))
    _open(api)
    web = _web(app, make_user, "clerk", "410102")
    task = api("clerk", "410102").task("410102", name=PREPARE)
    assert "已逾期" not in _inbox(web)
    assert api("clerk", "410102").get("/api/v1/tasks")["items"][0]["overdue"] is False
    clock.set_now(datetime(2026, 10, 5, 9, 0, tzinfo=clock.LOCAL_TZ))
    web = _web(app, make_user, "clerk", "410102", username="clerk_later")  # a new session
    page = _inbox(web)
    assert f'class="table-danger" data-task="{task["id"]}"' in page and "已逾期" in page
    later = Api(app.test_client(), "clerk_later")  # a new token too
    assert later.get("/api/v1/tasks")["items"][0]["overdue"] is True


def test_a_returned_clerk_sees_why_on_the_first_screen(workflows, oracle, api, app, make_user):
    """Issue 18 (worst first): "a returned report never says why" — after the city returns the
    county's report as 数据差错, the clerk's inbox row, the task page and the report page all say
    who returned it, when, the kind and the reason; the API too.  Once the returning step is
    reached again the banner is gone."""
    _open(api)
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    city = api("reviewer", "410100")
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve")
    city.complete(
        city.task("410102"),
        "return",
        "附表5 竣工面积与台账不符，请核对。",
        data={"return_kind": "data_error"},
    )
    web = _web(app, make_user, "clerk", "410102")
    row = _inbox(web)
    assert "已退回：附表5 竣工面积与台账不符，请核对。（数据差错）" in row
    task = clerk.task("410102", name=PREPARE)
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    banner = page.split('id="return-banner"')[1].split("</div>\n</div>")[0]
    assert "附表5 竣工面积与台账不符" in banner and "退回类别：数据差错" in banner
    assert "郑州市" in banner and "上级接收" in banner
    assert re.search(r"(\S+) \1", banner.split(" 于 ")[0].split(">")[-1]) is None  # unit once
    report = clerk.report("410102")
    html = web.get(f"/reports/{report['id']}").get_data(as_text=True)
    assert 'id="return-banner"' in html and "附表5 竣工面积与台账不符" in html
    assert report["returned"]["kind"] == "数据差错"
    assert report["returned"]["reason"] == "附表5 竣工面积与台账不符，请核对。"
    listed = clerk.get("/api/v1/tasks")["items"][0]
    assert listed["returned"]["by_org"] == "郑州市"
    # Still shown to the county's reviewer while the correction is reviewed…
    draft(clerk, "410102", text="已更正")
    assert "附表5 竣工面积与台账不符" in _inbox(_web(app, make_user, "reviewer", "410102"))
    reviewer.complete(reviewer.task("410102"), "approve")
    # …and gone once the report is back with the city (the returning step reached again).
    assert clerk.report("410102")["returned"] is None
    assert "已退回" not in _inbox(_web(app, make_user, "reviewer", "410100"))


def test_after_checking_the_data_the_clerk_lands_on_the_narrative(
    workflows, oracle, api, app, make_user
):
    """Issue 18: "every action returns to the inbox" — after 数据已核对 the clerk lands on the
    narrative tab of the same report (their next task); after 提交审核 (the reviewer's turn) on the
    inbox with a message."""
    _open(api)
    clerk = api("clerk", "410102")
    report = clerk.report("410102")
    warnings = {c["id"]: "已核实。" for c in report["checks"] if c["severity"] == "warning"}
    clerk.send(
        "PUT",
        f"/api/v1/reports/{report['id']}/explanations",
        {"explanations": warnings, "base_versions": report["explanation_versions"]},
    )
    web = _web(app, make_user, "clerk", "410102")
    task = clerk.task("410102", name=PREPARE)
    token = csrf_token(web, f"/reports/{report['id']}")
    done = web.post(f"/tasks/{task['id']}/complete", data={"csrf_token": token, "outcome": "next"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/reports/{report['id']}#tab-narrative")
    landed = web.get(f"/reports/{report['id']}").get_data(as_text=True)
    assert "下一步：撰写分析报告" in landed and "当前待办：撰写分析报告" in landed
    report = clerk.report("410102")
    clerk.send(
        "PUT",
        f"/api/v1/reports/{report['id']}/narrative",
        {
            "sections": {s["key"]: "本季度情况。" for s in report["sections"]},
            "base_versions": report["narrative_versions"],
        },
    )
    narrative = clerk.task("410102", name="撰写分析报告")
    sent = web.post(
        f"/tasks/{narrative['id']}/complete", data={"csrf_token": token, "outcome": "submit"}
    )
    assert sent.headers["Location"].endswith("/tasks/")
    assert "返回待办" in web.get("/tasks/").get_data(as_text=True)


def test_the_reviewer_reads_the_report_summary_on_the_task_page(
    workflows, oracle, api, app, make_user
):
    """Issue 18: "reviewers' task pages show the clerk's instruction and none of the report" —
    the 本级审核 page shows the key figures, every warning with the clerk's explanation, links to
    the tables and the Word draft; the inbox links the reviewer to the report's page."""
    _open(api)
    clerk = api("clerk", "410103")
    api("reviewer", "410103")
    report = draft(clerk, "410103")
    warnings = [c for c in report["checks"] if c["severity"] == "warning"]
    assert warnings, "二七区's filing rate of 200 % raises a warning"
    web = _web(app, make_user, "reviewer", "410103")
    task = api("reviewer", "410103").task("410103")
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'id="report-summary"' in page and 'id="key-figures"' in page
    assert "已核实，数据真实。" in page  # the clerk's explanation of a warning
    assert f"/reports/{report['id']}/document.docx" in page or "fmt=docx" in page
    assert f"/reports/{report['id']}#tab-data" in page
    assert "report-task-hint" not in page
    assert f'href="/reports/{report["id"]}"' in _inbox(web)


def test_cc_picker_offers_only_people_who_may_see_the_report(
    workflows, oracle, api, app, make_user
):
    """Issue 18 / 抄送 rule (engine.operations.cc): the picker lists the users of the report's unit
    and the units above it who may read the report — not another city, not the actor — and a
    copy sent from it reaches the chosen person; someone outside is refused."""
    _open(api)
    api("clerk", "410102")
    web = _web(app, make_user, "reviewer", "410102")
    make_user("leader", "410100", full_name="郑州市领导")
    make_user("reviewer", "410200", full_name="开封市审核人")  # another city
    make_user("clerk", "410103", full_name="二七区填表人")  # a sibling county
    task = api("clerk", "410102").task("410102", name=PREPARE)
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    picker = page.split('id="cc-user"')[1].split("</select>")[0]
    assert "郑州市领导 · 郑州市" in picker and "clerk_410102 · 中原区" in picker
    assert "开封市审核人" not in picker and "二七区填表人" not in picker
    assert "web_reviewer_410102" not in picker
    leader = re.search(r'<option value="(\d+)">郑州市领导', picker).group(1)
    token = csrf_token(web, f"/tasks/{task['id']}")
    sent = web.post(f"/tasks/{task['id']}/cc", data={"csrf_token": token, "user_id": leader})
    assert sent.status_code == 302
    db.session.expire_all()
    assert db.session.query(TaskCopy).filter_by(user_id=int(leader)).count() == 1
    outsider = make_user("leader", "410200", full_name="开封市领导")
    refused = web.post(
        f"/tasks/{task['id']}/cc",
        data={"csrf_token": token, "user_id": outsider.id},
        headers={"Referer": f"/tasks/{task['id']}"},
    )
    assert refused.status_code == 302
    shown = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "不能抄送给所选人员" in shown and "开封市领导" not in shown
    after = web.get(f"/tasks/{task['id']}").get_data(as_text=True).split('id="cc-user"')[1]
    assert "郑州市领导" not in after.split("</select>")[0]  # already copied


def test_irreversible_actions_ask_first():
    """Issue 18: "部署为新版本, 回滚到此版, 结束自评阶段, no confirmation" — every such button or
    form carries data-confirm (static/js/app.js asks before sending), and 同意并上报-like outcomes
    ask; the drafting steps and returns do not."""
    templates = ROOT / "webapp"
    needles = {
        "workflow_admin/templates/workflow_admin/editor.html": "部署为新版本",
        "workflow_admin/templates/workflow_admin/definition.html": "回滚到此版",
        "workflow_admin/templates/workflow_admin/definitions.html": "校验并部署为新版本",
        "assessment/templates/assessment/campaign.html": "进入考核评分",  # 结束自评/材料报送
        "assessment/templates/assessment/ranking.html": "审批通过考核结果",
        "ledger/templates/ledger/form.html": "删除",
        "reports/templates/reports/report.html": "发起更正",
    }
    for path, label in needles.items():
        text = (templates / path).read_text(encoding="utf-8")
        tags = [t for t in re.findall(r"<(?:button|form)[^>]*>[^<]*", text) if label in t]
        forms = re.findall(r"<form[^>]*data-confirm[^>]*>", text)
        assert any("data-confirm" in t for t in tags) or forms, path
    outcomes = (templates / "engine/templates/engine/_outcomes.html").read_text(encoding="utf-8")
    assert "data-confirm" in outcomes and "'next', 'submit', 'save', 'return', 'reject'" in outcomes


def test_approve_buttons_confirm_and_drafting_buttons_do_not(
    workflows, oracle, api, app, make_user
):
    """The rendered buttons: 同意并上报 asks (a submission cannot be withdrawn), 退回 and
    数据已核对 do not."""
    _open(api)
    clerk = api("clerk", "410102")
    api("reviewer", "410102")
    web = _web(app, make_user, "clerk", "410102")
    prepare = clerk.task("410102", name=PREPARE)
    page = web.get(f"/tasks/{prepare['id']}").get_data(as_text=True)
    assert re.search(r'value="next"\s*>数据已核对', page)
    draft(clerk, "410102")
    reviewer = _web(app, make_user, "reviewer", "410102")
    review = api("reviewer", "410102").task("410102")
    page = reviewer.get(f"/tasks/{review['id']}").get_data(as_text=True)
    assert re.search(r'value="approve" data-confirm="确定“同意并上报”吗？', page)
    assert re.search(r'value="return"\s*>退回', page)
    assert len(db.session.query(TaskCopy).all()) == 0


def test_a_second_return_shows_its_own_reason_not_the_first(workflows, oracle, api, app, make_user):
    """Reported from outside: after a report was returned twice, the pages were said to show the
    first return's reason.  The banner (task page, report page), the inbox row and the API give
    the latest return only; the history keeps both, each with who and when.  (A guard: main
    already reads the last return, webapp/engine/inbox.py current_returns.)"""
    _open(api)
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    city = api("reviewer", "410100")
    for reason, kind, text in (
        ("第一次退回：附表5 有误。", "data_error", "改一"),
        ("第二次退回：正文缺第四部分。", "other", "改二"),
    ):
        draft(clerk, "410102", text=text)
        reviewer.complete(reviewer.task("410102"), "approve")
        city.complete(city.task("410102"), "return", reason, data={"return_kind": kind})
    web = _web(app, make_user, "clerk", "410102")
    report = clerk.report("410102")
    task = clerk.task("410102", name=PREPARE)
    pages = {
        "report": web.get(f"/reports/{report['id']}").get_data(as_text=True),
        "task": web.get(f"/tasks/{task['id']}").get_data(as_text=True),
        "inbox": _inbox(web),
    }
    for name, page in pages.items():
        assert "第二次退回" in page and "第一次退回" not in page, name
    assert report["returned"]["reason"] == "第二次退回：正文缺第四部分。"
    history = web.get(f"/tasks/instances/{task['instance_id']}").get_data(as_text=True)
    assert history.index("第一次退回") < history.index("第二次退回")


def test_a_return_names_its_unit_once():
    """Found from outside: "中原区 中原区审核人 于…" — the unit said twice when the person's name
    already begins with it (role accounts); a person's own name keeps the unit before it."""
    from datetime import UTC, datetime

    from webapp.engine.inbox import ReturnNote

    at = datetime(2026, 3, 20, tzinfo=UTC)
    assert ReturnNote("上级接收", "中原区审核人", "中原区", at, "").who == "中原区审核人"
    assert ReturnNote("上级接收", "张三", "中原区", at, "").who == "中原区 张三"
    assert ReturnNote("上级接收", "", "中原区", at, "").who == "中原区"


def test_every_unread_notice_after_an_accept_says_something(workflows, oracle, api, app, make_user):
    """Found from outside: after the city accepted a county's report its users' inbox showed a
    notice line with only a date.  Every notice line of every user of both units, after the
    whole county → city journey, carries its kind and a Chinese sentence."""
    _open(api)
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    city = api("reviewer", "410100")
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve")
    city.complete(city.task("410102"), "accept")
    for role, org in (
        ("reviewer", "410100"),
        ("clerk", "410100"),
        ("leader", "410100"),
        ("clerk", "410102"),
        ("reviewer", "410102"),
    ):
        html = _inbox(_web(app, make_user, role, org))
        if 'id="notifications"' not in html:
            continue
        box = html.split('id="notifications"', 1)[1].split("</div>\n</div>", 1)[0]
        for line in re.findall(r"<div>(.*?)</div>", box):
            text = re.sub(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "", line).strip()
            assert re.search(r"[\u4e00-\u9fff]{2,}", text), (role, org, line)
