"""Domain verbs of accident reporting: record (首报), follow up (续报/补报), conclude (结案).

建质〔2010〕111号 and 第十七条: the level is computed from the record (``webapp.accidents.rules``),
never entered; below the 一般 floor the event is a 质量问题, kept in the ledger but not reported
up.  Each report goes up the chain of units
(workflows/accident_report.bpmn, one instance per report version); the chain's steps (route,
forward, the Ministry's record, reminders, lateness) are made here too, called by
``webapp.accidents.flow``.  Operations flush, never commit, and write the audit record.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from webapp.accidents.models import Accident, AccidentReport, AccidentState, AccidentStep
from webapp.accidents.parsing import (
    COUNT_FIELDS,
    parse_bool,
    parse_count,
    parse_loss,
    parse_time,
    parse_units,
    text_field,
)
from webapp.accidents.rules import (
    STEP_HOURS,
    chain_of,
    classify,
    investigating_org,
    rank,
    within_relevel_days,
)
from webapp.core import audit, clock
from webapp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from webapp.core.models import Org, Role, User
from webapp.core.operations import users_in_role
from webapp.core.permissions import require
from webapp.extensions import db
from webapp.ledger.models import (
    FAST_REPORT_LEVELS,
    QUALITY_PROBLEM,
    Project,
    QualityAccident,
)

if TYPE_CHECKING:
    from webapp.engine import HumanTask, ProcessInstance

PROCESS_KEY = "accident_report"


def _project(org: Org, registration_no: str) -> Project | None:
    if not registration_no:
        return None
    project = db.session.execute(
        select(Project).where(Project.registration_no == registration_no)
    ).scalar_one_or_none()
    # One refusal whether the number is unknown or another unit's: naming the project and its
    # supervising unit would open other units' ledgers to anyone trying numbers.
    if project is None or not project.org.path.startswith(org.path):
        raise InvalidInput(
            f"监督注册号“{registration_no}”不在本单位及下级单位的工程台账中；"
            "新工程请留空注册号，其他单位监督的工程由该单位报告。"
        )
    return project


def _audit(action: str, accident_id: int, actor: User | None, org: Org, **extra: Any) -> None:
    """The audit record of a change of an accident (by the system when there is no actor)."""
    audit.record(
        action,
        actor=actor,
        actor_name=None if actor else "system",
        org=org,
        object_type="accident",
        object_id=accident_id,
        **extra,
    )


# Record ------------------------------------------------------------------------------------------
def _figures(accident: Accident) -> dict[str, Any]:
    return {
        "occurred_at": accident.occurred_at.isoformat(),
        "place": accident.place,
        "registration_no": accident.registration_no,
        "project_name": accident.project_name,
        "units": list(accident.units),
        "deaths": accident.deaths,
        "serious_injuries": accident.serious_injuries,
        "missing": accident.missing,
        "loss_10k_yuan": str(accident.loss_10k_yuan),
        "level": accident.level,
        "description": accident.description,
        "cause": accident.cause,
        "measures": accident.measures,
        "under_control": accident.under_control,
        "reporting_unit": accident.reporting_unit,
        "contact": accident.contact,
        "phone": accident.phone,
    }


def _sync_ledger(accident: Accident, actor: User) -> None:
    """The ledger row the statistics read follows the latest report."""
    row = accident.ledger
    now = clock.now()
    if row is None:
        row = QualityAccident(created_by_id=actor.id, created_at=now, managed=True)
        db.session.add(row)
        accident.ledger = row
    row.org = accident.org
    local = clock.to_local(accident.occurred_at)
    assert local is not None
    row.occurred_on = local.date()
    row.occurred_at = accident.occurred_at
    row.registration_no = accident.registration_no
    row.project_name = accident.project_name
    row.deaths = accident.deaths
    row.serious_injuries = accident.serious_injuries
    row.missing = accident.missing
    row.loss_10k_yuan = accident.loss_10k_yuan
    row.level = accident.level
    row.description = accident.description
    row.updated_by_id = actor.id
    row.updated_at = now


def record_accident(actor: User, org: Org, raw: dict[str, Any]) -> Accident:
    """首报: record the accident and, from the 一般 floor up, send it up the chain."""
    require(actor, "accident.report", org)
    occurred_at = parse_time(raw.get("occurred_at"), "事故发生时间")
    received_at = (
        parse_time(raw.get("received_at"), "接报时间") if raw.get("received_at") else clock.now()
    )
    if received_at < occurred_at:
        raise InvalidInput("接报时间不能早于事故发生时间。")
    registration_no = text_field(raw, "registration_no")
    project = _project(org, registration_no)
    project_name = text_field(raw, "project_name") or (project.name if project else "")
    if not project_name:
        raise InvalidInput("请填写工程名称或选择台账中的工程。", details={"工程名称": "必填"})
    counts = {name: parse_count(raw.get(name), label) for name, label in COUNT_FIELDS.items()}
    loss = parse_loss(raw.get("loss_10k_yuan"))
    now = clock.now()
    accident = Accident(
        org=org,
        occurred_at=occurred_at,
        received_at=received_at,
        place=text_field(raw, "place"),
        registration_no=registration_no,
        project_name=project_name,
        units=parse_units(raw.get("units")),
        **counts,
        loss_10k_yuan=loss,
        level=classify(counts["deaths"], counts["serious_injuries"], counts["missing"], loss),
        description=text_field(raw, "description"),
        cause=text_field(raw, "cause"),
        measures=text_field(raw, "measures"),
        under_control=parse_bool(raw.get("under_control")),
        reporting_unit=text_field(raw, "reporting_unit"),
        contact=text_field(raw, "contact"),
        phone=text_field(raw, "phone"),
        created_by_id=actor.id,
        created_at=now,
        conclusion_records={},
    )
    accident.state = (
        AccidentState.PROBLEM if accident.level == QUALITY_PROBLEM else AccidentState.REPORTING
    )
    db.session.add(accident)
    _sync_ledger(accident, actor)
    db.session.flush()
    report = _new_report(accident, actor, raw, version=1)
    _audit(
        "accident.record",
        accident.id,
        actor,
        org,
        after={
            **report.figures,
            "direct": report.direct,
            "chained": report.chained,
            "received_late": accident.reported_late_to_unit,
        },
    )
    _start_chain(actor, accident, report, raw)
    return accident


def _new_report(
    accident: Accident, actor: User, raw: dict[str, Any], *, version: int
) -> AccidentReport:
    report = AccidentReport(
        accident=accident,
        version=version,
        figures=_figures(accident),
        level=accident.level,
        reason=text_field(raw, "reason"),
        direct=parse_bool(raw.get("direct")),
        chained=accident.level != QUALITY_PROBLEM,
        created_by_id=actor.id,
        created_at=clock.now(),
    )
    db.session.add(report)
    db.session.flush()
    return report


def _start_chain(
    actor: User, accident: Accident, report: AccidentReport, raw: dict[str, Any]
) -> None:
    """The reporting unit's own step (received and forwarded now), then the engine instance."""
    if not report.chained:
        return
    from webapp.engine import start_instance

    received = accident.received_at if report.version == 1 else report.created_at
    db.session.add(
        AccidentStep(
            report=report,
            position=0,
            org=accident.org,
            received_at=received,
            due_at=received + timedelta(hours=STEP_HOURS),
            forwarded_at=report.created_at,
            outcome="forwarded",
            government_report=text_field(raw, "government_report"),
            police_notice=text_field(raw, "police_notice"),
            forwarded_by_id=actor.id,
        )
    )
    db.session.flush()
    start_instance(
        actor,
        PROCESS_KEY,
        accident.org,
        f"accident:{accident.id}:{report.version}",
        data={"accident_id": accident.id, "report_id": report.id},
    )


def add_followup(actor: User, accident: Accident, raw: dict[str, Any]) -> AccidentReport:
    """续报/补报: new facts or changed casualties; a new version that goes up the same way."""
    require(actor, "accident.report", accident.org)
    if accident.state == AccidentState.CLOSED:
        raise Conflict("事故已结案（调查结论已录入），不能再续报。")
    reason = text_field(raw, "reason")
    changes: dict[str, Any] = {}
    for name, label in COUNT_FIELDS.items():
        if raw.get(name) not in (None, ""):
            changes[name] = parse_count(raw.get(name), label)
    if raw.get("loss_10k_yuan") not in (None, ""):
        changes["loss_10k_yuan"] = parse_loss(raw.get("loss_10k_yuan"))
    for name in ("description", "cause", "measures"):
        if raw.get(name) not in (None, ""):
            changes[name] = text_field(raw, name)
    if raw.get("under_control") is not None:
        changes["under_control"] = parse_bool(raw.get("under_control"))
    if raw.get("units") not in (None, "", []):
        changes["units"] = parse_units(raw.get("units"))
    if not changes and not reason:
        raise InvalidInput("续报须有新的情况：请填写变化的数字或续报说明。")
    if changes.get("deaths", accident.deaths) < accident.deaths and not reason:
        raise InvalidInput(
            f"死亡人数少于前次报告（{accident.deaths}人），须在续报说明中写明原因。",
            details={"死亡人数": "减少须说明原因"},
        )
    new = {
        name: changes.get(name, getattr(accident, name))
        for name in ("deaths", "serious_injuries", "missing", "loss_10k_yuan")
    }
    within = within_relevel_days(accident, clock.now())
    level = (
        classify(new["deaths"], new["serious_injuries"], new["missing"], new["loss_10k_yuan"])
        if within
        else accident.level
    )
    if rank(level) < rank(accident.level) and not reason:
        raise InvalidInput(
            f"续报后事故等级由{accident.level}降为{level}，须在续报说明中写明原因。",
            details={"事故等级": "降低须说明原因"},
        )
    before = _figures(accident)
    was_problem = accident.level == QUALITY_PROBLEM
    for name, value in changes.items():
        setattr(accident, name, value)
    accident.level = level
    if level != QUALITY_PROBLEM:
        accident.state = AccidentState.REPORTING
    _sync_ledger(accident, actor)
    report = _new_report(accident, actor, raw, version=len(accident.reports) + 1)
    _audit(
        "accident.followup",
        accident.id,
        actor,
        accident.org,
        before=before,
        after={**report.figures, "version": report.version, "relevelled": within},
        message=reason or None,
    )
    if was_problem and report.chained:
        # A 续报 that crosses the 一般 floor starts the chain: its received time is now.
        accident.received_at = report.created_at
    _start_chain(actor, accident, report, raw)
    return report


def record_conclusion(
    actor: User, accident: Accident, text: str, behaviour_ids: list[int], penalty_ids: list[int]
) -> Accident:
    """调查结论: recorded by the level whose government investigates; closes the accident."""
    from webapp.ledger.models import AdministrativePenalty, BadBehaviourRecord

    org = investigating_org(accident)
    if actor.org_id != org.id:
        raise PermissionDenied(f"{accident.level}事故的调查结论由{org.name}录入。")
    require(actor, "accident.conclude", org)
    if accident.state == AccidentState.CLOSED:
        raise Conflict("事故已结案。")
    text = (text or "").strip()
    if not text:
        raise InvalidInput("请填写调查结论。", details={"调查结论": "必填"})
    for model, ids, label in (
        (BadBehaviourRecord, behaviour_ids, "不良行为记录"),
        (AdministrativePenalty, penalty_ids, "行政处罚记录"),
    ):
        for record_id in ids:
            row = db.session.get(model, record_id)
            if row is None or not row.org.path.startswith(org.path):
                raise InvalidInput(
                    f"{label}（编号{record_id}）不存在或不属于本单位及下级。",
                    details={f"{label}编号": str(record_id)},
                )
    accident.conclusion = text[:8000]
    accident.conclusion_records = {"behaviour": list(behaviour_ids), "penalty": list(penalty_ids)}
    accident.concluded_at = clock.now()
    accident.concluded_by_id = actor.id
    accident.concluded_org_id = org.id
    accident.state = AccidentState.CLOSED
    db.session.flush()
    _audit(
        "accident.conclude",
        accident.id,
        actor,
        org,
        after={"conclusion": accident.conclusion, **accident.conclusion_records},
    )
    return accident


# The chain's steps (service tasks of accident_report.bpmn, adapted by webapp.accidents.flow) --
def _step(report: AccidentReport, level: str) -> AccidentStep:
    """The step of ``level`` ('city' = the middle unit, 'province' = the top) of a report."""
    steps = report.steps
    step = steps[-1] if level == "province" else (steps[1] if len(steps) == 3 else None)
    if step is None:
        raise NotFound("事故上报链中没有该级单位。")
    return step


def _audit_step(
    action: str, report: AccidentReport, actor: User | None, org: Org, **after: Any
) -> None:
    _audit(action, report.accident_id, actor, org, after={"version": report.version, **after})


def _is_latest(report: AccidentReport) -> bool:
    chained = [r for r in report.accident.reports if r.chained]
    return bool(chained) and chained[-1].id == report.id


def _receive(step: AccidentStep, now: datetime) -> None:
    step.received_at = now
    step.due_at = now + timedelta(hours=STEP_HOURS)


def ministry_time(text: str) -> datetime:
    """A time as the ministry form writes it (2026-05-01 16:30), in the users' zone if naive."""
    when = datetime.fromisoformat(text.replace(" ", "T", 1))
    if when.tzinfo is None:
        when = when.replace(tzinfo=clock.to_local(clock.now()).tzinfo)  # type: ignore[union-attr]
    return when


def route(
    report: AccidentReport, actor: User | None, instance: ProcessInstance | None = None
) -> dict[str, Any]:
    """Lay out the chain for this report: the middle unit (a county's city) receives it now, or
    is skipped when the reporting unit sends straight to the province (越级上报).  Returns the
    route (``city``, ``province`` or ``none``) and whether the province reports to the Ministry.
    The skipped level's information copy is about ``instance`` (the report's chain): it clears
    once the chain is finished."""
    from webapp.engine import notify

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
        for user in users_in_role(city.org_id, Role.REVIEWER) + users_in_role(
            city.org_id, Role.LEADER
        ):
            notify(
                user,
                "cc",
                f"【越级上报抄送】{_where(accident)}{accident.level}事故（{report.kind_label}）"
                "已由事发地直接报省，请知悉。",
                instance=instance,
            )
        _audit_step("accident.skip", report, actor, city.org, skipped=city.org.code)
    first = steps[1] if len(steps) == 3 and not report.direct else steps[-1]
    _receive(first, now)
    return {"route": "city" if first is not steps[-1] else "province", "to_ministry": to_ministry}


def _where(accident: Accident) -> str:
    """The accident's unit and project for a notice, the unit named once (a project is often
    named after its unit: 中原区XX工程)."""
    from webapp.engine import unit_unless_named

    return unit_unless_named(accident.org.name, accident.project_name) + accident.project_name


def forward(
    report: AccidentReport,
    actor: User | None,
    level: str,
    *,
    government_report: str,
    police_notice: str,
) -> None:
    """A level acknowledged and forwarded (or, at the province, received) the report."""
    step = _step(report, level)
    now = clock.now()
    step.forwarded_at = now
    step.outcome = "forwarded"
    step.forwarded_by_id = actor.id if actor else None
    step.government_report = government_report[:200]
    step.police_notice = police_notice[:200]
    if level == "city":
        _receive(report.steps[-1], now)
    elif report.accident.state == AccidentState.REPORTING and _is_latest(report):
        # Reported once the province has the latest version (an older round may finish later).
        report.accident.state = AccidentState.REPORTED
    _audit_step(
        "accident.forward",
        report,
        actor,
        step.org,
        level=step.org.code,
        late=step.late(now),
        government_report=step.government_report,
        police_notice=step.police_notice,
    )


def record_ministry_report(
    report: AccidentReport, actor: User | None, *, reported_at: str, channel: str, reference: str
) -> None:
    """The province's report to the Ministry (住房和城乡建设部): when, how, reference."""
    when = ministry_time(reported_at)
    report.ministry_reported_at = when
    report.ministry_channel = channel[:64]
    report.ministry_ref = reference[:128]
    _audit_step(
        "accident.ministry",
        report,
        actor,
        report.steps[-1].org,
        reported_at=when.isoformat(),
        channel=report.ministry_channel,
        reference=report.ministry_ref,
    )


def _step_task(instance: ProcessInstance | None, step: AccidentStep) -> HumanTask | None:
    """The level's open task in the chain (its 接报并上报): what its notices are about, so
    they clear when the level has forwarded, like every task's notices."""
    from webapp.engine import open_tasks

    if instance is None:
        return None
    return next((t for t in open_tasks(instance.id) if t.candidate_org_id == step.org_id), None)


def remind_step(
    report: AccidentReport, level: str, instance: ProcessInstance | None = None
) -> None:
    """Half an hour before a level's two hours end: remind its reviewers (about the level's
    open task in ``instance``: the reminder clears once they have forwarded)."""
    from webapp.engine import notify

    step = _step(report, level)
    if step.forwarded_at is not None or step.due_at is None:
        return
    due = clock.to_local(step.due_at)
    task = _step_task(instance, step)
    accident = report.accident
    for user in users_in_role(step.org_id, Role.REVIEWER):
        notify(
            user,
            "remind",
            f"{_where(accident)}质量事故须在 {due:%H:%M} 前确认并上报（2小时时限）。",
            task,
            instance=instance,
        )


def mark_step_late(
    report: AccidentReport, level: str, instance: ProcessInstance | None = None
) -> None:
    """Two hours after receipt and not forwarded: mark the level late and tell its leader
    (about the level's open task: the notice clears once the level has forwarded)."""
    from webapp.engine import notify

    step = _step(report, level)
    if step.forwarded_at is not None or step.late_marked_at is not None:
        return
    step.late_marked_at = clock.now()
    accident = report.accident
    leaders = users_in_role(step.org_id, Role.LEADER)
    for user in leaders:
        notify(
            user,
            "overdue",
            f"【事故上报超时】{_where(accident)}{accident.level}事故"
            f"已超过2小时未由本单位确认上报，请督办。",
            _step_task(instance, step),
            instance=instance,
        )
    _audit_step("accident.late", report, None, step.org, level=step.org.code, notified=len(leaders))
