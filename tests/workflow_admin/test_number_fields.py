"""A version or id typed into a query string or form is bounded before it reaches the database.

``?version=99999999999999999999`` on a process definition's page (and its editor, the
comparison, 回滚, 迁移, 恢复模板, 转办, 抄送) was a 500: SQLite's integer overflowed (PostgreSQL's
``integer`` is out of range).  The path converter already bounded ids in URLs; these fields now
read the same way (``webapp.web.id_field``): out of range is no such row.
"""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token
from webapp.engine.models import ProcessDefinition
from webapp.engine.queries import current_tasks
from webapp.extensions import db

HUGE = "99999999999999999999"
BASE = "/admin/workflows/quarterly_report"


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}?version={HUGE}",
        f"{BASE}/edit?version={HUGE}",
        f"{BASE}/compare?old={HUGE}",
        f"{BASE}/compare?new={HUGE}&old=1",
    ],
)
def test_definition_pages_read_a_huge_version_as_none(logged_in, deployed, url):
    deployed()
    client = logged_in("admin", "410000")
    assert client.get(url).status_code == 200


def test_rollback_migrate_and_restore_refuse_a_huge_number_in_chinese(logged_in, report):
    report()
    client = logged_in("admin", "410000")
    token = csrf_token(client, BASE)
    r = client.post(f"{BASE}/rollback", data={"csrf_token": token, "version": HUGE})
    assert r.status_code == 302
    assert "请选择要回滚到的版本" in client.get(BASE).get_data(as_text=True)
    r = client.post(f"{BASE}/migrate", data={"csrf_token": token, "instance_id": HUGE})
    assert r.status_code == 302
    assert "请先勾选要迁移的流程实例" in client.get(BASE).get_data(as_text=True)
    r = client.post(
        "/admin/doc-templates/quarterly_report/restore",
        data={"csrf_token": token, "version": HUGE},
    )
    assert r.status_code == 422 and "请选择要恢复的版本" in r.get_data(as_text=True)
    assert db.session.query(ProcessDefinition).count() == 1


@pytest.mark.parametrize("action", ["transfer", "cc"])
def test_transfer_and_cc_to_a_huge_user_id_are_refused_not_a_500(logged_in, report, action):
    instance = report()
    task = current_tasks(instance)[0]
    client = logged_in("clerk", "410102")
    token = csrf_token(client, f"/tasks/{task.id}")
    r = client.post(
        f"/tasks/{task.id}/{action}",
        data={"csrf_token": token, "user_id": HUGE, "comment": "请代为填报"},
    )
    assert r.status_code in (302, 422), r.status_code
