from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from webapp.core import audit, clock
from webapp.core.models import AuditRecord
from webapp.extensions import db


def _rec(action: str, when: datetime, **kw) -> AuditRecord:
    clock.set_now(when)
    rec = audit.record(action, **kw)
    db.session.commit()
    return rec


def test_auditor_filters_by_time_actor_org_action_object_and_text(logged_in):
    client = logged_in("auditor", "410000")
    # 2026-03-31 23:30 in Beijing is 15:30 UTC: it belongs to the 31st locally.
    late_march = _rec(
        "user.update",
        datetime(2026, 3, 31, 15, 30, tzinfo=UTC),
        actor_name="admin_410000",
        org="410102",
        object_type="user",
        object_id=7,
        before={"full_name": "张三"},
        after={"full_name": "张三丰"},
        message="改名",
    )
    april = _rec(
        "auth.login",
        datetime(2026, 3, 31, 16, 30, tzinfo=UTC),  # 2026-04-01 00:30 in Beijing
        actor_name="clerk_410302",
        org="410302",
    )
    clock.set_now(None)
    ids = (
        lambda html: {  # noqa: E731
            int(x.split("</td>")[0]) for x in html.split("<tr>\n    <td>")[1:]
        }
    )
    page = client.get("/audit/?date_from=2026-03-31&date_to=2026-03-31").get_data(as_text=True)
    assert ids(page) == {late_march.id}
    page = client.get("/audit/?date_from=2026-04-01").get_data(as_text=True)
    assert late_march.id not in ids(page) and april.id in ids(page)
    assert ids(client.get("/audit/?actor=clerk_410302").get_data(as_text=True)) == {april.id}
    assert late_march.id in ids(client.get("/audit/?org=410100").get_data(as_text=True))
    assert late_march.id not in ids(
        client.get("/audit/?org=410100&subtree=0").get_data(as_text=True)
    )
    by_action = ids(client.get("/audit/?action=user.").get_data(as_text=True))
    assert late_march.id in by_action and april.id not in by_action
    assert ids(client.get("/audit/?object_type=user&object_id=7").get_data(as_text=True)) == {
        late_march.id
    }
    assert ids(client.get("/audit/?q=改名").get_data(as_text=True)) == {late_march.id}
    detail = client.get(f"/audit/{late_march.id}").get_data(as_text=True)
    assert "修改用户" in detail and "张三丰" in detail and 'data-status="changed"' in detail
    assert "姓名" in detail


def test_clerk_cannot_see_audit(logged_in):
    client = logged_in("clerk", "410102")
    assert client.get("/audit/").status_code == 403
    assert client.get("/api/v1/audit").status_code == 403
    rec = (
        db.session.execute(select(AuditRecord).where(AuditRecord.action == "permission.denied"))
        .scalars()
        .first()
    )
    assert rec is not None
