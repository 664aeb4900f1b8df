"""Quality accident reporting up the hierarchy (第十七条, 建质〔2010〕111号).

Driven by workflows/accident_report.bpmn (one instance per report version): the reporting unit
records the accident (首报) or a follow-up (续报/补报); every upper level acknowledges and
forwards within two calendar hours of receipt; the province records its report to the Ministry
for 较大 and above.  The accident record owns its ledger row, which the statistics read.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.accidents import models  # noqa: F401 (tables for Alembic)
from webapp.core.models import Role
from webapp.core.permissions import ANY, DOWNWARD, Relation, register

STAFF = {Role.CLERK, Role.REVIEWER, Role.LEADER, Role.ASSESSOR}

register("accident.view", STAFF, DOWNWARD, label="查看质量事故报告（本级及下级）")
register("accident.report", {Role.CLERK}, {Relation.OWN}, label="报告质量事故（首报、续报）")
register("accident.conclude", {Role.REVIEWER}, {Relation.OWN}, label="录入事故调查结论")
#: The roles that may write anything about an accident at all (checked before the body is read).
register("accident.write", {Role.CLERK, Role.REVIEWER}, ANY, label="报告或处理质量事故")

ACTIONS = {
    "accident.record": "质量事故首报",
    "accident.followup": "质量事故续报",
    "accident.skip": "质量事故越级上报（抄送被越过的一级）",
    "accident.forward": "质量事故接报并上报",
    "accident.ministry": "质量事故报部记录",
    "accident.late": "质量事故上报超时",
    "accident.conclude": "录入事故调查结论（结案）",
}


def init_app(app: Flask, api: Any) -> None:
    from webapp.accidents import api as accidents_api
    from webapp.accidents import cli, flow, views  # noqa: F401 (flow registers forms/operations)
    from webapp.main.views import SECTION_BLUEPRINTS

    app.register_blueprint(views.bp)
    api.register_blueprint(accidents_api.bp)
    cli.register(app)
    SECTION_BLUEPRINTS.setdefault("ledger", set()).add("accidents")
    from webapp.audit.vocabulary import register_actions, register_object_types

    register_actions(ACTIONS)
    register_object_types({"accident": "质量事故"})
