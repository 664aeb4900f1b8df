"""The completeness walk's table of expectations: how to exercise every state-changing route
and which audit record it must write.

One module per feature in this package (``core.py``, ``ledger.py``, ...), each defining
``EXPECTATIONS: dict[str, Route]`` keyed by ``"<METHOD> <endpoint>"`` (``"POST admin.user_new"``).
Modules are discovered automatically: adding a feature's routes means adding one file here.
``tests/audit/test_completeness.py`` fails for a state-changing route (any method other than
GET/HEAD/OPTIONS in ``app.url_map``, API operations included) without an entry, for an entry
whose route no longer exists, for a case that changes the database without writing its audit
record, and for a route an auditor can use (every one must answer 403 to them) unless the
entry says why it is theirs.

A :class:`Case` either names the audit actions it must write (``writes``), or says why it
writes none (``no_audit``, e.g. "it only fails": then it must change nothing in the database).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import TEST_PASSWORD, csrf_token


@dataclass
class Env:
    """What a case works with: the app, a test client and the conftest factories."""

    app: Flask
    client: FlaskClient
    make_user: Callable[..., Any]
    logged_in: Callable[..., FlaskClient]
    api_token: Callable[..., dict[str, str]]
    org: Callable[[str], Any]
    password: str = TEST_PASSWORD
    #: Free room for a case's setup to hand values to its exercise.
    data: dict[str, Any] = field(default_factory=dict)

    def csrf(self, path: str = "/") -> str:
        return csrf_token(self.client, path)

    def post_form(self, path: str, data: dict[str, Any], token_from: str | None = None) -> Any:
        """POST a form the way a browser does, with the CSRF token of the page it came from."""
        token = self.csrf(token_from or path)
        return self.client.post(path, data={**data, "csrf_token": token})

    def sign_in(self, username: str, api: bool = False) -> None:
        """Sign an existing user in: a page session, or (``api``) a bearer token kept in
        ``data["headers"]`` for :meth:`call` (a session would make API writes need CSRF)."""
        if api:
            response = self.client.post(
                "/api/v1/auth/tokens", json={"username": username, "password": self.password}
            )
            assert response.status_code == 201, response.get_json()
            self.data["headers"] = {"Authorization": f"Bearer {response.get_json()['token']}"}
        else:
            response = self.client.post(
                "/login",
                data={
                    "username": username,
                    "password": self.password,
                    "csrf_token": self.csrf("/login"),
                },
            )
            assert response.status_code == 302, response.get_data(as_text=True)

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """An API request with the bearer token of :meth:`sign_in`; ``{name}`` in the path
        is filled from ``data``."""
        return self.client.open(
            path.format(**self.data),
            method=method,
            json=body,
            headers=self.data["headers"],
            **kwargs,
        )


@dataclass(frozen=True)
class Case:
    name: str
    #: Performs the request under test and returns its response.
    exercise: Callable[[Env], Any]
    #: Prepares the database and the client (not part of what is checked).
    setup: Callable[[Env], Any] | None = None
    #: Audit actions the exercise must write (each at least once).
    writes: tuple[str, ...] = ()
    #: Why it writes no audit record; then it must not change the database either.
    no_audit: str | None = None
    #: Expected status code.
    status: int | None = None


@dataclass(frozen=True)
class Route:
    cases: tuple[Case, ...]
    #: Why an auditor may use this route (their own session); otherwise it must answer 403.
    auditor_may: str | None = None
    #: URL arguments for the auditor's probe (default: 1 for integers, "x" otherwise).
    url_args: Callable[[Env], dict[str, Any]] | None = None
    #: A custom auditor probe returning the response, for routes that need a real body.
    probe: Callable[[Env], Any] | None = None


def load() -> dict[str, Route]:
    """Every module's EXPECTATIONS, merged; a key defined twice is an error."""
    merged: dict[str, Route] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        table: dict[str, Route] = getattr(module, "EXPECTATIONS", {})
        for key, route in table.items():
            method, _, endpoint = key.partition(" ")
            if method not in {"POST", "PUT", "PATCH", "DELETE"} or not endpoint:
                raise ValueError(f"{info.name}: bad key {key!r} (want 'POST endpoint')")
            if key in merged:
                raise ValueError(f"{info.name}: {key} is already defined by another module")
            if not route.cases:
                raise ValueError(f"{info.name}: {key} has no case")
            for case in route.cases:
                if bool(case.writes) == bool(case.no_audit):
                    raise ValueError(f"{key} / {case.name}: give writes or no_audit, not both")
            merged[key] = route
    return merged
