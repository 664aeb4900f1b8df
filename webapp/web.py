"""The request edge: authentication loading, session timeouts, commit/rollback, error pages.

One request = one transaction.  Views call operations, which flush; here the transaction is
committed when the response is a success (or when an error handler asked to keep an audit
record of a refusal), and rolled back otherwise.

Whether the request's transaction will write is decided from the HTTP method when Flask
signals ``request_started``: before every ``before_request`` hook (CSRF, the login limiter,
the bearer-token lookup, Flask-Login's user loader, the session timeouts) and so before the
request's first SQL statement.  On SQLite a writer must say so in its very first BEGIN
(``BEGIN IMMEDIATE``): a transaction that has read first cannot take the write lock later once
another writer has committed, and fails at once with "database is locked".
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    request_started,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from webapp.core import audit, clock
from webapp.core.converters import MAX_ID
from webapp.core.errors import (
    Conflict,
    DomainError,
    Hidden,
    InvalidInput,
    PermissionDenied,
    UploadRefused,
    field_refusal,
)
from webapp.core.messages import SCHEMA_MESSAGES
from webapp.core.models import Role, User
from webapp.core.periods import period_label
from webapp.core.permissions import require
from webapp.core.schemas import MAX_PAGE
from webapp.core.states import status_label
from webapp.core.text import (
    MAX_JSON_DEPTH,
    MAX_JSON_TEXT,
    TOO_DEEP,
    bidi_json_paths,
    bidi_problem,
    is_unfit,
    is_unfit_name,
    json_depth,
    long_json_paths,
    plainly_fit_json,
    shown,
    unfit_json_paths,
)
from webapp.extensions import db, login_manager, write_intent

log = logging.getLogger("webapp")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def page_arg(name: str = "page") -> int:
    """A list page's page number from the query string, forgiving: missing, not a number or
    below 1 is 1, past ``MAX_PAGE`` is ``MAX_PAGE`` (``?page=10**25`` was a 500: the OFFSET
    overflowed SQLite's integer).  The list shows its last page or none past its end."""
    return min(max(request.args.get(name, 1, type=int) or 1, 1), MAX_PAGE)


def id_field(values: Any, name: str, *, minimum: int = 1) -> int | None:
    """A number naming a row (an id, a version) from ``request.args`` or ``request.form``,
    bounded as the path converter bounds one (``MAX_ID``): missing, not a whole number or
    outside ``minimum``..``MAX_ID`` is None.  Unbounded, ``?version=10**20`` on a process
    definition's page reached the database and was a 500 (SQLite's integer overflowed)."""
    value = values.get(name, type=int)  # type: ignore[call-arg]  # werkzeug's MultiDict
    return value if value is not None and minimum <= value <= MAX_ID else None


#: The years a page's ``?year=`` may ask for (the assessment's and the audit's own bound).
YEARS = range(2000, 2101)


def year_arg(name: str = "year") -> int:
    """A page's year from the query string, forgiving: missing, not a number or outside
    ``YEARS`` is this year (``?year=10**25`` on the 日常考察 page was a 500)."""
    year = request.args.get(name, type=int)
    return year if year in YEARS else clock.today_local().year


#: Query keys ``url_for`` reads itself (its endpoint argument and its build options):
#: ``?endpoint=x`` made a page carrying its query string into its links a 500, ``?_external=1
#: &_scheme=javascript`` made them absolute with a scheme of the visitor's choosing.
URL_FOR_OWN = frozenset({"endpoint", "values"})


def link_args(*drop: str) -> dict[str, str]:
    """The request's query string to carry into a page's links and redirects
    (``url_for(endpoint, …, **link_args("page"))``): without ``drop`` (the link's own path
    parameters and what the link sets itself), ``url_for``'s own keys and any ``_`` option."""
    return {
        k: v
        for k, v in request.args.items()
        if k not in drop and k not in URL_FOR_OWN and not k.startswith("_")
    }


_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")


def attachment(filename: str, ascii_stem: str = "download") -> str:
    """The ``Content-Disposition`` of a download named ``filename`` (RFC 6266): the name itself
    as ``filename*`` (UTF-8, every byte but letters, digits and ``-._~`` escaped, so no quote,
    semicolon or line break can end the header early), and a plain ``filename`` for clients that
    do not read ``filename*``: the name when it is plain ASCII, else ``ascii_stem`` with the
    name's extension.  Every download's header is built here (a test holds the source to it)."""
    name = " ".join(filename.split()) or ascii_stem
    if _PLAIN_NAME.fullmatch(name):
        return f'attachment; filename="{name}"'
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    plain_ext = f".{ext}" if ext and _PLAIN_NAME.fullmatch(ext) else ""
    return (
        f"attachment; filename=\"{ascii_stem}{plain_ext}\"; filename*=UTF-8''{quote(name, safe='')}"
    )


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def keep_transaction() -> None:
    """Ask the edge to commit even though the response is an error (audited refusals)."""
    g.commit_anyway = True


def record_refusal(action: str, *, after: dict[str, Any] | None = None) -> None:
    """Audit a refused request so that the record outlives the request's rollback.

    Whatever the request did is rolled back first; the record is then written by a writer
    (BEGIN IMMEDIATE on SQLite) and the edge commits it although the answer is an error.
    """
    if not g.get("commit_anyway"):  # e.g. a failed API login keeps its audit record
        db.session.rollback()
    write_intent.set(True)
    actor = current_user if current_user.is_authenticated else None
    audit.record(
        action,
        actor=actor,
        actor_name=None if actor else "anonymous",
        object_type="route",
        object_id=request.endpoint,
        message=f"{request.method} {request.path}",
        after=after,
    )
    keep_transaction()


def record_refused_upload(err: DomainError) -> None:
    """For a view that shows an upload's refusal itself: audit it if it was a refused file."""
    if isinstance(err, UploadRefused):
        names = [f.filename[:200] for f in request.files.values() if f.filename]
        record_refusal("security.upload_refused", after={"reason": err.message, "files": names})


def reads_first(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a POST view that reads long before it writes (it calls ``begin_write`` itself).

    The edge then starts its transaction as a reader, not with SQLite's write lock: a 60,000-row
    import validates without making every other unit's save wait.  Put it right under the route
    decorator (the function the route registers must carry the mark).
    """
    view.reads_first = True  # type: ignore[attr-defined]
    return view


def long_json_text(limit: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a JSON view whose body carries one long document (the BPMN editor posts the whole
    diagram as one string): the edge's ``MAX_JSON_TEXT`` backstop is ``limit`` for it, and the
    view bounds the document itself.  Put it right under the route decorator."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view.json_text_limit = limit  # type: ignore[attr-defined]
        return view

    return mark


def _json_text_limit() -> int:
    view = current_app.view_functions.get(request.endpoint or "")
    return int(getattr(view, "json_text_limit", MAX_JSON_TEXT))


def _reads_first(app: Flask) -> bool:
    view = app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "reads_first", False))


def login_gate(action: str | None = None) -> Callable[[], Any]:
    """A ``before_request`` check for pages: a login (else the login page) and, with ``action``,
    the right to it in the user's own org.  The views still check the object and its org."""

    @login_required
    def check() -> None:
        if action is not None:
            require(current_user, action, current_user.org)

    return check


def role_gate(action: str, *, writes_only: bool = False) -> Callable[[], None]:
    """A ``before_request`` check that the user's roles allow ``action`` at all.

    It runs before the body is parsed or an object is loaded: a role that may never do this
    (an auditor trying a write) gets 403, not a 422 or a 404 that tells it what exists.  The
    operation still checks the object and its org.  Register it after ``require_login``.
    """

    def check() -> None:
        if writes_only and request.method in SAFE_METHODS:
            return
        require(current_user, action)

    return check


def page_blueprint(
    name: str, import_name: str, *, view: str | None = None, writes: str | None = None
) -> Blueprint:
    """A feature's blueprint of pages, at ``/<name>`` with the feature's ``templates`` folder.
    Every page needs a login and, with ``view``, that right in the user's own org
    (:func:`login_gate`); with ``writes``, a POST (any unsafe method) needs roles that allow that
    action at all (:func:`role_gate`).  The views still check the object and its org."""
    bp = Blueprint(name, import_name, url_prefix=f"/{name}", template_folder="templates")
    bp.before_request(login_gate(view))
    if writes is not None:
        bp.before_request(role_gate(writes, writes_only=True))
    return bp


def begin_unit_of_work(_sender: Flask, **_extra: Any) -> None:
    """Say, before any SQL of this request, whether its transaction writes and for whom.

    Connected to ``request_started``; the value is set anew for every request, so a worker
    thread never carries the previous request's intent into the next one.  A view marked
    ``@reads_first`` starts as a reader and takes the write lock itself (``begin_write``)."""
    write_intent.set(request.method not in SAFE_METHODS and not _reads_first(_sender))
    audit.client_addr_var.set(request.remote_addr)


def init_app(app: Flask) -> None:
    # weak=False: blinker keeps only a weak reference by default.
    request_started.connect(begin_unit_of_work, app, weak=False)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"
    login_manager.needs_refresh_message = "请重新登录以确认身份。"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        try:
            uid, version = (int(p) for p in user_id.split(":", 1))
        except ValueError:
            return None
        user = db.session.get(User, uid)
        if user is None or user.session_version != version or not user.is_enabled:
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized() -> Any:
        if wants_json():
            return jsonify(code="unauthorized", message="未登录或登录已失效。"), 401
        flash(login_manager.login_message, "warning")
        # full_path ends in "?" when there is no query string (next=/? after login).
        target = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.login", next=target))

    # First of our hooks: the bearer-token loader below already queries the database, and a NUL
    # reaching PostgreSQL is a 500.  (The CSRF and rate-limit hooks, registered earlier by their
    # extensions, read no database.)
    app.before_request(refuse_unfit_input)
    app.before_request(refuse_bidi_input)

    @app.before_request
    def _before() -> Any:
        _load_bearer_token()  # reads: the write intent was set by begin_unit_of_work
        g.incident = None
        return _enforce_session_timeouts(app)

    @app.after_request
    def _commit_at_edge(response: Any) -> Any:
        if response.status_code < 400 or g.get("commit_anyway"):
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def _rollback_on_error(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()

    @app.errorhandler(DomainError)
    def _domain_error(err: DomainError) -> Any:
        if not g.get("commit_anyway"):  # e.g. a failed API login keeps its audit record
            db.session.rollback()
        if isinstance(err, PermissionDenied):
            details = err.details if isinstance(err.details, dict) else None
            record_refusal("permission.denied", after=details)
        elif isinstance(err, Hidden):  # answered as missing, audited as the refusal it is
            record_refusal("permission.denied", after={"action": err.action, "hidden": True})
        record_refused_upload(err)
        if wants_json():
            body: dict[str, Any] = {"code": err.code, "message": err.message}
            if err.details is not None:
                body["errors"] = err.details
            return jsonify(body), err.status_code
        return render_template(
            "errors/error.html", status=err.status_code, message=err.message, details=err.details
        ), err.status_code

    @app.errorhandler(CSRFError)
    def _csrf_error(err: CSRFError) -> Any:
        # A forged cross-site request looks like this: the refusal is kept in the audit trail.
        record_refusal("security.csrf_refused", after={"reason": err.description})
        message = "表单已过期或缺少安全令牌（CSRF），请刷新页面后重试。"
        if wants_json():
            return jsonify(code="csrf", message=message), 400
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Any:
        status = err.code or 500
        if status == 413:  # an upload over the request limit, refused before it is read
            limit = app.config["MAX_CONTENT_LENGTH"]
            record_refusal("security.upload_refused", after={"reason": f"请求超过 {limit} 字节"})
        # A refusal may say more than its status does (the login limits say which and how long).
        message = g.get("refusal_message") or HTTP_MESSAGES.get(
            status, err.description or "请求无法处理。"
        )
        if wants_json():
            body: dict[str, Any] = {"code": HTTP_CODES.get(status, str(status)), "message": message}
            extra = getattr(err, "data", None)
            if isinstance(extra, dict) and extra.get("messages"):
                body["errors"] = extra["messages"]
            return jsonify(body), status
        return render_template("errors/error.html", status=status, message=message), status

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Any:
        db.session.rollback()
        incident = uuid.uuid4().hex[:12]
        log.exception("incident %s on %s %s", incident, request.method, request.full_path)
        message = f"系统内部错误，请联系系统管理员并提供事件编号 {incident}。"
        if wants_json():
            return jsonify(code="internal", message=message, incident=incident), 500
        return render_template("errors/error.html", status=500, message=message), 500

    from webapp import idempotency

    idempotency.init_app(app)  # after the hooks above: see its init_app

    app.jinja_env.filters["localtime"] = _format_local
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.filters["period_label"] = period_label  # 2026H2 → 2026年下半年
    app.jinja_env.globals["Role"] = Role
    app.jinja_env.globals["kept"] = kept
    app.jinja_env.globals["refusal"] = refusal


#: The ``code`` of an HTTP refusal's JSON body: the same words the domain's refusals use
#: (webapp.core.errors), so a client tells a missing object from a refused input one way only.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "too_many_requests",
}
HTTP_MESSAGES = {
    400: "请求格式不正确。",
    401: "未登录或登录已失效。",
    403: "您没有权限执行此操作。",
    404: "页面或对象不存在。",
    405: "不支持该请求方法。",
    409: "数据已被他人修改，请刷新后重试。",
    413: "上传的内容超过大小限制。",
    422: "提交的数据有误。",
    429: "操作过于频繁（如多次登录失败），请稍后再试。",
}


#: Where an input arrived → how the message names it (``{}``: the field's name).
_PLACES = {
    "path": "网址路径",
    "query": "查询参数“{}”",
    "form": "表单字段“{}”",
    "files": "上传文件“{}”的文件名",
    "json": "字段“{}”",
}
UNFIT_REASON = "包含不允许的控制字符（如 NUL）"
#: A multipart body part without a name: no form reads it, and the edge rules name fields by it.
UNNAMED_PART = "请求中有未命名的表单字段或文件，请检查后重试。"


def refuse_unfit_input() -> None:
    """Refuse (422, nothing read or written) a request whose path, query string, form fields,
    uploaded file names or JSON keys and strings hold a character our text cannot store
    (NUL and the other C0 controls but tab/LF/CR, U+FFFE/U+FFFF, lone surrogates; in a file
    name line breaks too: a name is one line, its download's header holds it), whose
    multipart body has a part without a name (a 500 found by the fuzz), or whose JSON body nests
    deeper than ``MAX_JSON_DEPTH``.  Uploaded file contents are the importers'
    business."""
    refuse_deep_json()
    refuse_json_not_an_object()
    if _has_form() and (None in request.form or None in request.files):  # a part with no name
        raise InvalidInput(UNNAMED_PART)
    found = _unfit_fields()
    if not found:
        return
    location, name = found[0]
    place = _PLACES[location].format(shown(name)) if name else "请求内容"
    details: dict[str, dict[str, list[str]]] = {}
    for loc, field in found:
        details.setdefault(loc, {})[shown(field)] = [UNFIT_REASON + "。"]
    raise InvalidInput(f"{place}{UNFIT_REASON}，请删除后重试。", details=details)


#: The bodies werkzeug parses into ``request.form`` and ``request.files``; any other body leaves
#: both empty (asking for them still builds a parser: about 50 Python calls a request).
_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
_NO_FORM: ImmutableMultiDict[str, str] = ImmutableMultiDict()


def _has_form() -> bool:
    return request.mimetype in _FORM_TYPES


def _plain_json() -> bool:
    """The JSON body's text shows it holds nothing the edge refuses (:func:`plainly_fit_json`):
    its four walks are skipped."""
    return plainly_fit_json(request.get_data(as_text=True))


def refuse_deep_json() -> None:
    """A JSON body nested past what any form of ours needs is refused before anyone reads it:
    the decoder and JSON Schema validation recurse, and 100,000 levels were a 500.  A string
    past MAX_JSON_TEXT anywhere in it is refused too (a 100,000-character unit name was kept)."""
    if not request.is_json or _plain_json():
        return
    try:
        too_deep = json_depth(request.get_json(silent=True)) > MAX_JSON_DEPTH
    except RecursionError:
        too_deep = True
    if too_deep:
        raise InvalidInput(TOO_DEEP)
    limit = _json_text_limit()
    too_long = list(long_json_paths(request.get_json(silent=True), limit))
    if too_long:  # every schema bounds its strings; this bounds those of free-form objects
        reason = f"长度不能超过 {limit} 字。"
        raise InvalidInput(
            f"请求内容中“{shown(too_long[0])}”{reason[:-1]}，请删减后重试。",
            details={"json": {shown(path): [reason] for path in too_long}},
        )


#: A JSON body whose top level is not an object: no route of ours takes anything else.
NOT_AN_OBJECT = "请求内容应为 JSON 对象（键值对），不能是数组、字符串、数字、true/false 或 null。"


def refuse_json_not_an_object() -> None:
    """Refuse (400) a write whose JSON body is valid JSON but not an object at the top: a list,
    a string, a number, true/false or null.  Every JSON route of ours reads an object; a view
    reading the body itself (``payload.get(...)`` after ``get_json() or {}``) answered a list
    or a string with a 500, and ``null`` passed as an empty body.  A malformed body is left to
    the schema's own refusal (the API's "请求内容不是有效的 JSON")."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
        return
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return
    if body is None and request.get_data().strip() != b"null":
        return  # empty or malformed: not this rule's
    raise DomainError(NOT_AN_OBJECT, details={"json": {"_schema": [SCHEMA_MESSAGES["type"]]}})


def _unfit_fields() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if is_unfit(request.path):
        found.append(("path", request.path))
    has_form = _has_form()
    for location, pairs in (
        ("query", request.args),
        ("form", request.form if has_form else _NO_FORM),
    ):
        for key, value in pairs.items(multi=True):
            if is_unfit(key) or is_unfit(value):
                found.append((location, key))
    for key, upload in request.files.items(multi=True) if has_form else ():
        if is_unfit(key) or is_unfit_name(upload.filename or ""):
            found.append(("files", key))
    if request.is_json and not _plain_json():
        body = request.get_json(silent=True)  # malformed JSON is the schema's to refuse
        found.extend(("json", path) for path in unfit_json_paths(body))
    return found


def refuse_bidi_input() -> None:
    """Refuse (422) a write whose form fields, uploaded file names or JSON keys and strings hold
    a bidirectional control (U+202E...): it would reverse words in the documents made from them
    (``webapp.core.text.bidi_problem``, the rule the importers apply to their cells too)."""
    if request.method in SAFE_METHODS:
        return  # nothing a reader sends is stored
    found: list[tuple[str, str, str]] = []
    has_form = _has_form()
    for key, value in request.form.items(multi=True) if has_form else ():
        found += [("form", key, p) for p in (bidi_problem(key), bidi_problem(value)) if p]
    for key, upload in request.files.items(multi=True) if has_form else ():
        problem = bidi_problem(upload.filename or "")
        found += [("files", key, problem)] if problem else []
    if request.is_json and not _plain_json():
        body = request.get_json(silent=True)
        found += [("json", path, problem) for path, problem in bidi_json_paths(body)]
    if not found:
        return
    location, name, problem = found[0]
    details: dict[str, dict[str, list[str]]] = {}
    for loc, field, reason in found:
        details.setdefault(loc, {})[shown(field)] = [reason + "。"]
    place = _PLACES[location].format(shown(name)) if name else "请求内容"
    raise InvalidInput(f"{place}{problem}。", details=details)


def _load_bearer_token() -> None:
    """``Authorization: Bearer <token>`` authenticates the request, whatever session cookie
    comes with it.  (Flask-Login's request_loader is only asked when the session holds no
    user, and its strong session protection can drop the request first: a browser-made cookie
    with only a CSRF token in it made valid tokens answer 401.)"""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return
    from webapp.core.operations import user_for_token

    user = user_for_token(header[len("Bearer ") :].strip())
    if user is not None:
        g._login_user = user  # what flask_login.current_user reads
        g.token_auth = True


def _format_local(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if isinstance(value, str):  # an aware ISO stamp from a snapshot
        value = datetime.fromisoformat(value) if value else None
    local = clock.to_local(value)
    return local.strftime(fmt) if local else ""


def _enforce_session_timeouts(app: Flask) -> Any:
    """Idle and absolute timeouts for browser sessions (tokens have their own expiry)."""
    if not current_user.is_authenticated or g.get("token_auth"):
        return None
    now = clock.now().timestamp()
    login_at = session.get("login_at")
    seen_at = session.get("seen_at", now)
    if login_at is None:  # restored from a remember-me cookie
        session["login_at"] = login_at = now
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    absolute = app.config["SESSION_MAX_HOURS"] * 3600
    if now - seen_at > idle or now - login_at > absolute:
        logout_user()
        session.clear()
        if wants_json():
            return jsonify(code="session_expired", message="会话已超时，请重新登录。"), 401
        flash("会话已超时，请重新登录。", "warning")
        return redirect(url_for("auth.login"))
    session["seen_at"] = now
    return None


def refused_on(
    endpoint: str,
    fields: Mapping[str, str] | None = None,
    page_args: Callable[..., dict[str, Any]] | None = None,
    *,
    errors: Callable[..., Mapping[str, Any]] | None = None,
    refuses: tuple[type[DomainError], ...] = (InvalidInput, Conflict),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page form's refusal answers the page the form is on, not an error page or a redirect.

    For a POST handler whose form sits on the page ``endpoint`` (same URL arguments, or a
    subset): a refusal of the input or of the object's state (:class:`InvalidInput` 422,
    :class:`Conflict` 409) rolls back and renders that page again with the refusal's status.
    There :func:`refusal` gives the form its errors (``_form_errors.html``'s ``errors_summary``
    at the top of the form, ``error_under`` below the field the refusal's ``details`` name) and
    :func:`kept` gives each field what the user typed.  ``fields`` maps a ``details`` key to the
    form's field when the operation names it otherwise (a form field's own name needs no entry;
    ``"_"``: the field a refusal naming none stands under).  ``page_args``: the page's URL
    arguments from the POST's, when the page is not addressed by a subset of them (a sampled
    site's visit is on its unit's score page).  ``errors``: the page's field → reason from the
    refusal and the view's URL arguments, when its ``details`` name what only the page can place
    (a task form's paths ``laggards[0]``, a score sheet's items); called after the rollback.
    ``refuses``: the refusals answered on the page (办理 leaves a conflict to its flash).
    A redirect or the bare error page lost the input: a meeting's conclusions, an accident's
    investigation conclusion, a reason for an objection's answer.  403 and 404 still go to the
    edge (which audits a 403).
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except refuses as err:
                if wants_json() or isinstance(err, PermissionDenied) or "refused" in g:
                    # A script reads the edge's JSON refusal; the edge audits a 403; the page
                    # itself refused while answering (its own form's view): the error page.
                    raise
                db.session.rollback()
                names = {name: name for name in request.form} | dict(fields or {})
                g.refused = dict(errors(err, **kwargs)) if errors else field_refusal(err, names)
                rule = next(current_app.url_map.iter_rules(endpoint))
                args = (
                    page_args(**kwargs)
                    if page_args
                    else {k: v for k, v in kwargs.items() if k in rule.arguments}
                )
                response = make_response(current_app.view_functions[endpoint](**args))
                response.status_code = err.status_code
                return response

        wrapper.refused_on = endpoint  # type: ignore[attr-defined]  # the sweep's guard reads it
        return wrapper

    return decorate


def posted_here() -> bool:
    """Whether a GET-and-POST page's view is to read its own form: not when it renders the page
    again for another form's refusal (:func:`refused_on`, still in that form's POST)."""
    return request.method == "POST" and "refused" not in g


def refusal(endpoint: str, *, here: bool = True) -> dict[str, Any]:
    """The errors of the form posting to ``endpoint`` when this page answers its refusal (field
    name → reason, ``_`` for the whole form; for ``errors_summary``/``error_under``/``invalid_if``;
    ``here`` False: another instance of the form on the page, e.g. another objection's answer);
    empty otherwise, so ``{{ ' show' if refusal(...) }}`` opens a collapsed form refused."""
    if here and "refused" in g and request.endpoint == endpoint:
        return g.refused
    return {}


def kept(endpoint: str, name: str, default: Any = "", *, here: bool = True) -> Any:
    """What the user typed into field ``name`` of the form posting to ``endpoint``, when this
    page answers that form's refusal (``here`` False: another instance of the form on the page);
    otherwise ``default``, the value the page shows.  A list ``default`` (ticked boxes, a
    multiple select) gives every value posted under ``name``."""
    if here and refusal(endpoint):
        if isinstance(default, list | tuple | set):
            return request.form.getlist(name)
        if name in request.form:
            return request.form[name]
    return default
