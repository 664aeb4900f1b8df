"""Site sampling (现场抽查): random but reproducible from a recorded seed.

附件2: each city 6 in-construction affordable-housing projects, of which 2 supervised by its
counties; each directly administered county 3.  附件3: the campaign's configured counts.

"所辖县（市）" means the counties and county-level cities under the city, not its districts
(domain.md §7, Decisions "sampling" and "org kinds and shortfalls"): a county-level unit's kind
comes from its code's last two digits (01–20 市辖区, 21–80 县, 81–99 县级市, :func:`org_kind`);
the county sites come from 县/县级市 only, the others from the city body and its districts.  When
a city has fewer candidates in its 县（市） than its county quota (济源 has no lower units), the
rest come from the city body and its districts, and the sample records it (``made_up``).
附件3 draws from the projects in construction at any time in the assessed year or completed in it.

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
from webapp.assessment.operations import audit_change, get_campaign, load_orgs
from webapp.core import audit, clock, dates
from webapp.core.errors import Conflict, DomainError, InvalidInput
from webapp.core.models import Org, Tier, User
from webapp.core.operations import get_row
from webapp.core.permissions import require, require_visible
from webapp.extensions import db
from webapp.ledger.candidates import CandidateProject

#: (unit org, sampling date) → the unit's candidate projects (its own and its counties') that are
#: in construction on that date.
#: 附件3 calls it with a third argument ``since``: in construction at any time from ``since`` to the
#: date, so also the projects completed in that time.
CandidateSource = Callable[..., Sequence[CandidateProject]]

_source: CandidateSource | None = None


def set_candidate_source(source: CandidateSource | None) -> None:
    """Called by the assessment's ``init_app`` with the ledger's (and by tests with fakes)."""
    global _source
    _source = source


def candidate_source() -> CandidateSource | None:
    return _source


#: Kinds of county-level units by the last two digits of their code (domain.md §7).
DISTRICT, COUNTY, COUNTY_CITY = "市辖区", "县", "县级市"


def org_kind(code: str) -> str | None:
    """市辖区 (01–20), 县 (21–80) or 县级市 (81–99) from a county-level code; None for a code of
    another form (a city ends in 00)."""
    if len(code) != 6 or not code.isdigit():
        return None
    last = int(code[-2:])
    if 1 <= last <= 20:
        return DISTRICT
    if 21 <= last <= 80:
        return COUNTY
    if last >= 81:
        return COUNTY_CITY
    return None


def in_counties(code: str, unit_code: str) -> bool:
    """Is a project supervised by one of the unit's 县（市） (not the unit, not a district)?"""
    return code != unit_code and org_kind(code) in (COUNTY, COUNTY_CITY)


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


@dataclass
class Draw:
    """One unit's draw: the sites, the shortfalls (to be accepted), the county sites made up
    from the city body and its districts."""

    #: [(project, drawn as one of the 县（市）'s sites)]
    picked: list[tuple[CandidateProject, bool]]
    #: [{"org_code", "part", "need", "have"}]: too few candidates even after making up
    shortfalls: list[dict[str, Any]]
    #: {"org_code", "need", "have", "made_up"} when the 县（市） had fewer than the county quota
    made_up: dict[str, Any] | None = None


def draw(seed: str, quota: Quota, candidates: Sequence[CandidateProject]) -> Draw:
    """The reproducible draw for one unit (same seed and candidates → same sites)."""
    ordered = sorted({c.ref: c for c in candidates}.values(), key=lambda c: c.ref)
    county = [c for c in ordered if in_counties(c.org_code, quota.org_code)]
    rest = [c for c in ordered if not in_counties(c.org_code, quota.org_code)]
    rng = random.Random(f"{seed}:{quota.org_code}")
    # the county sites the 县（市） cannot give come from the city body and its districts
    missing = max(0, quota.county - len(county))
    made_up = None
    if missing:
        made_up = {
            "org_code": quota.org_code, "need": quota.county, "have": len(county),
            "made_up": missing,
        }  # fmt: skip
    shortfalls: list[dict[str, Any]] = []
    picked: list[tuple[CandidateProject, bool]] = []
    for pool, need, as_county, part in (
        (rest, quota.own + missing, False, "本级"),
        (county, quota.county - missing, True, "所辖县（市）"),
    ):
        if len(pool) < need:
            shortfalls.append(
                {"org_code": quota.org_code, "part": part, "need": need, "have": len(pool)}
            )
        picked += [(c, as_county) for c in rng.sample(pool, min(need, len(pool)))]
    return Draw(picked, shortfalls, made_up)


def sampling_window(campaign: AssessmentCampaign, as_of: date) -> tuple[date | None, date]:
    """(since, until) of the candidates: 附件2 the projects in construction on the sampling
    date; 附件3 those in construction at any time in the assessed year or completed in it (from
    01-01 to the sampling date, at most 12-31)."""
    if campaign.kind == "fujian3":
        return date(campaign.year, 1, 1), min(as_of, date(campaign.year, 12, 31))
    return None, as_of


def _candidates(
    source: CandidateSource, org: Org, since: date | None, until: date
) -> Sequence[CandidateProject]:
    return source(org, until) if since is None else source(org, until, since)  # type: ignore[call-arg]


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
    if problem := dates.bound_problem(as_of):
        raise InvalidInput(f"抽样日期{problem}。", details={"as_of": problem})
    since, until = sampling_window(campaign, as_of)
    offered: dict[str, list[dict[str, Any]]] = {}
    chosen: dict[int, list[tuple[CandidateProject, bool]]] = {}
    shortfalls: list[dict[str, Any]] = []
    made_up: list[dict[str, Any]] = []
    for unit in load_orgs(campaign.units):
        pool = list(_candidates(source, unit.org, since, until))
        offered[unit.org.code] = [
            {"ref": c.ref, "name": c.name, "org_code": c.org_code}
            | ({"completed_on": c.completed_on.isoformat()} if c.completed_on else {})
            for c in sorted(pool, key=lambda c: c.ref)
        ]
        result = draw(seed, quota_for(campaign, unit.org), pool)
        chosen[unit.id] = result.picked
        shortfalls += result.shortfalls
        if result.made_up:
            made_up.append(result.made_up)
    if shortfalls and not accept_shortfall:
        names = {u.org.code: u.org for u in campaign.units}
        lines = [
            f"{names[s['org_code']].name}{part_label(names[s['org_code']], s['part'])}"
            f"候选项目仅 {s['have']} 个（需 {s['need']} 个）"
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
        made_up=made_up,
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
                    completed_on=c.completed_on,
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
            "made_up": made_up,
            "window": [since.isoformat() if since else None, until.isoformat()],
        },
    )
    return sample


def part_label(org: Org, part: str) -> str:
    """How a pool is named: a city's rest is its body and districts."""
    if part == "本级" and org.tier == Tier.CITY.value:
        return "市本级及市辖区"
    return part


def made_up_note(unit: UnitAssessment) -> str:
    """The sentence of :func:`made_up_notes` for one unit ('' when nothing was made up)."""
    sample = db.session.query(SiteSample).filter_by(campaign_id=unit.campaign_id).one_or_none()
    return made_up_notes(sample).get(unit.org.code, "") if sample is not None else ""


def made_up_notes(sample: SiteSample) -> dict[str, str]:
    """{org code: the sentence the sample sheet shows} for the units whose county sites were
    made up from the city body and its districts (domain.md §7)."""
    return {
        m["org_code"]: (
            f"所辖县（市）候选项目仅 {m['have']} 个（应抽 {m['need']} 个），"
            f"其余 {m['made_up']} 个从市本级及市辖区抽取。"
        )
        for m in (sample.made_up or [])
    }


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


SITE_MISSING = "抽查项目不存在。"


def get_site(site_id: int, actor: User | None = None) -> SampledSite:
    """The sampled site; with ``actor``, only if they see its unit (assessment.view: the unit's
    page lists its sites): to anyone else it answers as a missing site (:class:`Hidden`)."""
    site = get_row(SampledSite, site_id, SITE_MISSING)
    if actor is not None:
        require_visible(actor, "assessment.view", site.unit.org, SITE_MISSING)
    return site


def record_site_visit(actor: User, site_id: int, *, visit_date: date, findings: str) -> SampledSite:
    """An assessor records the visit of a sampled site (date and findings)."""
    site = get_site(site_id, actor)
    require(actor, "assessment.score", site.unit.org)
    if site.unit.campaign.state not in (
        CampaignState.SELF_ASSESSMENT.value,
        CampaignState.SCORING.value,
    ):
        raise Conflict("考核评分已结束。")
    if visit_date > clock.today_local():
        raise InvalidInput("检查日期不能晚于今天。")
    # the sites are of the assessed year's projects: a visit before that year is a slip
    if problem := dates.bound_problem(visit_date, earliest=date(site.unit.campaign.year, 1, 1)):
        raise InvalidInput(f"检查日期{problem}。", details={"visit_date": problem})
    before = {
        "visit_date": site.visit_date.isoformat() if site.visit_date else None,
        "findings": site.findings,
    }
    site.visit_date = visit_date
    site.findings = findings.strip()[:5000]
    site.visited_by_id = actor.id
    audit.record_on(
        "assessment.site_visit",
        site,
        actor,
        org=site.unit.org,
        before=before,
        after={"visit_date": visit_date.isoformat(), "findings": site.findings},
    )
    return site
