"""The assessment's site-sample candidates from the ledger: the affordable-housing projects
(保障性安居工程) a unit's subtree supervises that are in construction at the end of the year,
by the same definition as 附表7's 截止到年底在建工程 (registered by then, not accepted by then).

Registered with :func:`webapp.assessment.sampling.set_candidate_source` at start-up.
"""

from __future__ import annotations

from sqlalchemy import select

from webapp.assessment.sampling import CandidateProject
from webapp.core.models import Org
from webapp.extensions import db
from webapp.ledger.models import Project
from webapp.stats.periods import parse_period
from webapp.stats.tables import group_conditions


def affordable_in_construction(unit: Org, year: int) -> list[CandidateProject]:
    in_construction = group_conditions(parse_period(str(year)))["under_construction"]
    rows = db.session.execute(
        select(Project.registration_no, Project.name, Org.code)
        .join(Org, Project.org_id == Org.id)
        .where(
            Org.path.like(unit.path + "%"),
            Project.is_affordable_housing.is_(True),
            in_construction,
        )
        .order_by(Project.registration_no)
    )
    return [CandidateProject(ref, name, code) for ref, name, code in rows]
