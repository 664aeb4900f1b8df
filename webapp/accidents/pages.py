"""Read models of the accident pages: one dataclass per page, built by one function.

The HTML pages render them and the API returns them through ``AccidentSchema`` (which reads the
same attributes), so an accident's chain (each level's time taken and left) is worked out once
per request and looks the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from webapp.accidents import operations as ops
from webapp.accidents import queries
from webapp.accidents.models import Accident, AccidentState
from webapp.core import clock
from webapp.core.models import Org, User
from webapp.core.permissions import can
from webapp.core.rows import from_model


@dataclass(frozen=True)
class AccidentRow:
    """An accident with its chain: the list's cards and items, the API's ``AccidentSchema``."""

    accident: Accident
    id: int
    org_code: str
    level: str
    state: str
    occurred_at: datetime
    project_name: str
    deaths: int
    serious_injuries: int
    missing: int
    loss_10k_yuan: str
    versions: int
    chain: list[dict[str, Any]]


def accident_row(accident: Accident) -> AccidentRow:
    return from_model(
        AccidentRow,
        accident,
        accident=accident,
        org_code=accident.org.code,
        loss_10k_yuan=str(accident.loss_10k_yuan),
        versions=len(accident.reports),
        chain=queries.chain_view(accident),
    )


@dataclass(frozen=True)
class AccidentListPage:
    """The accidents of a unit and the units below it, with the unit's timeliness this year."""

    org: Org
    open_only: bool
    items: list[AccidentRow]
    can_report: bool
    timeliness: dict[str, int]


def accident_rows(user: User, org: Org, *, open_only: bool) -> list[AccidentRow]:
    return [accident_row(a) for a in queries.accidents_under(user, org, open_only=open_only)]


def accident_list_page(user: User, org: Org, *, open_only: bool) -> AccidentListPage:
    return AccidentListPage(
        org=org,
        open_only=open_only,
        items=accident_rows(user, org, open_only=open_only),
        can_report=can(user, "accident.report", user.org),
        timeliness=queries.timeliness(org, clock.today_local().year),
    )


@dataclass(frozen=True)
class AccidentPage(AccidentRow):
    """One accident: its page (versions, conclusion, 续报 and conclusion forms) and
    ``GET /api/v1/accidents/<id>``."""

    investigator: Org
    can_followup: bool
    can_conclude: bool


def accident_page(user: User, accident: Accident) -> AccidentPage:
    investigator = ops.investigating_org(accident)
    open_ = accident.state != AccidentState.CLOSED
    return AccidentPage(
        **vars(accident_row(accident)),
        investigator=investigator,
        can_followup=can(user, "accident.report", accident.org) and open_,
        can_conclude=can(user, "accident.conclude", investigator)
        and user.org_id == investigator.id
        and open_,
    )
