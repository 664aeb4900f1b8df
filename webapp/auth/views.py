"""Login, logout and changing one's own password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from webapp.auth.forms import ChangePasswordForm, LoginForm
from webapp.auth.throttle import throttled
from webapp.core import clock, operations
from webapp.core.errors import DomainError
from webapp.core.urls import safe_next
from webapp.web import keep_transaction

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@throttled
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = operations.authenticate(form.username.data or "", form.password.data or "")
        except DomainError as err:
            g.login_failed = True
            keep_transaction()  # the failed-login audit record must stay
            flash(err.message, "danger")
            status = 401
        else:
            session.clear()
            login_user(user, remember=bool(form.remember.data))
            now = clock.now().timestamp()
            session["login_at"] = now
            session["seen_at"] = now
            session.permanent = True
            operations.record_login(user, via="password")
            return redirect(safe_next(request.args.get("next"), url_for("main.home")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    operations.end_sessions_on_logout(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            operations.change_own_password(
                current_user._get_current_object(),
                form.old_password.data or "",
                form.new_password.data or "",
            )
        except DomainError as err:
            flash(err.message, "danger")
            status = 422
        else:
            logout_user()
            session.clear()
            flash("密码已修改，请用新密码重新登录。", "success")
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        status = 422
    return render_template("auth/change_password.html", form=form), status
