"""Domain verbs of the publication: open a half year, edit the draft, the flow's steps (freeze
for review, publish, withdraw or refuse to), request a withdrawal.

Every change of a publication and its audit record is made here.  The engine decides when a
step runs (publication.bpmn); ``webapp.publication.flow`` only adapts its context to these verbs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from sqlalchemy import select

from webapp.archive import operations as archive
from webapp.core import audit, clock
from webapp.core.errors import Conflict, InvalidInput
from webapp.core.models import Org, User
from webapp.core.permissions import can, require, require_visible
from webapp.drafts import operations as drafts
from webapp.engine import WorkflowMessage, deliver_messages
from webapp.extensions import db
from webapp.periodic import operations as periodic
from webapp.publication import publicity
from webapp.publication.document import (
    document_filename,
    freeze,
    live_figures,
    previous_figures,
    render_document,
)
from webapp.publication.draft import generate
from webapp.publication.drafting import DRAFT, MISSING
from webapp.publication.figures import units_with_both_quarters
from webapp.publication.models import Publication, PublicationState
from webapp.publication.periods import HalfYear, online_until, parse_half_year, withdrawable_from
from webapp.publication.readiness import draft_problems, publishing_problems
from webapp.publication.state import editable, publication_state

PROCESS_KEY = "publication"
#: The message publication.bpmn waits for once the minimum online period is over.
WITHDRAW_MESSAGE = "publication_withdraw_request"
MIN_REASON = 4


def get_publication(pub_id: int, actor: User | None = None) -> Publication:
    """The unit's half-year report; with ``actor``, only if they may see it (publication.view):
    to anyone else it answers as a missing one (:class:`~webapp.core.errors.Hidden`)."""
    pub = periodic.get_document(Publication, pub_id, MISSING)
    if actor is not None:
        require_visible(actor, "publication.view", pub.org, MISSING)
    return pub


def find_publication(org: Org, period: str) -> Publication | None:
    return db.session.execute(
        select(Publication).where(Publication.org_id == org.id, Publication.period == period)
    ).scalar_one_or_none()


def period_publications(period: str) -> list[Publication]:
    """Every unit's publication of the half year ``period`` (one query)."""
    return list(
        db.session.execute(select(Publication).where(Publication.period == period)).scalars()
    )


def publishing_units() -> list[Org]:
    """第五条: the province, every city, directly administered county and county publishes."""
    return list(db.session.execute(select(Org).order_by(Org.path)).scalars())


def _generated(pub: Publication) -> dict[str, str]:
    fig = live_figures(pub)
    if not fig["complete"]:
        return {}
    return generate(fig, previous_figures(pub))


def _new_publication(
    actor: User | None, org: Org, half: HalfYear, *, may_generate: bool = True
) -> Publication:
    """The unit's publication of ``half``, its draft written from the figures when they are
    complete (``may_generate`` False: they cannot be, the unit lacks a quarter's report)."""
    pub = Publication(
        org=org,
        period=half.code,
        opened_at=clock.now(),
        opened_by_id=actor.id if actor else None,
        sections={},
    )
    db.session.add(pub)  # flushed with the period's other new publications (one INSERT)
    if not may_generate:
        return pub
    db.session.flush()
    generated = _generated(pub)
    if generated:
        # Version 1 of each section: written by the system at the opener's request.
        drafts.save(
            DRAFT,
            pub,
            actor,
            generated,
            None,
            action="publication.generate",
            authorised=True,
            note={"generated": generated},  # readiness.outdated_text reads what it said
        )
    return pub


def open_period(actor: User | None, period_code: str) -> dict[str, int]:
    """Start the half year's flow for every unit (idempotent; past half years too)."""
    if actor is not None:
        require(actor, "publication.open")
    half = parse_half_year(period_code)
    reported = units_with_both_quarters(half)
    return periodic.open_units(
        actor,
        process_key=PROCESS_KEY,
        period_code=half.code,
        units=publishing_units(),
        find_all=lambda: period_publications(half.code),
        create=lambda org: _new_publication(actor, org, half, may_generate=org.id in reported),
        start_data=lambda pub: {"publication_id": pub.id, "period": half.code},
        audit_action="publication.open_period",
    )


def save_sections(
    actor: User,
    pub: Publication,
    texts: Mapping[str, Any],
    base_versions: Mapping[str, Any] | None = None,
) -> drafts.SaveResult:
    """Save the edited text, each section on top of the version it was based on
    (``base_versions``; see :func:`webapp.drafts.operations.save`)."""
    return drafts.save(DRAFT, pub, actor, texts, base_versions)


def regenerate(actor: User, pub: Publication) -> list[str]:
    """Write the draft again from the accepted figures: a new version of every section whose
    text changes (the previous texts stay in the history)."""
    drafts.require_draft(DRAFT, actor, pub)
    generated = _generated(pub)
    if not generated:
        raise Conflict("两个季度的报告尚未全部被上级接收，暂不能生成草稿。")
    note = {"generated": generated}  # readiness.outdated_text reads what it said
    result = drafts.save(
        DRAFT, pub, actor, generated, None, action="publication.regenerate", note=note
    )
    if not result.changed:
        # Nothing to write, but the clerk asked: the request itself stays on record.
        audit.record_on(
            "publication.regenerate",
            pub,
            actor,
            after={"sections": {}, "subject": f"publication:{pub.id}", **note},
        )
    return result.changed


def _audit(action: str, pub: Publication, actor: User | None, **extra: Any) -> None:
    fields = {"period": pub.period, "subject": f"publication:{pub.id}"}
    periodic.audit_document(action, pub, actor, "publication", fields, **extra)


# The steps of publication.bpmn (its service tasks, adapted by webapp.publication.flow) ---------
def freeze_for_review(pub: Publication, actor: User | None) -> dict[str, Any]:
    """The clerk submitted the draft: freeze figures, index, text and records for review."""
    problems = draft_problems(pub)
    if problems:  # the form check ran already; a changed BPMN must not skip it
        raise Conflict("；".join(problems))
    pub.snapshot = freeze(pub)
    pub.submitted_at = clock.now()
    index = pub.snapshot["figures"]["index"] or {}
    _audit("publication.submit", pub, actor, after={"index": index.get("value")})
    return {"submitted_at": pub.submitted_at.isoformat()}


def publish(pub: Publication, actor: User | None) -> dict[str, Any]:
    """The principal leader approved: publish with today's date and archive the Word file."""
    if pub.snapshot is None or editable(pub):
        raise Conflict("公开报告尚未提交审核，不能发布。")
    if pub.published_at is not None:
        raise Conflict("该报告已经公开。")
    if problems := publishing_problems(pub):  # the leader's form checked; a BPMN edit must not skip
        raise Conflict("；".join(problems))
    now = clock.now()
    today = clock.today_local()
    document = render_document(pub.snapshot, today)
    pub.published_at = now
    pub.publication_date = today
    pub.online_until = online_until(today)
    pub.published_by_id = actor.id if actor else None
    pub.document_name = document_filename(pub.snapshot)
    archived = archive.store(
        "publication",
        pub.id,
        document,
        filename=pub.document_name,
        stage="published",
        actor=actor,
    )
    pub.document_sha256 = archived.sha256
    records = pub.snapshot.get("records") or {}
    record_ends = publicity.publish_records(pub, records)
    first = withdrawable_from(today)
    opens = datetime.combine(first, time(0, 0), tzinfo=clock.LOCAL_TZ)
    _audit(
        "publication.publish",
        pub,
        actor,
        after={
            "publication_date": today.isoformat(),
            "online_until": pub.online_until.isoformat(),
            "document": pub.document_sha256,
            "records": sum(len(v) for v in records.values()),
        },
    )
    return {
        "published_at": now.isoformat(),
        "withdrawable_at": opens.astimezone(clock.UTC).isoformat(),
        **record_ends,
    }


def withdraw(pub: Publication, actor: User | None, comment: str) -> None:
    """The leader approved the withdrawal: off the portal, archived for staff."""
    if pub.publication_date is None or pub.withdrawn_at is not None:
        raise Conflict("该报告未处于公开状态。")
    if clock.today_local() < withdrawable_from(pub.publication_date):
        raise Conflict("公开未满一个月，不能撤回。")
    pub.withdrawn_at = clock.now()
    pub.withdrawn_by_id = actor.id if actor else None
    _audit(
        "publication.withdraw",
        pub,
        actor,
        after={"reason": pub.withdrawal_reason or "", "withdrawn_at": pub.withdrawn_at.isoformat()},
        message=comment,
    )


def refuse_withdrawal(pub: Publication, actor: User | None, comment: str) -> None:
    """The leader refused: it stays published; a new request may follow."""
    reason = pub.withdrawal_reason
    pub.withdrawal_requested_at = None
    pub.withdrawal_requested_by_id = None
    pub.withdrawal_reason = None
    _audit(
        "publication.withdraw_refused", pub, actor, after={"reason": reason or ""}, message=comment
    )


# Withdrawal on request --------------------------------------------------------------------------
def request_withdrawal(actor: User, pub: Publication, reason: str) -> Publication:
    """撤回申请: only after the minimum online period; the leader decides in the flow."""
    require(actor, "publication.withdraw_request", pub.org)
    state = publication_state(pub)
    if state == PublicationState.WITHDRAWAL_REQUESTED:
        raise Conflict("已提交撤回申请，正在等待主要领导审批。")
    if state != PublicationState.PUBLISHED or pub.publication_date is None:
        raise Conflict("只有已公开的报告才能申请撤回。")
    first = withdrawable_from(pub.publication_date)
    if clock.today_local() < first:
        raise Conflict(
            f"网上公开时间不得少于1个月（第十五条）：本报告须公开至 {pub.online_until}，"
            f"{first.isoformat()} 起方可申请撤回。"
        )
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise InvalidInput("请填写撤回理由。", details={"reason": "请填写撤回理由"})
    pub.withdrawal_requested_at = clock.now()
    pub.withdrawal_requested_by_id = actor.id
    pub.withdrawal_reason = reason[:2000]
    _audit("publication.withdraw_request", pub, actor, message=pub.withdrawal_reason)
    db.session.add(
        WorkflowMessage(
            name=WITHDRAW_MESSAGE,
            target_business_key=pub.business_key,
            payload={"target": pub.business_key, "reason": pub.withdrawal_reason},
            created_at=clock.now(),
        )
    )
    db.session.flush()
    # Delivered now when the instance waits for it; otherwise (its one-month timer has not yet
    # been fired by the worker) it stays pending and the worker delivers it after the timer.
    deliver_messages({pub.business_key})
    return pub


def can_view(user: User, pub: Publication) -> bool:
    return can(user, "publication.view", pub.org)
