"""Site sampling (现场抽查): random but reproducible from a recorded seed.

附件2: each city 6 in-construction affordable-housing projects, of which 2 supervised by its
counties; each directly administered county 3.  附件3: the campaign's configured counts.

The candidates come from the ledgers.  The draw takes a :data:`CandidateSource` (a function):
the assessment's ``init_app`` registers the ledger's with :func:`set_candidate_source`, tests
register fakes.  The draw sorts the candidates by reference, then
uses ``random.Random(f"{seed}:{org_code}")`` per unit, so the same seed and candidates always
give the same sample; both are stored and audited.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from webapp.assessment.models import (
    AssessmentCampaign,
    CampaignState,
    SampledSite,
    SiteSample,
    UnitAssessment,
)
from webapp.assessment.operations import audit_change, get_campaign
from webapp.core import audit, clock
from webapp.core.errors import Conflict, DomainError, InvalidInput, NotFound
from webapp.core.models import Org, Tier, User
from webapp.core.permissions import require
from webapp.extensions import db
from webapp.ledger.candidates import CandidateProject

#: (unit org, sampling date) → the unit's candidate projects (its own and its counties') that are
#: in construction on that date.
CandidateSource = Callable[[Org, date], Sequence[CandidateProject]]

_source: CandidateSource | None = None


def set_candidate_source(source: CandidateSource | None) -> None:
    """Called by the assessment's ``init_app`` with the ledger's (and by tests with fakes)."""
    global _source
    _source = source


def candidate_source() -> CandidateSource | None:
    return _source


@dataclass(frozen=True)
class Quota:
    org_code: str
    #: projects supervised by the unit itself
    own: int
    #: projects supervised by its counties
    county: int


def quota_for(campaign: AssessmentCampaign, org: Org) -> Quota:
    if org.tier == Tier.CITY.value:
        return Quota(org.code, campaign.sample_city - campaign.sample_city_county,
                     campaign.sample_city_county)  # fmt: skip
    return Quota(org.code, campaign.sample_direct_county, 0)


def draw(
    seed: str, quota: Quota, candidates: Sequence[CandidateProject]
) -> tuple[list[tuple[CandidateProject, bool]], list[dict[str, Any]]]:
    """The reproducible draw for one unit: [(project, in_county)], shortfalls."""
    ordered = sorted({c.ref: c for c in candidates}.values(), key=lambda c: c.ref)
    own = [c for c in ordered if c.org_code == quota.org_code]
    county = [c for c in ordered if c.org_code != quota.org_code]
    rng = random.Random(f"{seed}:{quota.org_code}")
    picked: list[tuple[CandidateProject, bool]] = []
    shortfalls: list[dict[str, Any]] = []
    for pool, need, in_county, part in (
        (own, quota.own, False, "本级"),
        (county, quota.county, True, "所辖县（市）"),
    ):
        if len(pool) < need:
            shortfalls.append(
                {"org_code": quota.org_code, "part": part, "need": need, "have": len(pool)}
            )
        picked += [(c, in_county) for c in rng.sample(pool, min(need, len(pool)))]
    return picked, shortfalls


def draw_site_sample(
    actor: User,
    campaign_id: int,
    seed: str | None = None,
    *,
    candidates: CandidateSource | None = None,
    accept_shortfall: bool = False,
    as_of: date | None = None,
) -> SiteSample:
    """Draw the sites to visit for every unit of the campaign.

    The candidates are the projects in construction on ``as_of`` (the sampling date, default
    today), which is stored with the sample.

    Too few candidates for a unit is refused with the list of shortfalls unless
    ``accept_shortfall`` (the page asks the user to confirm); accepted shortfalls are stored.
    A redraw replaces the previous sample (audited) while no visit has been recorded.
    """
    campaign = get_campaign(campaign_id)
    require(actor, "assessment.manage", campaign.org)
    if campaign.state not in (CampaignState.SELF_ASSESSMENT.value, CampaignState.SCORING.value):
        raise Conflict("考核评分已结束，不能再抽取现场。")
    source = candidates or _source
    if source is None:
        raise DomainError("台账功能尚未提供在建保障性安居工程清单，无法抽取现场。")
    seed = (seed or "").strip() or secrets.token_hex(8)
    if len(seed) > 64:
        raise InvalidInput("随机种子过长。")
    as_of = as_of or clock.today_local()
    if as_of > clock.today_local():
        raise InvalidInput("抽样日期不能晚于今天。")
    offered: dict[str, list[dict[str, str]]] = {}
    chosen: dict[int, list[tuple[CandidateProject, bool]]] = {}
    shortfalls: list[dict[str, Any]] = []
    for unit in campaign.units:
        pool = list(source(unit.org, as_of))
        offered[unit.org.code] = [
            {"ref": c.ref, "name": c.name, "org_code": c.org_code}
            for c in sorted(pool, key=lambda c: c.ref)
        ]
        picked, short = draw(seed, quota_for(campaign, unit.org), pool)
        chosen[unit.id] = picked
        shortfalls += short
    if shortfalls and not accept_shortfall:
        names = {u.org.code: u.org.name for u in campaign.units}
        lines = [
            f"{names[s['org_code']]}{s['part']}在建项目仅 {s['have']} 个（需 {s['need']} 个）"
            for s in shortfalls
        ]
        raise InvalidInput("候选项目不足：" + "；".join(lines) + "。", details=shortfalls)
    previous = db.session.query(SiteSample).filter_by(campaign_id=campaign.id).one_or_none()
    before = None
    if previous is not None:
        visited = db.session.query(SampledSite).filter(
            SampledSite.sample_id == previous.id, SampledSite.visit_date.is_not(None)
        )
        if visited.first() is not None:
            raise Conflict("已有现场检查记录，不能重新抽取。")
        before = {"seed": previous.seed, "sites": _site_refs(previous)}
        db.session.query(SampledSite).filter_by(sample_id=previous.id).delete()
        db.session.delete(previous)
        db.session.flush()
    sample = SiteSample(
        campaign_id=campaign.id,
        seed=seed,
        as_of=as_of,
        candidates=offered,
        shortfalls=shortfalls,
        drawn_by_id=actor.id,
        drawn_at=clock.now(),
    )
    db.session.add(sample)
    db.session.flush()
    for unit in campaign.units:
        for position, (c, in_county) in enumerate(chosen[unit.id], 1):
            db.session.add(
                SampledSite(
                    sample_id=sample.id,
                    unit_id=unit.id,
                    position=position,
                    project_ref=c.ref,
                    project_name=c.name[:200],
                    org_code=c.org_code,
                    in_county=in_county,
                )
            )
    db.session.flush()
    audit_change(
        "assessment.sample_draw",
        actor,
        campaign,
        before=before,
        after={
            "seed": seed,
            "as_of": as_of.isoformat(),
            "sites": _site_refs(sample),
            "shortfalls": shortfalls,
        },
    )
    return sample


def _site_refs(sample: SiteSample) -> dict[str, list[str]]:
    rows = (
        db.session.query(SampledSite, UnitAssessment)
        .join(UnitAssessment, SampledSite.unit_id == UnitAssessment.id)
        .filter(SampledSite.sample_id == sample.id)
        .order_by(UnitAssessment.id, SampledSite.position)
    )
    out: dict[str, list[str]] = {}
    for site, unit in rows:
        out.setdefault(unit.org.code, []).append(site.project_ref)
    return out


def record_site_visit(actor: User, site_id: int, *, visit_date: date, findings: str) -> SampledSite:
    """An assessor records the visit of a sampled site (date and findings)."""
    site = db.session.get(SampledSite, site_id)
    if site is None:
        raise NotFound("抽查项目不存在。")
    require(actor, "assessment.score", site.unit.org)
    if site.unit.campaign.state not in (
        CampaignState.SELF_ASSESSMENT.value,
        CampaignState.SCORING.value,
    ):
        raise Conflict("考核评分已结束。")
    if visit_date > clock.today_local():
        raise InvalidInput("检查日期不能晚于今天。")
    before = {
        "visit_date": site.visit_date.isoformat() if site.visit_date else None,
        "findings": site.findings,
    }
    site.visit_date = visit_date
    site.findings = findings.strip()[:5000]
    site.visited_by_id = actor.id
    audit.record(
        "assessment.site_visit",
        actor=actor,
        org=site.unit.org,
        object_type="assessment_site",
        object_id=site.id,
        before=before,
        after={"visit_date": visit_date.isoformat(), "findings": site.findings},
    )
    return site
