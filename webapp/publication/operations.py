"""Domain verbs of the publication: open a half year, edit the draft, request a withdrawal.

The steps of the flow itself (submit, review, approve, publish, approve a withdrawal) are task
completions of the engine with the checks of ``webapp.publication.flow``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from webapp.core import audit, clock
from webapp.core.errors import Conflict, InvalidInput, NotFound
from webapp.core.models import Org, User
from webapp.core.permissions import can, require
from webapp.drafts import operations as drafts
from webapp.engine import WorkflowMessage, deliver_messages, get_or_start_instance
from webapp.extensions import db
from webapp.publication.document import live_figures, previous_figures
from webapp.publication.draft import generate
from webapp.publication.drafting import DRAFT
from webapp.publication.models import Publication, PublicationState
from webapp.publication.periods import parse_half_year, withdrawable_from
from webapp.publication.state import publication_state

PROCESS_KEY = "publication"
#: The message publication.bpmn waits for once the minimum online period is over.
WITHDRAW_MESSAGE = "publication_withdraw_request"
MIN_REASON = 4


#: Ids beyond a 32-bit integer cannot exist (PostgreSQL would refuse the comparison).
MAX_ID = 2**31 - 1


def get_publication(pub_id: int) -> Publication:
    pub = db.session.get(Publication, pub_id) if 0 < pub_id <= MAX_ID else None
    if pub is None:
        raise NotFound("公开报告不存在。")
    return pub


def find_publication(org: Org, period: str) -> Publication | None:
    return db.session.execute(
        select(Publication).where(Publication.org_id == org.id, Publication.period == period)
    ).scalar_one_or_none()


def publishing_units() -> list[Org]:
    """第五条: the province, every city, directly administered county and county publishes."""
    return list(db.session.execute(select(Org).order_by(Org.path)).scalars())


def _generated(pub: Publication) -> dict[str, str]:
    fig = live_figures(pub)
    if not fig["complete"]:
        return {}
    return generate(fig, previous_figures(pub))


def open_period(actor: User | None, period_code: str) -> dict[str, int]:
    """Start the half year's flow for every unit (idempotent; past half years too)."""
    if actor is not None:
        require(actor, "publication.open")
    half = parse_half_year(period_code)
    opened = existing = 0
    for org in publishing_units():
        pub = find_publication(org, half.code)
        if pub is not None and pub.instance_id is not None:
            existing += 1
            continue
        if pub is None:
            pub = Publication(
                org=org,
                period=half.code,
                opened_at=clock.now(),
                opened_by_id=actor.id if actor else None,
                sections={},
            )
            db.session.add(pub)
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
                )
        instance = get_or_start_instance(
            actor,
            PROCESS_KEY,
            org,
            pub.business_key,
            {"publication_id": pub.id, "period": half.code},
        )
        pub.instance_id = instance.id
        opened += 1
    audit.record(
        "publication.open_period",
        actor=actor,
        actor_name=None if actor else "system",
        object_type="period",
        object_id=half.code,
        after={"opened": opened, "existing": existing},
    )
    db.session.flush()
    return {"opened": opened, "existing": existing}


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
    result = drafts.save(DRAFT, pub, actor, generated, None, action="publication.regenerate")
    if not result.changed:
        # Nothing to write, but the clerk asked: the request itself stays on record.
        audit.record(
            "publication.regenerate",
            actor=actor,
            org=pub.org,
            object_type="publication",
            object_id=pub.id,
            after={"sections": {}, "subject": f"publication:{pub.id}"},
        )
    return result.changed


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
    audit.record(
        "publication.withdraw_request",
        actor=actor,
        org=pub.org,
        object_type="publication",
        object_id=pub.id,
        message=pub.withdrawal_reason,
        after={"period": pub.period, "subject": f"publication:{pub.id}"},
    )
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
