"""A deploy or rollback says how many running instances stay on an older version (a deploy never
moves them) and leads to the definition page's migrate form: upload form, editor and API."""

from __future__ import annotations

import io

from tests.conftest import csrf_token
from tests.workflow_admin.bpmn_edits import with_leader_step
from tests.workflow_admin.test_api import _upload

BASE = "/admin/workflows"


def test_the_api_answer_counts_the_instances_left_on_the_old_version(client, api_token, report):
    report()
    report("quarterly:410103:2026Q1", "410103")
    headers = api_token("admin", "410000")
    body = _upload(client, headers, with_leader_step()).get_json()
    assert body["version"] == 2
    assert body["running_on_older_versions"] == 2
    assert body["migrate_url"] == f"{BASE}/quarterly_report#migrate-form"
    assert "仍有 2 个运行中的流程实例按旧版本运行" in body["message"]
    back = client.post(
        "/api/v1/workflows/quarterly_report/rollback", json={"version": 1}, headers=headers
    ).get_json()
    assert back["version"] == 3 and back["running_on_older_versions"] == 2
    assert back["message"].startswith("已将第 1 版的内容部署为第 3 版")


def test_without_running_instances_nothing_is_said_about_them(client, api_token, deployed):
    deployed()
    body = _upload(client, api_token("admin", "410000"), with_leader_step()).get_json()
    assert body["running_on_older_versions"] == 0
    assert body["migrate_url"] == f"{BASE}/quarterly_report"
    assert "运行中的流程实例" not in body["message"]


def test_the_upload_form_lands_on_the_migrate_form_with_the_count(logged_in, report):
    instance = report()
    client = logged_in("admin", "410000")
    token = csrf_token(client, f"{BASE}/")
    r = client.post(
        f"{BASE}/upload",
        data={"csrf_token": token, "file": (io.BytesIO(with_leader_step()), "q.bpmn")},
        content_type="multipart/form-data",
    )
    assert r.headers["Location"].endswith("/quarterly_report#migrate-form")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "仍有 1 个运行中的流程实例按旧版本运行" in html
    assert 'id="older-instances"' in html and 'href="#migrate-form"' in html
    assert f'name="instance_id" value="{instance.id}"' in html


def test_the_editor_says_it_too(logged_in, report):
    report()
    client = logged_in("admin", "410000")
    token = csrf_token(client, f"{BASE}/quarterly_report/edit")
    r = client.post(
        f"{BASE}/quarterly_report/deploy",
        json={"xml": with_leader_step().decode()},
        headers={"X-CSRFToken": token},
    )
    body = r.get_json()
    assert r.status_code == 201 and body["running_on_older_versions"] == 1
    assert body["url"].endswith("/quarterly_report#migrate-form")
    assert "仍有 1 个运行中的流程实例" in body["message"]


def test_the_rollback_form_says_it_too(logged_in, report):
    report()
    client = logged_in("admin", "410000")
    token = csrf_token(client, f"{BASE}/")
    client.post(
        f"{BASE}/upload",
        data={"csrf_token": token, "file": (io.BytesIO(with_leader_step()), "q.bpmn")},
        content_type="multipart/form-data",
    )
    r = client.post(f"{BASE}/quarterly_report/rollback", data={"csrf_token": token, "version": "1"})
    assert r.headers["Location"].endswith("#migrate-form")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已将第 1 版的内容部署为第 3 版" in html and "仍有 1 个运行中的流程实例" in html
