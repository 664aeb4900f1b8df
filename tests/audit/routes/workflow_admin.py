"""Expectations for 管理 → 流程定义 / 文书模板, /api/v1/workflows and instance migration."""

from __future__ import annotations

import io
from typing import Any

from tests.audit.routes import Case, Env, Route
from tests.workflow_admin.bpmn_edits import quarterly, with_leader_step, without_step
from webapp.extensions import db

BASE = "/admin/workflows"
TEMPLATES = "/admin/doc-templates/quarterly_report"


def _deploy(content: bytes | None = None) -> Any:
    from webapp.engine import deploy_bpmn

    definition = deploy_bpmn(None, None, content or quarterly()).definition
    db.session.commit()
    return definition


def _admin_with_v1(env: Env) -> None:
    _deploy()
    env.logged_in("admin", "410000")


def _admin_with_v2(env: Env) -> None:
    _deploy()
    _deploy(with_leader_step())
    env.logged_in("admin", "410000")


def _running_then(content: bytes, *, api: bool = False) -> Any:
    def setup(env: Env) -> None:
        from webapp.core.operations import get_org
        from webapp.engine import start_instance

        _deploy()
        instance = start_instance(None, "quarterly_report", get_org("410102"), "q:410102:2026Q1")
        db.session.commit()
        _deploy(content)
        env.data["instance"] = instance.id
        if api:
            env.data["headers"] = env.api_token("admin", "410000", username="api_admin")
        else:
            env.logged_in("admin", "410000")

    return setup


def _file_form(env: Env, path: str, token_from: str, content: bytes, name: str) -> Any:
    token = env.csrf(token_from)
    return env.client.post(
        path,
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _editor_post(env: Env, action: str, content: bytes) -> Any:
    token = env.csrf(f"{BASE}/quarterly_report/edit")
    return env.client.post(
        f"{BASE}/quarterly_report/{action}",
        json={"xml": content.decode()},
        headers={"X-CSRFToken": token},
    )


def _api_admin(*contents: bytes) -> Any:
    def setup(env: Env) -> None:
        for content in contents:
            _deploy(content)
        env.data["headers"] = env.api_token("admin", "410000", username="api_admin")

    return setup


def _api_upload(env: Env, content: bytes) -> Any:
    return env.client.post(
        "/api/v1/workflows/quarterly_report/versions",
        data={"file": (io.BytesIO(content), "q.bpmn")},
        headers=env.data["headers"],
        content_type="multipart/form-data",
    )


def _docx(text: str) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _admin_with_template(env: Env) -> None:
    from sqlalchemy import select

    from webapp.core.models import User
    from webapp.workflow_admin.doc_templates import upload_template

    env.logged_in("admin", "410000")
    admin = db.session.execute(select(User).where(User.username == "admin_410000")).scalar_one()
    upload_template(admin, "quarterly_report", _docx("{{ title }}"))
    upload_template(admin, "quarterly_report", _docx("{{ unit }}"))
    db.session.commit()


BAD = quarterly().replace(b"reviewer@parent", b"reviewer@nowhere")

EXPECTATIONS = {
    "POST workflow_admin.workflows_upload": Route(
        cases=(
            Case(
                "deploy a new version",
                setup=_admin_with_v1,
                exercise=lambda env: _file_form(
                    env, f"{BASE}/upload", f"{BASE}/", with_leader_step(), "q.bpmn"
                ),
                writes=("workflow.deploy",),
                status=302,
            ),
            Case(
                "invalid diagram",
                setup=_admin_with_v1,
                exercise=lambda env: _file_form(env, f"{BASE}/upload", f"{BASE}/", BAD, "q.bpmn"),
                writes=("workflow.deploy_refused",),
                status=422,
            ),
        )
    ),
    "POST workflow_admin.workflows_validate": Route(
        cases=(
            Case(
                "validate",
                setup=_admin_with_v1,
                exercise=lambda env: _editor_post(env, "validate", BAD),
                no_audit="it only reports problems",
                status=200,
            ),
        )
    ),
    "POST workflow_admin.workflows_deploy": Route(
        cases=(
            Case(
                "deploy from the editor",
                setup=_admin_with_v1,
                exercise=lambda env: _editor_post(env, "deploy", with_leader_step()),
                writes=("workflow.deploy",),
                status=201,
            ),
            Case(
                "invalid diagram",
                setup=_admin_with_v1,
                exercise=lambda env: _editor_post(env, "deploy", BAD),
                writes=("workflow.deploy_refused",),
                status=422,
            ),
        )
    ),
    "POST workflow_admin.workflows_rollback": Route(
        cases=(
            Case(
                "roll back to version 1",
                setup=_admin_with_v2,
                exercise=lambda env: env.post_form(
                    f"{BASE}/quarterly_report/rollback",
                    {"version": "1"},
                    token_from=f"{BASE}/quarterly_report",
                ),
                writes=("workflow.rollback", "workflow.deploy"),
                status=302,
            ),
        )
    ),
    "POST workflow_admin.workflows_migrate": Route(
        cases=(
            Case(
                "migrate",
                setup=_running_then(with_leader_step()),
                exercise=lambda env: env.post_form(
                    f"{BASE}/quarterly_report/migrate",
                    {"instance_id": str(env.data["instance"])},
                    token_from=f"{BASE}/quarterly_report",
                ),
                writes=("workflow.migrate",),
                status=302,
            ),
            Case(
                "refused: the current step is gone",
                setup=_running_then(without_step("prepare")),
                exercise=lambda env: env.post_form(
                    f"{BASE}/quarterly_report/migrate",
                    {"instance_id": str(env.data["instance"])},
                    token_from=f"{BASE}/quarterly_report",
                ),
                no_audit="the refusal changes nothing",
                status=302,
            ),
        )
    ),
    "POST api_workflows.upload": Route(
        cases=(
            Case(
                "deploy",
                setup=_api_admin(quarterly()),
                exercise=lambda env: _api_upload(env, with_leader_step()),
                writes=("workflow.deploy",),
                status=201,
            ),
            Case(
                "invalid diagram",
                setup=_api_admin(quarterly()),
                exercise=lambda env: _api_upload(env, BAD),
                writes=("workflow.deploy_refused",),
                status=422,
            ),
        )
    ),
    "POST api_workflows.rollback": Route(
        cases=(
            Case(
                "roll back",
                setup=_api_admin(quarterly(), with_leader_step()),
                exercise=lambda env: env.client.post(
                    "/api/v1/workflows/quarterly_report/rollback",
                    json={"version": 1},
                    headers=env.data["headers"],
                ),
                writes=("workflow.rollback", "workflow.deploy"),
                status=201,
            ),
        )
    ),
    "POST api_instance_migration.migrate": Route(
        cases=(
            Case(
                "migrate",
                setup=_running_then(with_leader_step(), api=True),
                exercise=lambda env: env.client.post(
                    f"/api/v1/instances/{env.data['instance']}/migrate",
                    headers=env.data["headers"],
                ),
                writes=("workflow.migrate",),
                status=200,
            ),
            Case(
                "refused",
                setup=_running_then(without_step("prepare"), api=True),
                exercise=lambda env: env.client.post(
                    f"/api/v1/instances/{env.data['instance']}/migrate",
                    headers=env.data["headers"],
                ),
                no_audit="the refusal changes nothing",
                status=409,
            ),
        )
    ),
    "POST doc_templates.templates_upload": Route(
        cases=(
            Case(
                "upload a good template",
                setup=lambda env: env.logged_in("admin", "410000"),
                exercise=lambda env: _file_form(
                    env, f"{TEMPLATES}/upload", TEMPLATES, _docx("{{ title }}"), "t.docx"
                ),
                writes=("template.upload",),
                status=302,
            ),
            Case(
                "sandbox escape refused",
                setup=lambda env: env.logged_in("admin", "410000"),
                exercise=lambda env: _file_form(
                    env, f"{TEMPLATES}/upload", TEMPLATES, _docx("{{ ''.__class__ }}"), "t.docx"
                ),
                no_audit="validation fails: nothing is stored",
                status=422,
            ),
        )
    ),
    "POST doc_templates.templates_restore": Route(
        cases=(
            Case(
                "restore version 1",
                setup=_admin_with_template,
                exercise=lambda env: env.post_form(
                    f"{TEMPLATES}/restore", {"version": "1"}, token_from=TEMPLATES
                ),
                writes=("template.restore",),
                status=302,
            ),
        )
    ),
}
