"""What publication.bpmn and publication_schedule.bpmn call: forms with their domain checks,
and the service operations (freeze, publish, withdraw, schedule).

The BPMN decides the order, the lanes and the one-month timer.  This module only adapts the
engine's context: it finds the publication from the instance's fixed subject and calls one verb
of ``webapp.publication.operations``, which makes the change, writes its audit record and
refuses what the rules forbid even if a BPMN were edited to allow it.
"""

from __future__ import annotations

from typing import Any

from webapp.core import clock
from webapp.core.models import User
from webapp.core.states import ProcessStatus
from webapp.engine import ServiceContext, register_form, service_operation
from webapp.periodic.flow import (
    SubjectLoader,
    drafted_by,
    numbered,
    register_document_process,
    register_scheduler,
)
from webapp.publication import operations, publicity
from webapp.publication.models import Publication
from webapp.publication.periods import parse_half_year, withdrawable_from
from webapp.publication.readiness import draft_problems, publishing_problems
from webapp.publication.schedule import next_opening

#: What a publication instance is about (publication.operations.open_period): fixed; a copy
#: (抄送) of its task goes only to those who may read its drafts.
register_document_process(
    "publication",
    {
        "publication_id": {"type": "integer", "title": "公开报告"},
        "period": {"type": "string", "pattern": r"^\d{4}H[12]$"},
    },
    label="向社会公开",
    period_label=lambda instance: (
        parse_half_year(str((instance.subject or {}).get("period", ""))).label
    ),
    view_action="publication.view",
)


#: The public report an instance is about, from its fixed subject (never task data).
publication_of = SubjectLoader(Publication, "publication_id", "流程对应的公开报告不存在。")
_for_task = publication_of.of_task


def validate_draft(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict[str, str]:
    return numbered("publication", draft_problems(_for_task(task)))


def _not_the_drafter(pub: Publication, actor: User, what: str) -> dict[str, str]:
    if drafted_by(pub.instance_id, "draft", actor):
        return {
            "actor": f"拟稿人不能{what}本人起草的公开报告（职责分离），请由本单位其他人员办理。"
        }
    return {}


def _publishable(pub: Publication) -> dict[str, str]:
    """Approving for publishing is refused while the frozen text holds drafting instructions."""
    return numbered("text", publishing_problems(pub))


def validate_review(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict[str, str]:
    if outcome != "approve":
        return {}
    pub = _for_task(task)
    return _not_the_drafter(pub, actor, "审核") | _publishable(pub)


def validate_approve(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict:
    if outcome != "approve":
        return {}
    pub = _for_task(task)
    return _not_the_drafter(pub, actor, "审批") | _publishable(pub)


def validate_withdrawal(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict:
    pub = _for_task(task)
    if outcome == "approve" and pub.publication_date is not None:
        first = withdrawable_from(pub.publication_date)
        if clock.today_local() < first:
            return {"window": f"公开未满一个月，{first.isoformat()} 起方可撤回。"}
    return {}


def approval_context(task: Any, user: User) -> dict[str, Any]:
    """What the reviewer's and the leader's task page shows above the buttons: why approving
    is refused now (the workspace shows it too), before they press it."""
    pub = _for_task(task)
    if not task.is_open or pub.published_at is not None:
        return {}
    return {"approval_problems": publishing_problems(pub)}


EMPTY = {"type": "object", "properties": {}}
TEMPLATE = "publication/_task_form.html"
register_form(
    "publication.draft", EMPTY, label="拟稿公开报告", template=TEMPLATE, validate=validate_draft
)
register_form(
    "publication.review",
    EMPTY,
    label="本级审核",
    template=TEMPLATE,
    validate=validate_review,
    context=approval_context,
)
register_form(
    "publication.approve",
    EMPTY,
    label="主要领导审批公开",
    template=TEMPLATE,
    validate=validate_approve,
    context=approval_context,
)
register_form(
    "publication.withdraw_review",
    EMPTY,
    label="主要领导审批撤回",
    template=TEMPLATE,
    validate=validate_withdrawal,
)


def _set_status(ctx: ServiceContext, status: ProcessStatus) -> None:
    from webapp.engine import set_status

    ctx.params["status"] = status.value
    set_status(ctx)


def _comment(ctx: ServiceContext) -> str:
    return str(ctx.data.get("comment") or "")


@service_operation("publication.freeze")
def freeze_draft(ctx: ServiceContext) -> dict[str, Any]:
    """The clerk submitted the draft: freeze figures, index, text and records for review."""
    return operations.freeze_for_review(publication_of(ctx.subject), ctx.actor)


@service_operation(
    "publication.publish",
    # the record kinds' end times come from a loop (publicity.publish_records)
    outputs=("published_at", "withdrawable_at", "records_bad_until", "records_good_until"),
)
def publish(ctx: ServiceContext) -> dict[str, Any]:
    """The principal leader approved: publish with today's date and archive the Word file."""
    result = operations.publish(publication_of(ctx.subject), ctx.actor)
    _set_status(ctx, ProcessStatus.PUBLISHED)
    return result


@service_operation("publication.records_expire")
def records_expire(ctx: ServiceContext) -> dict[str, Any]:
    """A publicity period ended: withdraw the report's records whose period is over."""
    return {"records_expired": publicity.expire(publication_of(ctx.subject), ctx.actor)}


@service_operation("publication.withdraw")
def withdraw(ctx: ServiceContext) -> dict[str, Any]:
    """The leader approved the withdrawal: off the portal, archived for staff."""
    operations.withdraw(publication_of(ctx.subject), ctx.actor, _comment(ctx))
    return {}


@service_operation("publication.withdraw_refused")
def withdraw_refused(ctx: ServiceContext) -> dict[str, Any]:
    """The leader refused: it stays published; a new request may follow."""
    operations.refuse_withdrawal(publication_of(ctx.subject), ctx.actor, _comment(ctx))
    _set_status(ctx, ProcessStatus.PUBLISHED)
    return {}


#: publication_schedule.bpmn: ``publication.next_window`` and ``publication.open_scheduled``.
register_scheduler(
    "publication",
    next_opening,
    operations.open_period,
    process="publication_schedule",
    label="公开调度",
)
