"""通知: the user's notices (unread first filter, mark read, mark all read)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.engine import kind_label, mark_all_read, mark_read, notifications_for, unread_count
from webapp.web import page_arg, page_blueprint

#: Auditors only read (docs/audit.md): they see their notices but mark nothing.
bp = page_blueprint("notifications", __name__, writes="task.work")
PER_PAGE = 30


def navbar_count() -> dict[str, Any]:
    """``unread_notices()`` in every template: the navbar's badge (one indexed count)."""

    def unread_notices() -> int:
        if not current_user.is_authenticated:
            return 0
        return unread_count(current_user)

    return {"unread_notices": unread_notices}


def target_url(note: Any) -> str | None:
    """The page of what a notice is about: its task, else its process (None: neither)."""
    if note.task_id is not None:
        return url_for("engine.task_page", task_id=note.task_id)
    if note.instance_id is not None:
        return url_for("engine.instance_page", instance_id=note.instance_id)
    return None


@bp.route("/")
def index() -> Any:
    unread_only = request.args.get("show") == "unread"
    page = page_arg()
    notes, total = notifications_for(
        current_user, unread_only=unread_only, page=page, per_page=PER_PAGE
    )
    return render_template(
        "notifications/index.html",
        notes=[(n, kind_label(n.kind), target_url(n)) for n in notes],
        total=total,
        page=page,
        pages=(total + PER_PAGE - 1) // PER_PAGE,
        unread_only=unread_only,
    )


@bp.route("/<int:notification_id>/read", methods=["POST"])
def read(notification_id: int) -> Any:
    """Mark one notice read; ``open=1`` then goes to what it is about."""
    note = mark_read(current_user, notification_id)
    target = target_url(note) if request.form.get("open") else None
    return redirect(target or url_for("notifications.index", show=request.form.get("show")))


@bp.route("/read-all", methods=["POST"])
def read_all() -> Any:
    count = mark_all_read(current_user)
    flash(f"已将 {count} 条通知标为已读。" if count else "没有未读通知。", "success")
    return redirect(url_for("notifications.index"))
