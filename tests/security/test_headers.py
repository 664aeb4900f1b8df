"""Security headers, and templates that keep working under the Content-Security-Policy."""

from __future__ import annotations

import re

from tests.conftest import ROOT
from webapp.headers import CONTENT_SECURITY_POLICY

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_every_response_carries_the_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers.get("Cache-Control") != "no-store"  # nothing private yet


def test_authenticated_pages_and_the_api_are_never_stored(client, logged_in, api_token):
    assert client.get("/api/v1/ledger/projects").headers["Cache-Control"] == "no-store"  # 401
    headers = api_token("clerk", "410102", "api_clerk")
    api = client.get("/api/v1/ledger/projects", headers=headers)
    assert api.status_code == 200 and api.headers["Cache-Control"] == "no-store"
    logged_in("clerk", "410102")
    for path in ("/", "/ledger/projects/", "/ledger/projects/export.xlsx"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
        assert "ETag" not in response.headers
    static = client.get("/static/css/app.css")
    assert static.status_code == 200 and static.headers.get("Cache-Control") != "no-store"
    static.close()


def test_no_template_has_inline_script_or_handlers():
    offenders = []
    for path in sorted((ROOT / "webapp").rglob("templates/**/*.html")):
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, re.compile(r"javascript:", re.I)):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not offenders, offenders
