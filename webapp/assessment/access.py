"""Permissions of the assessment feature and who may see what."""

from __future__ import annotations

from sqlalchemy import select

from webapp.assessment.models import UnitAssessment
from webapp.core.errors import NotFound
from webapp.core.models import Org, Role, Tier, User
from webapp.core.operations import get_row
from webapp.core.permissions import ANY, DOWNWARD, Relation, can, register, require_visible
from webapp.extensions import db

OWN = frozenset({Relation.OWN})

#: Read campaigns and a unit's assessment: the unit's own staff and the province.
register(
    "assessment.view",
    {Role.CLERK, Role.REVIEWER, Role.LEADER, Role.ASSESSOR, Role.ADMIN},
    DOWNWARD,
    label="查看考核",
)
#: Fill the unit's self-assessment (the clerk drafts; the leader may too).
register("assessment.self", {Role.CLERK, Role.LEADER}, OWN, label="填报考核自评")
#: Approve the unit's self-assessment and report it to the province (or return it).
register("assessment.self_approve", {Role.LEADER}, OWN, label="审核上报考核自评")
#: Organise a campaign at the province: open it, draw the site sample, close self-assessment,
#: compute the ranking.  Checked against the province org.
register(
    "assessment.manage",
    {Role.ASSESSOR, Role.REVIEWER, Role.ADMIN},
    OWN,
    label="组织考核（开启、抽查、排名）",
)
#: Score units (考核组成员).
register("assessment.score", {Role.ASSESSOR}, DOWNWARD, label="考核评分")
#: Approve the results and override scores (the province's principal leader).
register("assessment.approve", {Role.LEADER}, OWN, label="审批考核结果、调整得分")
#: Upload and activate score-sheet versions.
register("assessment.sheets", {Role.ADMIN}, ANY, label="管理考核评分表")


def province() -> Org:
    org = db.session.execute(
        select(Org).where(Org.tier == Tier.PROVINCE.value).order_by(Org.id).limit(1)
    ).scalar_one_or_none()
    if org is None:
        raise NotFound("未配置省级单位。")
    return org


def assessed_units() -> list[Org]:
    """Every city and directly administered county (考核对象), in code order."""
    return list(
        db.session.execute(
            select(Org)
            .where(Org.tier.in_([Tier.CITY.value, Tier.DIRECT_COUNTY.value]))
            .order_by(Org.code)
        ).scalars()
    )


def is_province_user(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.org.depth == 0)


def scores_visible(user: User | None, campaign_state: str, unit_org: Org) -> bool:
    """The province sees scores as they are made; a unit only after the results are approved."""
    if not can(user, "assessment.view", unit_org):
        return False
    return is_province_user(user) or campaign_state == "approved"


UNIT_MISSING = "考核单位不存在。"


def get_unit(unit_id: int, actor: User | None = None) -> UnitAssessment:
    """The unit's assessment; with ``actor``, only if they may see it (assessment.view): to
    anyone else it answers as a missing one (:class:`~webapp.core.errors.Hidden`)."""
    unit = get_row(UnitAssessment, unit_id, UNIT_MISSING)
    if actor is not None:
        require_visible(actor, "assessment.view", unit.org, UNIT_MISSING)
    return unit
