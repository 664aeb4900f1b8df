"""The assessment's site sample draws from the ledger: affordable housing in construction."""

from __future__ import annotations

from webapp.assessment import sampling
from webapp.extensions import db
from webapp.ledger.fields import KINDS
from webapp.ledger.operations import save_record
from webapp.stats.candidates import affordable_in_construction


def _project(clerk, org, reg: str, **over) -> None:
    values = {
        "registration_no": reg,
        "name": f"保障房{reg}",
        "structure_type": "框架",
        "area_m2": "10000",
        "cost_10k_yuan": "3000",
        "registered_on": "2025-03-01",
        "is_affordable_housing": True,
        **over,
    }
    save_record(clerk, KINDS["projects"], org, values)


def test_candidates_are_the_units_affordable_housing_in_construction_at_year_end(make_user, org):
    clerk = make_user("clerk", "410100")
    zhengzhou, county = org("410100"), org("410102")
    _project(clerk, zhengzhou, "C-1")
    _project(clerk, county, "C-2")
    _project(clerk, zhengzhou, "C-3", is_affordable_housing=False)  # not affordable housing
    _project(clerk, zhengzhou, "C-4", registered_on="2026-01-05")  # registered after the year
    _project(  # accepted during the year: no longer in construction at its end
        clerk,
        zhengzhou,
        "C-5",
        accepted_on="2025-10-01",
        acceptance_result="合格",
    )
    _project(make_user("clerk", "410200"), org("410200"), "K-1")  # another city
    db.session.commit()
    found = affordable_in_construction(zhengzhou, 2025)
    assert [(c.ref, c.org_code) for c in found] == [("C-1", "410100"), ("C-2", "410102")]
    assert [c.ref for c in affordable_in_construction(county, 2025)] == ["C-2"]
    # the app registers it: a real deployment can draw a sample
    assert sampling.candidate_source() is affordable_in_construction
