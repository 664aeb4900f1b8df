"""Quarterly and annual analysis reports (季度/年度工程质量分析报告).

Driven by workflows/quarterly_report.bpmn: drafted from the ledgers, approved, sent up,
accepted, rolled up."""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.core.models import Role
from webapp.core.permissions import ANY, Relation, register
from webapp.periodic import register_rules
from webapp.reports import drafting, models  # noqa: F401 (tables for Alembic; draft kinds)

register_rules("report", view="查看分析报告", draft="编制分析报告", open="开启报告期")
register(
    "report.remind",
    {Role.CLERK, Role.REVIEWER, Role.LEADER},
    {Relation.DESCENDANT},
    label="催报下级单位",
)

register(
    "report.extend", {Role.REVIEWER, Role.LEADER}, {Relation.DESCENDANT}, label="为下级单位延期"
)

#: The roles that may change anything of a report at all (checked before the body is read).
register(
    "report.write",
    {Role.CLERK, Role.REVIEWER, Role.LEADER, Role.ADMIN},
    ANY,
    label="编制或处理分析报告",
)

register("report.seal", {Role.CLERK, Role.REVIEWER}, {Relation.OWN}, label="上传盖章扫描件")

register(
    "report.notice",
    {Role.CLERK, Role.REVIEWER, Role.LEADER},
    {Relation.OWN},
    label="报送工作表扬和批评通报",
)

ACTIONS = {
    "report.open_period": "开启报告期",
    "report.narrative_save": "保存分析报告草稿",
    "report.narrative_restore": "恢复分析报告正文的历史版本",
    "report.first_draft": "生成分析报告初稿",
    "report.explain": "填写校验说明",
    "report.explain_restore": "恢复填报说明的历史版本",
    "report.meeting_save": "记录季度质量分析会",
    "report.submit": "冻结数据并上报",
    "report.seal_attach": "上传盖章扫描件",
    "report.accept": "上级接收报告",
    "report.return": "上级退回报告",
    "report.remind": "报送到期提醒",
    "report.overdue": "报告逾期",
    "report.correction": "发起报告更正",
    "report.extend": "报告延期",
    "report.remind_unit": "催报下级单位",
    "report.document_download": "下载报告文书",
    "report.board_export": "导出下级单位报送情况",
    "notice.start": "拟定报送工作通报",
    "notice.edit": "修改通报名单",
    "notice.issue": "印发报送工作通报",
    "notice.document_download": "下载报送工作通报",
}


def init_app(app: Flask, api: Any) -> None:
    from webapp.config import env_int
    from webapp.ledger.queries import add_frozen_reports_source
    from webapp.main.views import SECTION_ENDPOINTS
    from webapp.reports import api as reports_api
    from webapp.reports import (  # noqa: F401 (flow and notice register forms/operations)
        cli,
        flow,
        notice,
        views,
    )
    from webapp.reports.deadlines import default_settings, window_settings
    from webapp.reports.operations import frozen_reports_counting
    from webapp.reports.pages import action_links
    from webapp.reports.readiness import DEFAULT_MIN_EXPLANATION
    from webapp.stats.checks import add_action_links

    for key, value in {**default_settings(), **window_settings()}.items():
        app.config.setdefault(key, value)
    #: Shortest explanation of a warning or of missing lower units, in characters
    app.config.setdefault(
        "REPORT_MIN_EXPLANATION", env_int("REPORT_MIN_EXPLANATION", DEFAULT_MIN_EXPLANATION)
    )
    #: Size bound of a stamped scan (盖章扫描件), MB
    app.config.setdefault("SEAL_SCAN_MAX_MB", env_int("SEAL_SCAN_MAX_MB", 10))
    app.register_blueprint(views.bp)
    api.register_blueprint(reports_api.bp)
    _register_archive_readers()
    cli.register(app)
    add_frozen_reports_source(frozen_reports_counting)
    add_action_links(action_links)
    SECTION_ENDPOINTS["reports"] = "reports.index"
    try:
        from webapp.audit.vocabulary import (
            register_actions,
            register_fields,
            register_object_types,
        )
    except ImportError:  # pragma: no cover - the audit feature is always installed
        return
    register_actions(ACTIONS)
    register_fields(
        {
            "meeting": "是否记录质量分析会",
            "held_on": "会议日期",
            "attendees": "参会人员",
            "conclusions": "会议结论",
        },
        object_type="report",
    )
    register_object_types(
        {"report": "分析报告", "period": "报告期", "reporting_notice": "报送工作通报"}
    )
    from webapp.reports.notice import sample_context
    from webapp.workflow_admin import register_template_sample

    register_template_sample("reporting_notice", sample_context, label="报送工作表扬和批评通报")


def _register_archive_readers() -> None:
    """Who may read the reports' files in the document archive (webapp.archive.access)."""
    from webapp.archive.access import register_object_reader, register_reader
    from webapp.core.permissions import can
    from webapp.extensions import db
    from webapp.reports import notice
    from webapp.reports import operations as ops
    from webapp.reports.models import Report

    register_object_reader("report", lambda i: db.session.get(Report, i), ops.can_view)
    register_reader(
        "reporting_notice",
        lambda user, _id: can(user, "report.notice", notice.province()),
        lambda _id: notice.province().code,
    )
