"""Domain verbs of the assessment feature: sheets, campaigns, self-assessment, evidence.

Every function takes the acting user and ids (never a Flask request), checks permission and
state, writes its audit record and flushes; the edge (request, CLI, workflow engine step)
commits.  A BPMN service or user task can call them by name (see docs/assessment.md).
Scoring, ranking and results are in :mod:`webapp.assessment.judging`; the site sample in
:mod:`webapp.assessment.sampling`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from webapp.assessment import access
from webapp.assessment.access import get_unit
from webapp.assessment.models import (
    AssessmentCampaign,
    CampaignState,
    ItemScore,
    Observation,
    Phase,
    UnitAssessment,
    UnitState,
)
from webapp.assessment.scoring import parse_judgments, score_sheet
from webapp.assessment.sheet import KIND_LABELS
from webapp.core import audit, clock, dates
from webapp.core.errors import Conflict, DomainError, InvalidInput
from webapp.core.models import Org, Role, User
from webapp.core.operations import get_row, users_in_role, users_in_roles_of
from webapp.core.permissions import can, require
from webapp.engine import Notice, notify, notify_many
from webapp.extensions import db

SUMMARY_MAX = 20000
NOTE_MAX = 2000

# Sheets and evidence live in their own modules; re-exported so that callers (pages, API, the
# workflow engine) find every verb of the feature here.
from webapp.assessment.evidence import (  # noqa: E402,F401
    EVIDENCE_EXTENSIONS,
    MATERIALS,
    MAX_EVIDENCE_FILES,
    add_evidence,
    evidence_dir,
    evidence_path,
    get_evidence,
    materials,
    max_evidence_bytes,
    upload_material,
)
from webapp.assessment.sheet_store import (  # noqa: E402,F401
    activate_sheet,
    choose_sheet,
    get_sheet,
    install_bundled_sheets,
    upload_sheet,
)


def audit_change(
    action: str,
    actor: User | None,
    subject: AssessmentCampaign | UnitAssessment,
    *,
    before: Any = None,
    after: Any = None,
    message: str | None = None,
) -> None:
    """The audit record of a change to a campaign or to a unit's assessment, in its org
    (``actor=None``: the system, e.g. a step of the process)."""
    audit.record(
        action,
        actor=actor,
        actor_name=None if actor else "system",
        org=subject.org,
        object_type=(
            "assessment_campaign" if isinstance(subject, AssessmentCampaign) else "assessment_unit"
        ),
        object_id=subject.id,
        before=before,
        after=after,
        message=message,
    )


def required_reason(reason: str, message: str = "退回须填写理由。") -> str:
    """A reason that must be given (a return, an override): stripped, at most NOTE_MAX long."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(message)
    return reason[:NOTE_MAX]


def change_state(
    action: str,
    actor: User | None,
    subject: AssessmentCampaign | UnitAssessment,
    state: str,
    *,
    after: dict[str, Any] | None = None,
    message: str | None = None,
) -> None:
    """Move a campaign or a unit's assessment to ``state`` and audit it: before and after state,
    with what else ``after`` records."""
    before = subject.state
    subject.state = state
    audit_change(
        action,
        actor,
        subject,
        before={"state": before},
        after={"state": state, **(after or {})},
        message=message,
    )


# Campaigns --------------------------------------------------------------------------------------
def get_campaign(campaign_id: int) -> AssessmentCampaign:
    return get_row(AssessmentCampaign, campaign_id, "考核活动不存在。")


def unit_for(actor: User, unit_id: int, permission: str) -> UnitAssessment:
    """The unit's assessment, when ``actor`` holds ``permission`` for that unit (404 when they
    may not even see it, 403 when they see it but may not do this)."""
    unit = get_unit(unit_id, actor)
    require(actor, permission, unit.org)
    return unit


def default_self_due(kind: str, year: int) -> date:
    """附件2: 11-30 of the year; 附件3 (assessed in Q1 of the next year): 01-31 of the next."""
    return date(year, 11, 30) if kind == "fujian2" else date(year + 1, 1, 31)


def check_due_for_opening(kind: str, year: int, self_due: date | None) -> None:
    """A person opening a campaign (page or API) is refused, and asked for a new due date, when
    the due date has passed: opening with it would mark every unit overdue at once.  (The system
    recording past campaigns, e.g. the demo's history, opens without this check.)"""
    due = self_due or default_self_due(kind, year)
    today = clock.today_local()
    # a due date moves within the year, as a report's deadline does: 2999 is a slip
    latest = dates.one_year_after(today)
    if self_due is not None and (problem := dates.bound_problem(self_due, latest=latest)):
        raise InvalidInput(f"截止日{problem}。", details={"self_due": problem})
    if due >= today:
        return
    if self_due is None:
        raise InvalidInput(
            f"{year}年度{KIND_LABELS.get(kind, kind)}的默认{due_label(kind)} {due.isoformat()} "
            f"已过：按此日期开启，所有单位将立即被标记逾期。请填写新的截止日（不早于今天 "
            f"{today.isoformat()}）后再开启。",
            details={"self_due": "past", "default": due.isoformat()},
        )
    raise InvalidInput(
        f"截止日 {self_due.isoformat()} 早于今天，请填写不早于今天的日期。",
        details={"self_due": "past"},
    )


def due_label(kind: str) -> str:
    """附件2: the self-assessment and written summary; 附件3 (no self-assessment in the text):
    the 工作汇报 and 年度工作计划和总结 (item 1.13)."""
    return "自评材料报送截止日" if kind == "fujian2" else "工作汇报和年度工作计划、总结报送截止日"


@dataclass(frozen=True)
class Window:
    """When the province assesses (附件2: in December of the year; 附件3: in the first quarter
    of the next year)."""

    kind: str
    year: int
    start: date
    end: date
    label: str


def assessment_window(kind: str, year: int) -> Window:
    if kind == "fujian2":
        return Window(kind, year, date(year, 12, 1), date(year, 12, 31), f"{year}年12月")
    return Window(kind, year, date(year + 1, 1, 1), date(year + 1, 3, 31), f"{year + 1}年第一季度")


def window_warning(kind: str, year: int, campaign: AssessmentCampaign | None) -> str:
    """A warning when the assessment window is open and the campaign not opened, or past and
    the results not approved ('' otherwise)."""
    w = assessment_window(kind, year)
    today = clock.today_local()
    name = f"{year}年度{KIND_LABELS.get(kind, kind)}"
    if campaign is not None and campaign.state == CampaignState.APPROVED.value:
        return ""
    if today > w.end:
        what = "结果尚未审批" if campaign is not None else "尚未开启"
        return f"{name}应于{w.label}（{w.start}至{w.end}）完成，已错过，{what}。"
    if today >= w.start and campaign is None:
        return f"{name}应于{w.label}（{w.start}至{w.end}）进行，尚未开启。"
    return ""


def due_windows(campaigns: list[AssessmentCampaign]) -> list[str]:
    """Warnings for the assessments due now or missed: this year's 附件2 (December) and last
    year's 附件3 (first quarter of this year), opened or not."""
    today = clock.today_local()
    by_key = {(c.kind, c.year): c for c in campaigns}
    out = []
    for kind, year in (("fujian3", today.year - 1), ("fujian2", today.year)):
        warning = window_warning(kind, year, by_key.get((kind, year)))
        if warning:
            out.append(warning)
    return out


def open_campaign(
    actor: User,
    kind: str,
    year: int,
    *,
    sheet_id: int | None = None,
    self_due: date | None = None,
    sample_city: int = 6,
    sample_city_county: int = 2,
    sample_direct_county: int = 3,
    ask_new_due: bool = False,
) -> AssessmentCampaign:
    """Open a campaign for every city and directly administered county (state 单位自评).

    ``ask_new_due`` (the page and the API): a due date already past is refused with a request
    for a new one (:func:`check_due_for_opening`)."""
    province = access.province()
    require(actor, "assessment.manage", province)
    if kind not in KIND_LABELS:
        raise InvalidInput("考核类别须为附件2或附件3。")
    if not 2000 <= year <= 2100:
        raise InvalidInput("考核年度无效。")
    if kind == "fujian2" and (sample_city, sample_city_county, sample_direct_county) != (6, 2, 3):
        raise InvalidInput(
            "附件2规定每个省辖市查看6个项目（其中2个为所辖县（市）），每个省直管县（市）3个。"
        )
    if not (0 <= sample_city_county <= sample_city <= 50 and 0 <= sample_direct_county <= 50):
        raise InvalidInput("抽查项目数无效。")
    exists = db.session.execute(
        select(AssessmentCampaign.id).where(
            AssessmentCampaign.kind == kind, AssessmentCampaign.year == year
        )
    ).first()
    if exists:
        raise Conflict(f"{year}年度的{KIND_LABELS[kind]}已开启。")
    if ask_new_due:
        check_due_for_opening(kind, year, self_due)
    sheet = get_sheet(sheet_id) if sheet_id is not None else choose_sheet(kind, year)
    if sheet.kind != kind or not sheet.is_active:
        raise InvalidInput("所选评分表与考核类别不符或未启用。")
    campaign = AssessmentCampaign(
        kind=kind,
        year=year,
        sheet=sheet,
        state=CampaignState.SELF_ASSESSMENT.value,
        self_due=self_due or default_self_due(kind, year),
        sample_city=sample_city,
        sample_city_county=sample_city_county,
        sample_direct_county=sample_direct_county,
        opened_by_id=actor.id,
        opened_at=clock.now(),
        org=province,
    )
    db.session.add(campaign)
    units = access.assessed_units()
    for org in units:
        campaign.units.append(UnitAssessment(org=org, state=UnitState.DRAFT.value))
    db.session.flush()
    audit.record_on(
        "assessment.campaign_open",
        campaign,
        actor,
        org=province,
        after={
            "kind": kind,
            "year": year,
            "sheet": sheet.id,
            "self_due": campaign.self_due.isoformat(),
            "units": [o.code for o in units],
        },
    )
    return campaign


# Self-assessment --------------------------------------------------------------------------------
def _texts(raw: Mapping[str, Any] | None, sheet_has: Any, limit: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (raw or {}).items():
        if not sheet_has(key):
            raise InvalidInput(f"评分表中没有考核项目“{key}”。")
        text = str(value or "").strip()
        if len(text) > limit:
            raise InvalidInput(f"考核项目“{key}”的说明过长（最多 {limit} 字）。")
        out[key] = text
    return out


def _refs(raw: Mapping[str, Any] | None, sheet_has: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in (raw or {}).items():
        if not sheet_has(key):
            raise InvalidInput(f"评分表中没有考核项目“{key}”。")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput("佐证材料引用须为字符串列表。")
        out[key] = [v.strip()[:300] for v in value if v.strip()][:20]
    return out


def write_scores(
    unit: UnitAssessment,
    phase: Phase,
    scorer: User,
    judgments_raw: Mapping[str, Any],
    notes: Mapping[str, Any] | None,
    evidence: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Replace the scorer's rows of a phase with one row per item of the sheet; return totals."""
    sheet = unit.campaign.sheet.parsed()
    judgments = parse_judgments(sheet, judgments_raw)
    note_map = _texts(notes, sheet.has_item, NOTE_MAX)
    ref_map = _refs(evidence, sheet.has_item)
    result = score_sheet(sheet, judgments, unit.org.tier)
    for row in [s for s in unit.scores if s.phase == phase.value and s.scorer_id == scorer.id]:
        unit.scores.remove(row)
    db.session.flush()
    now = clock.now()
    for item in (i for i in sheet.items if i.id in result.items):
        j = judgments.get(item.id)
        met = None if j is None else j.met
        unit.scores.append(
            ItemScore(
                phase=phase.value,
                scorer_id=scorer.id,
                item_id=item.id,
                unmet=sorted(j.unmet) if j else [],
                met=sorted(met) if met is not None else None,
                score=result.items[item.id],
                note=note_map.get(item.id, ""),
                evidence=ref_map.get(item.id, []),
                scored_at=now,
            )
        )
    db.session.flush()
    return result.to_dict()


def save_self_assessment(
    actor: User,
    unit_id: int,
    *,
    judgments: Mapping[str, Any],
    summary: str | None = None,
    notes: Mapping[str, Any] | None = None,
    evidence: Mapping[str, Any] | None = None,
) -> UnitAssessment:
    """The unit's clerk fills (or refills) its self-assessment and written summary."""
    unit = unit_for(actor, unit_id, "assessment.self")
    if unit.campaign.state != CampaignState.SELF_ASSESSMENT.value:
        raise Conflict("自评阶段已结束，不能再修改自评。")
    if unit.state != UnitState.DRAFT.value:
        raise Conflict("自评已提交，退回后才能修改。")
    before: dict[str, Any] = {
        "self_total": None if unit.self_total is None else str(unit.self_total)
    }
    after: dict[str, Any] = {}
    if summary is not None:
        if len(summary) > SUMMARY_MAX:
            raise InvalidInput(f"书面总结过长（最多 {SUMMARY_MAX} 字）。")
        if summary.strip() != (unit.self_summary or ""):
            # the written summary is part of what the unit submits: the record shows its text
            before["self_summary"] = unit.self_summary or ""
            after["self_summary"] = summary.strip()
        unit.self_summary = summary.strip()
    totals = write_scores(unit, Phase.SELF, actor, judgments, notes, evidence)
    unit.self_total = Decimal(totals["total"])
    after = {"self_total": totals["total"], "judgments": dict(judgments), **after}
    if notes:
        after["notes"] = dict(notes)
    if evidence:
        after["evidence"] = dict(evidence)
    audit_change("assessment.self_save", actor, unit, before=before, after=after)
    return unit


def check_submittable(unit: UnitAssessment) -> None:
    """Refuse (InvalidInput with every problem) a self-assessment that is not complete."""
    problems = []
    if unit.self_total is None:
        problems.append("尚未填写自评评分表")
    if not unit.self_summary:
        problems.append("尚未填写全年活动情况书面总结")
    if problems:
        raise InvalidInput("不能提交：" + "；".join(problems) + "。", details=problems)


def submit_self_assessment(actor: User, unit_id: int) -> UnitAssessment:
    """The clerk hands the self-assessment to the unit's leader for approval."""
    unit = unit_for(actor, unit_id, "assessment.self")
    if unit.campaign.state != CampaignState.SELF_ASSESSMENT.value:
        raise Conflict("自评阶段已结束。")
    if unit.state != UnitState.DRAFT.value:
        raise Conflict("自评已提交。")
    check_submittable(unit)
    return _to_leader("assessment.self_submit", actor, unit, {"self_total": str(unit.self_total)})


def _to_leader(action: str, actor: User, unit: UnitAssessment, after: dict) -> UnitAssessment:
    """The clerk's submission: the unit's leader reviews it next (segregation: not the clerk)."""
    unit.self_submitted_by_id = actor.id
    unit.self_submitted_at = clock.now()
    unit.return_reason = None
    change_state(action, actor, unit, UnitState.SELF_REVIEW.value, after=after)
    return unit


def check_materials(unit: UnitAssessment) -> None:
    """Refuse (InvalidInput naming them) to send a 附件3 unit's materials while one is missing."""
    missing = [label for which, (_, label) in MATERIALS.items() if materials(unit)[which] is None]
    if missing:
        raise InvalidInput("不能提交：尚未上传" + "、".join(missing) + "。", details=missing)


def submit_materials(actor: User, unit_id: int) -> UnitAssessment:
    """报送材料 (附件3, no self-assessment): the clerk hands the unit's 工作汇报 and 年度工作计划和
    总结 to its leader, who reports them to the province (:func:`approve_self_assessment`).

    When the unit's process had a self-assessment step before (an administrator added one), the
    self-assessment was submitted already: the materials go with it (audited, no state change).
    """
    unit = get_unit(unit_id, actor)
    require(actor, "assessment.self", unit.org)
    if unit.campaign.state != CampaignState.SELF_ASSESSMENT.value:
        raise Conflict("材料报送阶段已结束。")
    if unit.state not in (UnitState.DRAFT.value, UnitState.SELF_REVIEW.value):
        raise Conflict("材料已上报。")
    check_materials(unit)
    sent = {
        MATERIALS[which][1]: doc.version
        for which, doc in materials(unit).items()
        if doc is not None
    }
    if unit.state == UnitState.SELF_REVIEW.value:
        audit_change("assessment.materials_submit", actor, unit, after={"materials": sent})
        return unit
    return _to_leader("assessment.materials_submit", actor, unit, {"materials": sent})


def approve_self_assessment(actor: User, unit_id: int, opinion: str = "") -> UnitAssessment:
    """The unit's leader approves the self-assessment: it is reported to the province."""
    unit = unit_for(actor, unit_id, "assessment.self_approve")
    what = "自评" if unit.campaign.has_self_assessment else "报送材料"
    if unit.state != UnitState.SELF_REVIEW.value:
        raise Conflict(f"该{what}不在待审核状态。")
    if unit.self_submitted_by_id == actor.id:
        raise DomainError(f"提交人不能审核自己提交的{what}。")
    unit.self_approved_by_id = actor.id
    unit.self_approved_at = clock.now()
    change_state(
        "assessment.self_approve"
        if unit.campaign.has_self_assessment
        else "assessment.materials_approve",
        actor,
        unit,
        UnitState.SELF_SUBMITTED.value,
        after={"overdue": unit.self_overdue},
        message=opinion.strip()[:NOTE_MAX] or None,
    )
    return unit


def return_self_assessment(actor: User, unit_id: int, reason: str) -> UnitAssessment:
    """The unit's leader returns the self-assessment to the clerk, with a reason."""
    unit = unit_for(actor, unit_id, "assessment.self_approve")
    if unit.state != UnitState.SELF_REVIEW.value:
        what = "自评" if unit.campaign.has_self_assessment else "报送材料"
        raise Conflict(f"该{what}不在待审核状态。")
    unit.return_reason = required_reason(reason)
    change_state(
        "assessment.self_return"
        if unit.campaign.has_self_assessment
        else "assessment.materials_return",
        actor,
        unit,
        UnitState.DRAFT.value,
        message=unit.return_reason,
    )
    return unit


def record_self_overdue(unit_id: int, instance_id: int) -> int:
    """At the due date (the unit's process timer): tell the unit's clerks and leaders that the
    self-assessment is overdue, and record it; the unit may still report (marked 逾期).
    Returns how many were told."""
    unit = get_unit(unit_id)
    campaign = unit.campaign
    self_assessed = campaign.has_self_assessment
    what = "自评材料" if self_assessed else "工作汇报和年度工作计划、总结"
    text = (
        f"{campaign.title}：本单位{what}已超过报送截止日（{campaign.self_due.isoformat()}），"
        f"已标记{campaign.phase_name}逾期，请尽快{'填报' if self_assessed else '上传'}并上报。"
    )
    notified = notify_staff(unit.org_id, (Role.CLERK, Role.LEADER), "overdue", text, instance_id)
    audit_change(
        "assessment.self_overdue" if self_assessed else "assessment.materials_overdue",
        None,
        unit,
        after={"self_due": campaign.self_due.isoformat(), "state": unit.state},
    )
    return notified


# 日常考察 (附件3: "采取日常考察与年终检查相结合的方式") -----------------------------------------
OBSERVATION_MAX = 5000


def record_observation(
    actor: User, org_code: str, *, observed_on: date, observation: str
) -> Observation:
    """A province assessor records what was observed of a unit on a day (the year observed is
    that day's); the unit sees it only after that year's 附件3 results are approved."""
    org = next((o for o in access.assessed_units() if o.code == org_code), None)
    if org is None:
        raise InvalidInput(
            "被考察单位须为省辖市或省直管县（市）。", details={"org_code": "不是考核对象"}
        )
    require(actor, "assessment.score", org)
    if not access.is_province_user(actor):
        raise DomainError("日常考察由省厅考核组记录。")
    if observed_on > clock.today_local():
        raise InvalidInput("考察日期不能晚于今天。", details={"observed_on": "晚于今天"})
    if problem := dates.bound_problem(observed_on):
        raise InvalidInput(f"考察日期{problem}。", details={"observed_on": problem})
    text = observation.strip()
    if not text:
        raise InvalidInput("请填写考察情况。", details={"observation": "必填"})
    if len(text) > OBSERVATION_MAX:
        raise InvalidInput(
            f"考察情况过长（最多 {OBSERVATION_MAX} 字）。", details={"observation": "过长"}
        )
    row = Observation(
        year=observed_on.year,
        org_id=org.id,
        observed_on=observed_on,
        observation=text,
        assessor_id=actor.id,
        recorded_at=clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    audit.record_on(
        "assessment.observation_add",
        row,
        actor,
        org=access.province(),
        after={
            "observed_org": org.code,
            "observed_on": observed_on.isoformat(),
            "observation": text,
        },
    )
    return row


def observations_visible(viewer: User, org_id: int, year: int) -> bool:
    """Province staff who may view assessments see the log at any time; a unit's staff only
    once the 附件3 campaign of that year is approved."""
    if access.is_province_user(viewer):
        return True
    campaign = db.session.execute(
        select(AssessmentCampaign).where(
            AssessmentCampaign.kind == "fujian3", AssessmentCampaign.year == year
        )
    ).scalar_one_or_none()
    return campaign is not None and campaign.state == CampaignState.APPROVED.value


def observations(viewer: User, year: int, org_id: int | None = None) -> list[Observation]:
    """The 日常考察 entries of a year the viewer may read (a unit's staff: their own unit's,
    after the campaign), by unit and date."""
    stmt = select(Observation).where(Observation.year == year)
    if not access.is_province_user(viewer):
        org_id = viewer.org_id
        if not observations_visible(viewer, org_id, year):
            return []
    if org_id is not None:
        stmt = stmt.where(Observation.org_id == org_id)
    rows = db.session.execute(
        stmt.order_by(Observation.org_id, Observation.observed_on, Observation.id)
    ).scalars()
    return [r for r in rows if can(viewer, "assessment.view", r.org)]


# Notifications ----------------------------------------------------------------------------------
def load_orgs(units: list[UnitAssessment]) -> list[UnitAssessment]:
    """Set each unit's org from one query, where the session has not loaded it yet (an eager
    load does not fill the relationship of units the session already holds): a loop over a
    campaign's 28 units then reads no org row by row."""
    missing = [u for u in units if "org" not in sa_inspect(u).dict]
    if missing:
        wanted = {u.org_id for u in missing}
        orgs = db.session.execute(select(Org).where(Org.id.in_(wanted))).scalars()
        by_id = {org.id: org for org in orgs}
        for unit in missing:
            set_committed_value(unit, "org", by_id[unit.org_id])
    return units


def notify_staff(
    org_id: int, roles: tuple[Role, ...], kind: str, message: str, instance_id: int
) -> int:
    """Notify (站内消息) the org's staff in those roles about a process instance; how many."""
    users = users_in_role(org_id, *roles)
    for user in users:
        notify(user, kind, message, instance=instance_id)
    return len(users)


def notify_staff_of(
    messages: dict[int, str], roles: tuple[Role, ...], kind: str, instance_id: int
) -> int:
    """:func:`notify_staff` for many orgs (``messages``: each org id's message): one query for
    their staff, one INSERT of the notices, whatever the number of orgs; how many."""
    staff = users_in_roles_of(messages, *roles)
    notices = [Notice(user, messages[org_id]) for org_id, users in staff.items() for user in users]
    return notify_many(kind, notices, instance=instance_id)
