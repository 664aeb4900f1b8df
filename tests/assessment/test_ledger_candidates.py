"""The ledger's candidate projects for site sampling, with real ledger rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from webapp.assessment import sampling
from webapp.assessment.models import SiteSample
from webapp.core import clock
from webapp.extensions import db
from webapp.ledger.candidates import candidate_projects
from webapp.ledger.models import Project

AS_OF = date(2026, 11, 15)


def add(org, ref, *, affordable=True, registered="2026-03-01", accepted=None, result=None):
    db.session.add(
        Project(
            org_id=org.id,
            registration_no=ref,
            name=f"保障房{ref}",
            structure_type="框架",
            area_m2=Decimal("10000"),
            cost_10k_yuan=Decimal("3000"),
            registered_on=date.fromisoformat(registered),
            accepted_on=date.fromisoformat(accepted) if accepted else None,
            acceptance_result=result,
            is_affordable_housing=affordable,
        )
    )


def ledger(org):
    zz, zy, gy = org("410100"), org("410102"), org("410181")
    for n in range(3):
        add(zz, f"ZZ-{n}")
    add(zz, "ZZ-failed", accepted="2026-10-01", result="不合格")  # still in construction
    add(zz, "ZZ-later", accepted="2026-11-20", result="合格")  # accepted after the date
    add(zz, "ZZ-done", accepted="2026-11-15", result="合格")  # accepted on the date: not
    add(zz, "ZZ-future", registered="2026-11-16")  # registered after the date
    add(zz, "ZZ-market", affordable=False)  # not affordable housing
    for n in range(3):
        add(zy, f"ZY-{n}")  # 中原区: a district, drawn with the city body
    for n in range(2):
        add(org("410122"), f"ZM-{n}")  # 中牟县: one of 郑州's 县（市）
    for n in range(4):
        add(gy, f"GY-{n}")
    db.session.commit()


def test_candidates_are_the_subtrees_affordable_housing_in_construction(org):
    ledger(org)
    refs = [c.ref for c in candidate_projects(org("410100"), AS_OF)]
    assert refs == ["ZM-0", "ZM-1"] + ["ZY-0", "ZY-1", "ZY-2"] + [
        "ZZ-0", "ZZ-1", "ZZ-2", "ZZ-failed", "ZZ-later",
    ]  # fmt: skip
    by_org = {c.ref: c.org_code for c in candidate_projects(org("410100"), AS_OF)}
    assert by_org["ZY-0"] == "410102" and by_org["ZZ-0"] == "410100"
    assert [c.ref for c in candidate_projects(org("410181"), AS_OF)] == [
        f"GY-{n}" for n in range(4)
    ]
    assert candidate_projects(org("410100"), date(2026, 2, 1)) == []
    assert "ZZ-done" in [c.ref for c in candidate_projects(org("410100"), date(2026, 11, 14))]


def test_sampling_draws_from_the_ledger_at_the_sampling_date(org, open_campaign, province_staff):
    clock.set_now(datetime(2026, 11, 20, 2, tzinfo=UTC))
    ledger(org)
    campaign = open_campaign("fujian2", 2026)
    sample = sampling.draw_site_sample(
        province_staff["assessor"], campaign.id, "seed-1", accept_shortfall=True, as_of=AS_OF
    )
    db.session.commit()
    stored = db.session.get(SiteSample, sample.id)
    assert stored.as_of == AS_OF
    assert [c["ref"] for c in stored.candidates["410100"]][:3] == ["ZM-0", "ZM-1", "ZY-0"]
    zz = next(u for u in campaign.units if u.org.code == "410100")
    gy = next(u for u in campaign.units if u.org.code == "410181")
    picked = [(s.project_ref, s.in_county) for s in zz.sites]
    assert len(picked) == 6 and sum(1 for _, county in picked if county) == 2  # 6, of which 2
    # the county sites are 中牟县's (a 县), never 中原区's (a district)
    assert sorted(ref for ref, county in picked if county) == ["ZM-0", "ZM-1"]
    assert len(gy.sites) == 3
    shortfalls = {(s["org_code"], s["part"]) for s in stored.shortfalls}
    assert ("410200", "本级") in shortfalls and ("410100", "本级") not in shortfalls
