"""Pages: inbox, task, instance (diagram + history), administration of instances in error."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from webapp.core.permissions import require
from webapp.engine import queries

bp = Blueprint("engine", __name__, url_prefix="/tasks", template_folder="templates")


@bp.route("/")
@login_required
def inbox() -> Any:
    require(current_user, "task.inbox")
    view = request.args.get("view", "todo")
    if view not in queries.VIEWS:
        view = "todo"
    tasks = queries.tasks_for(current_user, view)
    return render_template("engine/inbox.html", tasks=tasks, view=view, labels=queries.VIEW_LABELS)
