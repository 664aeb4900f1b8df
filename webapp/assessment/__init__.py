"""Year-end assessments (考核): 附件2 质量管理年 and 附件3 质量监督工作 score sheets, campaigns,
self-assessment, site sampling, scoring, ranking and the results notice, driven by the BPMN
processes workflows/year_end_assessment.bpmn, year_end_self_assessment.bpmn (附件2) and
year_end_materials.bpmn (附件3)."""

from __future__ import annotations

from typing import Any

from flask import Flask

# permissions, tables, the process forms and service operations (registered at import)
from webapp.assessment import access, flow_forms, flow_steps, models  # noqa: F401

#: Labels of the audit actions the process steps write (webapp.audit.vocabulary).
ACTION_LABELS = {
    "assessment.results_return": "考核结果退回修改",
    "assessment.self_overdue": "考核自评逾期",
    "assessment.materials_overdue": "考核材料报送逾期",  #: 附件3 (no self-assessment)
    "assessment.notice_publish": "发布考核结果通报",
    "assessment.evidence_override": "改变系统建议的考核评分",
}


def init_app(app: Flask, api: Any) -> None:
    from webapp.assessment import (
        unit_views,  # noqa: F401  (routes on the same blueprint)
        vocabulary,
    )
    from webapp.assessment.api import bp as api_bp
    from webapp.assessment.cli import assessment_cli
    from webapp.assessment.sampling import set_candidate_source
    from webapp.assessment.views import bp
    from webapp.audit.vocabulary import register_actions
    from webapp.ledger.candidates import candidate_projects
    from webapp.main.views import SECTION_ACTIONS, SECTION_ENDPOINTS

    app.config.setdefault("ASSESSMENT_MAX_FILE_MB", 10)
    app.register_blueprint(bp)
    _register_archive_reader()
    api.register_blueprint(api_bp)
    app.cli.add_command(assessment_cli)
    vocabulary.register()
    app.add_template_global(flow_forms.task_view, "assessment_task_view")
    register_actions(ACTION_LABELS)
    SECTION_ENDPOINTS["assessment"] = "assessment.campaigns"
    SECTION_ACTIONS["assessment"] = "assessment.view"  # auditors: every page would be 403
    # Site sampling draws from the ledger's in-construction affordable housing.  Wired here, in
    # the higher feature, so that the ledger never imports the assessment (no import cycle).
    set_candidate_source(candidate_projects)


def _register_archive_reader() -> None:
    """The results notice, as the notice page serves it: staff of the assessment, once approved."""
    from webapp.archive.access import register_object_reader
    from webapp.assessment.models import AssessmentCampaign
    from webapp.core.permissions import can
    from webapp.extensions import db

    register_object_reader(
        "assessment_campaign",
        lambda i: db.session.get(AssessmentCampaign, i),
        lambda user, c: c.state == "approved" and can(user, "assessment.view"),
    )
    # 附件3 1.13 materials: the unit's staff and the province (as the unit's assessment pages)
    from webapp.assessment.evidence import MATERIALS
    from webapp.assessment.models import UnitAssessment

    for owner_kind, _ in MATERIALS.values():
        register_object_reader(
            owner_kind,
            lambda i: db.session.get(UnitAssessment, i),
            lambda user, u: can(user, "assessment.view", u.org),
        )
