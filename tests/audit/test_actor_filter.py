"""The 操作人 filter finds every record of an account, however its name was typed."""

from __future__ import annotations

from tests.audit.helpers import listed_ids
from tests.conftest import csrf_token
from webapp.core.models import AuditRecord
from webapp.extensions import db


def test_failed_logins_typed_with_spaces_are_found_by_the_actor_filter(
    client, make_user, logged_in
):
    make_user("clerk", "410102", username="zhang_san")
    for name in (" zhang_san", "zhang_san "):
        client.post(
            "/login",
            data={
                "username": name,
                "password": "wrong-password",
                "csrf_token": csrf_token(client, "/login"),
            },
        )
    client.post("/api/v1/auth/tokens", json={"username": "\tzhang_san ", "password": "x" * 8})
    auditor = logged_in("auditor", "410000")
    found = listed_ids(auditor, "actor=zhang_san&action=auth.login_failed")
    assert len(found) == 3, found
    names = {db.session.get(AuditRecord, i).actor_name for i in found}
    assert names == {"zhang_san"}
