"""What workflows/accident_report.bpmn calls: its start data, forms and service operations.

One instance per report version (business key ``accident:<id>:<version>``); the subject names the
accident and the report.  The route (via the city, straight to the province, or nothing above)
and whether the province reports to the Ministry are computed from the record, never read from
a form.  This module only adapts the engine's context: it finds the report version from the
instance's fixed subject, reads the task data and the step's ``level`` parameter, and calls one
verb of ``webapp.accidents.operations``, where the change and its audit record are made.
"""

from __future__ import annotations

from typing import Any

from webapp.accidents import operations
from webapp.accidents.models import AccidentReport
from webapp.core import clock
from webapp.core.errors import NotFound
from webapp.core.models import User
from webapp.core.permissions import can
from webapp.engine import (
    ServiceContext,
    register_form,
    register_start_form,
    register_subject_label,
    register_subject_viewer,
    service_operation,
)
from webapp.extensions import db

#: A copy (抄送) of an accident's task goes only to those who may read the accident.
register_subject_viewer(
    "accident_report", lambda user, instance: can(user, "accident.view", instance.org)
)


def _accident_label(instance: Any) -> str:
    """The accident's project, as its tasks name it (质量事故逐级上报 · XX项目 · 郑州市)."""
    report = db.session.get(AccidentReport, (instance.subject or {}).get("report_id") or 0)
    return report.accident.project_name[:40] if report is not None else ""


register_subject_label("accident_report", _accident_label)

register_start_form(
    "accident_report",
    {
        "type": "object",
        "properties": {
            "accident_id": {"type": "integer", "title": "事故"},
            "report_id": {"type": "integer", "title": "事故报告（版本）"},
        },
    },
    label="质量事故逐级上报",
)

TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}"


register_form(
    "accident.ack",
    {
        "type": "object",
        "properties": {
            "government_report": {
                "type": "string",
                "title": "向本级人民政府报告（时间、方式）",
                "minLength": 1,
                "maxLength": 200,
            },
            "police_notice": {
                "type": "string",
                "title": "通报公安、监察机关（时间、方式）",
                "minLength": 1,
                "maxLength": 200,
            },
        },
        "required": ["government_report", "police_notice"],
    },
    label="事故接报并上报",
    template="accidents/_task_form.html",
)


def _ministry_check(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict[str, str]:
    try:
        when = operations.ministry_time(str(data.get("ministry_reported_at") or ""))
    except ValueError:
        return {"ministry_reported_at": "报部时间格式应为 2026-05-01 16:30。"}
    if when > clock.now():
        return {"ministry_reported_at": "报部时间不能晚于当前时间。"}
    return {}


register_form(
    "accident.ministry",
    {
        "type": "object",
        "properties": {
            "ministry_reported_at": {
                "type": "string",
                "title": "报住房和城乡建设部时间（如 2026-05-01 16:30）",
                "pattern": TIME_PATTERN,
            },
            "ministry_channel": {
                "type": "string",
                "title": "报送方式",
                "enum": ["电话", "传真", "网络直报", "书面报告"],
            },
            "ministry_ref": {"type": "string", "title": "文号或记录号", "maxLength": 128},
        },
        "required": ["ministry_reported_at", "ministry_channel"],
    },
    label="省级报部记录",
    template="accidents/_task_form.html",
    validate=_ministry_check,
)


def _report(subject: dict[str, Any]) -> AccidentReport:
    report = db.session.get(AccidentReport, int(subject.get("report_id") or 0))
    if report is None or report.accident_id != int(subject.get("accident_id") or 0):
        raise NotFound("流程对应的事故报告不存在。")
    return report


def _level(ctx: ServiceContext) -> str:
    return str(ctx.params.get("level") or "")


@service_operation("accident.route")
def route(ctx: ServiceContext) -> dict[str, Any]:
    """Lay out the chain for this report: the middle unit (a county's city) receives it now, or
    is skipped when the reporting unit sends straight to the province (越级上报)."""
    return operations.route(_report(ctx.subject), ctx.actor, ctx.instance)


@service_operation("accident.forwarded")
def forwarded(ctx: ServiceContext) -> dict[str, Any]:
    """A level acknowledged and forwarded (or, at the province, received) the report."""
    operations.forward(
        _report(ctx.subject),
        ctx.actor,
        _level(ctx),
        government_report=str(ctx.data.get("government_report") or ""),
        police_notice=str(ctx.data.get("police_notice") or ""),
    )
    return {}


@service_operation("accident.ministry")
def ministry(ctx: ServiceContext) -> dict[str, Any]:
    """The province's report to the Ministry (住房和城乡建设部): when, how, reference."""
    operations.record_ministry_report(
        _report(ctx.subject),
        ctx.actor,
        reported_at=str(ctx.data.get("ministry_reported_at") or ""),
        channel=str(ctx.data.get("ministry_channel") or ""),
        reference=str(ctx.data.get("ministry_ref") or ""),
    )
    return {}


@service_operation("accident.remind", withdrawable=True)
def remind(ctx: ServiceContext) -> dict[str, Any]:
    """Half an hour before a level's two hours end: remind its reviewers."""
    operations.remind_step(_report(ctx.subject), _level(ctx), ctx.instance)
    return {}


@service_operation("accident.late", withdrawable=True)
def late(ctx: ServiceContext) -> dict[str, Any]:
    """Two hours after receipt and not forwarded: mark the level late and tell its leader."""
    operations.mark_step_late(_report(ctx.subject), _level(ctx), ctx.instance)
    return {}
