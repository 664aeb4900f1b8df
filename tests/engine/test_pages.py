from __future__ import annotations

from tests.conftest import csrf_token, login
from tests.engine.conftest import open_task
from webapp.engine.models import ProcessInstance
from webapp.extensions import db


def test_inbox_task_form_and_instance_pages(client, start, make_user):
    make_user("clerk", "410102")
    instance = start("demo_two_tier", "410102")
    login(client, "clerk_410102")
    inbox = client.get("/tasks/").get_data(as_text=True)
    assert "待办" in inbox and "填报 · 中原区" in inbox
    assert "demo_two_tier:410102" not in inbox  # a business key is never shown (issue 18)
    task = open_task(instance)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "标题" in page and "审批意见" in page and "提交审核" in page
    token = csrf_token(client, f"/tasks/{task.id}")
    bad = client.post(
        f"/tasks/{task.id}/complete",
        data={"csrf_token": token, "outcome": "submit", "f_amount": "-3"},
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "标题为必填项" in text and "不能小于0" in text
    ok = client.post(
        f"/tasks/{task.id}/complete",
        data={"csrf_token": token, "outcome": "submit", "f_title": "一季度", "f_amount": "3.5"},
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(ProcessInstance, instance.id).data["amount"] == 3.5
    done = client.get("/tasks/?view=done").get_data(as_text=True)
    assert "填报" in done and "已办结" in done
    page = client.get(f"/tasks/instances/{instance.id}").get_data(as_text=True)
    assert "办理记录" in page and "提交审核" in page and "bpmn-navigated-viewer" in page
    assert '"current": ["review"]' in page
    xml = client.get(f"/tasks/instances/{instance.id}/diagram.bpmn")
    assert xml.status_code == 200 and b"demo_two_tier" in xml.data
    withdraw = client.post(f"/tasks/{task.id}/withdraw", data={"csrf_token": token})
    assert withdraw.status_code == 302


def test_pages_check_permissions(client, start, make_user):
    instance = start("demo_two_tier", "410102")
    task = open_task(instance)
    make_user("clerk", "410200")  # 开封: another city
    login(client, "clerk_410200")
    assert client.get(f"/tasks/{task.id}").status_code == 404
    assert client.get(f"/tasks/instances/{instance.id}").status_code == 404
    assert client.get(f"/tasks/instances/{instance.id}/diagram.bpmn").status_code == 404
    assert client.get("/tasks/admin/errors").status_code == 403
    token = csrf_token(client, "/tasks/")
    assert (
        client.post(
            f"/tasks/{task.id}/complete",
            data={"csrf_token": token, "outcome": "submit", "f_title": "x"},
        ).status_code
        == 404
    )


def test_nav_points_to_the_inbox(client, make_user):
    make_user("clerk", "410102")
    login(client, "clerk_410102")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/tasks/"' in home


def test_a_number_too_large_for_json_is_a_422(client, start, make_user):
    """1e400 reads as infinity, which PostgreSQL's JSON cannot store: refused, on the page and
    through the API, instead of a 500."""
    make_user("clerk", "410102")
    instance = start("demo_two_tier", "410102")
    task = open_task(instance)
    login(client, "clerk_410102")
    token = csrf_token(client, f"/tasks/{task.id}")
    page = client.post(
        f"/tasks/{task.id}/complete",
        data={"csrf_token": token, "outcome": "submit", "f_title": "一季度", "f_amount": "1e400"},
    )
    assert page.status_code == 422 and "数值过大" in page.get_data(as_text=True)
    api = client.post(
        f"/api/v1/tasks/{task.id}/complete",
        data='{"outcome": "submit", "data": {"title": "一季度", "amount": 1e400}}',
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert api.status_code == 422, api.get_data(as_text=True)
    assert api.get_json()["errors"] == {"amount": "金额（万元）数值过大"}
    db.session.expire_all()
    assert open_task(instance).id == task.id  # nothing was completed
