"""A submitted form sent again acts once: the sweep over the completeness table.

For every case of ``tests/audit/routes/`` that writes an audit record through a page's form
(not the JSON API, which is ``Idempotency-Key``'s business: ``tests/accidents/
test_submit_once.py``), the case's last form POST carries a one-time token as the page renders
it; the exact request is then sent a second time (back and resubmit, a reload, a retry).  The
second must write no audit record, change no row of any table, and answer like the first did
(303 to the same place when the first redirected).
"""

from __future__ import annotations

import io
import secrets
from typing import Any

import pytest

from tests.audit.routes import Case, Env
from tests.audit.test_completeness import (
    TABLE,
    actions_since,
    changed_tables,
    env,  # noqa: F401 (fixture)
    head,
    snapshot,
)
from webapp import idempotency

#: Routes whose forms carry no one-time token (``webapp.idempotency.EXEMPT`` says why).
EXEMPT = {f"POST {endpoint}" for endpoint in idempotency.EXEMPT}
#: Cases that cannot be replayed generically, with why.
NOT_REPLAYABLE = {
    "POST auth.change_password / success": "the change ends the user's sessions, so the replay "
    "comes from a signed-out browser whose CSRF token is gone: it is refused by the CSRF check "
    "(and audited as security.csrf_refused) before the one-time token is looked at",
}
#: Audit actions of a refusal: a refused request keeps its token usable (a redirect that
#: flashes the refusal too), so its replay is refused and audited again.
REFUSALS = {"permission.denied", "security.upload_refused", "security.csrf_refused"}

#: The cases that act (write their audit record and succeed); a refusal (status 400 and up,
#: its own audit record such as permission.denied) keeps the token usable and is refused
#: again when replayed, so it is not swept.
FORM_CASES = [
    (key, case)
    for key, route in TABLE.items()
    for case in route.cases
    if case.writes
    and not set(case.writes) <= REFUSALS
    and key not in EXEMPT
    and (case.status or 200) < 400
    and f"{key} / {case.name}" not in NOT_REPLAYABLE
]


class Recorder:
    """Wraps the test client's ``open``: each page form POST gets a fresh one-time token (as
    its page would render it) and the last one is kept to be sent again."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.real = client.open
        self.depth = 0
        self.last: tuple[tuple[Any, ...], dict[str, Any], dict[str, bytes]] | None = None

    def open(self, *args: Any, **kwargs: Any) -> Any:
        self.depth += 1
        try:
            if self.depth == 1 and self._is_form_post(args, kwargs):
                data = dict(kwargs["data"])
                data.setdefault(idempotency.FIELD, secrets.token_urlsafe(16))
                files = {
                    name: value[0].read()
                    for name, value in data.items()
                    if isinstance(value, tuple) and hasattr(value[0], "read")
                }
                kwargs = {**kwargs, "data": data}
                self.last = (args, kwargs, files)
                return self.real(*args, **self._fresh(kwargs, files))
            return self.real(*args, **kwargs)
        finally:
            self.depth -= 1

    def replay(self) -> Any:
        assert self.last is not None
        args, kwargs, files = self.last
        return self.real(*args, **self._fresh(kwargs, files))

    @staticmethod
    def _fresh(kwargs: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        """The request's keyword arguments with new file objects (the client closes them)."""
        data = dict(kwargs["data"])
        for name, content in files.items():
            data[name] = (io.BytesIO(content), *data[name][1:])
        return {**kwargs, "data": data}

    @staticmethod
    def _is_form_post(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        path = args[0] if args else kwargs.get("path", "")
        return (
            kwargs.get("method", "GET") not in ("GET", "HEAD", "OPTIONS")
            and isinstance(path, str)
            and not path.startswith("/api/")
            and isinstance(kwargs.get("data"), dict)
            and "json" not in kwargs
        )


def replay_problems(case: Case, world: Env) -> list[str] | None:
    """Run the case, then send its last form POST again; the problems (None: no form POST)."""
    recorder = Recorder(world.client)
    world.client.open = recorder.open
    try:
        if case.setup is not None:
            case.setup(world)
        recorder.last = None  # only the exercise's requests count
        first = case.exercise(world)
        if recorder.last is None:
            return None
        before, mark = snapshot(), head()
        again = recorder.replay()
    finally:
        world.client.open = recorder.real
    problems = []
    if first.status_code >= 400:
        return [f"the first request was refused ({first.status_code}): give the case its status"]
    written = actions_since(mark)
    if written:
        problems.append(f"the replay wrote {written}")
    changed = changed_tables(before, snapshot())
    if changed:
        problems.append(f"the replay changed {sorted(changed)}")
    if first.status_code in (301, 302, 303) and first.headers.get("Location"):
        answer = (again.status_code, again.headers.get("Location"))
        if answer != (303, first.headers["Location"]):
            problems.append(f"the replay answered {answer}, not 303 to the first's Location")
    return problems


@pytest.mark.parametrize(
    ("key", "case"), FORM_CASES, ids=[f"{k} / {c.name}" for k, c in FORM_CASES]
)
def test_a_replayed_form_acts_once(key: str, case: Case, env):  # noqa: F811 (fixture)
    problems = replay_problems(case, env)
    if problems is None:
        return  # an API case: its replay is the Idempotency-Key's (tests/accidents/)
    assert not problems, f"{key} / {case.name}: " + "; ".join(problems)
