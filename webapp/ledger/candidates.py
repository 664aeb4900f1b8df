"""The ledger's answer to the assessment's site sampling: the in-construction affordable-housing
projects of a unit's subtree on a date (附件2: 现场抽查 of 在建保障性安居工程).

The assessment registers :func:`candidate_projects` as its candidate source in its
``init_app``; the ledger never imports the assessment (the dependency runs one way:
assessment → ledger).  In construction on ``as_of`` follows the statistics' decision
(docs/stats.md): registered on or before the date and not accepted 合格 on or before it (a
project accepted 不合格 is still in construction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, or_

from webapp.core.models import Org
from webapp.extensions import db
from webapp.ledger.models import AcceptanceResult, Project
from webapp.ledger.operations import in_subtree


@dataclass(frozen=True)
class CandidateProject:
    """An in-construction affordable-housing project a unit's subtree supervises."""

    #: 监督注册号 (unique in the ledger)
    ref: str
    #: 工程名称
    name: str
    #: Code of the supervising org (the city itself, one of its counties, or the direct county)
    org_code: str
    #: 竣工验收合格 date when the project was completed within the window (附件3's sample may
    #: include projects completed in the assessed year); None: in construction
    completed_on: date | None = None


def in_construction_on(as_of: date, since: date | None = None) -> ColumnElement[bool]:
    """SQL condition: the project is in construction on ``as_of`` — or, with ``since``, on some
    day from ``since`` to ``as_of`` (registered by ``as_of``, not accepted 合格 before
    ``since``).  Written out so that NULL dates and conclusions count as "not accepted" on every
    database."""
    first = as_of if since is None else since
    return and_(
        Project.registered_on <= as_of,
        or_(
            Project.accepted_on.is_(None),
            Project.acceptance_result.is_(None),
            Project.acceptance_result != AcceptanceResult.PASSED.value,
            Project.accepted_on > first if since is None else Project.accepted_on >= first,
        ),
    )


def candidate_projects(
    unit: Org, as_of: date, since: date | None = None
) -> Sequence[CandidateProject]:
    """The unit's and its counties' affordable-housing projects in construction on ``as_of``;
    with ``since``, in construction at any time from ``since`` to ``as_of`` — so also those
    completed (accepted 合格) in that time, which carry their ``completed_on`` (附件3, domain.md
    §7: "draws from affordable-housing projects in construction at any time in the assessed year
    or completed in it")."""
    window = in_construction_on(as_of) if since is None else in_construction_on(as_of, since)
    rows = db.session.execute(
        in_subtree(Project, unit)
        .where(Project.is_affordable_housing.is_(True), window)
        .order_by(Project.registration_no)
    ).scalars()
    return [
        CandidateProject(
            p.registration_no,
            p.name,
            p.org.code,
            p.accepted_on
            if p.acceptance_result == AcceptanceResult.PASSED.value
            and p.accepted_on is not None
            and p.accepted_on <= as_of
            else None,
        )
        for p in rows
    ]
