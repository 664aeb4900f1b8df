"""The province's part: close self-assessment, score units, override, rank, approve results.

Like :mod:`webapp.assessment.operations`, every function takes the actor and ids, checks,
audits and flushes.  ``actor=None`` on :func:`compute_ranking` means the system (a BPMN
service task), which needs no permission.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from webapp.assessment.models import (
    AssessmentCampaign,
    CampaignState,
    ItemScore,
    Phase,
    ScoreOverride,
    UnitAssessment,
    UnitState,
)
from webapp.assessment.operations import (
    audit_change,
    change_state,
    get_campaign,
    get_unit,
    load_orgs,
    required_reason,
    unit_for,
    write_scores,
)
from webapp.assessment.proposals import departures, with_proposals
from webapp.assessment.scoring import (
    ZERO,
    SheetScore,
    cents,
    mean,
    rank,
    top_and_bottom,
    total_up,
)
from webapp.core import clock, numbers
from webapp.core.errors import Conflict, InvalidInput
from webapp.core.models import User
from webapp.core.permissions import require
from webapp.extensions import db

#: 附件3 六、评优与惩处
ADVANCED_COUNT = 5
INTERVIEW_COUNT = 3
ADVANCED = "先进单位"
INTERVIEW = "约谈、通报批评"
CRITICISED = "通报批评"
#: 附件2 三、（三）总结表彰: chosen by the province's leader from the ranking
AWARDS_FUJIAN2 = ("优秀组织奖", "保障性安居工程质量管理奖", "先进个人奖")
PERSONAL_AWARD = "先进个人奖"
#: 附件2: what the leader may approve for a confirmed laggard (工作落后地区)
LAGGARD_MEASURES = ("通报批评", "约谈主要领导", "限制评先评奖")
LAGGARD = "工作落后"


def laggard_count() -> int:
    """How many bottom units the system proposes as laggards (setting
    ``ASSESSMENT_LAGGARD_COUNT``, default 3)."""
    from flask import current_app

    return max(0, int(current_app.config.get("ASSESSMENT_LAGGARD_COUNT", 3)))


def proposed_laggards(campaign: AssessmentCampaign) -> list[str]:
    """附件2: the bottom ``laggard_count()`` units of the ranking (ties at the boundary all in,
    but never a unit tied with the best: when everyone scores the same nobody lags), as org
    codes; [] for 附件3 (its bottom three follow from the ranking itself)."""
    scores = {u.org.code: u.final_score for u in campaign.units if u.final_score is not None}
    if campaign.kind != "fujian2" or not scores:
        return []
    best = max(scores.values())
    worst = top_and_bottom(scores, 0, laggard_count())[1]
    return sorted(code for code in worst if scores[code] < best)


def confirm_laggards(
    actor: User, campaign_id: int, codes: list[str] | None = None, note: str = ""
) -> AssessmentCampaign:
    """The assessors confirm the laggards (None: the system's proposal); departing from the
    proposal needs a note (the reason, audited)."""
    campaign = get_campaign(campaign_id)
    require(actor, "assessment.manage", campaign.org)
    if campaign.kind != "fujian2":
        raise Conflict("只有附件2考核需要确认工作落后地区。")
    if campaign.state != CampaignState.RANKED.value:
        raise Conflict("考核结果尚未排名或已审批。")
    proposed = proposed_laggards(campaign)
    chosen = proposed if codes is None else sorted(set(codes))
    known = {u.org.code for u in campaign.units}
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise InvalidInput(f"单位“{'、'.join(unknown)}”不是考核对象。")
    note = note.strip()
    if chosen != proposed and not note:
        raise InvalidInput("确认的落后地区与系统建议不同，须写明理由。")
    before = campaign.laggards
    campaign.laggards = {
        "proposed": proposed,
        "confirmed": chosen,
        "note": note[:2000],
        "by": actor.id,
        "at": clock.now().isoformat(),
    }
    audit_change(
        "assessment.laggards_confirm",
        actor,
        campaign,
        before=before,
        after={"proposed": proposed, "confirmed": chosen},
        message=note or None,
    )
    return campaign


def not_reported(campaign: AssessmentCampaign) -> list[str]:
    """Org codes of the units whose self-assessment has not been reported to the province."""
    return [u.org.code for u in campaign.units if u.state != UnitState.SELF_SUBMITTED.value]


def close_self_assessment(actor: User | None, campaign_id: int) -> list[str]:
    """End the self-assessment phase; scoring starts.  Returns the units that had not reported.

    ``actor=None`` is the system (the process ends the phase when every unit has reported).
    """
    campaign = get_campaign(campaign_id)
    if actor is not None:
        require(actor, "assessment.manage", campaign.org)
    if campaign.state != CampaignState.SELF_ASSESSMENT.value:
        raise Conflict(f"考核活动不在{campaign.phase_name}阶段。")
    missing = not_reported(campaign)
    change_state(
        "assessment.self_close" if campaign.has_self_assessment else "assessment.materials_close",
        actor,
        campaign,
        CampaignState.SCORING.value,
        after={"not_reported": missing},
    )
    return missing


def score_unit(
    actor: User,
    unit_id: int,
    item_scores: Mapping[str, Any],
    *,
    notes: Mapping[str, Any] | None = None,
    evidence: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An assessor scores a unit: ``item_scores`` is ``{item id: {"unmet": [...]}|{"met": [...]}}``.

    Items not judged count as fully met, except where the system proposes from evidence it
    holds (:mod:`webapp.assessment.proposals`): they follow the proposal, and a judgment that
    departs from it needs a note (the reason, audited as ``assessment.evidence_override``).
    Several assessors may score the same unit; each keeps their own rows (the final item score
    is their average, see :func:`final_items`).
    """
    unit = unit_for(actor, unit_id, "assessment.score")
    if unit.campaign.state != CampaignState.SCORING.value:
        raise Conflict("考核活动不在评分阶段。")
    previous = [s for s in unit.scores if s.phase == Phase.ASSESSOR and s.scorer_id == actor.id]
    before = str(sum((s.score for s in previous), ZERO)) if previous else None
    item_scores = with_proposals(unit, item_scores)
    totals = write_scores(unit, Phase.ASSESSOR, actor, item_scores, notes, evidence)
    # evidence the system holds (e.g. the reporting-work record): departing from it needs a reason
    departed = departures(unit, item_scores, notes)
    unit.state = UnitState.SCORED.value
    audit_change(
        "assessment.score",
        actor,
        unit,
        before={"total": before},
        after={"total": totals["total"], "judgments": dict(item_scores)},
    )
    for d in departed:
        audit_change(
            "assessment.evidence_override",
            actor,
            unit,
            before={"item": d["item"], "target": d["target"], "met": d["proposed"]},
            after={"item": d["item"], "target": d["target"], "met": d["judged"]},
            message=f"{d['reason']}（系统依据：{d['evidence']}）",
        )
    return totals


def assessor_items(unit: UnitAssessment) -> dict[int, dict[str, Decimal]]:
    """{assessor id: {item id: score}} of the assessor phase."""
    out: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for s in unit.scores:
        if s.phase == Phase.ASSESSOR.value:
            out[s.scorer_id][s.item_id] = s.score
    return dict(out)


def overrides(unit: UnitAssessment) -> dict[str, ScoreOverride]:
    """The latest override per item."""
    rows = db.session.query(ScoreOverride).filter_by(unit_id=unit.id).order_by(ScoreOverride.id)
    return {o.item_id: o for o in rows}


def _preload(campaign: AssessmentCampaign) -> dict[int, dict[str, ScoreOverride]]:
    """Every unit of the campaign with its org and scores, and the latest override per item of
    each unit, in four queries (not three per unit): for the ranking of all of them.

    The org and the scores are set on each unit as loaded when the session had not loaded them
    yet (an eager load does not fill the relationships of units the session already holds, and
    the identity map keeps no row nothing refers to); loaded ones are left as they are."""
    units = load_orgs(campaign.units)

    def of_campaign(model: Any) -> Any:
        """The campaign's rows of a per-unit table, in id order (oldest first)."""
        return db.session.execute(
            select(model)
            .join(UnitAssessment, UnitAssessment.id == model.unit_id)
            .where(UnitAssessment.campaign_id == campaign.id)
            .order_by(model.id)
        ).scalars()

    scores: dict[int, list[ItemScore]] = {u.id: [] for u in units}
    for score in of_campaign(ItemScore):
        scores.setdefault(score.unit_id, []).append(score)
    for unit in units:
        if "scores" not in sa_inspect(unit).dict:
            set_committed_value(unit, "scores", scores[unit.id])
    changed: dict[int, dict[str, ScoreOverride]] = {u.id: {} for u in units}
    for o in of_campaign(ScoreOverride):
        changed.setdefault(o.unit_id, {})[o.item_id] = o
    return changed


def final_items(
    unit: UnitAssessment, changed: Mapping[str, ScoreOverride] | None = None
) -> dict[str, Decimal] | None:
    """Final item scores: the assessors' average (0.01, half up), then the province's overrides
    (``changed``: the unit's, when the caller loaded them already; else read here).

    None while no assessor has scored the unit.
    """
    by_assessor = assessor_items(unit)
    if not by_assessor:
        return None
    sheet = unit.campaign.sheet.parsed()
    items = {
        item.id: mean([scores[item.id] for scores in by_assessor.values() if item.id in scores])
        for item in sheet.items
    }
    for item_id, o in (overrides(unit) if changed is None else changed).items():
        items[item_id] = o.after
    return items


def sheet_score(unit: UnitAssessment, items: Mapping[str, Decimal]) -> SheetScore:
    """Item scores → section subtotals and total on 100 (a missing item counts 0; items that do
    not apply to the unit's tier are left out and the total scaled, see scoring.total_up)."""
    return total_up(unit.campaign.sheet.parsed(), items, unit.org.tier)


def final_scores(
    unit: UnitAssessment, changed: Mapping[str, ScoreOverride] | None = None
) -> SheetScore | None:
    items = final_items(unit, changed)
    return None if items is None else sheet_score(unit, items)


def self_scores(unit: UnitAssessment) -> SheetScore | None:
    rows = {s.item_id: s.score for s in unit.scores if s.phase == Phase.SELF.value}
    return sheet_score(unit, rows) if rows else None


def override_item_score(
    actor: User, unit_id: int, item_id: str, score: Decimal | str, reason: str
) -> UnitAssessment:
    """The province's leader sets an item's final score, with a reason (audited before/after)."""
    unit = get_unit(unit_id, actor)
    campaign = unit.campaign
    require(actor, "assessment.approve", campaign.org)
    if campaign.state not in (CampaignState.SCORING.value, CampaignState.RANKED.value):
        raise Conflict("只能在评分或待审批阶段调整得分。")
    sheet = campaign.sheet.parsed()
    if not sheet.has_item(item_id):
        raise InvalidInput(f"评分表中没有考核项目“{item_id}”。")
    item = sheet.item(item_id)
    if not item.applies_to(unit.org.tier):
        raise InvalidInput(f"“{item.name}”对{unit.org.name}不适用，不评分。")
    try:
        value = numbers.parse_decimal(score, precision=6, scale=2, exact=True)  # models.SCORE
    except numbers.NumberError as err:
        raise InvalidInput(f"得分{err}。", details={"score": str(err)}) from err
    if not ZERO <= value <= item.points:
        raise InvalidInput(f"“{item.name}”的得分须在 0 至 {item.points} 分之间。")
    reason = required_reason(reason, "调整得分须填写理由。")
    current = final_items(unit)
    if current is None:
        raise Conflict("考核组尚未评分，不能调整。")
    before = current[item_id]
    db.session.add(
        ScoreOverride(
            unit_id=unit.id,
            item_id=item_id,
            before=before,
            after=value,
            reason=reason[:2000],
            by_id=actor.id,
            at=clock.now(),
        )
    )
    db.session.flush()
    audit_change(
        "assessment.override",
        actor,
        unit,
        before={"item": item_id, "score": str(before)},
        after={"item": item_id, "score": str(value)},
        message=reason,
    )
    if campaign.state == CampaignState.RANKED.value:
        _rank(campaign)
    return unit


def _rank(campaign: AssessmentCampaign) -> list[dict[str, Any]]:
    missing = []
    totals: dict[int, Decimal] = {}
    changed = _preload(campaign)
    for unit in campaign.units:
        result = final_scores(unit, changed[unit.id])
        if result is None:
            missing.append(unit.org.name)
        else:
            totals[unit.id] = result.total
    if missing:
        raise InvalidInput(f"以下单位尚未评分，不能排名：{'、'.join(missing)}。", details=missing)
    ranks = rank(totals.items())
    for unit in campaign.units:
        unit.final_score = totals[unit.id]
        unit.rank = ranks[unit.id]
    db.session.flush()
    return ranking(campaign)


def compute_ranking(actor: User | None, campaign_id: int) -> list[dict[str, Any]]:
    """Total every unit's final scores and rank them (ties share a rank: 1, 2, 2, 4)."""
    campaign = get_campaign(campaign_id)
    if actor is not None:
        require(actor, "assessment.manage", campaign.org)
    if campaign.state not in (CampaignState.SCORING.value, CampaignState.RANKED.value):
        raise Conflict("考核活动不在评分阶段，不能排名。")
    rows = _rank(campaign)
    campaign.ranked_at = clock.now()
    change_state(
        "assessment.rank",
        actor,
        campaign,
        CampaignState.RANKED.value,
        after={"ranking": [[r["org_code"], r["total"], r["rank"]] for r in rows]},
    )
    return rows


def reopen_scoring(actor: User, campaign_id: int, reason: str) -> AssessmentCampaign:
    """The province's leader returns the ranked results for correction: scoring reopens (the
    assessors change their scores or the leader overrides items, then the ranking is redone)."""
    campaign = get_campaign(campaign_id)
    require(actor, "assessment.approve", campaign.org)
    if campaign.state != CampaignState.RANKED.value:
        raise Conflict("考核结果不在待审批状态。")
    reason = required_reason(reason)
    campaign.ranked_at = None
    change_state(
        "assessment.results_return",
        actor,
        campaign,
        CampaignState.SCORING.value,
        message=reason[:2000],
    )
    return campaign


def ranking(campaign: AssessmentCampaign) -> list[dict[str, Any]]:
    """The ranked units; a unit whose total was scaled to 100 (items not applicable to it)
    carries its raw sum, its applicable points and the scaling in words."""
    rows = []
    changed = _preload(campaign)
    for u in campaign.units:
        if u.rank is None:
            continue
        scores = final_scores(u, changed[u.id])
        rows.append(
            {
                "unit_id": u.id,
                "org_code": u.org.code,
                "org_name": u.org.name,
                "total": str(u.final_score) if u.final_score is not None else None,
                "raw_total": cents(scores.raw_total) if scores else None,
                "applicable": cents(scores.applicable) if scores else None,
                "scaling": scores.scaling if scores else "",
                "rank": u.rank,
                "result": list(u.result or []),
            }
        )
    return sorted(rows, key=lambda r: (r["rank"], r["org_code"]))


def proposed_results(campaign: AssessmentCampaign) -> dict[str, list[str]]:
    """附件3: top five 先进单位, bottom three 约谈 (ties at the boundary included)."""
    scores = {u.org.code: u.final_score for u in campaign.units if u.final_score is not None}
    if campaign.kind != "fujian3" or not scores:
        return {"advanced": [], "interview": []}
    best, worst = top_and_bottom(scores, ADVANCED_COUNT, INTERVIEW_COUNT)
    return {"advanced": sorted(best), "interview": sorted(worst)}


def approve_results(
    actor: User,
    campaign_id: int,
    *,
    awards: list[Mapping[str, str]] | None = None,
    criticised: list[str] | None = None,
    measures: Mapping[str, list[str]] | None = None,
    opinion: str = "",
) -> AssessmentCampaign:
    """The province's leader approves the ranking and results; units then see their scores.

    附件3: the results follow from the ranking.  附件2: ``awards`` (``{"award", "org_code",
    "person"}``, person required for 先进个人奖) are chosen; the laggards the assessors
    confirmed get the ``measures`` the leader approves (``{org code: [measures]}``, each of
    LAGGARD_MEASURES; default all three); ``criticised`` (org codes) adds 通报批评 for others.
    """
    campaign = get_campaign(campaign_id)
    require(actor, "assessment.approve", campaign.org)
    if campaign.state != CampaignState.RANKED.value:
        raise Conflict("考核结果尚未排名或已审批。")
    _preload(campaign)  # the units' orgs in one query, not one per unit
    codes = {u.org.code: u for u in campaign.units}
    results: dict[str, Any] = {"awards": [], "criticised": [], "opinion": opinion.strip()}
    labels: dict[str, list[str]] = defaultdict(list)
    if campaign.kind == "fujian3":
        if awards or criticised:
            raise InvalidInput("附件3的先进单位和约谈单位由排名确定，不能另行指定。")
        proposed = proposed_results(campaign)
        results.update(proposed)
        for code in proposed["advanced"]:
            labels[code].append(ADVANCED)
        for code in proposed["interview"]:
            labels[code].append(INTERVIEW)
    else:
        problems = []
        for a in awards or []:
            award, code = a.get("award", ""), a.get("org_code", "")
            person = (a.get("person") or "").strip()
            if award not in AWARDS_FUJIAN2:
                problems.append(f"奖项“{award}”无效")
            if code not in codes:
                problems.append(f"单位“{code}”不是考核对象")
            if award == PERSONAL_AWARD and not person:
                problems.append("先进个人奖须填写获奖人姓名")
            results["awards"].append({"award": award, "org_code": code, "person": person})
            if code in codes:
                labels[code].append(f"{award}（{person}）" if person else award)
        confirmed = list((campaign.laggards or {}).get("confirmed") or [])
        given = dict(measures or {})
        results["laggards"] = []
        for code in sorted(set(given) - set(confirmed)):
            problems.append(f"单位“{code}”不是考核组确认的工作落后地区")
        for code in confirmed:
            chosen = given.get(code, list(LAGGARD_MEASURES))
            bad = [m for m in chosen if m not in LAGGARD_MEASURES]
            if bad:
                problems.append(f"处理措施“{'、'.join(bad)}”无效")
            chosen = [m for m in LAGGARD_MEASURES if m in chosen]
            results["laggards"].append({"org_code": code, "measures": chosen})
            labels[code].append(f"{LAGGARD}（{'、'.join(chosen) or '不予处理'}）")
            if CRITICISED in chosen:
                results["criticised"].append(code)
        for code in criticised or []:
            if code not in codes:
                problems.append(f"单位“{code}”不是考核对象")
            if code in results["criticised"]:
                continue
            results["criticised"].append(code)
            labels[code].append(CRITICISED)
        if problems:
            raise InvalidInput("考核结果有误：" + "；".join(problems) + "。", details=problems)
    for code, unit in codes.items():
        unit.result = labels.get(code, [])
    campaign.results = results
    campaign.approved_by_id = actor.id
    campaign.approved_at = clock.now()
    change_state(
        "assessment.approve",
        actor,
        campaign,
        CampaignState.APPROVED.value,
        after={"results": results},
        message=results["opinion"] or None,
    )
    return campaign


__all__ = [
    "approve_results",
    "confirm_laggards",
    "proposed_laggards",
    "close_self_assessment",
    "compute_ranking",
    "final_items",
    "final_scores",
    "self_scores",
    "not_reported",
    "override_item_score",
    "ranking",
    "reopen_scoring",
    "score_unit",
]
