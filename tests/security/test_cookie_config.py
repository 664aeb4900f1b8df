"""Secure cookies (the auditor's outside pass, 2026-12-07): a site whose public address is https
sends its session and remember-me cookies Secure by default; production serving them over plain
HTTP says so at start.  ``make run`` and ``make run-prod`` on http://127.0.0.1 keep them plain:
the Python clients of bench/ and scripts/ (http.cookiejar) would not send a Secure cookie back
over http (docs/deploy.md, "Cookies and HTTPS")."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest

import webapp.config as config_module
from webapp import create_app
from webapp.config import INSECURE_COOKIES_WARNING, insecure_cookies_warning


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set the cookie settings' variables, and reload the configuration after the test."""
    for name in ("HQR_SECURE_COOKIES", "HQR_MAIL_SITE_URL"):
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch
    for name in ("HQR_SECURE_COOKIES", "HQR_MAIL_SITE_URL"):
        monkeypatch.delenv(name, raising=False)
    importlib.reload(config_module)


@pytest.mark.parametrize(
    ("site", "switch", "secure"),
    [
        (None, None, False),  # make run / make run-prod on http://127.0.0.1
        ("http://127.0.0.1:5000/", None, False),
        ("https://hqr.example.gov.cn/", None, True),  # the public address says https
        ("HTTPS://hqr.example.gov.cn/", None, True),
        ("https://hqr.example.gov.cn/", "0", False),  # the operator's explicit choice wins
        ("http://10.0.0.5/", "1", True),
        (None, "on", True),
    ],
)
def test_secure_cookies_follow_the_public_address_unless_set(environ, site, switch, secure):
    if site is not None:
        environ.setenv("HQR_MAIL_SITE_URL", site)
    if switch is not None:
        environ.setenv("HQR_SECURE_COOKIES", switch)
    config = importlib.reload(config_module).Config
    assert config.SESSION_COOKIE_SECURE is secure
    assert config.REMEMBER_COOKIE_SECURE is secure


PG = "postgresql+psycopg://hqr@127.0.0.1:5432/hqr"


@pytest.mark.parametrize(
    ("config", "warned"),
    [
        ({"SQLALCHEMY_DATABASE_URI": PG}, True),
        ({"SQLALCHEMY_DATABASE_URI": PG, "REMEMBER_COOKIE_SECURE": True}, True),
        (
            {"SQLALCHEMY_DATABASE_URI": PG, "SESSION_COOKIE_SECURE": True},
            True,
        ),
        (
            {
                "SQLALCHEMY_DATABASE_URI": PG,
                "SESSION_COOKIE_SECURE": True,
                "REMEMBER_COOKIE_SECURE": True,
            },
            False,
        ),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:////tmp/x.sqlite3"}, False),  # make run
        ({"SQLALCHEMY_DATABASE_URI": PG, "TESTING": True}, False),
        ({"SQLALCHEMY_DATABASE_URI": PG, "DEBUG": True}, False),
    ],
)
def test_production_with_plain_cookies_is_warned(config, warned):
    assert insecure_cookies_warning(config) == (INSECURE_COOKIES_WARNING if warned else None)


def test_the_warning_is_logged_when_the_app_starts(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("HQR_INSTANCE_PATH", str(tmp_path))
    settings = {
        "SQLALCHEMY_DATABASE_URI": "postgresql://hqr@127.0.0.1:1/never_connected",
        "TESTING": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    with caplog.at_level(logging.WARNING, logger="webapp"):
        create_app(settings)
    assert [r.getMessage() for r in caplog.records].count(INSECURE_COOKIES_WARNING) == 1
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="webapp"):
        create_app({**settings, "SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True})
    assert INSECURE_COOKIES_WARNING not in caplog.text
