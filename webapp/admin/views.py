"""Administration of users (create, edit roles, disable, reset password)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from wtforms import SelectChoice

from webapp.admin.forms import ConfirmForm, ResetPasswordForm, UserForm
from webapp.core import operations
from webapp.core.errors import DomainError
from webapp.core.models import Org, User
from webapp.core.permissions import require
from webapp.extensions import db
from webapp.web import page_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50


def _org_choices() -> list[SelectChoice]:
    orgs = db.session.execute(select(Org).order_by(Org.path)).scalars()
    return [SelectChoice(o.code, f"{'　' * o.depth}{o.name}（{o.code}）") for o in orgs]


#: Tabs of the 管理 section: (endpoint, label).  Features append theirs (流程定义, 文书模板).
ADMIN_TABS: list[tuple[str, str]] = [("admin.users", "用户"), ("admin.orgs", "组织机构")]


@bp.before_request
@login_required
def _only_admins() -> None:
    require(current_user, "user.manage")


@bp.app_context_processor
def _admin_tabs() -> dict[str, Any]:
    return {"admin_tabs": lambda: ADMIN_TABS}


@bp.route("/users")
def users() -> Any:
    q = (request.args.get("q") or "").strip()
    page = page_arg()
    stmt = select(User).join(User.org)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            or_(
                User.username.ilike(like),
                User.full_name.ilike(like),
                Org.name.ilike(like),
                Org.code.ilike(like),
            )
        )
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = (
        db.session.execute(
            stmt.order_by(Org.path, User.username).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        )
        .scalars()
        .all()
    )
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template(
        "admin/users.html",
        users=rows,
        q=q,
        page=page,
        pages=pages,
        total=total,
        confirm=ConfirmForm(),
    )


def _submit(form: UserForm, save: Callable[[], User], done: str) -> tuple[Any, int]:
    """Submit a user form: (the redirect to the user list, 302) once ``save`` succeeds, with
    ``done`` (formatted with the username) flashed; else (None, the status of the form shown
    again), a refusal flashed."""
    if not form.validate_on_submit():
        return None, 422 if request.method == "POST" else 200
    try:
        user = save()
    except DomainError as err:
        flash(err.message, "danger")
        return None, err.status_code
    flash(done.format(user.username), "success")
    return redirect(url_for("admin.users", q=user.username)), 302


@bp.route("/users/new", methods=["GET", "POST"])
def user_new() -> Any:
    form = UserForm()
    form.org_code.choices = _org_choices()
    saved, status = _submit(
        form,
        lambda: operations.create_user(
            current_user,
            username=form.username.data or "",
            full_name=form.full_name.data or "",
            org_code=form.org_code.data or "",
            roles=form.roles.data or [],
            password=form.password.data or "",
            email=form.email.data,
        ),
        "已创建用户 {}。",
    )
    if saved is not None:
        return saved
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> Any:
    user = operations.get_user(user_id)
    form = UserForm(obj=user)
    form.org_code.choices = _org_choices()
    del form.password
    if request.method == "GET":
        form.org_code.data = user.org.code
        form.roles.data = sorted(user.roles)
    saved, status = _submit(
        form,
        lambda: operations.update_user(
            current_user,
            user,
            full_name=form.full_name.data or "",
            org_code=form.org_code.data or "",
            roles=form.roles.data or [],
            email=form.email.data,
        ),
        "已保存用户 {}。",
    )
    if saved is not None:
        return saved
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        reset=ResetPasswordForm(),
        confirm=ConfirmForm(),
    ), status


@bp.route("/users/<int:user_id>/enabled", methods=["POST"])
def user_set_enabled(user_id: int) -> Any:
    form = ConfirmForm()
    form.validate_on_submit()  # CSRF is checked globally; the form carries nothing else
    user = operations.get_user(user_id)
    enable = request.form.get("enabled") == "1"
    operations.set_enabled(current_user, user, enable)
    flash(f"已{'启用' if enable else '停用'}用户 {user.username}。", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def user_reset_password(user_id: int) -> Any:
    user = operations.get_user(user_id)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for e in errors:
                flash(str(e), "danger")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    operations.reset_password(current_user, user, form.new_password.data or "")
    flash(f"已重置用户 {user.username} 的密码，其所有会话已失效。", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/orgs")
def orgs() -> Any:
    counts = dict(
        db.session.execute(select(User.org_id, func.count(User.id)).group_by(User.org_id)).all()
    )
    rows = db.session.execute(select(Org).order_by(Org.path)).scalars().all()
    return render_template("admin/orgs.html", orgs=rows, counts=counts)
