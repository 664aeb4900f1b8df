"""What publication.bpmn and publication_schedule.bpmn call: forms with their domain checks,
and the service operations (freeze, publish, withdraw, schedule).

The BPMN decides the order, the lanes and the one-month timer; these functions do the step
named and refuse what the rules forbid even if a BPMN were edited to allow it.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from webapp.archive import operations as archive
from webapp.core import audit, clock
from webapp.core.errors import Conflict, NotFound
from webapp.core.models import User
from webapp.core.permissions import can
from webapp.core.states import ProcessStatus
from webapp.engine import (
    ServiceContext,
    register_form,
    register_start_form,
    register_subject_viewer,
    service_operation,
)
from webapp.extensions import db
from webapp.publication.document import (
    document_filename,
    freeze,
    last_completer,
    live_figures,
    render_document,
)
from webapp.publication.draft import unfinished
from webapp.publication.models import Publication, PublishedRecord, RecordKind
from webapp.publication.periods import online_until, withdrawable_from
from webapp.publication.state import editable

#: What a publication instance is about (publication.operations.open_period): fixed.
register_start_form(
    "publication",
    {
        "type": "object",
        "properties": {
            "publication_id": {"type": "integer", "title": "公开报告"},
            "period": {"type": "string", "pattern": r"^\d{4}H[12]$"},
        },
    },
    label="向社会公开",
)
register_start_form("publication_schedule", {"type": "object", "properties": {}}, label="公开调度")


def publication_of(subject: dict[str, Any]) -> Publication:
    """The public report an instance is about, from its fixed subject (never task data)."""
    pub = db.session.get(Publication, int(subject.get("publication_id") or 0))
    if pub is None:
        raise NotFound("流程对应的公开报告不存在。")
    return pub


def _for_task(task: Any) -> Publication:
    return publication_of(task.instance.subject or {})


def draft_problems(pub: Publication) -> list[str]:
    """Why the draft cannot go to review yet (empty when it can)."""
    problems = []
    fig = live_figures(pub)
    missing = [q["period"] for q in fig["quarters"] if not q["accepted"]]
    if missing:
        problems.append(
            f"{'、'.join(missing)} 季度报告尚未被上级接收：公开报告只能依据已接收的统计数据。"
        )
    left = unfinished(pub.sections or {})
    if left:
        problems.append(f"以下部分尚未完成（或仍有“【请填写】”）：{'、'.join(left)}")
    return problems


def _numbered(problems: list[str]) -> dict[str, str]:
    return {f"publication_{i}": p for i, p in enumerate(problems, 1)}


def validate_draft(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict[str, str]:
    return _numbered(draft_problems(_for_task(task)))


def _not_the_drafter(pub: Publication, actor: User, what: str) -> dict[str, str]:
    drafter = last_completer(pub, "draft")
    if drafter is not None and drafter.id == actor.id:
        return {
            "actor": f"拟稿人不能{what}本人起草的公开报告（职责分离），请由本单位其他人员办理。"
        }
    return {}


def validate_review(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict[str, str]:
    if outcome != "approve":
        return {}
    return _not_the_drafter(_for_task(task), actor, "审核")


def validate_approve(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict:
    if outcome != "approve":
        return {}
    return _not_the_drafter(_for_task(task), actor, "审批")


def validate_withdrawal(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict:
    pub = _for_task(task)
    if outcome == "approve" and pub.publication_date is not None:
        first = withdrawable_from(pub.publication_date)
        if clock.today_local() < first:
            return {"window": f"公开未满一个月，{first.isoformat()} 起方可撤回。"}
    return {}


#: A copy (抄送) of a publication's task goes only to those who may read its drafts.
register_subject_viewer(
    "publication", lambda user, instance: can(user, "publication.view", instance.org)
)

EMPTY = {"type": "object", "properties": {}}
TEMPLATE = "publication/_task_form.html"
register_form(
    "publication.draft", EMPTY, label="拟稿公开报告", template=TEMPLATE, validate=validate_draft
)
register_form(
    "publication.review", EMPTY, label="本级审核", template=TEMPLATE, validate=validate_review
)
register_form(
    "publication.approve",
    EMPTY,
    label="主要领导审批公开",
    template=TEMPLATE,
    validate=validate_approve,
)
register_form(
    "publication.withdraw_review",
    EMPTY,
    label="主要领导审批撤回",
    template=TEMPLATE,
    validate=validate_withdrawal,
)


def _audit(action: str, pub: Publication, actor: User | None, **extra: Any) -> None:
    audit.record(
        action,
        actor=actor,
        actor_name=None if actor else "system",
        org=pub.org,
        object_type="publication",
        object_id=pub.id,
        after={"period": pub.period, "subject": f"publication:{pub.id}", **extra.pop("after", {})},
        **extra,
    )


def _set_status(ctx: ServiceContext, status: ProcessStatus) -> None:
    from webapp.engine import set_status

    ctx.params["status"] = status.value
    set_status(ctx)


@service_operation("publication.freeze")
def freeze_draft(ctx: ServiceContext) -> dict[str, Any]:
    """The clerk submitted the draft: freeze figures, index, text and records for review."""
    pub = publication_of(ctx.subject)
    problems = draft_problems(pub)
    if problems:  # the form check ran already; a changed BPMN must not skip it
        raise Conflict("；".join(problems))
    pub.snapshot = freeze(pub)
    pub.submitted_at = clock.now()
    index = pub.snapshot["figures"]["index"] or {}
    _audit("publication.submit", pub, ctx.actor, after={"index": index.get("value")})
    return {"submitted_at": pub.submitted_at.isoformat()}


@service_operation("publication.publish")
def publish(ctx: ServiceContext) -> dict[str, Any]:
    """The principal leader approved: publish with today's date and archive the Word file."""
    pub = publication_of(ctx.subject)
    if pub.snapshot is None or editable(pub):
        raise Conflict("公开报告尚未提交审核，不能发布。")
    if pub.published_at is not None:
        raise Conflict("该报告已经公开。")
    now = clock.now()
    today = clock.today_local()
    document = render_document(pub.snapshot, today)
    pub.published_at = now
    pub.publication_date = today
    pub.online_until = online_until(today)
    pub.published_by_id = ctx.actor.id if ctx.actor else None
    pub.document_name = document_filename(pub.snapshot)
    archived = archive.store(
        "publication",
        pub.id,
        document,
        filename=pub.document_name,
        stage="published",
        actor=ctx.actor,
    )
    pub.document_sha256 = archived.sha256
    records = pub.snapshot.get("records") or {}
    for kind in RecordKind:
        for r in records.get(kind.value, []):
            db.session.add(
                PublishedRecord(
                    publication=pub,
                    kind=kind.value,
                    record_no=r["record_no"],
                    enterprise=r["enterprise"],
                    unit_type=r["unit_type"],
                    project_name=r["project_name"],
                    fact=r["fact"],
                    clause=r["clause"],
                    recorded_on=datetime.fromisoformat(r["recorded_on"]).date(),
                    authority=r["authority"],
                )
            )
    first = withdrawable_from(today)
    opens = datetime.combine(first, time(0, 0), tzinfo=clock.LOCAL_TZ)
    _audit(
        "publication.publish",
        pub,
        ctx.actor,
        after={
            "publication_date": today.isoformat(),
            "online_until": pub.online_until.isoformat(),
            "document": pub.document_sha256,
            "records": sum(len(v) for v in records.values()),
        },
    )
    _set_status(ctx, ProcessStatus.PUBLISHED)
    return {
        "published_at": now.isoformat(),
        "withdrawable_at": opens.astimezone(clock.UTC).isoformat(),
    }


@service_operation("publication.withdraw")
def withdraw(ctx: ServiceContext) -> dict[str, Any]:
    """The leader approved the withdrawal: off the portal, archived for staff."""
    pub = publication_of(ctx.subject)
    if pub.publication_date is None or pub.withdrawn_at is not None:
        raise Conflict("该报告未处于公开状态。")
    if clock.today_local() < withdrawable_from(pub.publication_date):
        raise Conflict("公开未满一个月，不能撤回。")
    pub.withdrawn_at = clock.now()
    pub.withdrawn_by_id = ctx.actor.id if ctx.actor else None
    _audit(
        "publication.withdraw",
        pub,
        ctx.actor,
        after={"reason": pub.withdrawal_reason or "", "withdrawn_at": pub.withdrawn_at.isoformat()},
        message=str(ctx.data.get("comment") or ""),
    )
    return {}


@service_operation("publication.withdraw_refused")
def withdraw_refused(ctx: ServiceContext) -> dict[str, Any]:
    """The leader refused: it stays published; a new request may follow."""
    pub = publication_of(ctx.subject)
    reason = pub.withdrawal_reason
    pub.withdrawal_requested_at = None
    pub.withdrawal_requested_by_id = None
    pub.withdrawal_reason = None
    _audit(
        "publication.withdraw_refused",
        pub,
        ctx.actor,
        after={"reason": reason or ""},
        message=str(ctx.data.get("comment") or ""),
    )
    _set_status(ctx, ProcessStatus.PUBLISHED)
    return {}


@service_operation("publication.next_window")
def next_window(ctx: ServiceContext) -> dict[str, Any]:
    """The scheduler's next step: which half year opens next, and when (aware ISO)."""
    from webapp.publication.schedule import next_opening

    period, opens = next_opening(clock.now())
    return {"next_period": period, "next_open_at": opens.isoformat(), "stop_schedule": False}


@service_operation("publication.open_scheduled")
def open_scheduled(ctx: ServiceContext) -> dict[str, Any]:
    """The half year ended: start the publication flow for every unit (idempotent)."""
    from webapp.publication.operations import open_period

    counts = open_period(None, str(ctx.data["next_period"]))
    return {"opened_period": ctx.data["next_period"], "opened_units": counts["opened"]}
