"""Pages: inbox, task, instance (diagram + history), administration of instances in error."""

from __future__ import annotations

import re
from functools import wraps
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp.core import clock
from webapp.core.errors import DomainError, Hidden, InvalidInput, NotFound, PermissionDenied
from webapp.core.models import Role, User
from webapp.core.permissions import can, require
from webapp.core.urls import safe_next
from webapp.engine import inbox as inbox_model
from webapp.engine import instances, operations, queries
from webapp.engine.api import acting_user
from webapp.engine.lanes import lane_display, lane_words
from webapp.engine.models import HumanTask, Notification, ProcessInstance
from webapp.engine.naming import instance_title, subject_label, task_title
from webapp.engine.registry import FORMS, form_schema
from webapp.engine.vocabulary import instance_about
from webapp.extensions import db
from webapp.web import SAFE_METHODS, id_field, kept, refusal, refused_on

bp = Blueprint("engine", __name__, url_prefix="/tasks", template_folder="templates")

ACTION_LABELS = {
    "start": "发起",
    "claim": "签收",
    "unclaim": "取消签收",
    "complete": "办理",
    "withdraw": "撤回",
    "transfer": "转办",
    "remind": "催办",
    "cc": "抄送",
    "reassign": "改派",
    "timer": "定时器",
    "error": "出错",
    "retry": "重试",
    "cancel": "取消",
    "migrate": "迁移版本",
    "subject_change": "延期",
}


@bp.before_request
@login_required
def _staff_only() -> None:
    require(current_user, "task.inbox")
    if request.method not in SAFE_METHODS:
        require(current_user, "task.work")


def task_url(task: HumanTask) -> str:
    """Where the task is worked on: its feature's page (the report's workspace…), else the
    engine's task page."""
    return inbox_model.task_page_url(task) or url_for("engine.task_page", task_id=task.id)


@bp.app_context_processor
def _engine_globals() -> dict[str, Any]:
    return {
        "engine_action_labels": ACTION_LABELS,
        "can": can,
        "now": clock.now,
        "bpmn_lane_words": lane_words,
        "task_url": task_url,
        "task_title": task_title,
        "instance_title": instance_title,
        "subject_label": subject_label,
    }


@bp.app_template_filter("instance_about")
def _instance_about(instance: ProcessInstance) -> str:
    return instance_about(instance)


@bp.app_template_filter("role_label")
def _role_label(value: str | None) -> str:
    """A role's code as people read it (reviewer → 审核人); an unknown code as it is."""
    return next((role.label for role in Role if role.value == value), value or "")


@bp.app_template_filter("lane_label")
def _lane_label(name: str | None) -> str:
    return lane_display(name)


@bp.route("/")
def inbox() -> Any:
    query = inbox_model.InboxQuery.from_args(request.args)
    page = inbox_model.inbox_page(current_user, query)
    notes = db.session.execute(
        select(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc())
        .limit(10)
    ).scalars()
    return render_template(
        "engine/inbox.html",
        page=page,
        query=query,
        labels=queries.VIEW_LABELS,
        sorts=inbox_model.SORTS,
        notes=list(notes),
    )


def _colleagues(task: Any) -> list[User]:
    return [u for u in operations.colleagues(task) if u.id != current_user.id]


def flash_errors(view: Any) -> Any:
    """Task buttons: show a refusal (409, 422) on the page the user came from.

    403s and 404s still go to the edge, which audits a refusal (a task the user may not see
    answers as a missing one, :class:`Hidden`).
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (PermissionDenied, NotFound):
            raise
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "danger")
            return redirect(safe_next(request.referrer, url_for("engine.inbox"), host=request.host))

    return wrapper


def by_field(details: dict[str, str]) -> dict[str, str]:
    """A refusal's problems by the page's field: ``laggards[0]`` and ``measures.410100`` are
    shown at ``laggards`` and ``measures`` (one text box each)."""
    out: dict[str, str] = {}
    for path, message in details.items():
        name = re.split(r"[.\[]", path, maxsplit=1)[0] or "_"
        out[name] = f"{out[name]}；{message}" if name in out else message
    return out


def error_labels(schema: dict[str, Any]) -> dict[str, str]:
    """The names a refused 办理's summary gives its fields: the form's titles, then the engine's."""
    titles = {n: p.get("title", n) for n, p in (schema.get("properties") or {}).items()}
    return {**titles, "comment": "审批意见", "outcome": "办理结果"}


def _form_errors(err: DomainError, **_view_args: Any) -> dict[str, str]:
    """A refused 办理 on the task page: each problem under its field (``by_field``)."""
    details = err.details if isinstance(err.details, dict) and err.details else {}
    return by_field(details) or {"_": err.message}


@bp.route("/<int:task_id>")
def task_page(task_id: int) -> Any:
    task = operations.get_task(task_id, current_user)
    schema = form_schema(task.form_key)
    spec = FORMS.get(task.form_key or "")
    # a refused 办理 shows what was typed, never the task's earlier data
    errors = refusal("engine.complete")
    values = operations.form_values(schema, request.form) if errors else task.data or {}
    candidates = inbox_model.candidate_counts([task]).get(
        (task.candidate_org_id, task.candidate_role), 0
    )
    extra = spec.context(task, current_user) if spec is not None and spec.context else {}
    return render_template(
        "engine/task.html",
        task=task,
        schema=schema,
        form_template=spec.template if spec else None,
        values=values,
        errors=errors,
        error_labels=error_labels(schema),
        can_work=task.is_open and operations.can_work(current_user, task),
        is_candidate=operations.is_candidate(current_user, task),
        needs_claim=task.is_open and inbox_model.needs_claim(task, candidates),
        state_label=inbox_model.state_label(task, candidates),
        title=task_title(task),
        returned=inbox_model.current_return(task.instance_id),
        work_url=inbox_model.task_page_url(task),
        cc_people=inbox_model.cc_candidates(current_user, task),
        extra=extra,
        colleagues=_colleagues(task) if task.is_open else [],
        comment=kept("engine.complete", "comment"),
    )


@bp.route("/<int:task_id>/complete", methods=["POST"])
@flash_errors  # a conflict (done meanwhile, in another tab): said on the page one came from
@refused_on("engine.task_page", errors=_form_errors, refuses=(InvalidInput,))
def complete(task_id: int) -> Any:
    """办理 from the page: one operation call, which loads the task once and types the posted
    form once; the completed task it returns (with its instance as saved) says what to show.
    Refused input answers the task page (422) with every problem under its field."""
    task = operations.complete_task_form(
        acting_user(),
        task_id,
        request.form.get("outcome", ""),
        request.form.get("comment"),
        request.form,
    )
    if _failed_after("已办理", task):
        return redirect(url_for("engine.inbox"))
    done = f"已办理：{task_title(task)}（{task.outcome_label()}）"
    following = inbox_model.next_step(acting_user(), task)
    if following is not None:
        flash(f"{done}。下一步：{inbox_model.step_name(following)}", "success")
        return redirect(task_url(following))
    flash(f"{done}。返回待办。", "success")
    return redirect(url_for("engine.inbox"))


def _failed_after(done: str, task: Any) -> bool:
    """After an action that ran the engine: when its automatic steps failed (the instance is in
    error; the action itself was saved), say so instead of a plain success."""
    if task.instance.state != "error":
        return False
    flash(f"{done}，但后续自动步骤出错，已通知系统管理员处理。", "warning")
    return True


def _simple(task_id: int, fn: Any, message: str, *args: Any) -> Any:
    fn(acting_user(), task_id, *args)
    flash(message, "success")
    default = url_for("engine.task_page", task_id=task_id)
    return redirect(safe_next(request.form.get("next"), default))


@bp.route("/<int:task_id>/claim", methods=["POST"])
@flash_errors
def claim(task_id: int) -> Any:
    return _simple(task_id, operations.claim, "已签收。")


@bp.route("/<int:task_id>/unclaim", methods=["POST"])
@flash_errors
def unclaim(task_id: int) -> Any:
    return _simple(task_id, operations.unclaim, "已取消签收。")


@bp.route("/<int:task_id>/withdraw", methods=["POST"])
@flash_errors
def withdraw(task_id: int) -> Any:
    reopened = operations.withdraw(acting_user(), task_id)
    if not _failed_after("已撤回", reopened):
        flash("已撤回，可重新办理。", "success")
    return redirect(url_for("engine.task_page", task_id=reopened.id))


@bp.route("/<int:task_id>/transfer", methods=["POST"])
@refused_on("engine.task_page")
def transfer(task_id: int) -> Any:
    """转办: a refusal answers the task page with the chosen colleague and the comment kept."""
    target = id_field(request.form, "user_id") or 0
    operations.transfer(acting_user(), task_id, target, request.form.get("comment"))
    flash("已转办。", "success")
    return redirect(url_for("engine.inbox"))


@bp.route("/<int:task_id>/remind", methods=["POST"])
@flash_errors
def remind(task_id: int) -> Any:
    return _simple(task_id, operations.remind, "已催办。", request.form.get("message"))


@bp.route("/<int:task_id>/cc", methods=["POST"])
@flash_errors
def cc(task_id: int) -> Any:
    operations.get_task(task_id, current_user)  # 404 first for those who may not see it
    user_id = id_field(request.form, "user_id")
    username = (request.form.get("username") or "").strip()
    if user_id:
        user = db.session.get(User, user_id)
    elif username:
        user = db.session.execute(
            select(User).where(User.username == username)
        ).scalar_one_or_none()
    else:
        raise InvalidInput("请选择抄送对象。")
    # A missing user is refused by operations.cc exactly like one who may not see the task.
    name = user.full_name if user is not None else ""
    return _simple(task_id, operations.cc, f"已抄送给 {name}。", user.id if user else 0)


def _viewable_instance(instance_id: int) -> ProcessInstance:
    instance = instances.get_instance(instance_id)
    user = current_user
    if can(user, "workflow.admin") or can(user, "workflow.view", instance.org):
        return instance
    if any(operations.can_view(user, t) for t in queries.instance_tasks(instance)):
        return instance
    raise Hidden(instances.INSTANCE_MISSING, action="workflow.view")


@bp.route("/instances/<int:instance_id>")
def instance_page(instance_id: int) -> Any:
    instance = _viewable_instance(instance_id)
    tasks = queries.instance_tasks(instance)
    return render_template(
        "engine/instance.html",
        instance=instance,
        tasks=tasks,
        # what a step chose beside its outcome (退回类别：数据差错), shown with its result
        choices={t.id: inbox_model.choice_labels(t) for t in tasks if t.data},
        history=queries.instance_history(instance),
        marks=queries.diagram_marks(instance),
    )


@bp.route("/instances/<int:instance_id>/diagram.bpmn")
def diagram(instance_id: int) -> Any:
    instance = _viewable_instance(instance_id)
    return Response(instance.definition.content, mimetype="application/xml")


@bp.route("/admin/errors")
def errors() -> Any:
    require(current_user, "workflow.admin")
    return render_template("engine/errors.html", instances=queries.error_instances())


@bp.route("/admin/instances/<int:instance_id>/retry", methods=["POST"])
@flash_errors
def retry(instance_id: int) -> Any:
    instance = instances.retry_instance(current_user, instance_id)
    if instance.state == "error":
        flash(f"重试后仍然出错：{instance.error}", "danger")
    else:
        flash("已重试，流程继续运行。", "success")
    return redirect(url_for("engine.errors"))
