"""Notifications API: the user's own notices, the unread count, mark one or all read.

Only one's own notices: another user's id is not found (404), as on the 通知 page.  Marking
read is audited (``notification.read``, ``notification.read_all``); auditors only read (403 on
the writes).
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from webapp.api import feature_api, refusals
from webapp.engine import kind_label, mark_all_read, mark_read, notifications_for, unread_count
from webapp.notifications.schemas import (
    NotificationArgsSchema,
    NotificationListSchema,
    NotificationSchema,
    ReadAllSchema,
    UnreadCountSchema,
)
from webapp.notifications.views import target_url

bp = feature_api(
    "api_notifications",
    __name__,
    "/api/v1/notifications",
    "站内通知：本人的通知、未读数、标为已读",
    gate="task.work",
)


def _row(note: Any) -> dict[str, Any]:
    return {
        "id": note.id,
        "kind": note.kind,
        "kind_label": kind_label(note.kind),
        "message": note.message,
        "task_id": note.task_id,
        "instance_id": note.instance_id,
        "created_at": note.created_at,
        "read_at": note.read_at,
        "cleared_at": note.cleared_at,
        "url": target_url(note),
    }


@bp.route("")
@bp.arguments(NotificationArgsSchema, location="query")
@bp.response(200, NotificationListSchema)
def list_notifications(args: dict[str, Any]) -> Any:
    """The user's notices, newest first (``unread=1``: unread only), one page, and the unread
    count."""
    notes, total = notifications_for(
        current_user, unread_only=args["unread"], page=args["page"], per_page=args["per_page"]
    )
    return {
        "items": [_row(n) for n in notes],
        "total": total,
        "page": args["page"],
        "per_page": args["per_page"],
        "unread": unread_count(current_user),
    }


@bp.route("/unread-count")
@bp.response(200, UnreadCountSchema)
def count_unread() -> Any:
    """The navbar's badge: how many of the user's notices are unread."""
    return {"unread": unread_count(current_user)}


@bp.route("/<int:notification_id>/read", methods=["POST"])
@bp.response(200, NotificationSchema)
@refusals(bp, 403, described={404: "没有这条通知（或不是本人的通知）"})
def read(notification_id: int) -> Any:
    """Mark one of the user's own notices read (audited the first time)."""
    return _row(mark_read(current_user, notification_id))


@bp.route("/read-all", methods=["POST"])
@bp.response(200, ReadAllSchema)
@refusals(bp, 403)
def read_all() -> Any:
    """Mark every unread notice of the user read (audited when any)."""
    count = mark_all_read(current_user)
    return {"count": count, "unread": unread_count(current_user)}
