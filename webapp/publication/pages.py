"""Read models of the staff's publication pages: one dataclass per page, built by one function.

The HTML page renders it and the staff API returns it through its marshmallow schema (which
reads the same attributes).  Open tasks come from ``webapp.engine.open_tasks``, never from the
engine's tables.  (The public portal's and public API's read models are in ``public.py``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from webapp.core import clock
from webapp.core.models import Org, User
from webapp.core.permissions import can
from webapp.core.rows import from_model
from webapp.drafts import operations as drafts
from webapp.extensions import db
from webapp.publication import operations as ops
from webapp.publication.document import content
from webapp.publication.draft import SECTIONS
from webapp.publication.drafting import DRAFT
from webapp.publication.flow import draft_problems, publishing_problems
from webapp.publication.models import Publication, PublicationState
from webapp.publication.periods import withdrawable_from
from webapp.publication.public import index_view
from webapp.publication.state import editable, publication_state


def viewable_publication(user: User, pub_id: int) -> Publication:
    """The unit's half-year report, if ``user`` may read it; otherwise the answer of a missing
    one (:func:`ops.get_publication`)."""
    return ops.get_publication(pub_id, user)


@dataclass(frozen=True)
class PublicationRow:
    """A unit's half-year report as lists show it: the staff API's list items
    (``PublicationSummarySchema``), the unit's own report, its history, the lower units."""

    id: int
    org_code: str
    org_name: str
    period: str
    state: PublicationState
    state_label: str
    instance_id: int | None
    submitted_at: datetime | None
    published_at: datetime | None
    publication_date: date | None
    online_until: date | None
    withdrawn_at: datetime | None


def publication_row(pub: Publication) -> PublicationRow:
    state = publication_state(pub)
    return from_model(
        PublicationRow,
        pub,
        org_code=pub.org.code,
        org_name=pub.org.name,
        state=state,
        state_label=state.label,
    )


@dataclass(frozen=True)
class PublicationListPage:
    """The 公开 section's page for one half year: the unit's report, its history, the units
    below it."""

    mine: PublicationRow | None
    history: list[PublicationRow]
    board: list[PublicationRow]


def publication_list_page(user: User, period: str) -> PublicationListPage:
    org = user.org
    # Administrators and auditors open this page too (to open a half year), without the
    # right to read the unit's drafts: they see none.
    if not can(user, "publication.view", org):
        return PublicationListPage(mine=None, history=[], board=[])
    mine = ops.find_publication(org, period)
    history = db.session.execute(
        select(Publication).where(Publication.org_id == org.id).order_by(Publication.period.desc())
    ).scalars()
    board = db.session.execute(
        select(Publication)
        .join(Org, Publication.org_id == Org.id)
        .where(Org.parent_id == org.id, Publication.period == period)
        .order_by(Org.code)
    ).scalars()
    return PublicationListPage(
        mine=publication_row(mine) if mine is not None else None,
        history=[publication_row(p) for p in history],
        board=[publication_row(p) for p in board],
    )


@dataclass(frozen=True)
class PublicationPage(PublicationRow):
    """One report: the workspace page and ``GET /api/v1/publications/<id>``
    (``PublicationDetailSchema`` reads the row's fields and those below)."""

    pub: Publication
    #: the draft's texts by section key
    sections: dict[str, str]
    #: the sections' keys and headings, in order
    headings: list[tuple[str, str]]
    versions: dict[str, int]
    problems: list[str]
    #: why the submitted report may not be approved now (stale figures, drafting instructions)
    approval_problems: list[str]
    editable: bool
    #: the frozen snapshot, or the live draft's data
    content: dict[str, Any]
    #: the quality index as the portal prints it (``public.index_view`` of ``content``): the
    #: leader approves the worked example and the lower units' indexes that are published too
    index_view: dict[str, Any]
    withdrawal_reason: str | None
    #: the open tasks the user may work on
    tasks: list[Any]
    can_edit: bool
    withdrawable_from: date | None
    can_request_withdrawal: bool
    window_open: bool


def publication_page(user: User, pub: Publication) -> PublicationPage:
    """The report as ``user`` sees it (the caller has checked that they may)."""
    from webapp.engine import can_work, open_tasks

    row = publication_row(pub)
    live = editable(pub)
    first = withdrawable_from(pub.publication_date) if pub.publication_date else None
    tasks = open_tasks(pub.instance_id) if pub.instance_id is not None else []
    shown = content(pub)
    return PublicationPage(
        **vars(row),
        pub=pub,
        sections=dict(pub.sections or {}),
        headings=list(SECTIONS),
        versions=drafts.current_versions(DRAFT, pub),
        problems=draft_problems(pub) if live else [],
        approval_problems=(
            publishing_problems(pub) if not live and pub.published_at is None else []
        ),
        editable=live,
        content=shown,
        index_view=index_view(shown["figures"]),
        withdrawal_reason=pub.withdrawal_reason,
        tasks=[t for t in tasks if can_work(user, t)],
        can_edit=live and can(user, "publication.draft", pub.org),
        withdrawable_from=first,
        can_request_withdrawal=row.state == PublicationState.PUBLISHED
        and can(user, "publication.withdraw_request", pub.org),
        window_open=first is not None and clock.today_local() >= first,
    )
