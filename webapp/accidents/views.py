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
from webapp.accidents.parsing import FIELD_NAMES, LABELS, field_problems, refuse_problems
from webapp.core import clock
from webapp.core.operations import get_org
from webapp.core.permissions import require
from webapp.web import page_blueprint, posted_here, refused_on

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
@refused_on("accidents.new", FIELD_NAMES)
def new() -> Any:
    """The report form (首报): a refusal comes back here (422), every problem at once, each
    under its field, what was typed kept (refused_on, the page being its own form's)."""
    require(current_user, "accident.report", current_user.org)
    if posted_here():
        data = _form_data()
        refuse_problems(field_problems(data))
        accident = ops.record_accident(current_user, current_user.org, data)
        flash(f"已报告，事故等级：{accident.level}。", "success")
        return redirect(url_for("accidents.detail", accident_id=accident.id))
    data = {"reporting_unit": current_user.org.name}
    return render_template("accidents/new.html", data=data, labels=LABELS)


@bp.route("/<int:accident_id>")
def detail(accident_id: int) -> Any:
    page = accident_page(current_user, queries.get_accident(current_user, accident_id))
    return render_template(
        "accidents/detail.html", page=page, to_local=clock.to_local, labels=LABELS
    )


@bp.route("/<int:accident_id>/followups", methods=["POST"])
@refused_on("accidents.detail", FIELD_NAMES)
def followup(accident_id: int) -> Any:
    accident = queries.get_accident(current_user, accident_id)
    data = _form_data()
    if "under_control" not in request.form:
        data.pop("under_control")
    problems = field_problems(data, partial=True)
    if problems and accident_page(current_user, accident).can_followup:
        # (who may not 续报 is refused by the operation, 403, before it reads the input)
        refuse_problems(problems)
    report = ops.add_followup(current_user, accident, data)
    flash(f"已续报（{report.kind_label}），事故等级：{accident.level}。", "success")
    return redirect(url_for("accidents.detail", accident_id=accident_id))


#: The conclusion's record-number fields.
ID_LABELS = {name: LABELS[name] for name in ("behaviour_ids", "penalty_ids")}


def _ids(text: str) -> list[int]:
    """Record numbers separated by commas; anything else is refused (never silently dropped)."""
    parts = [x.strip() for x in text.replace("，", ",").split(",") if x.strip()]
    if any(not x.isascii() or not x.isdigit() or len(x) > 12 for x in parts):
        raise ValueError(text)
    return [int(x) for x in parts]


@bp.route("/<int:accident_id>/conclusion", methods=["POST"])
@refused_on("accidents.detail", FIELD_NAMES)
def conclude(accident_id: int) -> Any:
    accident = queries.get_accident(current_user, accident_id)
    ids: dict[str, list[int]] = {name: [] for name in ID_LABELS}
    problems: dict[str, str] = {}
    for name, label in ID_LABELS.items():
        try:
            ids[name] = _ids(request.form.get(name, ""))
        except ValueError:
            problems[name] = f"{label}须为数字，多个以逗号分隔。"
    if problems and accident_page(current_user, accident).can_conclude:
        # (who may not conclude is refused by the operation, 403, before it reads the input)
        refuse_problems(problems)
    ops.record_conclusion(
        current_user,
        accident,
        request.form.get("conclusion", ""),
        ids["behaviour_ids"],
        ids["penalty_ids"],
    )
    flash("调查结论已录入，事故已结案。", "success")
    return redirect(url_for("accidents.detail", accident_id=accident_id))
