"""Lists shown or written into documents come in a fixed order, not the table's physical one.

On PostgreSQL an UPDATE writes a new row version after the others: a query without ORDER BY then
returns the updated row last (found on a test last session).  The score lines of a unit (each
assessor's, in the Word score sheet) are read through ``UnitAssessment.scores``, which now
orders by id; this test updates the first row and reads them again.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text

from tests.assessment.conftest import unit_of
from webapp.assessment.models import ItemScore, Phase, UnitAssessment
from webapp.extensions import db


def test_a_units_scores_keep_their_order_after_an_update(open_campaign, province_staff, make_user):
    campaign = open_campaign("fujian3", 2025)
    unit = unit_of(campaign, "410100")
    scorers = [province_staff["assessor"], make_user("assessor", "410000", "assessor8_410000")]
    for scorer in scorers:
        for item in ("1.1", "1.2", "1.3"):
            db.session.add(
                ItemScore(
                    unit_id=unit.id,
                    phase=Phase.ASSESSOR.value,
                    scorer_id=scorer.id,
                    item_id=item,
                    unmet=[],
                    score=Decimal("4"),
                )
            )
    db.session.commit()
    ids = [s.id for s in db.session.get(UnitAssessment, unit.id).scores]
    assert ids == sorted(ids) and len(ids) == 6
    first = db.session.get(ItemScore, ids[0])
    first.score, first.note = Decimal("3"), "复核后改分"
    db.session.commit()
    db.session.expire_all()
    if db.session.get_bind().dialect.name == "postgresql":
        # read the table as a plain scan does (physical order), as a bigger table would be
        db.session.execute(text("SET LOCAL enable_indexscan = off"))
        db.session.execute(text("SET LOCAL enable_bitmapscan = off"))
    assert [s.id for s in db.session.get(UnitAssessment, unit.id).scores] == ids
