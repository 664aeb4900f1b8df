"""Domain verbs of the reports: open a period, the flow's steps (submit up, accept, return,
remind, overdue), draft, explain, correct, extend, remind lower units.

Every change of a report and its audit record is made here.  The engine decides when a step
runs (quarterly_report.bpmn); ``webapp.reports.flow`` only adapts its context to these verbs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from webapp.archive import operations as archive
from webapp.core import audit, clock, dates
from webapp.core.errors import Conflict, Hidden, InvalidInput, NotFound, PermissionDenied
from webapp.core.models import Org, User
from webapp.core.permissions import can, require
from webapp.drafts import operations as drafts
from webapp.engine import change_subject, get_instance, start_instance
from webapp.extensions import db
from webapp.ledger.models import (
    AdministrativePenalty,
    BadBehaviourRecord,
    Complaint,
    Project,
    QualityAccident,
)
from webapp.ledger.queries import FrozenReport
from webapp.periodic import operations as periodic
from webapp.reports.access import can_view, may_know
from webapp.reports.access import can_view_summary as can_view_summary  # ops.can_view_summary
from webapp.reports.deadlines import due_at, open_windows, remind_at
from webapp.reports.document import archive_document, freeze
from webapp.reports.drafting import EXPLANATIONS, MISSING, NARRATIVE, REPORT_MISSING
from webapp.reports.models import Report, ReportKind, ReportMeeting, ReportState
from webapp.reports.narrative import DRAFT_SECTIONS, SectionDraft, first_draft
from webapp.reports.readiness import reviewers_of
from webapp.reports.sections import sections
from webapp.reports.state import report_state
from webapp.stats.compute import Period, parse_period
from webapp.stats.tables import project_groups

PROCESS_KEY = "quarterly_report"
#: The audit action of 生成初稿 (also when it regenerates a section); the records that write it
#: spell it out (tests/audit/test_vocabulary.py reads literal actions).
FIRST_DRAFT = "report.first_draft"


def get_report(report_id: int, actor: User | None = None) -> Report:
    """The report; with ``actor``, only if they may see it (read it, or as a peer its accepted
    summary tables): to anyone else it answers as a missing report (:class:`Hidden`)."""
    report = db.session.get(Report, report_id)
    if report is None:
        raise NotFound(REPORT_MISSING)
    if actor is not None and not may_know(actor, report):
        raise Hidden(REPORT_MISSING, action="report.view")
    return report


def find_report(org: Org, period: str, kind: str) -> Report | None:
    return db.session.execute(
        select(Report).where(Report.org_id == org.id, Report.period == period, Report.kind == kind)
    ).scalar_one_or_none()


def period_reports(period: str, kind: str) -> list[Report]:
    """Every unit's report of ``kind`` for ``period`` (one query)."""
    return list(
        db.session.execute(
            select(Report).where(Report.period == period, Report.kind == kind)
        ).scalars()
    )


def reporting_units(kind: ReportKind) -> list[Org]:
    """The units that make a report of ``kind`` (see :meth:`ReportKind.made_by`)."""
    orgs = db.session.execute(select(Org).order_by(Org.path)).scalars()
    return [org for org in orgs if kind.made_by(org)]


def _start_data(report: Report) -> dict[str, Any]:
    return {
        "report_id": report.id,
        "kind": report.kind,
        "period": report.period,
        "has_parent": report.org.parent_id is not None,
        "due_at": report.due_at.isoformat(),
        "remind_at": report.remind_at.isoformat(),
    }


def _new_report(actor: User | None, org: Org, period: Period, kind: ReportKind) -> Report:
    due = due_at(period, org)
    report = Report(
        org=org,
        period=period.code,
        kind=kind.value,
        due_at=due,
        remind_at=remind_at(due),
        opened_at=clock.now(),
        opened_by_id=actor.id if actor else None,
        narrative={},
        explanations={},
    )
    db.session.add(report)  # flushed with the period's other new reports (one INSERT)
    return report


def open_period(
    actor: User | None, period_code: str, *, due_after: datetime | None = None
) -> dict[str, int]:
    """Open a quarter ("2026Q4") or a year ("2026": the annual report) for every reporting unit.

    Idempotent: units already opened are left alone; any period, past ones included (backfill).
    ``due_after`` (the scheduler's catch-up): a unit whose due time is not after it is left
    alone (``past_due``): a window whose due date has passed is opened only by an administrator.
    """
    if actor is not None:
        require(actor, "report.open")
    period = parse_period(period_code)
    kind = ReportKind.ANNUAL if period.is_year else ReportKind.QUARTERLY
    return periodic.open_units(
        actor,
        process_key=PROCESS_KEY,
        period_code=period.code,
        units=reporting_units(kind),
        find_all=lambda: period_reports(period.code, kind.value),
        create=lambda org: _new_report(actor, org, period, kind),
        start_data=_start_data,
        audit_action="report.open_period",
        audit_after={"kind": kind.value},
        past_due=lambda org: due_after is not None and due_at(period, org) <= due_after,
    )


def open_current_windows(now: datetime) -> dict[str, int]:
    """Open every window open at ``now`` (the scheduler's start and each timer): a window already
    open when the system starts, or missed while the worker was down, is opened at once for the
    units not yet due; idempotent.  Period → how many units were opened."""
    return {
        period: open_period(None, period, due_after=now)["opened"] for period in open_windows(now)
    }


#: characters: a reason must say something
MIN_REASON = 4


def _audit(action: str, report: Report, actor: User | None, **extra: Any) -> None:
    fields = {
        "period": report.period,
        "kind": report.kind,
        "round": report.round,
        "subject": f"report:{report.id}",
    }
    periodic.audit_document(action, report, actor, "report", fields, **extra)


# The steps of quarterly_report.bpmn (its service tasks, adapted by webapp.reports.flow) -------
#: 退回类别: the upper level classifies every return (domain.md §7, reporting record).  Only
#: 数据差错 and 内容失误 count as errors against the unit (第八条(五) "对报送…出现差错的").
RETURN_KINDS = {
    "data_error": "数据差错",
    "content_error": "内容失误",
    "other": "其他（格式、补充说明等）",
}
ERROR_KINDS = ("data_error", "content_error")


def submit(report: Report, actor: User | None) -> dict[str, Any]:
    """The unit's reviewer approved: freeze the figures, archive the Word file, send it up."""
    now = clock.now()
    snapshot = freeze(report, actor)
    report.snapshot = snapshot
    report.submitted_at = now
    first = report.first_submitted_at is None
    if first:
        report.first_submitted_at = now
    doc = archive_document(report, snapshot, actor, "submitted")
    on_time = (report.first_submitted_at or now) <= report.due_at
    _audit(
        "report.submit",
        report,
        actor,
        after={
            "due_at": report.due_at.isoformat(),
            "on_time": on_time,
            "first": first,
            "document": doc.sha256,
            "checks": len(snapshot["checks"]),
            # 第十四条: the reporting record counts quarterly reports sent without a meeting
            "meeting": snapshot.get("meeting") is not None,
        },
    )
    return {"submitted_at": now.isoformat(), "document_id": doc.id}


def accept(report: Report, actor: User | None) -> dict[str, Any]:
    """The upper level (or, for the province, its own approval) accepted: lock and archive."""
    now = clock.now()
    report.accepted_at = now
    report.locked = True
    report.accepted_snapshot = report.snapshot
    latest = archive.latest("report", report.id)
    if latest is not None:
        latest.stage = "accepted"  # the file sent up, archived unchanged
    _audit("report.accept", report, actor, after={"document": latest.sha256 if latest else None})
    return {"accepted_at": now.isoformat()}


def record_return(report: Report, actor: User | None, kind: str, comment: str) -> None:
    """The upper level returned the submission with its reasons (counts against the unit)."""
    report.upper_returns += 1
    _audit(
        "report.return",
        report,
        actor,
        message=comment,
        after={"return_kind": kind, "error": kind in ERROR_KINDS},
    )


def remind_due(report: Report, notify: Callable[[str], dict[str, Any]]) -> None:
    """Reminder before the due date to whoever holds the open step (not for backfilled periods):
    ``notify(message)`` tells them and returns what it did, which is audited."""
    if report.opened_at >= report.remind_at or report.first_submitted_at is not None:
        return
    local_due = clock.to_local(report.due_at)
    result = notify(f"报送期限为 {local_due:%Y-%m-%d %H:%M}，请抓紧办理。")
    _audit("report.remind", report, None, after=result)


def mark_overdue(
    report: Report, notify_holders: Callable[[str], dict[str, Any]] | None = None
) -> None:
    """At the due date: mark the report overdue and tell the upper level's reviewers, and
    (``notify_holders(message)``) whoever holds the unit's open step."""
    from webapp.engine import notify

    if (
        report.opened_at >= report.due_at
        or report.first_submitted_at is not None
        or report.overdue_at is not None
    ):
        return
    report.overdue_at = clock.now()
    upper = report.org.parent
    notified = 0
    if upper is not None:
        for user in reviewers_of(upper.id):
            notify(
                user,
                "overdue",
                f"{report.org.name}{parse_period(report.period).label}工程质量分析报告"
                "已逾期未报，请督促。",
                instance=report.instance_id,
            )
            notified += 1
    if notify_holders is not None:
        local_due = clock.to_local(report.due_at)
        told = notify_holders(
            f"已超过报送期限（{local_due:%Y-%m-%d %H:%M}），已标记逾期，请尽快办理。"
        )
        notified += int(told.get("notified", 0))
    _audit("report.overdue", report, None, after={"notified": notified})


# Drafting -------------------------------------------------------------------------------------


def _require_draft(actor: User, report: Report) -> None:
    drafts.require_draft(NARRATIVE, actor, report)


def save_narrative(
    actor: User,
    report: Report,
    texts: Mapping[str, Any],
    base_versions: Mapping[str, Any] | None = None,
) -> drafts.SaveResult:
    """Autosave of the narrative (section key → text), each section on top of the version its
    text was based on (``base_versions``; see :func:`webapp.drafts.operations.save`)."""
    return drafts.save(NARRATIVE, report, actor, texts, base_versions)


#: Shown on the report page when 引用上期内容 has nothing to copy.
NOTHING_TO_REUSE = "上期没有可引用的内容"


def previous_narrative(report: Report) -> dict[str, str]:
    """Last period's narrative (as submitted when it was), only its non-empty sections."""
    period = parse_period(report.period)
    previous = find_report(report.org, period.previous().code, report.kind)
    if previous is None:
        return {}
    source = (previous.snapshot or {}).get("narrative") or previous.narrative or {}
    return {k: str(v) for k, v in source.items() if str(v or "").strip()}


def reuse_previous(actor: User, report: Report) -> list[str]:
    """Copy last period's narrative into the sections still empty (reusable text).

    Nothing to copy (no report last period, or one without text) is not an error: the page
    says :data:`NOTHING_TO_REUSE`, and nothing changes (so nothing is audited)."""
    _require_draft(actor, report)
    source = previous_narrative(report)
    empty = {
        k: source[k]
        for k, _ in sections(report.kind)
        if source.get(k) and not (report.narrative or {}).get(k, "").strip()
    }
    return save_narrative(actor, report, empty).changed if empty else []


def has_text(report: Report, section: str) -> bool:
    return bool((report.narrative or {}).get(section, "").strip())


def preview_first_draft(actor: User, report: Report, section: str) -> SectionDraft:
    """The first draft of a section, for one who may draft the report (nothing saved)."""
    _require_draft(actor, report)
    if section not in DRAFT_SECTIONS or section not in dict(sections(report.kind)):
        raise InvalidInput("该部分不能自动生成初稿（仅限依据报表数据的部分）。")
    return first_draft(report, section)


def write_first_draft(
    actor: User, report: Report, section: str, *, overwrite: bool = False
) -> drafts.SaveResult:
    """生成初稿: fill a figure-based section with a draft written from the report's tables
    (``webapp.reports.narrative``), as a new version of the section (audited
    ``report.first_draft``).  A section with text is replaced only with ``overwrite`` (the
    page asks first); the old text stays in its history.

    The audit record keeps the figures the draft was written from (``after.figures``), which
    the checks compare with the tables being submitted (``webapp.reports.staleness``).  A
    regeneration that writes the same text makes no version but is recorded all the same:
    the clerk asked, against these figures."""
    draft = preview_first_draft(actor, report, section)
    if has_text(report, section) and not overwrite:
        title = dict(sections(report.kind))[section]
        raise Conflict(f"“{title}”已有文字：确认覆盖后才会以初稿替换（原文字可在历史版本中找回）。")
    note = {"figures": {section: draft.basis()}}
    result = drafts.save(
        NARRATIVE,
        report,
        actor,
        {section: draft.text},
        None,
        action="report.first_draft",  # FIRST_DRAFT, written out for the audit vocabulary scan
        note=note,
    )
    if not result.changed:
        audit.record(
            "report.first_draft",
            actor=actor,
            org=report.org,
            object_type="report",
            object_id=report.id,
            after={"subject": f"report:{report.id}", "sections": {}, **note},
        )
    return result


def save_explanations(
    actor: User,
    report: Report,
    explanations: Mapping[str, Any],
    missing_explanation: str | None = None,
    base_versions: Mapping[str, Any] | None = None,
) -> drafts.SaveResult:
    """Explanations of warnings (check id → text) and of missing lower units, versioned like
    the narrative; an unknown check id or an over-long text is refused, never cut.

    A text shorter than the minimum (:func:`min_explanation`, a setting shown beside each
    field) is refused when saving, with the reason, rather than saved and then refused at
    submission (:func:`webapp.reports.drafting.refuse_short`); an emptied text is a save (the
    warning is unexplained again).  Nothing of the save is kept when any text is refused."""
    texts = dict(explanations)
    if missing_explanation is not None:
        texts[MISSING] = missing_explanation
    return drafts.save(EXPLANATIONS, report, actor, texts, base_versions)


#: Limits of the meeting record's texts (characters).
MEETING_MIN_CHARS = 4
MEETING_MAX_CHARS = 5000


def save_meeting(
    actor: User, report: Report, held_on: date | None, attendees: str, conclusions: str
) -> ReportMeeting:
    """第十四条: record (or correct) the quarter's 建设工程质量分析会 with the report, while the
    unit drafts it.  Optional: a report goes up without one, and the reporting record shows it.

    The meeting analyses the quarter, so it is held from the quarter's first day on, and not in
    the future; who attended and what it concluded must say something."""
    _require_draft(actor, report)
    if report.kind != ReportKind.QUARTERLY:
        raise Conflict("质量分析会记录随季度分析报告填写（第十四条），年度报告无需填写。")
    period = parse_period(report.period)
    today = clock.to_local(clock.now()).date()  # type: ignore[union-attr]
    errors: dict[str, str] = {}
    if held_on is None:
        errors["held_on"] = "请填写会议日期（年-月-日）。"
    elif held_on < period.start:
        errors["held_on"] = f"会议日期不能早于本季度开始（{period.start:%Y-%m-%d}）。"
    elif held_on > today:
        errors["held_on"] = "会议日期不能晚于今天。"
    texts = {"attendees": (attendees or "").strip(), "conclusions": (conclusions or "").strip()}
    labels = {"attendees": "参会人员", "conclusions": "会议结论"}
    for key, text in texts.items():
        if len(text) < MEETING_MIN_CHARS:
            errors[key] = f"请填写{labels[key]}（至少 {MEETING_MIN_CHARS} 个字）。"
        elif len(text) > MEETING_MAX_CHARS:
            errors[key] = f"{labels[key]}不能超过 {MEETING_MAX_CHARS} 个字。"
    if errors:
        raise InvalidInput("；".join(errors.values()), details=errors)
    assert held_on is not None
    meeting = report.meeting
    before = meeting.to_json() if meeting is not None else None
    if meeting is None:
        meeting = ReportMeeting(report=report, held_on=held_on, **texts)
        db.session.add(meeting)
    else:
        meeting.held_on = held_on
        meeting.attendees = texts["attendees"]
        meeting.conclusions = texts["conclusions"]
    after = meeting.to_json()
    if before != after:
        meeting.recorded_at = clock.now()
        meeting.recorded_by_id = actor.id
        db.session.flush()
        _audit("report.meeting_save", report, actor, before=before, after=after)
    return meeting


def request_correction(actor: User, report: Report, reason: str) -> Report:
    """更正: reopen an accepted report through the same flow (a new round); the upper level
    keeps reading the accepted figures until the correction is accepted in its turn."""
    require(actor, "report.draft", report.org)
    if not report.locked:
        raise Conflict("只有已接收的报告才能发起更正。")
    if len((reason or "").strip()) < 4:
        raise InvalidInput("请填写更正原因（至少 4 个字）。", details={"reason": "必填"})
    report.round += 1
    report.locked = False
    report.snapshot = None
    instance = start_instance(
        actor, PROCESS_KEY, report.org, report.business_key, _start_data(report)
    )
    report.instance_id = instance.id
    _audit("report.correction", report, actor, message=reason.strip())
    return report


def remind_unit(actor: User, report: Report, message: str | None = None) -> int:
    """催办 from the status board: remind whoever holds the lower unit's open step."""
    from webapp.engine import open_tasks, remind

    require(actor, "report.remind", report.org)
    if report.org.id == actor.org.id:
        raise PermissionDenied("催办用于督促下级单位。")
    state = report_state(report)
    if state in (ReportState.ACCEPTED, ReportState.SUBMITTED):
        raise Conflict("该单位已上报，无需催办。")
    count = 0
    for task in open_tasks(report.instance_id):
        if task.candidate_org_id == report.org.id:
            count += len(remind(actor, task.id, message))
    audit.record_on(
        "report.remind_unit",
        report,
        actor,
        after={"notified": count, "subject": f"report:{report.id}"},
    )
    return count


#: States in which the due time still matters (not yet sent up).
_EXTENDABLE = (
    ReportState.DRAFTING,
    ReportState.RETURNED,
    ReportState.IN_REVIEW,
    ReportState.OVERDUE,
)


def may_extend(actor: User, report: Report) -> bool:
    return (
        (can(actor, "report.open") or can(actor, "report.extend", report.org))
        and report.instance_id is not None
        and report_state(report) in _EXTENDABLE
    )


def extend_deadline(actor: User, report: Report, new_due: date, reason: str) -> Report:
    """延期: the upper level (its reviewer or leader) or an administrator gives the unit a new
    due date.  The one way a report's deadline moves: the process instance's fixed subject,
    its reminder and deadline timers and the open tasks follow; audited with the reason.
    An overdue mark is lifted (the reporting record then judges timeliness by the new date)."""
    if not (can(actor, "report.open") or can(actor, "report.extend", report.org)):
        raise PermissionDenied("只有上级单位的审核人、主要领导或系统管理员可以延期。")
    if report_state(report) not in _EXTENDABLE or report.instance_id is None:
        raise Conflict("报告已上报或已接收，不能延期。")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise InvalidInput(
            f"请填写延期原因（至少 {MIN_REASON} 个字）。", details={"reason": "必填"}
        )
    due = datetime.combine(new_due, time(23, 59, 59), tzinfo=clock.LOCAL_TZ).astimezone(clock.UTC)
    if due <= clock.now():
        raise InvalidInput("新的截止日期须晚于现在。", details={"due_date": "须晚于今天"})
    if due <= report.due_at:
        raise InvalidInput(
            "延期后的截止日期须晚于原截止日期。", details={"due_date": "须晚于原截止日期"}
        )
    # a deadline moves within the year: a report a year late is no longer this period's
    latest = dates.one_year_after(clock.today_local())
    if problem := dates.bound_problem(new_due, latest=latest):
        raise InvalidInput(f"新的截止日期{problem}（一年以内）。", details={"due_date": problem})
    before = report.due_at
    report.due_at = due
    report.remind_at = remind_at(due)
    report.overdue_at = None
    change_subject(
        actor,
        get_instance(report.instance_id),
        {"due_at": due.isoformat(), "remind_at": report.remind_at.isoformat()},
        reason=reason,
    )
    audit.record_on(
        "report.extend",
        report,
        actor,
        before={"due_at": before.isoformat()},
        after={"due_at": due.isoformat(), "subject": f"report:{report.id}"},
        message=reason,
    )
    db.session.flush()
    return report


__all__ = ["Period", "open_period"]


def counted_in(record: Any, period: Period) -> bool:
    """Whether the figures of ``period`` count this ledger record: a project in a column of
    附表5/7; a bad-behaviour record (附表1), penalty (附表2) or accident (附表5/7 事故) dated within
    it; a complaint received or closed within it, or still open at its end (section (9)).
    A good-behaviour record is in no report's figures."""

    def within(day: date | None) -> bool:
        return day is not None and period.start <= day <= period.end

    if isinstance(record, Project):
        return bool(project_groups(record, period))
    if isinstance(record, BadBehaviourRecord):
        return within(record.recorded_on)
    if isinstance(record, AdministrativePenalty):
        return within(record.decided_on)
    if isinstance(record, QualityAccident):
        return within(record.occurred_on)
    if isinstance(record, Complaint):
        still_open = record.received_on <= period.end and (
            record.closed_on is None or record.closed_on > period.end
        )
        return within(record.received_on) or within(record.closed_on) or still_open
    return False


def frozen_reports_counting(user: User, record: Any) -> list[FrozenReport]:
    """The accepted reports whose frozen figures count ``record``, a ledger record of any kind
    (:func:`counted_in`), that ``user`` may open: its unit's and the units' above it (whose
    roll-ups hold its figures), for each period that counts it; newest first.  An edit of the
    record changes none of them (domain.md §5): the ledger's edit page lists them, with the way
    to 更正."""
    org = getattr(record, "org", None)
    if org is None:
        return []
    codes = org.path.rstrip("/").split("/")
    reports = db.session.execute(
        select(Report)
        .join(Org, Report.org_id == Org.id)
        .where(Org.code.in_(codes), Report.accepted_snapshot.is_not(None))
        .order_by(Report.period.desc(), Org.path.desc(), Report.kind)
    ).scalars()
    out = []
    for report in reports:
        period = parse_period(report.period)
        if counted_in(record, period) and can_view(user, report):
            label = f"{report.org.name} · {period.label} · {report.kind_enum.label}"
            out.append(FrozenReport(report.id, label))
    return out
