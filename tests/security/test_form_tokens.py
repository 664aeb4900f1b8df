"""Every POST form a page renders carries a one-time token; claims do not live for ever.

What the token does: ``tests/accidents/test_submit_once.py`` and ``tests/audit/test_replay.py``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from tests.conftest import ROOT
from webapp.core import claims, clock
from webapp.core.models import SubmissionClaim
from webapp.extensions import db

FORM_RE = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
POST_RE = re.compile(r"""method=["']?post""", re.I)
#: Forms that carry no one-time token on purpose (webapp.idempotency.EXEMPT says why): the
#: logout form of base.html, the login page's form (it posts to its own page).
EXEMPT_ACTIONS = ("url_for('auth.logout'",)
EXEMPT_TEMPLATES = ("templates/auth/login.html",)


def test_every_post_form_of_every_template_carries_a_one_time_token():
    missing = []
    for path in sorted((ROOT / "webapp").rglob("templates/**/*.html")):
        if path.as_posix().endswith(EXEMPT_TEMPLATES):
            continue
        source = path.read_text(encoding="utf-8")
        for form in FORM_RE.findall(source):
            opening = form[: form.index(">") + 1]
            if not POST_RE.search(opening) or any(a in opening for a in EXEMPT_ACTIONS):
                continue
            if "form_tokens()" not in form and "once_field()" not in form:
                line = source[: source.index(form)].count("\n") + 1
                missing.append(f"{path.relative_to(ROOT)}:{line}")
    assert not missing, (
        "POST forms without a one-time token (put {{ form_tokens() }} in them, or "
        f"{{{{ once_field() }}}} after form.hidden_tag()): {missing}"
    )


def test_the_guard_sees_a_form_without_the_token(tmp_path: Path, monkeypatch):
    folder = tmp_path / "webapp" / "x" / "templates"
    folder.mkdir(parents=True)
    (folder / "bad.html").write_text(
        '<form method="post" action="/x"><input name="csrf_token" value="t"></form>'
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    try:
        test_every_post_form_of_every_template_carries_a_one_time_token()
    except AssertionError as err:
        assert "bad.html:1" in str(err)
    else:
        raise AssertionError("the guard let a POST form without a token through")


def test_the_timer_worker_prunes_claims_older_than_a_day(app):
    from webapp.engine.cli import worker_pass

    now = clock.now()
    for key, age in (("old", claims.KEPT_FOR + timedelta(minutes=1)), ("new", timedelta(hours=1))):
        db.session.add(
            SubmissionClaim(
                owner="user:1", key=key, request_line="POST /x", status=302, created_at=now - age
            )
        )
    db.session.commit()
    with app.app_context():
        worker_pass()
    db.session.commit()
    kept = db.session.execute(select(SubmissionClaim.key)).scalars().all()
    assert kept == ["new"]
