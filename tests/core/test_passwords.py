"""Weak passwords are refused wherever a password is set, each rule with its Chinese message.

The rules and the vendored lists: ``webapp/core/passwords.py``, ``webapp/data/passwords/``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, csrf_token, login
from webapp.core.demo import DEFAULT_DEMO_PASSWORD
from webapp.core.errors import InvalidInput
from webapp.core.models import User
from webapp.core.operations import create_user, validate_password
from webapp.core.passwords import COMMON, LISTS, common_passwords, weakness
from webapp.extensions import db

#: Passwords that the product itself uses and documents: they must stay acceptable.
OWN = [
    DEFAULT_DEMO_PASSWORD,  # Makefile DEMO_PASSWORD, printed by make run
    TEST_PASSWORD,
    "Zhang#2026",
    "LiSi#20261",
    "NewPass#2026",
    "Changed#2026",
    "Reset#20261",
    "Writer#2026x",
    "Load#Bench-2026",
]


@pytest.mark.parametrize("password", OWN)
def test_the_products_own_passwords_pass(password):
    assert weakness(password, "clerk_410102") is None


@pytest.mark.parametrize("password", ["short", "Ab#1234", "x" * 65 + "Y1"])
def test_too_short_or_too_long(password):
    assert weakness(password) == "密码长度须为 8–64 个字符。"


@pytest.mark.parametrize(
    "password", ["aaaaaaaa", "AAAAAAAAAA", "########", "abababab", "abcabcabc"]
)
def test_one_character_or_a_short_group_repeated(password):
    assert "重复" in weakness(password)


@pytest.mark.parametrize("password", ["12345678", "19850618", "20261206", "31415926535"])
def test_digits_only(password):
    assert "全是数字" in weakness(password)


@pytest.mark.parametrize(
    "password", ["clerk_410102", "Clerk_410102", "clerk_410102!", "My-CLERK_410102#"]
)
def test_equal_to_or_containing_the_username(password):
    assert "用户名" in weakness(password, "clerk_410102")
    # The same text is not refused for someone else (it has letters, digits, no name shape).
    assert weakness(password, "reviewer_410100") is None


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "Password1",
        "iloveyou",
        "1qaz2wsx",
        "qwertyuiop",
        "woaini1314",
        "WoAiNi520",
        "qq123456",
        "a1234567",
        "qweasdzxc",
        "zhongguo123",
    ],
)
def test_common_passwords_of_the_lists_any_case(password):
    assert weakness(password) == COMMON


@pytest.mark.parametrize(
    "password",
    ["zhangwei123", "wangfang888", "LiuYang1990", "lihua2020", "xiaoming2008", "chenjing520"],
)
def test_a_pinyin_name_with_digits(password):
    assert weakness(password) == COMMON


@pytest.mark.parametrize("password", ["Zhangwei#123", "wangfang888x", "zhang-wei-1990"])
def test_a_name_with_more_than_digits_is_a_different_password(password):
    assert weakness(password) is None


def test_the_chinese_classics_are_in_the_lists_even_when_short():
    """123456 and 5201314 are refused by length today; the list names them anyway, so a lower
    minimum would still refuse them."""
    common = common_passwords()
    assert {"123456", "5201314", "123123", "woaini1314", "qq123456", "a1234567"} <= common
    assert weakness("5201314") is not None  # too short today


def test_the_lists_are_vendored_with_their_source_and_licence():
    readme = (LISTS / "README.md").read_text(encoding="utf-8")
    assert "BSD" in readme and "Django" in readme and "chinese-common.txt" in readme
    assert (LISTS / "LICENSE-django.txt").read_text().startswith("Copyright (c) Django")
    common = common_passwords()
    assert len(common) > 8000
    assert all(entry == entry.lower() for entry in common)


def test_the_message_is_the_documented_chinese_one():
    assert COMMON == (
        "密码过于简单或常见（如 123456、5201314、姓名拼音加数字），"
        "请使用至少 8 位、包含字母和数字的不易猜测的密码。"
    )
    with pytest.raises(InvalidInput) as err:
        validate_password("aaaaaaaa")
    assert "aaaaaaaa" in err.value.message and "至少 8 位" in err.value.message


# Every place that sets a password ------------------------------------------------------------
def test_admin_creation_refuses_a_weak_password(logged_in):
    client = logged_in("admin", "410000")
    for password in ("aaaaaaaa", "zhangwei123", "zhang_san#1"):
        response = client.post(
            "/admin/users/new",
            data={
                "username": "zhang_san",
                "full_name": "张三",
                "org_code": "410102",
                "roles": ["clerk"],
                "password": password,
                "csrf_token": csrf_token(client, "/admin/users/new"),
            },
        )
        assert response.status_code == 422, password
        assert "密码" in response.get_data(as_text=True)
    assert db.session.execute(select(User).where(User.username == "zhang_san")).first() is None


def test_admin_reset_refuses_a_weak_password(logged_in, make_user):
    target = make_user("clerk", "410102")
    client = logged_in("admin", "410000")
    token = csrf_token(client, f"/admin/users/{target.id}")
    response = client.post(
        f"/admin/users/{target.id}/password",
        data={"new_password": "5201314520", "csrf_token": token},
    )
    assert response.status_code == 422 and "全是数字" in response.get_data(as_text=True)
    assert login(client.application.test_client(), "clerk_410102").status_code == 302


def test_changing_ones_own_password_refuses_a_weak_one(client, make_user):
    make_user("clerk", "410102")
    login(client, "clerk_410102")
    token = csrf_token(client, "/account/password")
    page = client.get("/account/password").get_data(as_text=True)
    assert "姓名拼音加数字" in page  # the rules are told before they are enforced
    for weak, words in (("woaini1314", "常见"), ("clerk_410102#1", "用户名")):
        response = client.post(
            "/account/password",
            data={
                "old_password": TEST_PASSWORD,
                "new_password": weak,
                "confirm": weak,
                "csrf_token": token,
            },
        )
        assert response.status_code == 422 and words in response.get_data(as_text=True), weak
    # Nothing changed: the old password still works.
    assert login(client.application.test_client(), "clerk_410102").status_code == 302


def test_operations_refuse_without_a_form(app):
    with pytest.raises(InvalidInput, match="常见"):
        create_user(
            None,
            username="wang_fang",
            full_name="王芳",
            org_code="410102",
            roles=["clerk"],
            password="wangfang888",
        )


def test_the_demo_seed_refuses_a_weak_password_and_takes_the_documented_one(app):
    weak = app.test_cli_runner().invoke(args=["demo", "seed", "--password", "12345678"])
    assert weak.exit_code != 0 and "全是数字" in weak.output
    assert db.session.execute(select(User)).first() is None
