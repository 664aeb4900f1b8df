"""Publication to the public (向社会公开, 第五条, 第七条, 第八条(三), 第十五条).

Driven by workflows/publication.bpmn (one instance per unit and half year) and
workflows/publication_schedule.bpmn (opens each half year); the public portal under /public/
and the public API under /api/v1/public need no login and show published items only.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.core.models import Role
from webapp.core.permissions import ANY, Relation, register
from webapp.periodic import register_rules
from webapp.publication import drafting, models  # noqa: F401 (tables for Alembic; draft kind)

register_rules(
    "publication", view="查看公开报告（含草稿、归档）", draft="拟稿公开报告", open="开启半年度公开"
)
register(
    "publication.withdraw_request",
    {Role.CLERK, Role.REVIEWER},
    {Relation.OWN},
    label="申请撤回公开报告",
)
register(
    "publication.objection_answer",
    {Role.REVIEWER, Role.LEADER},
    {Relation.OWN},
    label="答复信用记录异议（本级批准的记录）",
)
register("public.view", (), ANY, public=True, label="浏览公开信息（无需登录）")

ACTIONS = {
    "publication.open_period": "开启半年度公开",
    "publication.generate": "生成公开报告草稿",
    "publication.sections_save": "保存公开报告草稿",
    "publication.sections_restore": "恢复公开报告草稿的历史版本",
    "publication.regenerate": "重新生成公开报告草稿",
    "publication.submit": "公开报告提交审核（冻结数据）",
    "publication.publish": "公开发布报告",
    "publication.withdraw_request": "申请撤回公开报告",
    "publication.withdraw": "撤回公开报告",
    "publication.withdraw_refused": "不同意撤回公开报告",
    "publication.document_download": "下载公开报告文书（内部）",
    "publication.record_expire": "信用记录公示期满自动撤下",
    "publication.objection_raise": "对公示的信用记录提出异议",
    "publication.objection_answer": "答复信用记录异议",
}


def init_app(app: Flask, api: Any) -> None:
    from webapp.main.views import SECTION_ENDPOINTS
    from webapp.publication import api as publication_api
    from webapp.publication import cli, flow, portal, sweep, views  # noqa: F401 (registers)
    from webapp.publication.index import settings_from_env
    from webapp.publication.publicity import settings_from_env as publicity_settings
    from webapp.publication.schedule import schedule_settings

    settings = {**settings_from_env(), **publicity_settings(), **schedule_settings()}
    for key, value in settings.items():
        app.config.setdefault(key, value)
    app.register_blueprint(views.bp)
    app.register_blueprint(portal.bp)
    _register_archive_reader()
    for bp in publication_api.blueprints:
        api.register_blueprint(bp)
    cli.register(app)
    SECTION_ENDPOINTS["public"] = "publication.index"
    from webapp.audit.vocabulary import register_actions, register_object_types

    register_actions(ACTIONS)
    register_object_types({"publication": "公开报告", "published_record": "公示的信用记录"})
    from webapp.publication.document import sample_context
    from webapp.workflow_admin import register_template_sample

    register_template_sample("public_report", sample_context, label="工程质量总体状况报告（公开）")


def _register_archive_reader() -> None:
    """Staff who may see a publication read its archived file (the public use the portal)."""
    from webapp.archive.access import register_object_reader
    from webapp.extensions import db
    from webapp.publication import operations as ops
    from webapp.publication.models import Publication

    register_object_reader("publication", lambda i: db.session.get(Publication, i), ops.can_view)
