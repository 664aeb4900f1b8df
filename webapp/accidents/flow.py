"""What workflows/accident_report.bpmn calls: its start data, forms and service operations.

One instance per report version (business key ``accident:<id>:<version>``); the subject names the
accident and the report.  The route (via the city, straight to the province, or nothing above)
and whether the province reports to the Ministry are computed here from the record, never read
from a form.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from webapp.accidents.models import Accident, AccidentReport, AccidentState, AccidentStep
from webapp.accidents.operations import STEP_HOURS, chain_of
from webapp.core import audit, clock
from webapp.core.errors import NotFound
from webapp.core.models import Role, User, UserRole
from webapp.core.permissions import can
from webapp.engine import (
    ServiceContext,
    register_form,
    register_start_form,
    register_subject_viewer,
    service_operation,
)
from webapp.extensions import db
from webapp.ledger.models import FAST_REPORT_LEVELS

#: A copy (抄送) of an accident's task goes only to those who may read the accident.
register_subject_viewer(
    "accident_report", lambda user, instance: can(user, "accident.view", instance.org)
)

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
    text = str(data.get("ministry_reported_at") or "")
    try:
        when = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return {"ministry_reported_at": "报部时间格式应为 2026-05-01 16:30。"}
    if when.tzinfo is None:
        when = when.replace(tzinfo=clock.to_local(clock.now()).tzinfo)  # type: ignore[union-attr]
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


def _step(report: AccidentReport, level: str) -> AccidentStep:
    """The step of ``level`` ('city' = the middle unit, 'province' = the top) of a report."""
    steps = report.steps
    step = steps[-1] if level == "province" else (steps[1] if len(steps) == 3 else None)
    if step is None:
        raise NotFound("事故上报链中没有该级单位。")
    return step


def _users(org_id: int, role: Role) -> list[User]:
    return list(
        db.session.execute(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.org_id == org_id, User.is_enabled.is_(True), UserRole.role == role.value)
        ).scalars()
    )


def _audit(action: str, report: AccidentReport, actor: User | None, org: Any, **after: Any) -> None:
    audit.record(
        action,
        actor=actor,
        actor_name=None if actor else "system",
        org=org,
        object_type="accident",
        object_id=report.accident_id,
        after={"version": report.version, **after},
    )


def _is_latest(report: AccidentReport) -> bool:
    chained = [r for r in report.accident.reports if r.chained]
    return bool(chained) and chained[-1].id == report.id


def _receive(step: AccidentStep, now: datetime) -> None:
    step.received_at = now
    step.due_at = now + timedelta(hours=STEP_HOURS)


@service_operation("accident.route")
def route(ctx: ServiceContext) -> dict[str, Any]:
    """Lay out the chain for this report: the middle unit (a county's city) receives it now, or
    is skipped when the reporting unit sends straight to the province (越级上报)."""
    from webapp.engine import notify

    report = _report(ctx.subject)
    accident: Accident = report.accident
    now = clock.now()
    upper = chain_of(accident.org)[1:]
    for position, org in enumerate(upper, 1):
        step = AccidentStep(report=report, position=position, org=org, outcome="pending")
        db.session.add(step)
    db.session.flush()
    db.session.refresh(report)
    steps = report.steps
    to_ministry = report.level in {lvl.value for lvl in FAST_REPORT_LEVELS}
    if not upper:
        return {"route": "none", "to_ministry": to_ministry}
    if len(steps) == 3 and report.direct:
        city = steps[1]
        city.outcome = "skipped"
        for user in _users(city.org_id, Role.REVIEWER) + _users(city.org_id, Role.LEADER):
            notify(
                user,
                "cc",
                f"【越级上报抄送】{accident.org.name}已将{accident.project_name}"
                f"{accident.level}事故（{report.kind_label}）直接报省，请知悉。",
            )
        _audit("accident.skip", report, ctx.actor, city.org, skipped=city.org.code)
    first = steps[1] if len(steps) == 3 and not report.direct else steps[-1]
    _receive(first, now)
    return {"route": "city" if first is not steps[-1] else "province", "to_ministry": to_ministry}


@service_operation("accident.forwarded")
def forwarded(ctx: ServiceContext) -> dict[str, Any]:
    """A level acknowledged and forwarded (or, at the province, received) the report."""
    report = _report(ctx.subject)
    level = str(ctx.params.get("level") or "")
    step = _step(report, level)
    now = clock.now()
    step.forwarded_at = now
    step.outcome = "forwarded"
    step.forwarded_by_id = ctx.actor.id if ctx.actor else None
    step.government_report = str(ctx.data.get("government_report") or "")[:200]
    step.police_notice = str(ctx.data.get("police_notice") or "")[:200]
    if level == "city":
        _receive(report.steps[-1], now)
    elif report.accident.state == AccidentState.REPORTING and _is_latest(report):
        # Reported once the province has the latest version (an older round may finish later).
        report.accident.state = AccidentState.REPORTED
    _audit(
        "accident.forward",
        report,
        ctx.actor,
        step.org,
        level=step.org.code,
        late=step.late(now),
        government_report=step.government_report,
        police_notice=step.police_notice,
    )
    return {}


@service_operation("accident.ministry")
def ministry(ctx: ServiceContext) -> dict[str, Any]:
    """The province's report to the Ministry (住房和城乡建设部): when, how, reference."""
    report = _report(ctx.subject)
    text = str(ctx.data.get("ministry_reported_at") or "").replace(" ", "T", 1)
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=clock.to_local(clock.now()).tzinfo)  # type: ignore[union-attr]
    report.ministry_reported_at = when
    report.ministry_channel = str(ctx.data.get("ministry_channel") or "")[:64]
    report.ministry_ref = str(ctx.data.get("ministry_ref") or "")[:128]
    _audit(
        "accident.ministry",
        report,
        ctx.actor,
        report.steps[-1].org,
        reported_at=when.isoformat(),
        channel=report.ministry_channel,
        reference=report.ministry_ref,
    )
    return {}


@service_operation("accident.remind")
def remind(ctx: ServiceContext) -> dict[str, Any]:
    """Half an hour before a level's two hours end: remind its reviewers."""
    from webapp.engine import notify

    report = _report(ctx.subject)
    step = _step(report, str(ctx.params.get("level") or ""))
    if step.forwarded_at is not None or step.due_at is None:
        return {}
    due = clock.to_local(step.due_at)
    for user in _users(step.org_id, Role.REVIEWER):
        notify(user, "remind", f"质量事故须在 {due:%H:%M} 前确认并上报（2小时时限）。")
    return {}


@service_operation("accident.late")
def late(ctx: ServiceContext) -> dict[str, Any]:
    """Two hours after receipt and not forwarded: mark the level late and tell its leader."""
    from webapp.engine import notify

    report = _report(ctx.subject)
    step = _step(report, str(ctx.params.get("level") or ""))
    if step.forwarded_at is not None or step.late_marked_at is not None:
        return {}
    step.late_marked_at = clock.now()
    accident = report.accident
    leaders = _users(step.org_id, Role.LEADER)
    for user in leaders:
        notify(
            user,
            "overdue",
            f"【事故上报超时】{accident.org.name}{accident.project_name}{accident.level}事故"
            f"已超过2小时未由本单位确认上报，请督办。",
        )
    _audit("accident.late", report, None, step.org, level=step.org.code, notified=len(leaders))
    return {}
