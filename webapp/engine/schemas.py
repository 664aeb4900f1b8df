"""Marshmallow schemas of the engine's JSON API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from webapp.core.schemas import list_schema, optional_text
from webapp.engine.queries import VIEWS


class TaskQuerySchema(Schema):
    view = fields.String(load_default="todo", validate=validate.OneOf(VIEWS))


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
    element_id = fields.String()
    instance_id = fields.Integer()
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


TaskListSchema = list_schema("TaskListSchema", TaskSchema, required=False)


class OutcomeSchema(Schema):
    value = fields.String()
    label = fields.String()


class TaskDetailSchema(TaskSchema):
    form_schema = fields.Dict(metadata={"description": "The form as a JSON Schema"})
    outcomes = fields.List(fields.Nested(OutcomeSchema))
    data = fields.Dict(allow_none=True, metadata={"description": "Data submitted on completion"})
    instance_state = fields.String()
    can_work = fields.Boolean()


class CompleteSchema(Schema):
    outcome = fields.String(required=True)
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
