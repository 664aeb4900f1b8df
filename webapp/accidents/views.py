"""Accident pages: the subtree's accidents with each level's time taken and left, the report
form (首报), one accident with its versions, 续报 and the investigation's conclusion."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import idempotency
from webapp.accidents import operations as ops
from webapp.accidents import queries
from webapp.accidents.pages import accident_list_page, accident_page
from webapp.accidents.parsing import LABELS, field_problems, refusal
from webapp.core import clock
from webapp.core.errors import Conflict, InvalidInput
from webapp.core.operations import get_org
from webapp.core.permissions import require
from webapp.extensions import db
from webapp.web import page_blueprint

bp = page_blueprint("accidents", __name__, writes="accident.write")


def _form_data() -> dict[str, Any]:
    edge = {"csrf_token", idempotency.FIELD}  # the request edge's fields, not the record's
    data: dict[str, Any] = {k: v for k, v in request.form.items() if k not in edge}
    data["under_control"] = request.form.get("under_control") == "1"
    data["direct"] = request.form.get("direct") == "1"
    return data


@bp.route("/")
def index() -> Any:
    org = get_org(request.args["under"]) if request.args.get("under") else current_user.org
    require(current_user, "accident.view", org)
    open_only = request.args.get("open", "1") == "1"
    page = accident_list_page(current_user, org, open_only=open_only)
    return render_template("accidents/index.html", page=page, to_local=clock.to_local)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    require(current_user, "accident.report", current_user.org)
    data: dict[str, Any] = {"reporting_unit": current_user.org.name}
    if request.method == "POST":
        data = _form_data()
        errors = field_problems(data)
        if not errors:
            try:
                accident = ops.record_accident(current_user, current_user.org, data)
            except (InvalidInput, Conflict) as err:
                errors = refusal(err)
        if errors:  # nothing half-saved; every reason next to its field, what was typed kept
            db.session.rollback()
            return render_template(
                "accidents/new.html", data=data, errors=errors, labels=LABELS
            ), 422
        flash(f"已报告，事故等级：{accident.level}。", "success")
        return redirect(url_for("accidents.detail", accident_id=accident.id))
    return render_template("accidents/new.html", data=data)


@bp.route("/<int:accident_id>")
def detail(accident_id: int) -> Any:
    page = accident_page(current_user, queries.get_accident(current_user, accident_id))
    return render_template("accidents/detail.html", page=page, to_local=clock.to_local)


@bp.route("/<int:accident_id>/followups", methods=["POST"])
def followup(accident_id: int) -> Any:
    accident = queries.get_accident(current_user, accident_id)
    data = _form_data()
    if "under_control" not in request.form:
        data.pop("under_control")
    errors = field_problems(data, partial=True)
    if errors and not accident_page(current_user, accident).can_followup:
        errors = {}  # the operation refuses who may not 续报 (403) before reading the input
    if not errors:
        try:
            report = ops.add_followup(current_user, accident, data)
        except (InvalidInput, Conflict) as err:
            errors = refusal(err)
    if errors:
        return _refused(accident_id, "followup", errors)
    flash(f"已续报（{report.kind_label}），事故等级：{accident.level}。", "success")
    return redirect(url_for("accidents.detail", accident_id=accident_id))


def _refused(accident_id: int, form: str, errors: dict[str, str]) -> Any:
    """A refused 续报 or conclusion: nothing half-saved, the accident's page again (422) with the
    reasons next to the fields and what was typed."""
    db.session.rollback()
    page = accident_page(current_user, queries.get_accident(current_user, accident_id))
    typed = {k: v for k, v in request.form.items() if k != "csrf_token"}
    return render_template(
        "accidents/detail.html",
        page=page,
        to_local=clock.to_local,
        refused=form,
        typed=typed,
        errors=errors,
        labels=LABELS,
    ), 422


#: The conclusion's record-number fields.
ID_LABELS = {name: LABELS[name] for name in ("behaviour_ids", "penalty_ids")}


def _ids(text: str) -> list[int]:
    """Record numbers separated by commas; anything else is refused (never silently dropped)."""
    parts = [x.strip() for x in text.replace("，", ",").split(",") if x.strip()]
    if any(not x.isascii() or not x.isdigit() or len(x) > 12 for x in parts):
        raise ValueError(text)
    return [int(x) for x in parts]


@bp.route("/<int:accident_id>/conclusion", methods=["POST"])
def conclude(accident_id: int) -> Any:
    accident = queries.get_accident(current_user, accident_id)
    ids: dict[str, list[int]] = {}
    errors: dict[str, str] = {}
    for name, label in ID_LABELS.items():
        try:
            ids[name] = _ids(request.form.get(name, ""))
        except ValueError:
            errors[name] = f"{label}须为数字，多个以逗号分隔。"
    if errors and not accident_page(current_user, accident).can_conclude:
        errors = {}  # the operation refuses who may not conclude (403) before reading the input
        ids = {name: [] for name in ID_LABELS}
    if not errors:
        try:
            ops.record_conclusion(
                current_user,
                accident,
                request.form.get("conclusion", ""),
                ids["behaviour_ids"],
                ids["penalty_ids"],
            )
        except (InvalidInput, Conflict) as err:
            errors = refusal(err)
    if errors:
        return _refused(accident_id, "conclusion", errors)
    flash("调查结论已录入，事故已结案。", "success")
    return redirect(url_for("accidents.detail", accident_id=accident_id))
