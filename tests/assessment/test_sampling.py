from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.assessment.conftest import fake_candidates, unit_of
from webapp.assessment import sampling
from webapp.assessment.models import SampledSite, SiteSample
from webapp.core import audit
from webapp.core.errors import DomainError, InvalidInput, PermissionDenied
from webapp.core.models import AuditRecord
from webapp.extensions import db


def sites_by_unit(campaign) -> dict[str, list[tuple[str, bool]]]:
    rows = db.session.execute(select(SampledSite).order_by(SampledSite.position)).scalars()
    out: dict[str, list[tuple[str, bool]]] = {}
    for s in rows:
        out.setdefault(s.unit.org.code, []).append((s.project_ref, s.in_county))
    return out


def test_per_city_six_with_two_in_counties_per_direct_county_three(open_campaign, province_staff):
    campaign = open_campaign("fujian2", 2026)
    sample = sampling.draw_site_sample(
        province_staff["assessor"], campaign.id, "seed-1", candidates=fake_candidates()
    )
    assert sample.seed == "seed-1" and sample.shortfalls == []
    got = sites_by_unit(campaign)
    assert len(got) == 28
    for unit in campaign.units:
        sites = got[unit.org.code]
        if unit.org.tier == "city":
            assert len(sites) == 6 and sum(1 for _, c in sites if c) == 2
            county_refs = [r for r, c in sites if c]
            assert all(not r.startswith(unit.org.code + "-") for r in county_refs)
        else:
            assert len(sites) == 3 and not any(c for _, c in sites)
    # the candidate list offered is stored with the seed
    assert len(sample.candidates["410100"]) == 12
    audit.write_pending()  # the draw's record is linked at commit; this transaction reads it
    rec = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "assessment.sample_draw")
    ).scalar_one()
    assert rec.after["seed"] == "seed-1" and len(rec.after["sites"]["410100"]) == 6


def test_same_seed_same_sample_whatever_the_candidate_order(open_campaign, province_staff):
    campaign = open_campaign("fujian2", 2026)
    source = fake_candidates(own=20, county=10)
    sampling.draw_site_sample(province_staff["assessor"], campaign.id, "42", candidates=source)
    first = sites_by_unit(campaign)

    def reversed_source(org, as_of):
        return list(reversed(source(org, as_of)))

    sampling.draw_site_sample(
        province_staff["assessor"], campaign.id, "42", candidates=reversed_source
    )
    assert sites_by_unit(campaign) == first
    assert db.session.query(SiteSample).count() == 1  # the redraw replaced the first
    sampling.draw_site_sample(province_staff["assessor"], campaign.id, "43", candidates=source)
    assert sites_by_unit(campaign) != first
    # the pure draw is reproducible on its own
    quota = sampling.quota_for(campaign, unit_of(campaign, "410100").org)
    pool = source(unit_of(campaign, "410100").org, 2026)
    assert sampling.draw("42", quota, pool) == sampling.draw("42", quota, pool[::-1])


def test_too_few_candidates_is_reported_then_accepted_explicitly(open_campaign, province_staff):
    """A unit short of candidates even after the county sites were made up is refused until
    the shortfall is accepted; a city short only in its 县（市） is made up (next test)."""
    campaign = open_campaign("fujian2", 2026)
    source = fake_candidates(own=4, county=1, direct=2)
    with pytest.raises(InvalidInput) as err:
        sampling.draw_site_sample(province_staff["assessor"], campaign.id, "s", candidates=source)
    # 1 county site, so 5 from the city body and districts, which have 4
    assert "郑州市市本级及市辖区候选项目仅 4 个（需 5 个）" in err.value.message
    assert "巩义市本级候选项目仅 2 个（需 3 个）" in err.value.message
    sample = sampling.draw_site_sample(
        province_staff["assessor"], campaign.id, "s", candidates=source, accept_shortfall=True
    )
    assert {"org_code": "410181", "part": "本级", "need": 3, "have": 2} in sample.shortfalls
    assert len(sites_by_unit(campaign)["410100"]) == 5


def test_sampling_needs_a_source_and_the_province(
    open_campaign, province_staff, make_user, monkeypatch
):
    campaign = open_campaign("fujian3", 2025, sample_city=4, sample_city_county=1)
    registered = sampling.candidate_source()
    assert registered is not None  # the ledger registers its source at start-up
    sampling.set_candidate_source(None)
    try:
        with pytest.raises(DomainError, match="台账功能尚未提供"):
            sampling.draw_site_sample(province_staff["assessor"], campaign.id)
        with pytest.raises(PermissionDenied):
            sampling.draw_site_sample(
                make_user("clerk", "410100"), campaign.id, candidates=fake_candidates()
            )
        sampling.set_candidate_source(fake_candidates())
        sample = sampling.draw_site_sample(province_staff["assessor"], campaign.id)
    finally:
        sampling.set_candidate_source(registered)
    assert len(sample.seed) == 16  # generated and recorded
    sites = sites_by_unit(campaign)["410100"]
    assert len(sites) == 4 and sum(1 for _, c in sites if c) == 1  # 附件3: configured counts
