"""/api/v1/notifications (issue 18): one's own notices, the unread count, mark read / all read;
another user's notice is refused, every mark is audited, auditors only read."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from webapp.core.models import AuditRecord
from webapp.engine import notify, unread_count
from webapp.extensions import db


def bearer(client, user) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/tokens", json={"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def audited(action: str) -> list[AuditRecord]:
    return list(
        db.session.execute(select(AuditRecord).where(AuditRecord.action == action)).scalars()
    )


def test_lists_only_ones_own_notices_with_the_unread_count(client, make_user):
    clerk = make_user("clerk", "410102")
    other = make_user("clerk", "410103")
    first = notify(clerk, "remind", "请抓紧办理（2026年第一季度 · 中原区）")
    notify(clerk, "overdue", "已逾期")
    notify(other, "remind", "他人的通知")
    db.session.commit()
    first_id = first.id
    headers = bearer(client, clerk)

    body = client.get("/api/v1/notifications", headers=headers).get_json()
    assert body["total"] == 2 and body["unread"] == 2 and body["page"] == 1
    assert [n["kind_label"] for n in body["items"]] == ["逾期", "催办"]  # newest first
    texts = {n["message"] for n in body["items"]}
    assert texts == {"已逾期", "请抓紧办理（2026年第一季度 · 中原区）"}
    assert all(n["read_at"] is None for n in body["items"])
    count = client.get("/api/v1/notifications/unread-count", headers=headers).get_json()
    assert count == {"unread": 2}

    response = client.post(f"/api/v1/notifications/{first_id}/read", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["id"] == first_id and response.get_json()["read_at"]
    unread = client.get("/api/v1/notifications?unread=1", headers=headers).get_json()
    assert unread["total"] == 1 and unread["unread"] == 1
    assert [n["kind"] for n in unread["items"]] == ["overdue"]
    assert len(audited("notification.read")) == 1
    # Marking a read notice again changes nothing and records nothing.
    client.post(f"/api/v1/notifications/{first_id}/read", headers=headers)
    assert len(audited("notification.read")) == 1


def test_another_users_notice_is_refused(client, make_user):
    """Nobody reads or marks another's notice: 404, as if it did not exist; nothing changes."""
    clerk = make_user("clerk", "410102")
    leader = make_user("leader", "410102")
    theirs = notify(leader, "task", "新待办：“审批”（中原区）。")
    db.session.commit()
    theirs_id = theirs.id
    headers = bearer(client, clerk)
    response = client.post(f"/api/v1/notifications/{theirs_id}/read", headers=headers)
    assert response.status_code == 404
    assert response.get_json()["code"]
    assert unread_count(leader) == 1
    assert client.get("/api/v1/notifications", headers=headers).get_json()["total"] == 0
    assert audited("notification.read") == []


def test_read_all_marks_only_ones_own_and_is_audited(client, make_user):
    clerk = make_user("clerk", "410102")
    leader = make_user("leader", "410102")
    for text in ("一", "二", "三"):
        notify(clerk, "remind", text)
    notify(leader, "remind", "领导的通知")
    db.session.commit()
    headers = bearer(client, clerk)
    response = client.post("/api/v1/notifications/read-all", headers=headers)
    assert response.status_code == 200 and response.get_json() == {"count": 3, "unread": 0}
    assert unread_count(clerk) == 0 and unread_count(leader) == 1
    (record,) = audited("notification.read_all")
    assert record.actor_id == clerk.id and record.after == {"count": 3}
    again = client.post("/api/v1/notifications/read-all", headers=headers).get_json()
    assert again == {"count": 0, "unread": 0}
    assert len(audited("notification.read_all")) == 1  # nothing changed, nothing recorded


def test_auditors_read_but_mark_nothing_and_a_session_needs_csrf(client, make_user):
    auditor = make_user("auditor", "410000")
    note = notify(auditor, "remind", "审计员的通知")
    db.session.commit()
    note_id = note.id
    headers = bearer(client, auditor)
    assert client.get("/api/v1/notifications", headers=headers).get_json()["total"] == 1
    assert client.post("/api/v1/notifications/read-all", headers=headers).status_code == 403
    assert client.post(f"/api/v1/notifications/{note_id}/read", headers=headers).status_code == 403
    assert unread_count(auditor) == 1
    assert client.get("/api/v1/notifications").status_code == 401  # no login


def test_documented_in_the_openapi(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get"} <= set(paths["/api/v1/notifications"])
    assert "post" in paths["/api/v1/notifications/{notification_id}/read"]
    assert "post" in paths["/api/v1/notifications/read-all"]
    assert "get" in paths["/api/v1/notifications/unread-count"]
