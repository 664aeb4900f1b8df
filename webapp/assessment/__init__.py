"""Year-end assessments (考核): 附件2 质量管理年 and 附件3 质量监督工作 score sheets, campaigns,
self-assessment, site sampling, scoring, ranking and the results notice."""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.assessment import access, models  # noqa: F401  (permissions and tables)


def init_app(app: Flask, api: Any) -> None:
    from webapp.assessment import (
        unit_views,  # noqa: F401  (routes on the same blueprint)
        vocabulary,
    )
    from webapp.assessment.api import bp as api_bp
    from webapp.assessment.cli import assessment_cli
    from webapp.assessment.views import bp
    from webapp.main.views import SECTION_ACTIONS, SECTION_ENDPOINTS

    app.config.setdefault("ASSESSMENT_MAX_FILE_MB", 10)
    app.register_blueprint(bp)
    api.register_blueprint(api_bp)
    app.cli.add_command(assessment_cli)
    vocabulary.register()
    SECTION_ENDPOINTS["assessment"] = "assessment.campaigns"
    SECTION_ACTIONS["assessment"] = "assessment.view"  # auditors: every page would be 403
