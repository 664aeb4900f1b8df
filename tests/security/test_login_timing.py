"""A wrong username costs the same work as a wrong password (found from outside).

Timing the token endpoint: an unknown username was refused without hashing the guess (a few
milliseconds) while a known one with a wrong password ran scrypt (tens of milliseconds), so the
answer time told which usernames exist, whatever the identical message said.  Both doors (the
login form and ``POST /api/v1/auth/tokens``) go through ``operations.authenticate``, which now
hashes the guess against a hash made like a real one.
"""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import csrf_token
from webapp.core import models, operations


@pytest.fixture
def hashed(monkeypatch) -> list[str]:
    """The password hashes checked, in order (by method, e.g. ``scrypt``)."""
    seen: list[str] = []

    def counting(real: Any) -> Any:
        def check(pwhash: str, password: str) -> bool:
            seen.append(pwhash.split("$", 1)[0].split(":", 1)[0])
            return real(pwhash, password)

        return check

    monkeypatch.setattr(models, "check_password_hash", counting(models.check_password_hash))
    monkeypatch.setattr(operations, "check_password_hash", counting(operations.check_password_hash))
    return seen


def _token(client, username: str) -> Any:
    return client.post(
        "/api/v1/auth/tokens", json={"username": username, "password": "猜测的密码x1"}
    )


def _form(client, username: str) -> Any:
    token = csrf_token(client)
    return client.post(
        "/login", data={"username": username, "password": "猜测的密码x1", "csrf_token": token}
    )


@pytest.mark.parametrize("door", [_token, _form], ids=["api", "form"])
def test_an_unknown_username_hashes_the_guess_like_a_wrong_password(
    client, make_user, hashed, door
):
    make_user("clerk", "410102", username="timing_clerk")
    wrong_password = door(client, "timing_clerk")
    assert len(hashed) == 1
    unknown = door(client, "timing_nobody")
    assert len(hashed) == 2, "an unknown username was answered without hashing the guess"
    assert wrong_password.status_code == unknown.status_code
    if door is _token:
        assert wrong_password.get_json() == unknown.get_json()


def test_the_stand_in_hash_is_made_like_a_real_one():
    """The same method and cost as the passwords users set (``User.set_password``)."""
    real = generate_password_hash("任意的密码")
    assert operations._unknown_user_hash().rsplit("$", 2)[0] == real.rsplit("$", 2)[0]
