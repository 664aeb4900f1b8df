"""The request edge's protection against acting twice on one submission.

Every POST form a page renders carries a one-time token (``{{ form_tokens() }}`` renders it
with the CSRF token; a WTForms form adds ``{{ once_field() }}`` after ``form.hidden_tag()``), made
fresh on the server for each form of each page: back-and-resubmit, a reload that re-posts, a
flaky network's retry all send the same token again.  An API client may send an
``Idempotency-Key`` header with the same meaning.  The request claims its key in its own
transaction before the view runs (``webapp/core/claims.py``); a replay of a key already claimed
does nothing and gets the first answer:

- a form whose first answer redirected: 303 to the same place, with the notice
  「该表单已提交，未重复办理。」; another first answer: that notice on a 409 page;
- an API request: the first answer's status and JSON body again (header
  ``Idempotency-Replayed: true``); the same key on another method or path, or with another
  body (query string, JSON document, form fields or files): 422.

A request that did not act keeps no claim, so its key stays usable: a refusal (status 400 and
up, whose transaction rolls back) and a request that changed nothing (it made no audit record:
a comparison posted as a form, a search, a login redirect).  A POST without a key acts as it
always did (an old page cached before the deploy, a script): see docs/security.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from typing import Any

from flask import (
    Flask,
    Response,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select

from webapp.core import audit, claims
from webapp.core.errors import Conflict, InvalidInput
from webapp.core.models import SubmissionClaim
from webapp.extensions import db, on_begin_write

log = logging.getLogger(__name__)

#: The form field of the one-time token, and the API's header.
FIELD = "form_token"
HEADER = "Idempotency-Key"
DUPLICATE = "该表单已提交，未重复办理。如需另行提交，请重新打开表单填写。"
DUPLICATE_API = "该请求已办理（同一 Idempotency-Key），未重复办理。"
RUNNING = "该提交正在办理中，请稍后刷新页面查看结果。"
OTHER_REQUEST = "该 Idempotency-Key 已用于另一请求，请换用新的键。"
OTHER_BODY = "该 Idempotency-Key 已用于内容不同的请求，未办理；如是新的请求，请换用新的键。"
BAD_KEY = f"Idempotency-Key 或表单令牌须为 1 至 {claims.MAX_KEY} 个可见的 ASCII 字符。"
#: Bodies of first answers longer than this are not kept (the replay says it was done).
MAX_BODY = 256 * 1024

#: Endpoints whose forms carry no token.  Signing in or out twice is harmless (the second
#: login makes a new session, the second logout finds none) and the owner of a claim changes
#: in the middle of those requests.  Draft autosave (drafts.js) posts JSON without a key: a
#: save of the same text twice is the same save (versions, stale saves merged).
EXEMPT = frozenset({"auth.login", "auth.logout"})

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def once_field() -> Markup:
    """The hidden input of a fresh one-time token (a Jinja global)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FIELD, secrets.token_urlsafe(16)
    )


def form_tokens() -> Markup:
    """The CSRF token's hidden input and a fresh one-time token's (a Jinja global): what every
    POST form of a page carries (``tests/security/test_form_tokens.py`` checks the templates)."""
    csrf = Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())
    return csrf + once_field()


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None and request.mimetype in FORM_TYPES:
        key = request.form.get(FIELD)
    if not key:
        return None
    if len(key) > claims.MAX_KEY or not all(" " < c < "\x7f" for c in key):
        raise InvalidInput(BAD_KEY)
    return key


def _owner() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else "anonymous"


def _request_line() -> str:
    """What a claim remembers of its request: the method and path, and for an API key the
    fingerprint of what was sent (a key reused with another body is refused, not replayed)."""
    line = f"{request.method} {request.path}"
    if HEADER in request.headers:
        line += f" {_fingerprint()}"
    return line[:600]


def _fingerprint() -> str:
    """A digest of the request's content as the application reads it: the query string, the
    JSON document (keys sorted, so key order and spacing do not count) or the form fields and
    each uploaded file's name and bytes (a multipart boundary does not count)."""
    digest = hashlib.sha256()

    def add(*parts: Any) -> None:
        digest.update(json.dumps(parts, ensure_ascii=False, default=str).encode() + b"\n")

    add("query", sorted(request.args.items(multi=True)))
    if request.is_json:
        add("json", json.dumps(request.get_json(silent=True), sort_keys=True, default=str))
        if request.get_json(silent=True) is None:
            add("raw", request.get_data().hex())
    elif request.mimetype in FORM_TYPES:
        add("form", sorted(request.form.items(multi=True)))
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            stream = upload.stream
            position = stream.tell()
            content = hashlib.sha256(stream.read()).hexdigest()
            stream.seek(position)
            add("file", name, upload.filename, content)
    else:
        add("raw", hashlib.sha256(request.get_data()).hexdigest())
    return "sha256:" + digest.hexdigest()[:32]


def _claim() -> Any:
    """Claim the request's key; the replay's answer when it was claimed before."""
    owner, key, from_header = g.submission_key
    earlier = claims.claim(owner, key, _request_line())
    if earlier is None:
        g.submission_claimed = True
        g.submission_audit_mark = audit.records_made()
        return None
    g.submission_key = None
    return _replay(earlier, from_header)


def _replay(earlier: claims.Earlier, from_header: bool) -> Any:
    log.info("duplicate submission %s (first: %s)", _request_line(), earlier.request_line)
    if from_header and earlier.request_line != _request_line():
        first, now = earlier.request_line.split(" "), _request_line().split(" ")
        if first[:2] != now[:2]:
            raise InvalidInput(OTHER_REQUEST)
        if len(first) > 2:  # a claim made before fingerprints counts by method and path
            raise InvalidInput(OTHER_BODY)
    api = from_header or g.get("token_auth") or request.path.startswith("/api/")
    if earlier.status is None:
        if api:
            return jsonify(code="conflict", message=RUNNING), 409
        return render_template("errors/error.html", status=409, message=RUNNING), 409
    if api:
        if earlier.body is not None:
            response = Response(earlier.body, status=earlier.status, mimetype="application/json")
        elif earlier.status in (204, 304) or earlier.location:
            response = Response(status=earlier.status)
        else:
            response = jsonify(code="duplicate", message=DUPLICATE_API)
            response.status_code = earlier.status
        if earlier.location:
            response.headers["Location"] = earlier.location
        response.headers["Idempotency-Replayed"] = "true"
        return response
    if earlier.location:
        flash(DUPLICATE, "info")
        return redirect(earlier.location, 303)
    return render_template("errors/error.html", status=409, message=DUPLICATE), 409


def claim_before_view(app: Flask) -> Any:
    """``before_request`` (after the login and the session timeouts): claim the key, or answer
    the replay.  A ``@reads_first`` view claims when it starts writing (``begin_write``)."""
    g.submission_key = None
    g.submission_claimed = False
    if request.method in SAFE_METHODS or request.endpoint in EXEMPT:
        return None
    key = _key()
    if key is None:
        return None
    g.submission_key = (_owner(), key, HEADER in request.headers)
    view = app.view_functions.get(request.endpoint or "")
    if getattr(view, "reads_first", False):
        return _claim_if_replay()
    return _claim()


def _claim_if_replay() -> Any:
    """For a ``@reads_first`` view: answer a replay of a finished request now, without the
    write lock; the claim itself is taken by :func:`claim_at_begin_write`."""
    owner, key, from_header = g.submission_key
    row = db.session.execute(
        select(SubmissionClaim).where(SubmissionClaim.owner == owner, SubmissionClaim.key == key)
    ).scalar_one_or_none()
    if row is None:
        return None
    g.submission_key = None
    earlier = claims.Earlier(row.request_line, row.status, row.location, row.body)
    return _replay(earlier, from_header)


def claim_at_begin_write() -> None:
    """A ``@reads_first`` view starts writing: claim its key now, in the writer's transaction.
    A concurrent duplicate that finished first makes this one refuse (409, nothing written)."""
    if not has_request_context() or not g.get("submission_key") or g.get("submission_claimed"):
        return
    if _claim() is not None:
        raise Conflict(DUPLICATE)


def settle_after_view(response: Response) -> Response:
    """``after_request`` (before the edge commits): keep the claim with the answer when the
    request acted, give it up otherwise."""
    if not g.get("submission_claimed"):
        return response
    owner, key, _ = g.submission_key
    g.submission_claimed = False
    if response.status_code >= 400 and not g.get("commit_anyway"):
        return response  # the edge rolls the claim back with the rest
    acted = response.status_code < 400 and audit.records_made() > g.submission_audit_mark
    if not acted:
        claims.release(owner, key)
        return response
    body = None
    if response.is_json and not response.is_streamed:
        text = response.get_data(as_text=True)
        body = text if len(text) <= MAX_BODY else None
    claims.settle(
        owner,
        key,
        status=response.status_code,
        location=response.headers.get("Location"),
        body=body,
    )
    return response


def init_app(app: Flask) -> None:
    """Register the hooks; call after the edge's own (web.init_app), so that the claim is made
    after the login and its answer stored before the edge's commit (after_request hooks run
    in the reverse order of registration)."""
    app.before_request(lambda: claim_before_view(app))
    app.after_request(settle_after_view)
    if claim_at_begin_write not in on_begin_write:
        on_begin_write.append(claim_at_begin_write)
    app.jinja_env.globals["form_tokens"] = form_tokens
    app.jinja_env.globals["once_field"] = once_field
