"""A user of a real server over HTTP, authenticated by a bearer token or by a browser session.

The concurrency tests and ``bench/load`` drive servers started by :mod:`tests.reliability.server`
with these clients: each one holds its own cookie jar (a browser) or token (an API client), and
sends JSON the way the product's own pages and API clients do (a session's writes carry the
CSRF token in ``X-CSRFToken``).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from typing import Any

FORM_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
META_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
AUTHS = ("token", "session")


@dataclass
class HttpUser:
    base: str
    username: str
    auth: str = "token"
    headers: dict[str, str] = field(default_factory=dict)
    opener: urllib.request.OpenerDirector = field(
        default_factory=lambda: urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar())
        )
    )

    def login(self, password: str) -> HttpUser:
        """Get a token (``auth="token"``) or log in through the form (``auth="session"``)."""
        if self.auth == "token":
            status, body = self.send(
                "POST", "/api/v1/auth/tokens", {"username": self.username, "password": password}
            )
            assert status == 201, (self.username, status, body)
            self.headers = {"Authorization": f"Bearer {body['token']}"}
            return self
        assert self.auth == "session", self.auth
        html = self.opener.open(self.base + "/login", timeout=60).read().decode()
        form_token = FORM_CSRF.search(html)
        assert form_token, "no CSRF token on /login"
        data = urllib.parse.urlencode(
            {"username": self.username, "password": password, "csrf_token": form_token.group(1)}
        ).encode()
        home = self.opener.open(self.base + "/login", data=data, timeout=60)
        page = home.read().decode()
        assert home.status == 200 and not home.url.endswith("/login"), (self.username, home.url)
        meta = META_CSRF.search(page)
        assert meta, "no csrf-token meta on the home page"
        self.headers = {"X-CSRFToken": meta.group(1)}
        return self

    def send(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One request; returns the status and the decoded JSON body (text if not JSON)."""
        headers = {**self.headers, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.base + path, data=data, headers=headers, method=method
        )
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as err:
            return err.code, _decode(err.read())


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
