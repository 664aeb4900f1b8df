"""A submission acts once: one-time form tokens and API Idempotency-Keys (webapp/idempotency.py).

Back-and-resubmit, a reload that re-posts, a network retry: the same request again, with the
same token, must not report a second accident.  The sweep over every audited form is in
``tests/audit/test_replay.py``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

from sqlalchemy import func, select, text

from tests.accidents.conftest import body
from tests.conftest import csrf_token
from webapp import idempotency
from webapp.accidents.models import Accident
from webapp.core import claims
from webapp.core.models import SubmissionClaim
from webapp.extensions import db

TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')


def _accidents() -> int:
    db.session.commit()
    return db.session.execute(select(func.count(Accident.id))).scalar_one()


def _form(**changes: Any) -> dict[str, Any]:
    data = {k: v for k, v in body().items() if k not in ("units", "under_control", "received_at")}
    data.update(occurred_at="2026-05-01T14:10", units="甲公司\n乙公司", under_control="1")
    data.update(changes)
    return data


def _page_tokens(client: Any, path: str) -> tuple[str, str]:
    """The CSRF token and the one-time token of the (first) form on ``path``."""
    html = client.get(path).get_data(as_text=True)
    match = TOKEN_RE.search(html)
    assert match, f"no one-time token on {path}"
    return csrf_token(client, path), match.group(1)


def test_each_form_of_each_page_gets_its_own_token(workflow, logged_in):
    client = logged_in("clerk", "410102", username="tok_clerk")
    first = TOKEN_RE.findall(client.get("/accidents/new").get_data(as_text=True))
    again = TOKEN_RE.findall(client.get("/accidents/new").get_data(as_text=True))
    assert len(first) == 1 and len(again) == 1 and first != again


def test_back_and_resubmit_reports_one_accident_and_says_so(workflow, logged_in):
    client = logged_in("clerk", "410102", username="resubmit_clerk")
    csrf, once = _page_tokens(client, "/accidents/new")
    data = {**_form(), "csrf_token": csrf, idempotency.FIELD: once}
    first = client.post("/accidents/new", data=data)
    assert first.status_code == 302
    assert _accidents() == 1
    again = client.post("/accidents/new", data=data)
    assert again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert _accidents() == 1
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert idempotency.DUPLICATE in page
    # A new page's form is a new submission: the user meant a second report.
    csrf, once = _page_tokens(client, "/accidents/new")
    client.post("/accidents/new", data={**data, idempotency.FIELD: once})
    assert _accidents() == 2


def test_a_refused_form_keeps_its_token_for_the_corrected_resubmit(workflow, logged_in):
    client = logged_in("clerk", "410102", username="fix_clerk")
    csrf, once = _page_tokens(client, "/accidents/new")
    tokens = {"csrf_token": csrf, idempotency.FIELD: once}
    refused = client.post("/accidents/new", data={**_form(deaths="-1"), **tokens})
    assert refused.status_code == 422
    assert "-1" in refused.get_data(as_text=True)  # what the user typed is kept
    assert _accidents() == 0
    assert db.session.execute(select(func.count(SubmissionClaim.id))).scalar_one() == 0
    fixed = client.post("/accidents/new", data={**_form(), **tokens})
    assert fixed.status_code == 302
    assert _accidents() == 1
    assert client.post("/accidents/new", data={**_form(), **tokens}).status_code == 303
    assert _accidents() == 1


def test_a_post_that_changes_nothing_does_not_use_its_token_up(logged_in):
    """A login redirect, a read posted as a form: no audit record, no claim kept."""
    client = logged_in("clerk", "410102", username="read_clerk")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    response = client.post(
        "/accidents/new",
        data={"csrf_token": csrf_token(client, "/login"), idempotency.FIELD: "k" * 22},
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.commit()
    assert db.session.execute(select(func.count(SubmissionClaim.id))).scalar_one() == 0


def test_a_form_without_a_token_still_acts(workflow, logged_in):
    """An old page cached before the deploy (docs/security.md says why it is not refused)."""
    client = logged_in("clerk", "410102", username="old_clerk")
    data = {**_form(), "csrf_token": csrf_token(client, "/accidents/new")}
    assert client.post("/accidents/new", data=data).status_code == 302
    assert _accidents() == 1


def test_api_idempotency_key_replays_the_first_answer_and_acts_once(workflow, users):
    county = users["county"]
    headers = {**county.headers, "Idempotency-Key": "2f1e6a34-accident-1"}
    first = county.client.post("/api/v1/accidents", json=body(), headers=headers)
    assert first.status_code == 201, first.get_json()
    again = county.client.post("/api/v1/accidents", json=body(), headers=headers)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotency-Replayed"] == "true"
    assert _accidents() == 1
    # The key is the user's: another user's same key is another request.
    city = users["city_clerk"]
    other = {**city.headers, "Idempotency-Key": "2f1e6a34-accident-1"}
    city_body = body(reporting_unit="郑州市住房和城乡建设局")
    assert city.client.post("/api/v1/accidents", json=city_body, headers=other).status_code == 201
    assert _accidents() == 2
    # The same key on another request is the client's mistake: refused, nothing done.
    wrong = county.client.post(
        f"/api/v1/accidents/{first.get_json()['id']}/followups", json={}, headers=headers
    )
    assert wrong.status_code == 422
    assert "Idempotency-Key" in wrong.get_json()["message"]


def test_api_key_of_a_refused_request_stays_usable(workflow, users):
    county = users["county"]
    headers = {**county.headers, "Idempotency-Key": "retry-after-fix"}
    refused = county.client.post("/api/v1/accidents", json=body(deaths=-1), headers=headers)
    assert refused.status_code == 422
    assert county.client.post("/api/v1/accidents", json=body(), headers=headers).status_code == 201
    assert _accidents() == 1


def test_a_malformed_key_is_refused(workflow, users):
    county = users["county"]
    headers = {**county.headers, "Idempotency-Key": "x" * (claims.MAX_KEY + 1)}
    response = county.client.post("/api/v1/accidents", json=body(), headers=headers)
    assert response.status_code == 422
    assert _accidents() == 0


def test_two_concurrent_posts_of_one_token_report_one_accident(
    app, workflow, logged_in, monkeypatch
):
    """The second waits on the first's claim (PostgreSQL: its unique key; SQLite: the writer
    lock), then is answered as a replay."""
    from webapp.accidents import operations

    client = logged_in("clerk", "410102", username="race_clerk")
    csrf, once = _page_tokens(client, "/accidents/new")
    data = {**_form(), "csrf_token": csrf, idempotency.FIELD: once}
    cookie = client.get_cookie("session").value
    postgres = db.engine.dialect.name == "postgresql"
    first_in, go_on = threading.Event(), threading.Event()
    real = operations.record_accident

    def slow_first(*args: Any, **kwargs: Any) -> Any:
        if not first_in.is_set():
            first_in.set()
            assert go_on.wait(60)
        return real(*args, **kwargs)

    results: dict[str, Any] = {}

    def post(name: str) -> None:
        other = app.test_client()
        other.set_cookie("session", cookie)
        response = other.post("/accidents/new", data=data)
        results[name] = (response.status_code, response.headers.get("Location"))

    monkeypatch.setattr(operations, "record_accident", slow_first)
    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert first_in.wait(60)  # the first holds its claim, uncommitted
    second = threading.Thread(target=post, args=("second",))
    second.start()
    if postgres:  # wait until the second really waits on the first's claim
        for _ in range(600):
            with db.engine.connect() as conn:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                        "'Lock' AND query ILIKE '%submission_claim%'"
                    )
                ).scalar_one()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "the second request never waited on the first's claim"
    go_on.set()
    first.join(60)
    second.join(60)
    assert results["first"][0] == 302
    assert results["second"] == (303, results["first"][1])
    assert _accidents() == 1


def test_api_key_reused_with_another_body_is_refused_not_replayed(workflow, users):
    """Found from outside: a second accident sent with the first one's key was answered 201
    with the first accident (``Idempotency-Replayed``), and the second was never recorded,
    without a word.  A key reused with another body is the client's mistake: 422, nothing done.
    The same document with its keys in another order is the same request (replayed)."""
    county = users["county"]
    headers = {**county.headers, "Idempotency-Key": "reused-key-1"}
    first = county.client.post("/api/v1/accidents", json=body(), headers=headers)
    assert first.status_code == 201, first.get_json()
    reordered = json.dumps(dict(reversed(list(body().items()))), ensure_ascii=False)
    same = county.client.post(
        "/api/v1/accidents", data=reordered, content_type="application/json", headers=headers
    )
    assert same.status_code == 201 and same.headers["Idempotency-Replayed"] == "true"
    other = county.client.post("/api/v1/accidents", json=body(deaths=2), headers=headers)
    assert other.status_code == 422
    assert other.get_json()["message"] == idempotency.OTHER_BODY
    query = county.client.post("/api/v1/accidents?org=410102", json=body(), headers=headers)
    assert query.status_code == 422
    assert _accidents() == 1
