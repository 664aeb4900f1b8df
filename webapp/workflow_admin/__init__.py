"""BPMN administration (管理 → 流程定义) and Word template versions (管理 → 文书模板).

Public functions other features call::

    active_template(name) -> bytes    # the active uploaded .docx, else docs_templates/<name>.docx
    register_template_sample(name, factory, label=...)   # a template administrators may upload

SpiffWorkflow is touched only through ``webapp.engine`` (compare_versions, migrate_instance,
migration_problems, deploy_bpmn, validate_bpmn).
"""

from __future__ import annotations

from typing import Any

from webapp.core.models import Role
from webapp.core.permissions import ANY, register
from webapp.workflow_admin import models  # noqa: F401 (Alembic sees the table)
from webapp.workflow_admin.doc_templates import active_template
from webapp.workflow_admin.samples import register_template_sample

register("template.manage", {Role.ADMIN}, ANY, label="管理文书模板")

AUDIT_ACTIONS = {
    "workflow.deploy": "部署流程定义",
    "workflow.deploy_refused": "流程定义部署或回滚被拒绝（校验未通过或内容未变）",
    "workflow.rollback": "回滚流程定义",
    "workflow.migrate": "迁移流程实例到新版本",
    "template.upload": "上传文书模板",
    "template.restore": "恢复文书模板版本",
}


def init_app(app: Any, api: Any) -> None:
    from webapp.admin.views import ADMIN_TABS
    from webapp.audit.vocabulary import register_actions, register_fields, register_object_types
    from webapp.extensions import csrf
    from webapp.workflow_admin.api import blueprints
    from webapp.workflow_admin.template_views import bp as templates_bp
    from webapp.workflow_admin.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(templates_bp)
    for api_bp in blueprints:
        csrf.exempt(api_bp)
        api.register_blueprint(api_bp)
    for tab in (
        ("workflow_admin.workflows", "流程定义"),
        ("doc_templates.templates", "文书模板"),
    ):
        if tab not in ADMIN_TABS:
            ADMIN_TABS.append(tab)
    register_actions(AUDIT_ACTIONS)
    definition_fields = {
        "key": "流程",
        "version": "版本",
        "hash": "内容哈希（SHA-256）",
        "from_version": "回滚自版本",
        "changes.added": "新增的元素",
        "changes.removed": "删除的元素",
        "changes.changed": "修改的元素",
    }
    register_fields(definition_fields, object_type="process_definition")
    # A refused deploy is filed under the route that refused it (nothing was stored).
    register_fields(
        {
            "hash": definition_fields["hash"],
            "from_version": definition_fields["from_version"],
            "bytes": "文件大小（字节）",
            "problems": "校验发现的问题",
        },
        object_type="route",
    )
    register_object_types(
        {
            "process_definition": "流程定义",
            "process_instance": "流程实例",
            "document_template": "文书模板",
        }
    )


__all__ = ["active_template", "register_template_sample"]
