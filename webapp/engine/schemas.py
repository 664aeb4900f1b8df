"""Marshmallow schemas of the engine's JSON API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from webapp.core.schemas import (
    PERIOD_KEY_MAX,
    PageSchema,
    ReturnNoteSchema,
    bounded_text,
    items_field,
    optional_text,
    org_code_arg,
)
from webapp.engine.inbox import SORTS
from webapp.engine.queries import VIEWS


class TaskQuerySchema(Schema):
    """The inbox's filters, order and page: the same as the 待办 page's."""

    view = fields.String(
        load_default="todo",
        validate=validate.OneOf(VIEWS),
        metadata={"description": "todo 待办, done 已办, started 我发起的, cc 抄送我的"},
    )
    q = fields.String(
        load_default="",
        validate=validate.Length(max=50),
        metadata={"description": "任务、单位或流程名称中的文字"},
    )
    process = bounded_text(
        64, load_default="", metadata={"description": "流程标识，如 quarterly_report"}
    )
    period = bounded_text(
        PERIOD_KEY_MAX, load_default="", metadata={"description": "期间，如 2026Q1、2026H1、2026"}
    )
    org = org_code_arg(load_default="", metadata={"description": "事项所属单位代码"})
    sort = fields.String(
        load_default=None,
        validate=validate.OneOf(SORTS),
        metadata={"description": "due 按期限（待办默认）, received 按到达时间"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=200))


class _RunSchema(Schema):
    """What a task and an instance both tell of the run: its process and the business object."""

    process_key = fields.String()
    process_name = fields.String()
    business_key = fields.String()
    business_status = fields.String(
        allow_none=True, metadata={"description": "status code (webapp.core.states)"}
    )
    business_status_label = fields.String(metadata={"description": "its Chinese label"})


class TaskSchema(_RunSchema):
    id = fields.Integer()
    name = fields.String()
    title = fields.String(
        metadata={"description": "步骤 · 期间 · 单位，如 填报数据 · 2026年第一季度 · 中原区"}
    )
    element_id = fields.String()
    instance_id = fields.Integer()
    instance_state = fields.String(
        metadata={
            "description": "running, completed, error…; error after an action: it was done, the "
            "automatic steps after it failed and the administrators see the incident"
        }
    )
    org_code = fields.String(metadata={"description": "The instance's org (reporting unit)"})
    org_name = fields.String()
    candidate_org_code = fields.String(metadata={"description": "The org whose staff may do it"})
    role = fields.String(metadata={"description": "Candidate role"})
    form_key = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    state = fields.String(metadata={"description": "ready, claimed, completed, cancelled"})
    assignee = fields.String(allow_none=True, metadata={"description": "username"})
    outcome = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)


class TaskListItemSchema(TaskSchema):
    state_label = fields.String(metadata={"description": "待办理, 待签收（多人可办）, 已签收…"})
    needs_claim = fields.Boolean(metadata={"description": "须先签收：未签收且有多名候选人"})
    overdue = fields.Boolean()
    returned = fields.Nested(
        ReturnNoteSchema, allow_none=True, metadata={"description": "退回原因"}
    )


class TaskListSchema(PageSchema):
    items = items_field(TaskListItemSchema, required=False)


class OutcomeSchema(Schema):
    value = fields.String()
    label = fields.String()


class TaskDetailSchema(TaskSchema):
    form_schema = fields.Dict(metadata={"description": "The form as a JSON Schema"})
    outcomes = fields.List(fields.Nested(OutcomeSchema))
    data = fields.Dict(allow_none=True, metadata={"description": "Data submitted on completion"})
    can_work = fields.Boolean()


class CompleteSchema(Schema):
    outcome = bounded_text(64, required=True)
    comment = optional_text()
    data = fields.Dict(load_default=dict)


class UserTargetSchema(Schema):
    user_id = fields.Integer(required=True)
    comment = optional_text()


class RemindSchema(Schema):
    message = optional_text()


class HistorySchema(Schema):
    at = fields.DateTime()
    action = fields.String()
    actor = fields.String(attribute="actor_name")
    element_id = fields.String(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    outcome = fields.String(allow_none=True)
    outcome_label = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)


class InstanceSchema(_RunSchema):
    id = fields.Integer()
    definition_version = fields.Integer()
    org_code = fields.String()
    state = fields.String(metadata={"description": "running, completed, error, cancelled"})
    error = fields.String(allow_none=True)
    started_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    current_tasks = fields.List(fields.Nested(TaskSchema))
    history = fields.List(fields.Nested(HistorySchema))


class StartInstanceSchema(Schema):
    """Start a deployed process: its key, the unit it is for, a business key unique within the
    process, and the start data its registered start form declares."""

    process_key = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100, error="流程标识须为 1–100 个字符。"),
        error_messages={"required": "请填写流程标识 process_key。"},
        metadata={"description": "流程标识，如 demo_two_tier"},
    )
    org_code = org_code_arg(
        required=True,
        error_messages={"required": "请填写单位代码 org_code。"},
        metadata={"description": "流程所属单位代码"},
    )
    business_key = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error="业务编号须为 1–200 个字符。"),
        error_messages={"required": "请填写业务编号 business_key。"},
        metadata={"description": "业务编号，同一流程内唯一"},
    )
    data = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        error_messages={"invalid": "启动数据 data 须为对象。"},
        metadata={"description": "启动数据，按该流程登记的启动表单校验"},
    )
