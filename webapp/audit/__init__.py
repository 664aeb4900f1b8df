"""审计: the auditor's view of the audit trail, its verification and anchors, and the units'
reporting-work record (第八条(五)).

Writing the trail is the core's job (:func:`webapp.core.audit.record`); this package reads it.
Other features call :func:`webapp.audit.vocabulary.register_actions` to label their actions and
:func:`webapp.audit.reporting.reporting_record` for the reporting-work evidence.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.audit import guard
from webapp.audit import models as _models  # noqa: F401  (indexes on the audit table)
from webapp.core.models import Role
from webapp.core.permissions import DOWNWARD, register

#: The reporting-work record: the province's staff who evaluate units (and auditors, admins);
#: a city's leaders and reviewers see their own counties.
register(
    "audit.reporting",
    {Role.REVIEWER, Role.LEADER, Role.ASSESSOR, Role.AUDITOR, Role.ADMIN},
    DOWNWARD,
    label="查看各单位报送工作记录",
)


def init_app(app: Flask, api: Any) -> None:
    from webapp.audit.api import bp as api_bp
    from webapp.audit.cli import anchor_command
    from webapp.audit.views import bp
    from webapp.cli import audit_cli
    from webapp.extensions import csrf
    from webapp.main.views import SECTION_ENDPOINTS

    guard.install()
    app.register_blueprint(bp)
    csrf.exempt(api_bp)
    api.register_blueprint(api_bp)
    audit_cli.add_command(anchor_command)
    SECTION_ENDPOINTS["audit"] = "audit.records"
