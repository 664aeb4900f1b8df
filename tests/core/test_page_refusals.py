"""No silent refusal on the pages whose input is not a WTForms form.

test_form_errors.py sweeps the WTForms pages.  The others read their input by a BPMN task
form's JSON schema (办理 on the engine's task page), by hand (the accident report, 续报 and
conclusion) or through an operation (the score sheets, 日常考察).  Before this sweep they
answered a refusal with a redirect and a flashed sentence: the 续报, the conclusion, the score
sheet, the self-assessment and 日常考察 lost everything typed (every ticked box of a score
sheet), the accident form named one problem at a time and none next to its field, and the task
page showed its reasons only as a flash.

Each page here is sent an invalid value of every field kind, as a user allowed to use it; the
answer must be a 422 on the same page with the Chinese reason in the shared summary
(``id="form-errors"``) and next to the field, what was typed still in the form, and nothing
written.  :func:`test_every_html_post_is_swept` fails for a new HTML POST that is not classified.
"""

from __future__ import annotations

import dataclasses
import html
import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

import webapp
from tests.accidents.conftest import at, body, users, workflow  # noqa: F401 (fixtures)
from tests.assessment.conftest import (  # noqa: F401 (fixtures)
    open_campaign,
    province_staff,
    sheets,
    unit_of,
    workflows,
)
from tests.audit.routes import Env
from tests.audit.routes import accidents as accident_routes
from tests.audit.routes import assessment as assessment_routes
from tests.audit.routes import assessment_flow as assessment_flow_routes
from tests.audit.routes import engine as engine_routes
from tests.audit.routes import publication as publication_routes
from tests.audit.routes import reports as report_routes
from tests.audit.routes import stats as stats_routes
from tests.conftest import csrf_token
from webapp.accidents.models import Accident, AccidentReport
from webapp.assessment.models import ItemScore, Observation
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.core.operations import get_org
from webapp.engine import deploy_bpmn, start_instance
from webapp.engine.models import HumanTask
from webapp.engine.registry import FORMS
from webapp.extensions import db

# Every module that registers task forms, so that the cases below see them all at collection
# (test_every_task_form_field_kind_is_tried compares with the running application's).
for _module in (
    "webapp.accidents.flow",
    "webapp.assessment.flow_forms",
    "webapp.engine.builtin",
    "webapp.publication.flow",
    "webapp.reports.flow",
    "webapp.reports.notice",
):
    importlib.import_module(_module)

SUMMARY = re.compile(r'<div[^>]*id="form-errors"[^>]*>(.*?)</div>', re.S)
ENGLISH = re.compile(r"\b(Missing|Not a valid|Invalid|Must be|Length must|Field may)\b")


def summary(page: str) -> str:
    found = SUMMARY.search(page)
    assert found, "the refused form has no error summary"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def refused(answer: Any, *reasons: str) -> str:
    """The answer is a 422 page whose summary gives every reason, in Chinese, each also shown
    next to a field (``invalid-feedback``)."""
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422, page[:2000]
    said = summary(page)
    for reason in reasons:
        assert reason in said, (reason, said)
    assert not ENGLISH.search(said), said
    assert 'class="invalid-feedback d-block"' in page
    return page


def kept(page: str, value: str) -> bool:
    """``value`` is in the page as a field's value (an input's value or a textarea's text)."""
    values = re.findall(r'\bvalue="([^"]*)"', page)
    texts = re.findall(r"<textarea\b[^>]*>(.*?)</textarea>", page, re.S)
    return value in {html.unescape(v) for v in values} | {html.unescape(t) for t in texts}


def count(model: Any) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# 办理: every registered task form's fields --------------------------------------------------
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def probe_bpmn(form_key: str) -> bytes:
    """One user task with ``form_key``: every form is tried on the engine's own page."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:spiffworkflow="{SPIFF_NS}"
    id="D" targetNamespace="t">
  <bpmn:process id="form_probe" name="表单探针" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="L" name="clerk@self">
      <bpmn:flowNodeRef>fill</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="fill" name="填写">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="{form_key}" />
        <spiffworkflow:property name="outcomes" value="approve:同意" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill" />
    <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


def page_fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields the task page renders as inputs (engine/_form.html): not objects, nor lists
    of objects (those forms are worked on their feature's page)."""
    return {
        name: prop
        for name, prop in (schema.get("properties") or {}).items()
        if prop.get("type") in ("string", "integer", "number", "boolean")
        or (prop.get("type") == "array" and prop.get("items", {}).get("type") == "string")
    }


def bad_values(name: str, prop: dict[str, Any], required: bool) -> list[tuple[str, str, str]]:
    """(case, posted text, the reason's words) for every way ``prop`` can be refused."""
    cases = []
    kind = prop.get("type")
    if required:
        cases.append(("missing", "", "为必填项"))
    if kind in ("integer", "number"):
        cases.append(("not-a-number", "十二", "应为" + ("整数" if kind == "integer" else "数字")))
        if "minimum" in prop:
            cases.append(("below-minimum", str(prop["minimum"] - 1), "不能小于"))
    if kind == "string":
        if "enum" in prop:
            cases.append(("not-a-choice", "不存在的选项", "的取值须为"))
        if "pattern" in prop:
            cases.append(("bad-format", "明天下午", "格式不正确"))
        if prop.get("format") == "date":
            cases.append(("bad-date", "2026-13-45", "应为日期"))
        if "maxLength" in prop:
            cases.append(("too-long", "长" * (prop["maxLength"] + 1), f"最多{prop['maxLength']}"))
    if kind == "array" and "maxLength" in prop.get("items", {}):
        cases.append(("entry-too-long", "9" * (prop["items"]["maxLength"] + 1), "最多"))
    return cases


def typed(prop: dict[str, Any]) -> str:
    """A valid value for ``prop``, recognisable when the page comes back."""
    if "enum" in prop:
        return str(prop["enum"][-1])
    if prop.get("type") in ("integer", "number"):
        return str(max(prop.get("minimum", 0), 7))
    if prop.get("format") == "date":
        return "2026-04-30"
    if "pattern" in prop:
        return "2026-05-01 14:30"
    return "保留的文字"


#: Forms whose fields are filled on their feature's page, not the task page (its template shows
#: a link there): form key → that page's endpoint.
ON_FEATURE_PAGE = {"assessment.approve_results": "assessment.approve"}

TASK_CASES = [
    pytest.param(key, name, text, reason, id=f"{key}-{name}-{case}")
    for key, spec in sorted(FORMS.items())
    if key not in ON_FEATURE_PAGE
    for name, prop in page_fields(spec.schema).items()
    for case, text, reason in bad_values(name, prop, name in spec.schema.get("required", []))
]


@pytest.mark.parametrize(("form_key", "field", "text", "reason"), TASK_CASES)
def test_a_task_form_refused_says_why_and_keeps_the_input(
    logged_in: Callable[..., FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
    form_key: str,
    field: str,
    text: str,
    reason: str,
) -> None:
    """The probe has no business object behind it (no campaign, no accident), so the form is
    shown by the engine's own rendering, the macro every feature's form template includes."""
    spec = FORMS[form_key]
    monkeypatch.setitem(FORMS, form_key, dataclasses.replace(spec, template=None, context=None))
    clock.set_now(datetime(2026, 5, 2, 2, tzinfo=UTC))
    deploy_bpmn(None, None, probe_bpmn(form_key))
    start_instance(None, "form_probe", get_org("410102"), f"probe:{form_key}")
    db.session.commit()
    client = logged_in("clerk", "410102")
    task = db.session.execute(select(HumanTask)).scalar_one()
    schema = FORMS[form_key].schema
    fields = page_fields(schema)
    form = {f"f_{n}": typed(p) for n, p in fields.items() if p.get("type") != "boolean"}
    form |= {f"f_{field}": text, "outcome": "approve", "comment": "保留的意见"}
    form["csrf_token"] = csrf_token(client, f"/tasks/{task.id}")
    before = count(AuditRecord)
    page = refused(client.post(f"/tasks/{task.id}/complete", data=form), reason)
    title = fields[field].get("title", field)
    assert title in summary(page)
    for name, prop in fields.items():
        if name != field and prop.get("type") != "boolean":
            assert kept(page, form[f"f_{name}"]), name
    assert kept(page, "保留的意见") or ">保留的意见</textarea>" in page
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).state != "completed"
    assert count(AuditRecord) == before
    clock.set_now(None)


def test_a_list_field_is_typed_as_a_list(logged_in: Callable[..., FlaskClient]) -> None:
    """A list field is one text box: its entries, separated by commas, are the list (it was
    refused as "应为列表" whatever was typed)."""
    from webapp.engine.operations import form_values

    schema = FORMS["assessment.confirm_laggards"].schema
    assert form_values(schema, {"f_laggards": "410500，410600 410700"})["laggards"] == [
        "410500",
        "410600",
        "410700",
    ]


# The accident report (首报), 续报 and the investigation's conclusion -------------------------
def accident_form(**changes: str) -> dict[str, str]:
    form = {k: v for k, v in body().items() if k not in ("units", "under_control", "received_at")}
    form = {k: str(v) for k, v in form.items()}
    form.update(occurred_at="2026-05-01T14:10", units="甲公司\n乙公司", under_control="1")
    form.update(changes)
    return form


NEW_ACCIDENT_CASES = [
    pytest.param("occurred_at", "", "请填写事故发生时间", id="time-missing"),
    pytest.param("occurred_at", "2026-05-41T14:10", "事故发生时间", id="time-bad-date"),
    pytest.param("occurred_at", "2026-05-01", "须包含时刻", id="time-without-hour"),
    pytest.param("occurred_at", "2026-06-01T10:00", "不能晚于当前时间", id="time-future"),
    pytest.param("deaths", "三", "死亡人数须为整数", id="count-not-a-number"),
    pytest.param("serious_injuries", "-1", "重伤人数不能为负数", id="count-negative"),
    pytest.param("missing", "1000000", "下落不明人数数值过大", id="count-too-large"),
    pytest.param("loss_10k_yuan", "很多", "请填写直接经济损失", id="loss-not-a-number"),
    pytest.param("place", "", "请填写事故发生地点", id="text-missing"),
    pytest.param("phone", "1" * 33, "联系电话不能超过32字", id="text-too-long"),
    pytest.param("units", "", "请填写参建单位", id="units-missing"),
]


@pytest.mark.parametrize(("field", "value", "reason"), NEW_ACCIDENT_CASES)
def test_the_accident_form_refused_says_why_and_keeps_the_input(
    workflow: Any,  # noqa: F811
    logged_in: Callable[..., FlaskClient],
    field: str,
    value: str,
    reason: str,
) -> None:
    client = logged_in("clerk", "410102")
    form = accident_form(**{field: value, "description": "第二个问题" * 1000})
    before = count(AuditRecord)
    answer = client.post(
        "/accidents/new", data={**form, "csrf_token": csrf_token(client, "/accidents/new")}
    )
    page = refused(answer, reason, "事故简要经过不能超过4000字")  # every problem at once
    for name in ("place", "contact", "cause", "government_report"):
        if name != field:
            assert kept(page, form[name]), name
    assert 'id="f-under_control" checked' in page
    assert count(Accident) == 0 and count(AuditRecord) == before


@pytest.fixture
def reported(workflow: Any, users: Any) -> int:  # noqa: F811
    return users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)["id"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"deaths": "两"}, "死亡人数须为整数", id="count-not-a-number"),
        pytest.param({"missing": "-2"}, "下落不明人数不能为负数", id="count-negative"),
        pytest.param({"loss_10k_yuan": "1e999"}, "直接经济损失", id="loss-too-large"),
        pytest.param(
            {"deaths": "1", "reason": ""}, "死亡人数少于前次报告", id="decrease-without-reason"
        ),
        pytest.param({"reason": "说" * 2001}, "续报说明不能超过2000字", id="reason-too-long"),
    ],
)
def test_a_followup_refused_says_why_and_keeps_the_input(
    reported: int, logged_in: Callable[..., FlaskClient], change: dict[str, str], reason: str
) -> None:
    client = logged_in("clerk", "410102", username="page_county")
    url = f"/accidents/{reported}"
    form = {"serious_injuries": "4", "reason": "保留的续报说明"} | change
    before = (count(AccidentReport), count(AuditRecord))
    answer = client.post(f"{url}/followups", data={**form, "csrf_token": csrf_token(client, url)})
    page = refused(answer, reason)
    for name, value in form.items():
        assert not value or kept(page, value), name
    assert (count(AccidentReport), count(AuditRecord)) == before


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"conclusion": " "}, "请填写调查结论", id="conclusion-missing"),
        pytest.param({"behaviour_ids": "12，十三"}, "不良行为记录编号须为数字", id="ids-bad"),
        pytest.param(
            {"penalty_ids": "987654"}, "行政处罚记录（编号987654）不存在", id="ids-unknown"
        ),
    ],
)
def test_a_conclusion_refused_says_why_and_keeps_the_input(
    reported: int, logged_in: Callable[..., FlaskClient], change: dict[str, str], reason: str
) -> None:
    client = logged_in("reviewer", "410100", username="page_city")  # 较大: the city investigates
    url = f"/accidents/{reported}"
    form = {"conclusion": "模板支撑失稳。", "behaviour_ids": "", "penalty_ids": ""} | change
    before = count(AuditRecord)
    answer = client.post(f"{url}/conclusion", data={**form, "csrf_token": csrf_token(client, url)})
    page = refused(answer, reason)
    for name, value in form.items():
        if value.strip():
            assert kept(page, value), name
    db.session.expire_all()
    assert not db.session.get(Accident, reported).conclusion
    assert count(AuditRecord) == before


# The score sheets (self-assessment, assessor's scoring) and 日常考察 --------------------------
def test_a_score_sheet_refused_keeps_every_box_and_note(
    open_campaign: Any,  # noqa: F811
    province_staff: Any,  # noqa: F811
    logged_in: Callable[..., FlaskClient],
) -> None:
    from tests.assessment.flow_helpers import in_scoring

    unit = in_scoring(open_campaign, province_staff)
    client = logged_in("assessor", "410000", "assessor9_410000")
    url = f"/assessment/units/{unit.id}/score"
    form = {
        "csrf_token": csrf_token(client, url),
        "unmet-1.1": ["a"],
        "note-1.1": "保留的扣分理由",
        "evidence-1.1": "监督档案.pdf",
        "note-1.2": "长" * 2001,
    }
    before = (count(ItemScore), count(AuditRecord))
    page = refused(client.post(url, data=form), "说明过长（最多 2000 字）")
    assert 'value="a" id="j-1.1-a"\n            checked' in page or re.search(
        r'name="unmet-1\.1" value="a"[^>]*\s+checked', page
    )
    assert kept(page, "保留的扣分理由") and kept(page, "监督档案.pdf")
    assert (count(ItemScore), count(AuditRecord)) == before
    clock.set_now(None)


def test_a_self_assessment_refused_keeps_the_summary(
    open_campaign: Any,  # noqa: F811
    logged_in: Callable[..., FlaskClient],
) -> None:
    clock.set_now(datetime(2026, 1, 10, 9, tzinfo=UTC))
    campaign = open_campaign("fujian2", 2026)
    unit = unit_of(campaign, "410100")
    client = logged_in("clerk", "410100")
    url = f"/assessment/units/{unit.id}"
    form = {
        "csrf_token": csrf_token(client, url),
        "summary": "保留的书面总结",
        "note-1.1": "长" * 2001,
    }
    before = (count(ItemScore), count(AuditRecord))
    page = refused(client.post(url, data=form), "说明过长")
    assert "保留的书面总结</textarea>" in page
    assert (count(ItemScore), count(AuditRecord)) == before
    clock.set_now(None)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"observed_on": "2026-02-30"}, "考察日期格式不正确", id="date-bad"),
        pytest.param({"observed_on": "2026-12-31"}, "考察日期不能晚于今天", id="date-future"),
        pytest.param({"observation": " "}, "请填写考察情况", id="text-missing"),
        pytest.param({"observation": "长" * 5001}, "考察情况过长", id="text-too-long"),
        pytest.param({"org_code": "410102"}, "被考察单位须为省辖市", id="unit-not-assessed"),
    ],
)
def test_an_observation_refused_says_why_and_keeps_the_input(
    province_staff: Any,  # noqa: F811
    logged_in: Callable[..., FlaskClient],
    change: dict[str, str],
    reason: str,
) -> None:
    clock.set_now(datetime(2026, 6, 20, 2, tzinfo=UTC))
    client = logged_in("assessor", "410000", "assessor9_410000")
    form = {"observed_on": "2026-06-18", "org_code": "410300", "observation": "保留的情况"}
    form |= change
    answer = client.post(
        "/assessment/observations",
        data={**form, "csrf_token": csrf_token(client, "/assessment/observations")},
    )
    page = refused(answer, reason)
    if "observation" not in change:
        assert kept(page, "保留的情况")
    if "org_code" not in change:
        assert '<option value="410300" selected>' in page
    assert count(Observation) == 0
    clock.set_now(None)


# The hand-written page forms (``webapp.web.refused_on``) -------------------------------------
LONG = "会议认为：本季度在建工程质量总体受控，主体结构抽检合格率稳定；" * 8


@dataclass(frozen=True)
class Refusal:
    #: Prepares the world and signs the user in (the completeness walk's setups).
    setup: Callable[[Env], Any]
    #: The page the form is on and the form's URL (``{name}`` filled from ``env.data``).
    page: str
    action: str
    #: What the user typed (``"{name}"``: an id from ``env.data``); each must come back.
    form: dict[str, str]
    status: int
    message: str
    #: The field the refusal names: marked invalid, with the reason under it.
    field: str | None = None
    #: Typed values the page does not offer back (a choice it shows for another kind only).
    hidden: tuple[str, ...] = ()


CASES: dict[str, Refusal] = {
    "reports.save_meeting": Refusal(
        report_routes.as_user("clerk", report_routes.COUNTY),
        "/reports/{report}",
        "/reports/{report}/meeting",
        {"held_on": "", "attendees": "局长、质监站站长、各科室负责人", "conclusions": LONG},
        422,
        "请填写会议日期",
        "held_on",
    ),
    "reports.correction": Refusal(
        report_routes.as_user("clerk", report_routes.COUNTY, then=report_routes._accepted),
        "/reports/{report}",
        "/reports/{report}/correction",
        {"reason": "更正"},
        422,
        "请填写更正原因",
        "reason",
    ),
    "reports.extend": Refusal(
        report_routes.as_user("reviewer", "410100"),
        "/reports/{report}",
        "/reports/{report}/deadline",
        {"due_date": "2026-11-30", "reason": "受疫情影响，统计工作延后。"},
        422,
        "新的截止日期须晚于",
        "due_date",
    ),
    "accidents.followup": Refusal(
        accident_routes._page_as("clerk", "410102"),
        "/accidents/{accident}",
        "/accidents/{accident}/followups",
        {"deaths": "1", "serious_injuries": "2", "missing": "0", "loss_10k_yuan": "812.5"},
        422,
        "死亡人数少于前次报告",
    ),
    "accidents.conclude": Refusal(
        accident_routes._page_as("reviewer", "410100"),
        "/accidents/{accident}",
        "/accidents/{accident}/conclusion",
        {"conclusion": LONG, "behaviour_ids": "999999", "penalty_ids": ""},
        422,
        "不存在或不属于本单位及下级",
    ),
    "publication.request_withdrawal": Refusal(
        publication_routes._published_as("clerk", "2027-02-06"),
        "/publication/{pub}",
        "/publication/{pub}/withdrawal",
        {"reason": "有误"},
        422,
        "请填写撤回理由",
        "reason",
    ),
    "publication.answer_objection": Refusal(
        publication_routes._objection_raised("reviewer"),
        "/publication/objections",
        "/publication/objections/{objection}/answer",
        {"outcome": "dismissed", "answer": "属实"},
        422,
        "至少",
        "answer",
    ),
    "reports.open_period": Refusal(
        report_routes.as_user("admin", "410000"),
        "/reports/",
        "/reports/open",
        {"period": "2026Q5"},
        422,
        "格式不正确",
        "period",
    ),
    "publication.open_period": Refusal(
        lambda env: env.logged_in("admin", "410000"),
        "/publication/",
        "/publication/open",
        {"period": "2026下半年"},
        422,
        "格式不正确",
        "period",
    ),
    "reports.notice_edit": Refusal(
        report_routes._notice_clerk(True),
        "/reports/notice/2025",
        "/reports/notice/2025/edit",
        {"list": "criticise_units", "op": "add", "target": "410200", "reason": "迟报"},
        422,
        "请填写理由",
        "reason",
    ),
    "stats.compare": Refusal(  # the page is its own form's (no refused_on): a query
        stats_routes.clerk(),
        "/stats/compare",
        "/stats/compare",
        {"snapshot": '{"org": "410102", "period": "2026Q1"'},
        422,
        "不是有效的 JSON 快照",
        "snapshot",
    ),
    "assessment.open_campaign": Refusal(
        assessment_routes.at("sheets", "admin"),
        "/assessment/",
        "/assessment/campaigns",
        {"kind": "fujian3", "year": "二〇二五", "self_due": "2026-03-31", "sample_city": "5"},
        422,
        "考核年度应为整数",
        "year",
    ),
    "assessment.draw_sample": Refusal(
        assessment_routes.at("scoring", "assessor"),
        "/assessment/campaigns/{campaign}",
        "/assessment/campaigns/{campaign}/sample",
        {"seed": "二〇二五年度抽样", "as_of": "2026-02-30"},
        422,
        "抽样日期应为日期",
        "as_of",
    ),
    "assessment.approve": Refusal(  # 附件3: the results follow the ranking, none chosen
        assessment_routes.at("ranked", "leader"),
        "/assessment/campaigns/{campaign}/ranking",
        "/assessment/campaigns/{campaign}/approve",
        {"opinion": "同意考核组评分结果，予以公布。", "criticised": "410100"},
        422,
        "不能另行指定",
        hidden=("criticised",),  # 附件2's column: not on a 附件3 ranking
    ),
    "assessment.confirm_laggards": Refusal(
        assessment_routes.at("ranked", "assessor", kind="fujian2"),
        "/assessment/campaigns/{campaign}/ranking",
        "/assessment/campaigns/{campaign}/laggards",
        {"laggard": "410200", "note": ""},
        422,
        "须写明理由",
        "note",
    ),
    "assessment.return_results": Refusal(
        assessment_flow_routes._page_leader,
        "/assessment/campaigns/{cid}/ranking",
        "/assessment/campaigns/{cid}/return",
        {"reason": ""},
        422,
        "退回",
        "reason",
    ),
    "assessment.self_action": Refusal(
        assessment_routes.at("review", "unit_leader", kind="fujian2"),
        "/assessment/units/{unit}",
        "/assessment/units/{unit}/self/return",
        {"reason": ""},
        422,
        "退回",
        "reason",
    ),
    "assessment.override": Refusal(
        assessment_routes.leading_assessor,
        "/assessment/units/{unit}/score",
        "/assessment/units/{unit}/override",
        {"item_id": "{item}", "score": "满分", "reason": "现场核查发现监督档案缺失"},
        422,
        "得分",
        "score",
    ),
    "assessment.site_visit": Refusal(
        assessment_routes.at("sampled", "assessor"),
        "/assessment/units/{unit}/score",
        "/assessment/sites/{site}/visit",
        {"visit_date": "2026-02-30", "findings": "三层楼板裂缝未处理"},
        422,
        "检查日期应为日期",
        "visit_date",
    ),
    "public.objection": Refusal(  # the public portal: no login
        publication_routes._with_record,
        "/public/records",
        "/public/records/{record}/objection",
        {"objector": "郑州某某<建筑>公司", "objector_kind": "person", "reason": "太短了"},
        422,
        "请说明异议的事实和理由",
        "reason",
    ),
    # The autosaved texts posted as a form (no script, or the 保存 button): nothing saved.
    "reports.save_narrative": Refusal(
        report_routes.as_user("clerk", report_routes.COUNTY),
        "/reports/{report}",
        "/reports/{report}/narrative",
        {"s01": "本季度全区在建工程质量总体受控。", "s02": "长" * 20001},
        422,
        "超过 20000 字的上限",
        "s02",
    ),
    "reports.save_explanations": Refusal(  # the city's report: its counties' are not in yet
        report_routes.as_user("clerk", report_routes.CITY, then=report_routes.city_report),
        "/reports/{report}",
        "/reports/{report}/explanations",
        {"missing_explanation": "未报"},
        422,
        "填报说明至少 4 个字",
        "missing_explanation",
    ),
    "publication.save_sections": Refusal(
        publication_routes._as("clerk", with_figures=False),
        "/publication/{pub}",
        "/publication/{pub}/sections",
        {"problems": "部分工程备案滞后。", "measures": "长" * 6001},
        422,
        "超过 6000 字的上限",
        "measures",
    ),
    "engine.transfer": Refusal(
        engine_routes.setup("claimed", engine_routes.REVIEWER),
        "/tasks/{review}",
        "/tasks/{review}/transfer",
        {"user_id": "{reviewer2}", "comment": "请代为审核，本人出差。" * 50},
        422,
        "转办说明不能超过 500 字",
        "comment",
    ),
}


def filled(value: str, data: dict[str, Any]) -> str:
    """A typed value, or (``"{reviewer2}"``) one of the setup's ids."""
    return str(data[value[1:-1]]) if re.fullmatch(r"\{\w+\}", value) else value


def marked_invalid(page: str, name: str) -> bool:
    """The field ``name`` is marked invalid and a reason stands under a field."""
    tags = re.findall(rf'<(?:input|textarea|select)\b[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    return any("is-invalid" in tag for tag in tags) and 'class="invalid-feedback d-block"' in page


@pytest.fixture
def env(app, client, make_user, logged_in, api_token, org) -> Env:
    return Env(app, client, make_user, logged_in, api_token, org)


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_a_refused_form_answers_its_page_with_what_was_typed(env: Env, endpoint: str):
    case = CASES[endpoint]
    case.setup(env)
    before = db.session.execute(select(AuditRecord.id)).scalars().all()
    page = case.page.format(**env.data)
    typed = {name: filled(value, env.data) for name, value in case.form.items()}
    response = env.post_form(case.action.format(**env.data), typed, token_from=page)
    raw = response.get_data(as_text=True)
    body = html.unescape(raw)
    assert response.status_code == case.status, body[:2000]
    said = summary(raw)
    assert case.message in said and not ENGLISH.search(said), said
    if case.field:
        assert marked_invalid(raw, case.field), case.field
    for name, value in typed.items():
        if name in case.hidden:
            continue
        chosen = f'<option value="{html.escape(value)}" selected>' in raw
        assert not value or kept(raw, value) or chosen, (name, value)
    db.session.rollback()
    after = db.session.execute(select(AuditRecord.id)).scalars().all()
    assert after == before, "a refusal audits nothing and saves nothing"


def test_a_script_posting_a_page_form_reads_a_json_refusal(env: Env):
    """``refused_on`` renders the page for a browser only: asked for JSON, the edge answers."""
    case = CASES["reports.extend"]
    case.setup(env)
    token = env.csrf(case.page.format(**env.data))
    response = env.client.post(
        case.action.format(**env.data),
        data=case.form,
        headers={"Accept": "application/json", "X-CSRFToken": token},
    )
    assert response.status_code == 422
    assert response.get_json()["code"] == "invalid"
    assert case.message in response.get_json()["message"]


def test_a_refused_transfer_keeps_its_comment_out_of_the_opinion(env: Env):
    """转办's comment and 办理's 审批意见 are both ``comment``: the refused 转办 keeps its own and
    leaves the 审批意见 box of the task form as it was (it showed the 转办 comment)."""
    case = CASES["engine.transfer"]
    case.setup(env)
    typed = {name: filled(value, env.data) for name, value in case.form.items()}
    page = case.page.format(**env.data)
    raw = env.post_form(case.action.format(**env.data), typed, token_from=page).get_data(
        as_text=True
    )
    opinion = re.search(r'<textarea[^>]*\bid="comment"[^>]*>(.*?)</textarea>', raw, re.S)
    assert opinion is not None and opinion.group(1).strip() == ""
    assert kept(raw, typed["comment"])


def test_the_page_itself_shows_no_kept_text(env: Env):
    """Only the refused request's page carries the typed text: the page read again is clean."""
    case = CASES["reports.save_meeting"]
    case.setup(env)
    page = case.page.format(**env.data)
    env.post_form(case.action.format(**env.data), case.form, token_from=page)
    assert LONG not in env.client.get(page).get_data(as_text=True)


# The guard ---------------------------------------------------------------------------------
#: HTML POSTs swept above (endpoint → the test); every ``refused_on`` form is swept by CASES.
SWEPT: dict[str, Callable[..., Any]] = {
    "engine.complete": test_a_task_form_refused_says_why_and_keeps_the_input,
    "accidents.new": test_the_accident_form_refused_says_why_and_keeps_the_input,
    "accidents.followup": test_a_followup_refused_says_why_and_keeps_the_input,
    "accidents.conclude": test_a_conclusion_refused_says_why_and_keeps_the_input,
    "assessment.score": test_a_score_sheet_refused_keeps_every_box_and_note,
    "assessment.unit": test_a_self_assessment_refused_keeps_the_summary,
    "assessment.observations": test_an_observation_refused_says_why_and_keeps_the_input,
} | {endpoint: test_a_refused_form_answers_its_page_with_what_was_typed for endpoint in CASES}
#: WTForms pages: tests/core/test_form_errors.py.
WTFORMS = {
    "auth.login",
    "auth.change_password",
    "admin.user_new",
    "admin.user_edit",
    "admin.user_reset_password",
    "ledger.new",
    "ledger.edit",
    "ledger.import_page",
}
#: Posts that answer JSON only.  (The drafts' autosave posts JSON too, but its forms are also
#: sent as forms, without script or by their 保存 button: they are refused_on cases above.)
AUTOSAVE: set[str] = set()
#: A button, or a button with at most an uploaded file or a choice from a list: nothing typed to
#: lose (a file input cannot be kept by any page).  Never a form posting free text (the scan).
BUTTONS = {
    "auth.logout",
    "admin.user_set_enabled",
    "notifications.read",
    "notifications.read_all",
    "engine.claim",
    "engine.unclaim",
    "engine.withdraw",
    "engine.retry",
    "engine.remind",
    "engine.cc",
    "ledger.delete",
    "drafts.restore",
    "main.remind_late_units",
    "reports.remind",
    "reports.reuse",
    "reports.first_draft",
    "reports.attach_seal",
    "reports.notice_start",
    "publication.regenerate",
    "assessment.activate_sheet",
    "assessment.install_sheets",
    "assessment.upload_sheet",
    "assessment.upload_evidence",
    "assessment.upload_material",
    "assessment.close_self",
    "assessment.rank",
    "doc_templates.templates_restore",
    "doc_templates.templates_upload",
    "workflow_admin.workflows_upload",
    "workflow_admin.workflows_validate",
    "workflow_admin.workflows_deploy",
    "workflow_admin.workflows_rollback",
    "workflow_admin.workflows_migrate",
}
#: Typed input whose refusal is not swept yet (a flash after a redirect): empty, and to stay so.
NOT_YET: dict[str, str] = {}

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ACTION = re.compile(r"""action="\{\{\s*url_for\(\s*['"]([\w.]+)['"]""")
FIELD = re.compile(r"<(textarea|input)\b([^>]*)>", re.I)
NOT_TEXT = {"hidden", "file", "checkbox", "radio", "submit", "button"}


def free_text_forms() -> set[str]:
    """Endpoints that a template's POST form sends typed text to."""
    found: set[str] = set()
    for path in Path(webapp.__file__).parent.rglob("*.html"):
        for attrs, inner in FORM.findall(path.read_text(encoding="utf-8")):
            action = ACTION.search(attrs)
            if 'method="post"' not in attrs.lower() or action is None:
                continue
            for tag, field_attrs in FIELD.findall(inner):
                kind = re.search(r'\btype="([^"]+)"', field_attrs)
                named = re.search(r'\bname="', field_attrs)
                if named and (tag.lower() == "textarea" or not kind or kind[1] not in NOT_TEXT):
                    found.add(action[1])
    return found


def html_posts(app: Any) -> set[str]:
    """Every POST endpoint of the pages (the API, ``/api/``, answers JSON refusals)."""
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/")
    }


def test_every_html_post_says_how_its_refusal_is_covered(app: Any) -> None:
    """The one list: each HTML POST is swept here (its own test or a ``refused_on`` case), a
    WTForms page, the autosave, a button, or (never for long) NOT_YET; exactly one of them.  A
    new page form fails here: put ``@refused_on(its page)`` on its POST and add its case."""
    groups = [set(SWEPT), WTFORMS, AUTOSAVE, BUTTONS, set(NOT_YET)]
    classified = set().union(*groups)
    posts = html_posts(app)
    assert posts - classified == set(), "classify these HTML POSTs"
    assert classified - posts == set(), "no longer an HTML POST: remove it here"
    assert sum(len(group) for group in groups) == len(classified), "classified twice"
    text_forms = free_text_forms()
    assert len(text_forms) > 15, text_forms  # the scan reads the templates
    assert text_forms & BUTTONS == set(), "a form posting typed text is not a button"
    assert text_forms <= posts


def test_every_refused_on_view_has_its_case(app: Any) -> None:
    """A view that answers its refusal on its page (``refused_on``) is swept with a refusal
    (a case of CASES, or its own sweep above)."""
    marked = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "refused_on", None)
    }
    assert marked, "refused_on marks its views"
    assert marked - set(SWEPT) == set(), "add a refusal case for these refused_on views"


#: Pages that build their errors themselves: not a write's refusal (endpoint → why).
OWN_ERRORS = {
    "stats.compare": "a query: a pasted snapshot compared, nothing written",
    "workflow_admin.workflows_deploy": "the BPMN editor's script posts JSON, answered as JSON",
}
#: A view answering a refusal itself: a 422/409 status, an errors dict, field_refusal.
BUILDS_ERRORS = re.compile(
    r"\b(?:422|409)\b|\bfield_refusal\(|\berrors\s*(?::[^=\n]*)?=\s*(?:\{|[a-z_]+\()"
)
CALLED = re.compile(r"\b([a-z_]\w*)\(")


def own_code(function: Any) -> str:
    """A function's code: not its decorators (refused_on's ``errors=``), docstrings, comments."""
    source = inspect.getsource(function)
    source = source[source.index("def ") :]
    return re.sub(r'"""[\s\S]*?"""|#[^\n]*', "", source)


def view_source(view: Any) -> str:
    """A view's own code and that of its module's helpers it calls (not other views)."""
    function = inspect.unwrap(view)
    source = own_code(function)
    module = inspect.getmodule(function)
    helpers = {
        helper
        for name in CALLED.findall(source)
        if inspect.isfunction(helper := getattr(module, name, None))
        and helper.__module__ == function.__module__
        and not hasattr(helper, "__wrapped__")
        and helper is not function
    }
    return "\n".join([source, *(own_code(helper) for helper in helpers)])


def test_no_page_form_answers_its_refusal_itself(app: Any) -> None:
    """One mechanism: an HTML POST's refusal is answered by ``refused_on`` (its page again with
    ``refusal()``/``kept()``), never by the view's own errors dict and status (the accident
    forms, 办理 and the score sheets each had one, with the same display copied).  WTForms pages
    show their form's errors; OWN_ERRORS says why a page may."""
    views = app.view_functions
    flagged = {
        endpoint: found.group(0)
        for endpoint in html_posts(app) - WTFORMS - set(OWN_ERRORS)
        if (found := BUILDS_ERRORS.search(view_source(views[endpoint])))
    }
    assert flagged == {}, "answer these refusals with @refused_on (webapp/web.py)"
    assert set(OWN_ERRORS) <= html_posts(app)


def test_the_guard_sees_a_view_building_its_errors() -> None:
    for planted in (
        'return render_template("a.html", errors=errors), 422',
        "errors: dict[str, str] = {}",
        "errors = field_problems(data)",
        "errors = field_refusal(err, names)",
        "), (422 if refused else 200)",
    ):
        assert BUILDS_ERRORS.search(planted), planted
    for fine in ("refused = refusal('a.b')", "raise InvalidInput(msg, details=problems)"):
        assert not BUILDS_ERRORS.search(fine), fine


def test_every_task_form_field_kind_is_tried() -> None:
    """Every registered task form with fields on the page has a refusal case above."""
    with_fields = {key for key, spec in FORMS.items() if page_fields(spec.schema)}
    with_fields -= set(ON_FEATURE_PAGE)
    tried = {p.values[0] for p in TASK_CASES}
    assert with_fields - tried <= {
        key
        for key, spec in FORMS.items()
        if all(p.get("type") == "boolean" for p in page_fields(spec.schema).values())
    }
    assert len(TASK_CASES) >= 10
