"""Marshmallow schemas of the notifications API (/api/v1/notifications)."""

from __future__ import annotations

from marshmallow import Schema, fields

from webapp.core.schemas import PageArgsSchema, PageSchema, items_field


class NotificationArgsSchema(PageArgsSchema):
    """The list's filter and page: ``unread=1`` lists the unread notices only."""

    unread = fields.Boolean(load_default=False, metadata={"description": "只列未读通知"})


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "类型代码，如 task、return"})
    kind_label = fields.String(required=True, metadata={"description": "类型，如 新待办、退回"})
    message = fields.String(required=True, metadata={"description": "通知内容"})
    task_id = fields.Integer(allow_none=True, metadata={"description": "所涉待办"})
    instance_id = fields.Integer(allow_none=True, metadata={"description": "所涉流程"})
    created_at = fields.DateTime(required=True)
    read_at = fields.DateTime(allow_none=True, metadata={"description": "已读时间（未读为空）"})
    cleared_at = fields.DateTime(
        allow_none=True, metadata={"description": "所涉事项办结时间（办结后自动标为已读）"}
    )
    url = fields.String(allow_none=True, metadata={"description": "查看所涉事项的页面"})


class NotificationListSchema(PageSchema):
    """One page of the user's notices, newest first, and the user's unread count."""

    items = items_field(NotificationSchema, required=True)
    unread = fields.Integer(required=True, metadata={"description": "未读通知数"})


class UnreadCountSchema(Schema):
    unread = fields.Integer(required=True, metadata={"description": "未读通知数"})


class ReadAllSchema(Schema):
    count = fields.Integer(required=True, metadata={"description": "本次标为已读的通知数"})
    unread = fields.Integer(required=True, metadata={"description": "未读通知数"})
