"""管理 → 流程定义 pages: list, versions, upload, editor endpoints, compare, roll back, migrate."""

from __future__ import annotations

import io

import pytest

from tests.conftest import csrf_token
from tests.workflow_admin.bpmn_edits import quarterly, with_leader_step, without_step
from webapp.engine.models import ProcessDefinition, ProcessInstance
from webapp.extensions import db

BASE = "/admin/workflows"


def _json_post(client, path: str, xml: bytes | str, token: str):
    text = xml.decode() if isinstance(xml, bytes) else xml
    return client.post(path, json={"xml": text}, headers={"X-CSRFToken": token})


def test_list_and_detail_show_versions_diagram_and_instances(logged_in, report):
    instance = report()
    client = logged_in("admin", "410000")
    page = client.get(f"{BASE}/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "季度工程质量分析报告" in html and "流程定义" in html and "文书模板" in html
    detail = client.get(f"{BASE}/quarterly_report").get_data(as_text=True)
    assert 'data-version="1"' in detail and instance.org.name in detail
    assert instance.business_key not in detail  # instances named in words (issue 18)
    assert "已是最新版本" in detail
    xml = client.get(f"{BASE}/quarterly_report/versions/1.bpmn?download=1")
    assert xml.data == quarterly() and "attachment" in xml.headers["Content-Disposition"]
    editor = client.get(f"{BASE}/quarterly_report/edit").get_data(as_text=True)
    assert "bpmn-modeler.production.min.js" in editor and "generic.approval" in editor
    assert "engine.notify_candidates" in editor and "leader" in editor


def test_upload_form_deploys_or_lists_the_problems(logged_in, deployed):
    deployed()
    client = logged_in("admin", "410000")
    token = csrf_token(client, f"{BASE}/")
    bad = quarterly().replace(b"reviewer@parent", b"reviewer@nowhere")
    r = client.post(
        f"{BASE}/upload",
        data={"csrf_token": token, "file": (io.BytesIO(bad), "q.bpmn")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Lane_upper" in html and "未声明角色和单位" in html
    assert db.session.query(ProcessDefinition).count() == 1
    r = client.post(
        f"{BASE}/upload",
        data={"csrf_token": token, "file": (io.BytesIO(with_leader_step()), "q.bpmn")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("/quarterly_report")
    assert db.session.query(ProcessDefinition).count() == 2


def test_editor_validates_and_deploys_json(logged_in, deployed):
    deployed()
    client = logged_in("admin", "410000")
    token = csrf_token(client, f"{BASE}/quarterly_report/edit")
    bad = with_leader_step().replace(b"leader@self", b"leader@moon")
    r = _json_post(client, f"{BASE}/quarterly_report/validate", bad, token)
    assert r.status_code == 200
    assert [p["element_id"] for p in r.get_json()["problems"]] == ["Lane_leader"]
    r = _json_post(client, f"{BASE}/quarterly_report/deploy", bad, token)
    assert r.status_code == 422 and r.get_json()["problems"][0]["element_id"] == "Lane_leader"
    assert db.session.query(ProcessDefinition).count() == 1
    r = _json_post(client, f"{BASE}/quarterly_report/deploy", with_leader_step(), token)
    assert r.status_code == 201 and r.get_json()["version"] == 2
    other = _json_post(client, f"{BASE}/demo_two_tier/deploy", with_leader_step(), token)
    assert other.status_code == 422 and "不一致" in other.get_json()["message"]
    no_csrf = client.post(f"{BASE}/quarterly_report/validate", json={"xml": "<x/>"})
    assert no_csrf.status_code == 400


def test_compare_page_rollback_and_migrate_forms(logged_in, report, deployed):
    instance = report()
    old_gone = report("quarterly:410103:2026Q1", "410103")
    client = logged_in("admin", "410000")
    deployed(with_leader_step())
    html = client.get(f"{BASE}/quarterly_report/compare?old=1&new=2").get_data(as_text=True)
    assert 'class="diff-added" data-element="leader_review"' in html
    token = csrf_token(client, f"{BASE}/quarterly_report")
    r = client.post(
        f"{BASE}/quarterly_report/migrate",
        data={"csrf_token": token, "instance_id": [str(instance.id)]},
        follow_redirects=True,
    )
    assert "已迁移到第 2 版" in r.get_data(as_text=True)
    # The outcome names the instance in words, never its business key (issue 18).
    assert instance.business_key not in r.get_data(as_text=True)
    deployed(without_step("prepare", with_leader_step()))
    r = client.post(
        f"{BASE}/quarterly_report/migrate",
        data={"csrf_token": token, "instance_id": [str(old_gone.id)]},
        follow_redirects=True,
    )
    assert "“填报季度报告”在第 3 版中不存在" in r.get_data(as_text=True)
    assert old_gone.business_key not in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ProcessInstance, old_gone.id).definition.version == 1
    r = client.post(
        f"{BASE}/quarterly_report/rollback",
        data={"csrf_token": token, "version": "1"},
        follow_redirects=True,
    )
    assert "已将第 1 版的内容部署为第 4 版" in r.get_data(as_text=True)


@pytest.mark.parametrize(("role", "code"), [("reviewer", "410000"), ("auditor", "410000")])
def test_non_admins_get_403(logged_in, deployed, role, code):
    deployed()
    client = logged_in(role, code)
    assert client.get(f"{BASE}/").status_code == 403
    assert client.get(f"{BASE}/quarterly_report/edit").status_code == 403
    assert client.get(f"{BASE}/quarterly_report/versions/1.bpmn").status_code == 403
    assert client.get("/admin/doc-templates/").status_code == 403
