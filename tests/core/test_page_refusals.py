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
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.accidents.conftest import at, body, users, workflow  # noqa: F401 (fixtures)
from tests.assessment.conftest import (  # noqa: F401 (fixtures)
    open_campaign,
    province_staff,
    sheets,
    unit_of,
    workflows,
)
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
    escaped = html.escape(value, quote=True)
    return f'value="{escaped}"' in page or f">{escaped}</textarea>" in page


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
    pytest.param("deaths", "三", "死亡人数应为整数", id="count-not-a-number"),
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
        pytest.param({"deaths": "两"}, "死亡人数应为整数", id="count-not-a-number"),
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
    from tests.assessment import flow_helpers as step
    from tests.assessment.conftest import fake_candidates
    from webapp.assessment import sampling

    clock.set_now(datetime(2026, 1, 10, 9, tzinfo=UTC))
    campaign = open_campaign("fujian2", 2026)
    sampling.draw_site_sample(
        province_staff["assessor"], campaign.id, "x", candidates=fake_candidates()
    )
    step.close_self(province_staff["assessor"], campaign)
    db.session.commit()
    unit = unit_of(campaign, "410100")
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


# The guard ---------------------------------------------------------------------------------
#: HTML POSTs swept above (endpoint → the test).
SWEPT = {
    "engine.complete": test_a_task_form_refused_says_why_and_keeps_the_input,
    "accidents.new": test_the_accident_form_refused_says_why_and_keeps_the_input,
    "accidents.followup": test_a_followup_refused_says_why_and_keeps_the_input,
    "accidents.conclude": test_a_conclusion_refused_says_why_and_keeps_the_input,
    "assessment.score": test_a_score_sheet_refused_keeps_every_box_and_note,
    "assessment.unit": test_a_self_assessment_refused_keeps_the_summary,
    "assessment.observations": test_an_observation_refused_says_why_and_keeps_the_input,
}
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
#: A button, or a button with at most a reason or an uploaded file: nothing typed to lose
#: beyond that (a file input cannot be kept by any page).
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
    "engine.transfer",
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
    "assessment.self_action",
    "assessment.return_results",
    "doc_templates.templates_restore",
    "doc_templates.templates_upload",
    "workflow_admin.workflows_upload",
    "workflow_admin.workflows_validate",
    "workflow_admin.workflows_deploy",
    "workflow_admin.workflows_rollback",
    "workflow_admin.workflows_migrate",
}
#: The page comes back with what was typed and the message at the top (``webapp.web.refused_on``,
#: tests/security/test_refusals_keep_input.py), not yet under the field.
KEPT_ELSEWHERE = {
    "reports.extend",
    "reports.correction",
    "reports.save_meeting",
    "publication.request_withdrawal",
    "publication.answer_objection",
}
#: Typed input not swept yet: a refusal there is still a flashed message after a redirect (or
#: the autosave's JSON answer).  Move each into SWEPT when its page keeps the input.
NOT_YET = {
    "assessment.open_campaign": "year, dates and sample sizes",
    "assessment.draw_sample": "seed and sampling date",
    "assessment.approve": "awards, criticised units, measures",
    "assessment.confirm_laggards": "laggard units and note",
    "assessment.override": "item, score and reason",
    "assessment.site_visit": "visit date and findings (one row per sampled site)",
    "reports.open_period": "period key",
    "reports.save_explanations": "warning explanations (autosave, JSON answer)",
    "reports.save_narrative": "narrative sections (autosave, JSON answer)",
    "reports.notice_edit": "notice lists and reasons",
    "publication.open_period": "period key",
    "publication.save_sections": "sections (autosave, JSON answer)",
    "public.objection": "the public's objection",
    "stats.compare": "comparison choices (a query, nothing written)",
}


def test_every_html_post_is_swept(app: Any) -> None:
    """A new HTML POST must be classified: swept here, a WTForms page, a button, kept by
    ``refused_on``, or (for now) NOT_YET.  The API (``/api/``) answers JSON refusals and is not
    an HTML page."""
    posts = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/")
    }
    classified = set(SWEPT) | WTFORMS | BUTTONS | KEPT_ELSEWHERE | set(NOT_YET)
    assert posts - classified == set(), "classify these HTML POSTs"
    assert classified <= posts
    assert not (set(SWEPT) & (WTFORMS | BUTTONS | KEPT_ELSEWHERE | set(NOT_YET)))


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
