"""Domain verbs of the core: organisations and users.

Each operation takes the acting user explicitly, checks its preconditions, raises a
:class:`~webapp.core.errors.DomainError` with a Chinese message, writes its audit record,
and flushes but never commits (the request or command commits at the edge).
"""

from __future__ import annotations

import csv
import functools
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload, lazyload
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.core import audit, clock
from webapp.core.errors import Conflict, InvalidInput, NotFound
from webapp.core.models import ROLES_BY_TIER, ApiToken, Org, Role, Tier, User, UserRole
from webapp.core.passwords import weakness
from webapp.core.permissions import require
from webapp.extensions import db

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")

Row = TypeVar("Row")


def get_row(model: type[Row], row_id: int, missing: str) -> Row:
    """The ``model`` row with this id, or NotFound with the Chinese message ``missing``."""
    row = db.session.get(model, row_id)
    if row is None:
        raise NotFound(missing)
    return row


def one_or_not_found(statement: Select[tuple[Row]], missing: str) -> Row:
    """The one row ``statement`` selects, or NotFound with the Chinese message ``missing``."""
    row = db.session.execute(statement).scalar_one_or_none()
    if row is None:
        raise NotFound(missing)
    return row


def users_in_role(org_id: int, *roles: Role | str, with_roles: bool = True) -> list[User]:
    """The enabled users of an org who hold one of ``roles``, each once, by username
    (``with_roles=False``: their role rows are not loaded with them, for who only notifies)."""
    return list(
        db.session.execute(
            _users_in_role_statement(with_roles),
            {"org_id": org_id, "roles": [str(r) for r in roles]},
        ).scalars()
    )


def users_in_roles_of(org_ids: Iterable[int], *roles: Role | str) -> dict[int, list[User]]:
    """:func:`users_in_role` for many orgs in one query (their role rows not loaded): each org
    id of ``org_ids`` with its enabled users holding one of ``roles``, each once, by username."""
    wanted = list(dict.fromkeys(org_ids))
    found: dict[int, list[User]] = {org_id: [] for org_id in wanted}
    if not wanted:
        return found
    statement = (
        select(User)
        .where(
            User.org_id.in_(wanted),
            User.is_enabled.is_(True),
            User.id.in_(select(UserRole.user_id).where(UserRole.role.in_([str(r) for r in roles]))),
        )
        .order_by(User.username)
        .options(lazyload(User.role_rows))
    )
    for user in db.session.execute(statement).scalars():
        found[user.org_id].append(user)
    return found


@functools.cache
def _users_in_role_statement(with_roles: bool) -> Select[tuple[User]]:
    statement = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.org_id == bindparam("org_id"),
            User.is_enabled.is_(True),
            UserRole.role.in_(bindparam("roles", expanding=True)),
        )
        .distinct()
        .order_by(User.username)
    )
    return statement if with_roles else statement.options(lazyload(User.role_rows))


# Organisations --------------------------------------------------------------------------------
def get_org(code: str) -> Org:
    org = db.session.execute(select(Org).where(Org.code == code)).scalar_one_or_none()
    if org is None:
        raise NotFound(f"组织机构代码 {code} 不存在。")
    return org


def load_orgs(rows: Iterable[dict[str, str]], *, actor: User | None = None) -> dict[str, int]:
    """Create or update orgs from rows with code, name, tier, parent_code (parents first or not).

    Returns counts of created/updated/unchanged.  The whole load is refused on a bad row.
    """
    rows = list(rows)
    by_code = {r["code"].strip(): r for r in rows}
    errors = []
    for r in rows:
        code = r["code"].strip()
        if not re.fullmatch(r"\d{6}", code):
            errors.append(f"代码 {code!r} 不是6位行政区划代码")
        try:
            Tier(r["tier"].strip())
        except ValueError:
            errors.append(f"{code}: 层级 {r['tier']!r} 无效")
        parent = (r.get("parent_code") or "").strip()
        if parent and parent not in by_code and not _org_exists(parent):
            errors.append(f"{code}: 上级代码 {parent} 不存在")
    existing = {o.code: o for o in db.session.execute(select(Org)).scalars()}
    # The parent of every unit after the load (the file's, else the stored one's): a unit
    # must not end up above itself, however many rows (or stored units) the loop runs through.
    code_of = {o.id: code for code, o in existing.items()}
    parent_after = {code: code_of.get(o.parent_id, "") for code, o in existing.items()}
    parent_after |= {code: (r.get("parent_code") or "").strip() for code, r in by_code.items()}
    for code in by_code:
        seen, current = {code}, parent_after.get(code, "")
        while current:
            if current in seen:
                errors.append(f"{code}: 上级关系形成循环（{code} 不能成为自己的下级）")
                break
            seen.add(current)
            current = parent_after.get(current, "")
    if errors:
        raise InvalidInput("组织机构数据有误：" + "；".join(errors), details=errors)

    counts = {"created": 0, "updated": 0, "unchanged": 0}

    def depth_of(code: str) -> int:
        parent = (by_code[code].get("parent_code") or "").strip() if code in by_code else ""
        return 0 if not parent else 1 + depth_of(parent)

    for r in sorted(rows, key=lambda r: depth_of(r["code"].strip())):
        code = r["code"].strip()
        parent_code = (r.get("parent_code") or "").strip()
        parent = existing.get(parent_code) if parent_code else None
        path = (parent.path if parent else "") + code + "/"
        values = {
            "name": r["name"].strip(),
            "tier": Tier(r["tier"].strip()).value,
            "parent_id": parent.id if parent else None,
            "path": path,
            "depth": path.count("/") - 1,
        }
        org = existing.get(code)
        if org is None:
            org = Org(code=code, **values)
            db.session.add(org)
            db.session.flush()
            existing[code] = org
            counts["created"] += 1
            audit.record(
                "org.create", actor=actor, org=code, object_type="org", object_id=code, after=values
            )
        else:
            before = {k: getattr(org, k) for k in values}
            if before == values:
                counts["unchanged"] += 1
                continue
            for k, v in values.items():
                setattr(org, k, v)
            counts["updated"] += 1
            audit.record(
                "org.update",
                actor=actor,
                org=code,
                object_type="org",
                object_id=code,
                before=before,
                after=values,
            )
    counts["updated"] += _rederive_paths(existing, actor)
    db.session.flush()
    return counts


def _rederive_paths(orgs: dict[str, Org], actor: User | None) -> int:
    """Give every unit below a moved one its new path and depth (a unit moved to another
    parent carries its whole subtree; the file need not list the units below it).  The path
    is what every subtree permission and query reads, so a stale one would leave a county
    visible to its former city and invisible to its new one.  Returns the units updated."""
    children: dict[int | None, list[Org]] = {}
    for org in orgs.values():
        children.setdefault(org.parent_id, []).append(org)
    updated = 0
    stack = [(org, "") for org in children.get(None, [])]
    while stack:
        org, above = stack.pop()
        path = above + org.code + "/"
        if org.path != path:
            before = {"path": org.path, "depth": org.depth}
            org.path, org.depth = path, path.count("/") - 1
            updated += 1
            audit.record(
                "org.update",
                actor=actor,
                org=org.code,
                object_type="org",
                object_id=org.code,
                before=before,
                after={"path": org.path, "depth": org.depth},
                message="上级单位调整，随之更新",
            )
        stack.extend((child, path) for child in children.get(org.id, []))
    return updated


def _org_exists(code: str) -> bool:
    return db.session.execute(select(Org.id).where(Org.code == code)).first() is not None


def load_orgs_csv(path: Path, *, actor: User | None = None) -> dict[str, int]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return load_orgs(csv.DictReader(fh), actor=actor)


# Users ----------------------------------------------------------------------------------------
def validate_password(password: str, username: str | None = None) -> None:
    """Refuse a short, common or guessable password (``webapp.core.passwords``)."""
    problem = weakness(password, username)
    if problem is not None:
        raise InvalidInput(problem)


def _user_snapshot(user: User) -> dict:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "org": user.org.code if user.org else None,
        "roles": sorted(r.role for r in user.role_rows),
        "enabled": user.is_enabled,
    }


def _audit_user(action: str, actor: User | None, user: User, **details: Any) -> None:
    """The audit record of ``action`` on a user account, in the user's org."""
    audit.record(
        action, actor=actor, org=user.org, object_type="user", object_id=user.id, **details
    )


def _check_roles(org: Org, roles: Iterable[Role | str]) -> list[Role]:
    try:
        parsed = sorted({Role(r) for r in roles})
    except ValueError as exc:
        raise InvalidInput("角色无效。") from exc
    if not parsed:
        raise InvalidInput("至少选择一个角色。")
    allowed = ROLES_BY_TIER[Tier(org.tier)]
    bad = [r.label for r in parsed if r not in allowed]
    if bad:
        raise InvalidInput(f"{org.tier_label}单位不能设置角色：{'、'.join(bad)}。")
    return parsed


#: An e-mail address as far as we check it: one @, no spaces, a dot in the domain.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def clean_email(value: str | None) -> str | None:
    """The address to mail notifications to (None: none); a malformed one is refused."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 254 or not EMAIL_RE.match(value):
        raise InvalidInput("电子邮箱格式不正确（例如 zhang@example.gov.cn）。")
    return value


def create_user(
    actor: User | None,
    *,
    username: str,
    full_name: str,
    org_code: str,
    roles: Iterable[Role | str],
    password: str,
    password_hash: str | None = None,
    email: str | None = None,
) -> User:
    if actor is not None:
        require(actor, "user.manage")
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise InvalidInput("用户名须为3–64位字母、数字、下划线、点或短横线。")
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"用户名 {username} 已存在。")
    org = get_org(org_code)
    parsed = _check_roles(org, roles)
    user = User(
        username=username,
        full_name=full_name.strip() or username,
        org=org,
        email=clean_email(email),
    )
    if password_hash is not None:  # demo seed: one hash for many users
        user.password_hash = password_hash
        user.password_changed_at = clock.now()
    else:
        validate_password(password, username)
        user.set_password(password)
    user.role_rows = [UserRole(role=r.value) for r in parsed]
    db.session.add(user)
    db.session.flush()
    _audit_user("user.create", actor, user, after=_user_snapshot(user))
    return user


def get_user(user_id: int) -> User:
    return get_row(User, user_id, "用户不存在。")


def update_user(
    actor: User,
    user: User,
    *,
    full_name: str,
    org_code: str,
    roles: Iterable[Role | str],
    email: str | None = None,
) -> User:
    require(actor, "user.manage", user.org)
    before = _user_snapshot(user)
    org = get_org(org_code)
    parsed = _check_roles(org, roles)
    if user.id == actor.id and Role.ADMIN not in parsed:
        raise InvalidInput("不能取消自己的系统管理员角色。")
    user.full_name = full_name.strip() or user.username
    user.email = clean_email(email)
    user.org = org
    current = {r.role: r for r in user.role_rows}
    user.role_rows = [current.get(r.value) or UserRole(role=r.value) for r in parsed]
    db.session.flush()
    after = _user_snapshot(user)
    if after != before:
        _audit_user("user.update", actor, user, before=before, after=after)
    return user


def _end_sessions(user: User) -> None:
    """Invalidate every session cookie and API token of the user."""
    user.session_version += 1


def set_enabled(actor: User, user: User, enabled: bool) -> User:
    require(actor, "user.manage", user.org)
    if user.id == actor.id and not enabled:
        raise InvalidInput("不能停用自己的账号。")
    if user.is_enabled == enabled:
        return user
    user.is_enabled = enabled
    if not enabled:
        _end_sessions(user)
    _audit_user(
        "user.enable" if enabled else "user.disable",
        actor,
        user,
        before={"enabled": not enabled},
        after={"enabled": enabled},
    )
    return user


def reset_password(actor: User, user: User, new_password: str) -> None:
    require(actor, "user.manage", user.org)
    validate_password(new_password, user.username)
    user.set_password(new_password)
    _end_sessions(user)
    _audit_user("user.reset_password", actor, user)


def change_own_password(user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise InvalidInput("原密码不正确。")
    validate_password(new_password, user.username)
    if old_password == new_password:
        raise InvalidInput("新密码不能与原密码相同。")
    user.set_password(new_password)
    _end_sessions(user)
    audit.record("auth.change_password", actor=user, object_type="user", object_id=user.id)


def end_sessions_on_logout(user: User) -> None:
    _end_sessions(user)
    audit.record("auth.logout", actor=user, object_type="user", object_id=user.id)


# Authentication -------------------------------------------------------------------------------
@functools.cache
def _unknown_user_hash() -> str:
    """A hash of a random password made like a real one (the same method and cost), checked
    for an unknown username so that it takes as long as a wrong password."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(username: str, password: str) -> User:
    """Check a username and password; audit success and failure (never the password)."""
    user = db.session.execute(
        select(User).where(User.username == username.strip())
    ).scalar_one_or_none()
    if user is None:
        # Hash the guess anyway: answering an unknown name without the slow hash told an
        # attacker which usernames exist (a few ms against scrypt's tens of ms).
        check_password_hash(_unknown_user_hash(), password)
    if user is None or not user.check_password(password):
        audit.record(
            "auth.login_failed",
            # the name looked up (spaces around it ignored), so that the auditor's 操作人
            # filter finds an account's failures however the name was typed
            actor_name=user.username if user else (username.strip()[:64] or "anonymous"),
            # an existing account's failures belong to its unit (the auditor's org filter)
            org=user.org if user else None,
            object_type="user",
            object_id=user.id if user else None,
            message="用户名或密码错误",
        )
        raise InvalidInput("用户名或密码错误。")
    if not user.is_enabled:
        audit.record(
            "auth.login_failed",
            actor=user,
            object_type="user",
            object_id=user.id,
            message="账号已停用",
        )
        raise InvalidInput("该账号已停用，请联系系统管理员。")
    user.last_login_at = clock.now()
    return user


def record_login(user: User, via: str) -> None:
    audit.record(
        "auth.login", actor=user, object_type="user", object_id=user.id, after={"via": via}
    )


def issue_token(user: User, hours: int) -> str:
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user=user,
        token_hash=ApiToken.hash(token),
        session_version=user.session_version,
        expires_at=clock.now() + timedelta(hours=hours),
    )
    db.session.add(row)
    audit.record("auth.token_issued", actor=user, object_type="user", object_id=user.id)
    # This process knows the row it wrote (a token of a request that fails is never handed out).
    _remember_token(row.token_hash, user.id, row.session_version, row.expires_at, clock.now())
    return token


#: How long a process trusts what it read of a token row (its user, session version, expiry)
#: before reading it again: a token row deleted is refused within this time.  Disabling the
#: user, a logout or a password change (the session version) is seen at once: the user row is
#: read with every request anyway.
TOKEN_RECHECK = timedelta(seconds=60)
_TOKEN_CACHE_MAX = 10_000


@dataclass(frozen=True)
class _TokenRow:
    user_id: int
    session_version: int
    expires_at: datetime
    read_at: datetime


#: Token hash → what its row said when read (per process; see TOKEN_RECHECK).
_token_rows: dict[str, _TokenRow] = {}


def _token_row(token_hash: str, now: datetime) -> _TokenRow | None:
    cached = _token_rows.get(token_hash)
    if cached is not None and timedelta(0) <= now - cached.read_at < TOKEN_RECHECK:
        return cached
    row = db.session.execute(
        select(ApiToken.user_id, ApiToken.session_version, ApiToken.expires_at).where(
            ApiToken.token_hash == token_hash
        )
    ).one_or_none()
    if row is None:
        _token_rows.pop(token_hash, None)
        return None
    return _remember_token(token_hash, row.user_id, row.session_version, row.expires_at, now)


def _remember_token(
    token_hash: str, user_id: int, session_version: int, expires_at: datetime, now: datetime
) -> _TokenRow:
    if len(_token_rows) >= _TOKEN_CACHE_MAX:
        _token_rows.clear()
    row = _TokenRow(user_id, session_version, expires_at, now)
    _token_rows[token_hash] = row
    return row


@functools.cache
def _token_user_statement() -> Select[tuple[User]]:
    """The user of a token with their org and roles, built once: ``session.get`` with loader
    options builds and keys the statement again on every request (half its CPU)."""
    return (
        select(User)
        .options(joinedload(User.org), joinedload(User.role_rows))
        .where(User.id == bindparam("user_id"))
    )


def user_for_token(token: str) -> User | None:
    """The user a bearer token authenticates, or None (unknown, expired, revoked, disabled).

    The token row is read at most once per :data:`TOKEN_RECHECK` per process; the user (with
    their org and roles, in one statement) with every request, so a disabled user or a bumped
    session version is refused at once."""
    now = clock.now()
    row = _token_row(ApiToken.hash(token), now)
    if row is None or row.expires_at <= now:
        return None
    user = (
        db.session.execute(_token_user_statement(), {"user_id": row.user_id})
        .unique()
        .scalar_one_or_none()
    )
    if user is None or not user.is_enabled or row.session_version != user.session_version:
        return None
    return user
