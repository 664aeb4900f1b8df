"""Opening a period of a periodic document for every unit, and starting its scheduler.

Both are idempotent: a unit whose document already has an instance is left alone, and the
scheduler process is started once (its business key is fixed).  Operations flush, never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from sqlalchemy import select

from webapp.core import audit
from webapp.core.errors import NotFound
from webapp.core.models import Org, User
from webapp.core.numbers import INT_MAX
from webapp.core.operations import get_row
from webapp.engine import Start, start_instance, start_instances
from webapp.extensions import db


class PeriodicDocument(Protocol):
    """What the core needs of a feature's row (a Report, a Publication)."""

    id: int
    instance_id: int | None
    org_id: int
    org: Org

    @property
    def business_key(self) -> str: ...


D = TypeVar("D", bound=PeriodicDocument)
M = TypeVar("M")


def get_document(model: type[M], document_id: int, missing: str) -> M:
    """The row of ``model`` with that id, or NotFound(``missing``).  An id beyond the column's
    32-bit range cannot exist and is not sent to the database (PostgreSQL would refuse it)."""
    if not 0 < document_id <= INT_MAX:
        raise NotFound(missing)
    return get_row(model, document_id, missing)


def audit_document(
    action: str,
    document: PeriodicDocument,
    actor: User | None,
    object_type: str,
    fields: dict[str, Any],
    *,
    after: dict[str, Any] | None = None,
    **extra: Any,
) -> None:
    """The audit record of a change of a document: on its unit, ``fields`` (what identifies it:
    period, round, subject…) then ``after``; by the system when there is no actor."""
    audit.record(
        action,
        actor=actor,
        actor_name=None if actor else "system",
        org=document.org,
        object_type=object_type,
        object_id=document.id,
        after={**fields, **(after or {})},
        **extra,
    )


def open_units(
    actor: User | None,
    *,
    process_key: str,
    period_code: str,
    units: Iterable[Org],
    find_all: Callable[[], Iterable[D]],
    create: Callable[[Org], D],
    start_data: Callable[[D], dict[str, Any]],
    audit_action: str,
    audit_after: dict[str, Any] | None = None,
    past_due: Callable[[Org], bool] | None = None,
) -> dict[str, int]:
    """Start the period's process for every unit that has none yet, and record it.

    ``find_all`` gives the period's documents (one query).  A unit whose document already has
    an instance counts as ``existing``; with ``past_due``, a unit for which it says True is left
    alone (counted as ``past_due``); otherwise its row is found or created (``create`` adds it,
    and may flush it) and its instance started (or found: the business key is the row's) with
    the row's fixed start data, all units' instances in one batch
    (:func:`webapp.engine.start_instances`).  The counts are returned and audited as
    ``audit_action`` on the period (``audit_after`` first, then the counts) when a unit was
    opened; an opening that found every unit open (or past due) changed nothing and writes no
    record, as an unchanged user, BPMN or unit does (the scheduler retries open windows on
    every pass: a record each time would say something happened when nothing did).
    """
    counts = {"opened": 0, "existing": 0}
    if past_due is not None:
        counts["past_due"] = 0
    documents = {document.org_id: document for document in find_all()}
    opening: list[D] = []
    for org in units:
        document = documents.get(org.id)
        if document is not None and document.instance_id is not None:
            counts["existing"] += 1
            continue
        if past_due is not None and past_due(org):
            counts["past_due"] += 1
            continue
        opening.append(document if document is not None else create(org))
    db.session.flush()  # the new rows' ids, for their business keys (one INSERT)
    instances = start_instances(
        actor,
        process_key,
        [Start(d.org, d.business_key, start_data(d)) for d in opening],
        existing_ok=True,
    )
    for document, instance in zip(opening, instances, strict=True):
        document.instance_id = instance.id
    counts["opened"] = len(opening)
    if not opening:
        return counts
    audit.record(
        audit_action,
        actor=actor,
        actor_name=None if actor else "system",
        object_type="period",
        object_id=period_code,
        after={**(audit_after or {}), **counts},
    )
    db.session.flush()
    return counts


def start_scheduler(process_key: str, business_key: str) -> str | None:
    """Start (once) the scheduler process at the root unit; the period it waits for next."""
    root = db.session.execute(select(Org).where(Org.parent_id.is_(None))).scalars().first()
    if root is None:
        raise NotFound("请先加载组织机构。")
    instance = start_instance(None, process_key, root, business_key, {}, existing_ok=True)
    return (instance.data or {}).get("next_period")
