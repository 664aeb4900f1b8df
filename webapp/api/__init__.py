"""JSON API under /api/v1 (flask-smorest + marshmallow), documented at /api/v1/openapi.json.

Authentication: ``POST /api/v1/auth/tokens`` then ``Authorization: Bearer <token>``.  A browser
session works too; then every unsafe method needs the CSRF token (``X-CSRFToken`` header).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar

import flask_smorest
from flask import current_app, g, request
from flask_login import current_user
from flask_smorest import Api
from sqlalchemy import select
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from webapp.auth.throttle import throttled
from webapp.core import messages, operations
from webapp.core.errors import DomainError, PermissionDenied
from webapp.core.models import Org
from webapp.core.permissions import require
from webapp.core.schemas import ErrorSchema, MeSchema, TokenRequestSchema, TokenSchema
from webapp.core.text import strict_json_loads
from webapp.extensions import csrf, db
from webapp.web import keep_transaction, role_gate


class RequestParser(FlaskParser):
    """flask-smorest's request parser, refusing a body that is not JSON in Chinese (its other
    messages are marshmallow's, made Chinese by :mod:`webapp.core.messages`)."""

    def _raw_load_json(self, req: Any) -> Any:
        """The body read by :func:`strict_json_loads` (``NaN`` and ``Infinity`` are not JSON),
        as webargs reads it otherwise."""
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return core.parse_json(data)  # webargs' own answer to a body that is not UTF-8
        return strict_json_loads(text)

    def _handle_invalid_json_error(self, error: Exception, req: Any, *a: Any, **k: Any) -> NoReturn:
        abort(400, exc=error, messages={"json": [messages.INVALID_JSON]})


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint (ruff bans ``flask_smorest.Blueprint`` elsewhere)."""

    ARGUMENTS_PARSER = RequestParser()


class HqrApi(Api):
    """flask-smorest's Api documenting our error body ({"code": str, "message": 中文, ...})."""

    ERROR_SCHEMA = ErrorSchema


auth_bp = Blueprint(
    "api_auth", __name__, url_prefix="/api/v1/auth", description="认证：获取访问令牌"
)
me_bp = Blueprint("api_me", __name__, url_prefix="/api/v1", description="当前用户")
#: Blueprints that need an authenticated user (each feature adds its own here).
PROTECTED = [me_bp]


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


def require_login() -> Any:
    if not current_user.is_authenticated:
        raise Unauthorized("未登录或登录已失效，请先获取访问令牌。")
    if not g.get("token_auth") and request.method not in {"GET", "HEAD", "OPTIONS"}:
        csrf.protect()  # session-authenticated writes need the CSRF token
    return None


def feature_api(
    name: str,
    import_name: str,
    url_prefix: str,
    description: str,
    *,
    gate: str | None = None,
    writes_only: bool = True,
) -> Blueprint:
    """A feature's API blueprint.  Every call needs a login (:func:`require_login`: a bearer
    token, or a session and then the CSRF token for writes, so the blueprint is exempt from the
    form CSRF check); with ``gate``, the user's roles must allow that action at all (on writes
    only, or on every call with ``writes_only=False``), checked before a body is parsed or an
    object loaded (:func:`webapp.web.role_gate`)."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix, description=description)
    bp.before_request(require_login)
    if gate is not None:
        bp.before_request(role_gate(gate, writes_only=writes_only))
    csrf.exempt(bp)
    return bp


F = TypeVar("F", bound=Callable[..., Any])


def refusals(
    bp: Blueprint, *codes: int, described: Mapping[int, str] | None = None
) -> Callable[[F], F]:
    """Document the error answers an endpoint may give, each with the :class:`ErrorSchema`
    body: ``codes`` with the status's standard phrase, ``described`` with a description."""
    answers: dict[int, str | None] = {code: None for code in codes}
    answers.update(described or {})

    def decorator(fn: F) -> F:
        for code, text in reversed(answers.items()):
            fn = bp.alt_response(code, schema=ErrorSchema, description=text)(fn)
        return fn

    return decorator


def listed(model: Any, args: Mapping[str, Any], permission: str) -> list[Any]:
    """What a feature's list endpoint lists: the ``model`` rows (reports, publications: an
    ``org_id`` and a ``period``) of one unit (``org``), or of a unit and every unit below it
    (``under``; default the user's unit), after checking ``permission`` on that unit; of one
    ``period`` when given; by unit and period."""
    if args.get("org"):
        org = operations.get_org(args["org"])
        where = Org.id == org.id
    else:
        org = operations.get_org(args["under"]) if args.get("under") else current_user.org
        where = Org.path.like(org.path + "%")
    require(current_user, permission, org)
    stmt = select(model).join(Org, model.org_id == Org.id).where(where)
    if args.get("period"):
        stmt = stmt.where(model.period == args["period"])
    return list(db.session.execute(stmt.order_by(Org.path, model.period)).scalars())


@auth_bp.route("/tokens", methods=["POST"])
@auth_bp.arguments(TokenRequestSchema)
@auth_bp.response(201, TokenSchema)
@auth_bp.alt_response(401, schema=ErrorSchema, description="用户名或密码错误")
@auth_bp.alt_response(429, schema=ErrorSchema, description="登录失败次数过多")
@throttled
def issue_token(body: dict[str, str]) -> Any:
    """Exchange a username and password for a bearer token (only its hash is stored)."""
    try:
        user = operations.authenticate(body["username"], body["password"])
    except DomainError as err:
        g.login_failed = True
        keep_transaction()
        raise Unauthorized(err.message) from err
    operations.record_login(user, via="api")
    hours = current_app.config["API_TOKEN_HOURS"]
    return {"token": operations.issue_token(user, hours), "expires_in_hours": hours}


me_bp.before_request(require_login)


@me_bp.route("/me")
@me_bp.response(200, MeSchema)
@me_bp.alt_response(401, schema=ErrorSchema, description="未登录或令牌失效")
def me() -> Any:
    """The authenticated user with their organisation and roles."""
    return current_user


def register_api(api: Api) -> None:
    csrf.exempt(auth_bp)
    for bp in PROTECTED:
        csrf.exempt(bp)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    api.register_blueprint(auth_bp)
    for bp in PROTECTED:
        api.register_blueprint(bp)


__all__ = [
    "PermissionDenied",
    "feature_api",
    "listed",
    "refusals",
    "register_api",
    "require_login",
    "Unauthorized",
]
