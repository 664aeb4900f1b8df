"""No silent refusal on an HTML form (found from outside).

A POST to the ledger form whose select failed WTForms' own validation (a unit not among the
choices, a required select left out) answered 200 with the form again and no message: the page
showed only the ledger operation's errors, never the form's field errors.  The administrator's
user form had the same gap for its unit, roles, e-mail and password fields.

The class: every page that validates a :class:`webapp.core.messages.Form` with fields.  Each is
sent a value WTForms refuses, as a user allowed to use the page; the answer must be a refusal
(4xx, not a redirect), carry the field's Chinese message inside the page's error summary
(``id="form-errors"``, shown at the top), and keep what the user typed in the other fields.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from wtforms.fields.core import UnboundField

import webapp
from tests.conftest import csrf_token
from webapp.core.messages import Form
from webapp.core.models import AuditRecord
from webapp.extensions import db
from webapp.ledger.fields import KINDS, Field, Kind

NOT_A_CHOICE = "不是有效的选择。"  # WTForms' own catalogue, zh
SUMMARY = re.compile(r'<div[^>]*id="form-errors"[^>]*>(.*?)</div>', re.S)


def summary(page: str) -> str:
    found = SUMMARY.search(page)
    assert found, "the refused form has no error summary"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def typed(f: Field) -> str:
    """What a clerk types into ``f``: valid, and recognisable when the page comes back."""
    return {
        "date": "2026-07-01",
        "decimal": "123",
        "int": "1",
        "bool": "y",
        "choice": f.choices[0] if f.choices else "",
    }.get(f.kind, f"保留{f.name}")


def ledger_form(kind: Kind, token: str) -> dict[str, str]:
    return {"csrf_token": token, "org_code": "410102"} | {f.name: typed(f) for f in kind.fields}


def assert_kept(page: str, kind: Kind, form: dict[str, str], refused: str) -> None:
    for f in kind.fields:
        if f.name == refused or f.kind in {"bool", "date", "decimal", "int"}:
            continue
        value = html.escape(form[f.name], quote=True)
        if f.kind == "choice":
            if value:
                assert f'<option selected value="{value}">' in page, (kind.name, f.name)
        elif f.kind == "text":
            assert f"\n{value}</textarea>" in page, (kind.name, f.name)
        else:
            assert f'value="{value}"' in page, (kind.name, f.name)


def no_audit_of(prefix: str) -> None:
    actions = db.session.execute(select(AuditRecord.action)).scalars().all()
    assert not [a for a in actions if a.startswith(prefix)], actions


LEDGER_CASES = [pytest.param(name, "org_code", "999999", id=f"{name}-org") for name in KINDS] + [
    pytest.param(
        kind.name,
        f.name,
        value,
        id=f"{kind.name}-{f.name}-{'left-out' if value is None else 'bogus'}",
    )
    for kind in KINDS.values()
    for f in kind.fields
    if f.kind == "choice"
    for value in (("不存在的选项", None) if f.required else ("不存在的选项",))
]


@pytest.mark.parametrize(("kind_name", "field", "value"), LEDGER_CASES)
def test_a_ledger_form_refused_by_wtforms_says_why_and_keeps_the_input(
    logged_in: Callable[..., FlaskClient], kind_name: str, field: str, value: str | None
) -> None:
    """``value`` None: the select left out of the POST altogether."""
    client = logged_in("clerk", "410100")
    kind = KINDS[kind_name]
    url = f"/ledger/{kind_name}/new"
    form = ledger_form(kind, csrf_token(client, url))
    if value is None:
        del form[field]
    else:
        form[field] = value
    answer = client.post(url, data=form)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422, page
    label = "监督机构" if field == "org_code" else kind.field(field).label
    assert f"{label}：{NOT_A_CHOICE}" in summary(page)
    assert "is-invalid" in page
    assert_kept(page, kind, form, field)
    no_audit_of(f"ledger.{kind_name}.")


def test_the_ledger_form_still_shows_the_operation_errors(
    logged_in: Callable[..., FlaskClient],
) -> None:
    """The shared summary also carries the operation's refusal (one place to look)."""
    client = logged_in("clerk", "410100")
    kind = KINDS["projects"]
    form = ledger_form(kind, csrf_token(client, "/ledger/projects/new")) | {"area_m2": "0"}
    answer = client.post("/ledger/projects/new", data=form)
    assert answer.status_code == 422
    assert "建筑面积必须大于0" in summary(answer.get_data(as_text=True))


def test_the_import_form_refused_by_wtforms_says_why(
    logged_in: Callable[..., FlaskClient],
) -> None:
    client = logged_in("clerk", "410100")
    token = csrf_token(client, "/ledger/projects/import")
    answer = client.post(
        "/ledger/projects/import",
        data={"csrf_token": token, "org_code": "999999"},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert f"导入到单位：{NOT_A_CHOICE}" in summary(answer.get_data(as_text=True))


USER_FORM = {
    "username": "wang_wu",
    "full_name": "王五保留",
    "email": "wangwu@example.cn",
    "org_code": "410102",
    "roles": ["clerk"],
    "password": "WangWu#2026",
}


_USER_FORM_REFUSALS = [
    ({"org_code": None}, "所属单位：请选择单位。", "unit-left-out"),
    ({"org_code": "999999"}, f"所属单位：{NOT_A_CHOICE}", "unit-bogus"),
    ({"roles": ["clerk", "emperor"]}, "角色：", "role-bogus"),
    ({"email": "x" * 255}, "电子邮箱：", "email-too-long"),
    ({"password": "x" * 300}, "初始密码：", "password-too-long"),
    ({"full_name": ""}, "姓名：请输入姓名。", "name-blank"),
]


@pytest.mark.parametrize(
    ("page", "change", "message"),
    [
        pytest.param(page, change, message, id=f"{page}-{name}")
        for page in ("new", "edit")
        for change, message, name in _USER_FORM_REFUSALS
        if not (page == "edit" and "password" in change)  # the edit page has no password field
    ],
)
def test_the_user_form_refused_by_wtforms_says_why(
    logged_in: Callable[..., FlaskClient],
    make_user: Callable[..., Any],
    page: str,
    change: dict[str, Any],
    message: str,
) -> None:
    client = logged_in("admin", "410000")
    if page == "new":
        url = "/admin/users/new"
    else:
        url = f"/admin/users/{make_user('clerk', '410102', 'wang_wu').id}"
    before = db.session.execute(select(AuditRecord.id)).scalars().all()
    form: dict[str, Any] = USER_FORM | change | {"csrf_token": csrf_token(client, url)}
    answer = client.post(url, data={k: v for k, v in form.items() if v is not None})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422, text
    assert message in summary(text)
    for name in ("full_name", "email"):
        if form[name] is not None and name not in change:
            assert f'value="{form[name]}"' in text, name
    if "roles" not in change:
        assert 'checked id="roles-0"' in text or 'id="roles-0" checked' in text
    assert db.session.execute(select(AuditRecord.id)).scalars().all() == before


def test_login_and_password_change_refusals_say_why(
    client: FlaskClient, logged_in: Callable[..., FlaskClient]
) -> None:
    """The two forms that already showed field errors: now also in the shared summary."""
    token = csrf_token(client, "/login")
    answer = client.post("/login", data={"csrf_token": token, "username": "zhang_kept"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "密码：请输入密码。" in summary(text)
    assert 'value="zhang_kept"' in text
    logged_in("clerk", "410102")
    token = csrf_token(client, "/account/password")
    answer = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "old_password": "whatever",
            "new_password": "Longenough#1",
            "confirm": "Different#1",
        },
    )
    assert answer.status_code == 422
    assert "确认新密码：两次输入的新密码不一致。" in summary(answer.get_data(as_text=True))


def test_the_reset_password_refusal_is_flashed(
    logged_in: Callable[..., FlaskClient], make_user: Callable[..., Any]
) -> None:
    """The reset form sits on the user page and answers with a redirect: its refusal is flashed."""
    client = logged_in("admin", "410000")
    user_id = make_user("clerk", "410102", "wang_wu").id
    token = csrf_token(client, f"/admin/users/{user_id}")
    answer = client.post(
        f"/admin/users/{user_id}/password",
        data={"csrf_token": token, "new_password": "short"},
        follow_redirects=True,
    )
    assert "密码长度须为" in answer.get_data(as_text=True)


#: Every form with fields, and where this file proves its refusals are shown.
COVERED = {
    "webapp.admin.forms.UserForm": test_the_user_form_refused_by_wtforms_says_why,
    "webapp.admin.forms.ResetPasswordForm": test_the_reset_password_refusal_is_flashed,
    "webapp.auth.forms.LoginForm": test_login_and_password_change_refusals_say_why,
    "webapp.auth.forms.ChangePasswordForm": test_login_and_password_change_refusals_say_why,
    "webapp.ledger.forms.ImportForm": test_the_import_form_refused_by_wtforms_says_why,
    # record_form(kind) builds one class per ledger: test_a_ledger_form_refused_by_wtforms_...
}
TEMPLATES = Path(webapp.__file__).parent


def _forms(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        module = sys.modules.get(sub.__module__)
        if getattr(module, sub.__name__, None) is sub:  # a named class, not record_form's
            found.append(sub)
        found += _forms(sub)
    return found


def test_every_form_with_fields_is_in_the_sweep(app: Any) -> None:
    """A new form must join the sweep above (forms with only the CSRF token need not)."""
    with_fields = {
        f"{cls.__module__}.{cls.__name__}"
        for cls in _forms(Form)
        if any(isinstance(v, UnboundField) for c in cls.__mro__ for v in vars(c).values())
    }
    assert with_fields == set(COVERED)


def test_every_form_page_shows_its_errors() -> None:
    """A template that renders a form's fields (``form.hidden_tag()``) uses the shared summary."""
    pages = [
        p
        for p in TEMPLATES.rglob("*.html")
        if "vendor" not in p.parts and "{{ form.hidden_tag() }}" in p.read_text("utf-8")
    ]
    assert len(pages) >= 5
    missing = [str(p) for p in pages if "form_errors(form" not in p.read_text("utf-8")]
    assert missing == []
