"""Statistics (附表1–7) computed in SQL from the ledgers, checks, snapshots."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask, api: Any) -> None:
    import os

    from webapp.audit.vocabulary import register_actions, register_fields
    from webapp.main.views import SECTION_BLUEPRINTS, SECTION_ENDPOINTS
    from webapp.stats import api as stats_api
    from webapp.stats import cli, views
    from webapp.stats.checks import JumpRule, rule_name

    #: When a period-on-period change warns (domain.md §4 Decision (jump warnings)): its share
    #: (0.5 = 50 %) and its size (projects, 万㎡, 万元), each from HQR_<setting>.
    for key, (_attr, default) in JumpRule.SETTINGS.items():
        app.config.setdefault(key, os.environ.get(f"HQR_{key}", default))
    app.add_template_filter(rule_name, "rule_name")  # a check's rule in Chinese, never its id
    # The statistics change nothing; taking a 附表 out as Excel is recorded (a read of units' data).
    register_actions({"stats.table_export": "导出统计附表"})
    register_fields({"table": "附表"}, object_type="org")
    app.register_blueprint(views.bp)
    api.register_blueprint(stats_api.bp)
    cli.register(app)
    SECTION_ENDPOINTS.setdefault("reports", "stats.index")
    # The 附表 pages stay under 报表 when the report feature takes the section's main page.
    SECTION_BLUEPRINTS.setdefault("reports", set()).add("stats")
