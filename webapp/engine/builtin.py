"""Forms and service operations every process can use."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from webapp.core.errors import InvalidInput
from webapp.core.states import ProcessStatus, allowed_codes
from webapp.engine.models import OPEN_STATES, HumanTask, ProcessInstance
from webapp.engine.registry import (
    ServiceContext,
    register_form,
    register_start_admission,
    register_start_form,
    service_operation,
)
from webapp.extensions import db

#: The demo process's submission form (workflows/demo_two_tier.bpmn).
register_form(
    "demo.submission",
    {
        "type": "object",
        "title": "演示填报",
        "required": ["title"],
        "properties": {
            "title": {"type": "string", "title": "标题", "minLength": 1, "maxLength": 100},
            "amount": {"type": "number", "title": "金额（万元）", "minimum": 0},
            "note": {"type": "string", "title": "说明", "maxLength": 500},
        },
    },
    label="演示填报表",
)
#: What a demo instance is about: its unit (the engine's own subject) and an optional purpose.
register_start_form(
    "demo_two_tier",
    {
        "type": "object",
        "properties": {"purpose": {"type": "string", "title": "事由", "maxLength": 200}},
    },
    label="两级审批演示",
)


def _admit_demo(user: Any, org: Any, data: dict[str, Any]) -> None:
    """The demo's business object is its unit: ``workflow.start`` there, which
    ``start_instance`` checks for every start."""


register_start_admission("demo_two_tier", _admit_demo)


@service_operation("engine.notify_candidates")
def notify_candidates(ctx: ServiceContext) -> dict[str, Any]:
    """Notify whoever holds (or may take) the instance's open tasks.

    Parameter ``message`` (optional): the text; default 请尽快办理.  Used by reminder timers.
    Parameter ``kind`` (optional): ``'reminder'`` (期限提醒, the default) or ``'overdue'`` (逾期).
    """
    from webapp.engine.notices import about, holders, notify

    message = str(ctx.params.get("message") or "请尽快办理")
    kind = "overdue" if ctx.params.get("kind") == "overdue" else "reminder"
    tasks = db.session.execute(
        select(HumanTask)
        .where(HumanTask.instance_id == ctx.instance.id, HumanTask.state.in_(OPEN_STATES))
        .order_by(HumanTask.id)  # notices in the tasks' order on either database
    ).scalars()
    count = 0
    for task in tasks:
        for user in holders(task):
            notify(user, kind, f"“{task.name}”（{about(ctx.instance)}）：{message}", task)
            count += 1
    return {"notified": count}


@service_operation("engine.set_status")
def set_status(ctx: ServiceContext) -> dict[str, Any]:
    """Set the instance's business status (parameter ``status``: a code of
    webapp.core.states, e.g. ``'overdue'``; checked at deploy and here)."""
    status = str(ctx.params.get("status") or "").strip()
    if status and status not in ProcessStatus.__members__.values():
        raise InvalidInput(f"业务状态“{status}”不是已定义的状态代码：{allowed_codes()}")
    if status:
        db.session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == ctx.instance.id)
            .values(business_status=status)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(ctx.instance, "business_status", status)
    return {}
