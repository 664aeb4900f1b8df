"""Which projects count as a city's "county" sites, the shortfall rule, 附件3's completed projects.

附件2 三、（二）: "每个省辖市查看6个在建保障性安居工程项目（其中所辖县（市）2个）".
domain.md §7, Decision (sampling): "“所辖县（市）” means the counties and county-level cities under
the city (县、县级市), not its districts (区); the other 4 sites come from the rest of the city (the
city body's own projects and its districts'). 附件3's random sample draws from
affordable-housing projects in construction at any time in the assessed year or completed in it."
Decision (org kinds and shortfalls): "a county-level unit's kind comes from its code's last two
digits (01–20 市辖区, 21–80 县, 81–99 县级市), checked against orgs.csv; when a city has fewer
than 2 candidate sites in its 县（市） (济源 has no lower units), the rest come from the city body
and its districts, and the sample sheet says so."
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

from tests.assessment.conftest import unit_of
from webapp.assessment import sampling
from webapp.assessment.sampling import COUNTY, COUNTY_CITY, DISTRICT, org_kind
from webapp.core import clock
from webapp.extensions import db
from webapp.ledger.candidates import CandidateProject
from webapp.ledger.models import Project


def test_org_kind_from_the_code_agrees_with_every_name_in_orgs_csv():
    """01–20 市辖区 (…区), 21–80 县 (…县), 81–99 县级市 (…市), for every county-level unit."""
    from webapp.core.demo import ORGS_CSV  # the data the product loads

    suffix = {DISTRICT: "区", COUNTY: "县", COUNTY_CITY: "市"}
    checked = 0
    with open(ORGS_CSV, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["tier"] in ("county", "direct_county"):
                assert row["name"].endswith(suffix[org_kind(row["code"])]), row
                checked += 1
    assert checked >= 40
    assert org_kind("410100") is None and org_kind("419001") == DISTRICT  # 济源's own code
    assert (org_kind("410102"), org_kind("410122"), org_kind("410182")) == (
        DISTRICT,
        COUNTY,
        COUNTY_CITY,
    )


def project(ref: str, code: str) -> CandidateProject:
    return CandidateProject(ref, f"保障房{ref}", code)


def test_districts_are_not_county_sites():
    """郑州: 中原区 (410102) and 金水区 (410105) count with the city body; 中牟县 (410122) and
    新郑市 (410184) are its 县（市）."""
    quota = sampling.Quota("410100", own=4, county=2)
    pool = [project(f"ZZ-{n}", "410100") for n in range(2)]
    pool += [project("ZY-1", "410102"), project("JS-1", "410105"), project("JS-2", "410105")]
    pool += [project("ZM-1", "410122"), project("XZ-1", "410184"), project("XZ-2", "410184")]
    result = sampling.draw("seed", quota, pool)
    county = [c.org_code for c, as_county in result.picked if as_county]
    rest = [c.org_code for c, as_county in result.picked if not as_county]
    assert len(county) == 2 and set(county) <= {"410122", "410184"}
    assert len(rest) == 4 and set(rest) <= {"410100", "410102", "410105"}
    assert result.shortfalls == [] and result.made_up is None


def test_a_city_without_counties_has_its_county_sites_made_up_and_the_sheet_says_so(
    open_campaign, province_staff
):
    """济源 (no lower units) gets all 6 from the city body; 郑州 with one 县 candidate: 1 + 5."""

    def source(org, as_of, since=None):
        if org.code == "410100":
            return [project(f"ZZ-{n}", "410100") for n in range(6)] + [
                project("ZY-1", "410102"),
                project("ZM-1", "410122"),
            ]
        own = [project(f"{org.code}-{n}", org.code) for n in range(6 if org.tier == "city" else 3)]
        if org.tier == "city" and org.code != "419001":  # 济源: no lower units
            own += [project(f"{org.code}-C", org.code[:4] + "21")]
            own += [project(f"{org.code}-D", org.code[:4] + "81")]
        return own

    campaign = open_campaign("fujian2", 2026)
    sample = sampling.draw_site_sample(
        province_staff["assessor"], campaign.id, "jy", candidates=source
    )
    assert sample.shortfalls == []  # made up by rule: nothing to accept
    jy, zz = unit_of(campaign, "419001"), unit_of(campaign, "410100")
    assert len(jy.sites) == 6 and not any(s.in_county for s in jy.sites)
    assert [s.project_ref for s in zz.sites if s.in_county] == ["ZM-1"]
    assert len(zz.sites) == 6
    assert {"org_code": "419001", "need": 2, "have": 0, "made_up": 2} in sample.made_up
    assert {"org_code": "410100", "need": 2, "have": 1, "made_up": 1} in sample.made_up
    notes = sampling.made_up_notes(sample)
    assert (
        notes["419001"]
        == "所辖县（市）候选项目仅 0 个（应抽 2 个），其余 2 个从市本级及市辖区抽取。"
    )
    assert "410200" not in notes
    assert sampling.made_up_note(jy) == notes["419001"]


def add(org, ref, registered, accepted=None, result=None):
    db.session.add(
        Project(
            org_id=org.id,
            registration_no=ref,
            name=f"保障房{ref}",
            structure_type="框架",
            area_m2=10000,
            cost_10k_yuan=3000,
            registered_on=date.fromisoformat(registered),
            accepted_on=date.fromisoformat(accepted) if accepted else None,
            acceptance_result=result,
            is_affordable_housing=True,
        )
    )


def test_fujian3_draws_also_from_projects_completed_in_the_assessed_year(
    org, open_campaign, province_staff
):
    """附件3 (assessed in Q1 2026 for 2025): a project accepted 合格 on 2025-06-30 is a candidate
    (永久标牌 and 分户验收 need completed projects), one completed in 2024 or registered in 2026
    is not; 附件2 on the same ledger takes only what is in construction on the sampling date."""
    clock.set_now(datetime(2026, 2, 10, 2, tzinfo=UTC))
    gy = org("410181")
    add(gy, "GY-built", "2024-03-01")
    add(gy, "GY-done", "2024-05-01", "2025-06-30", "合格")
    add(gy, "GY-old", "2023-01-01", "2024-12-31", "合格")
    add(gy, "GY-new", "2026-01-05")
    db.session.commit()
    campaign = open_campaign("fujian3", 2025)
    sample = sampling.draw_site_sample(
        province_staff["assessor"], campaign.id, "f3", accept_shortfall=True
    )
    offered = {c["ref"]: c for c in sample.candidates["410181"]}
    assert set(offered) == {"GY-built", "GY-done"}
    assert offered["GY-done"]["completed_on"] == "2025-06-30"
    sites = {s.project_ref: s for s in unit_of(campaign, "410181").sites}
    assert sites["GY-done"].completed_on == date(2025, 6, 30)
    assert sites["GY-built"].completed_on is None


def test_the_pages_show_the_made_up_sites_and_the_not_applicable_items(
    open_campaign, province_staff, logged_in
):
    """The sample sheet says so (domain.md §7), and a direct county's sheet shows 1.14 as not
    applicable with the scaling (domain.md §7, Decision "not applicable")."""
    from tests.assessment.conftest import fake_candidates

    campaign = open_campaign("fujian2", 2026)
    sampling.draw_site_sample(
        province_staff["assessor"], campaign.id, "p", candidates=fake_candidates()
    )
    db.session.commit()
    assessor = logged_in("assessor", "410000", "assessor7_410000")
    html = assessor.get(f"/assessment/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-made-up="419001"' not in html  # fake_candidates gives every city a 县
    gy = unit_of(campaign, "410181")
    page = assessor.get(f"/assessment/units/{gy.id}").get_data(as_text=True)
    assert 'data-not-applicable="1.14"' in page and "本项对本单位不适用" in page
    assert "本单位适用项目满分 98 分" in page


def test_the_campaign_page_names_the_made_up_county_sites(open_campaign, province_staff, logged_in):
    def source(org, as_of, since=None):
        n = 6 if org.tier == "city" else 3
        return [project(f"{org.code}-{i}", org.code) for i in range(n)]

    campaign = open_campaign("fujian2", 2026)
    sampling.draw_site_sample(province_staff["assessor"], campaign.id, "q", candidates=source)
    db.session.commit()
    html = (
        logged_in("assessor", "410000", "assessor6_410000")
        .get(f"/assessment/campaigns/{campaign.id}")
        .get_data(as_text=True)
    )
    assert 'data-made-up="419001"' in html and "其余 2 个从市本级及市辖区抽取" in html
