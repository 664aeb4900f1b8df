"""Core models: organisations, users and their roles, API tokens, the audit trail."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.core import clock
from webapp.core.states import LabelledEnum
from webapp.extensions import db


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored in UTC on every database.

    SQLite has no time zone type and hands back naive values; this puts UTC back on them so
    that comparisons with :func:`webapp.core.clock.now` never mix naive and aware values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(clock.UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=clock.UTC)
        return value.astimezone(clock.UTC)


class Tier(LabelledEnum):
    PROVINCE = "province", "省级"
    CITY = "city", "省辖市"
    DIRECT_COUNTY = "direct_county", "省直管县（市）"
    COUNTY = "county", "县（区）"


TIER_LABELS: dict[Tier, str] = {m: m.label for m in Tier}


class Role(LabelledEnum):
    CLERK = "clerk", "填表人"  #: 统计员 on the forms
    REVIEWER = "reviewer", "审核人"  #: 科室负责人 / 批准人
    LEADER = "leader", "主要领导"
    ASSESSOR = "assessor", "考核组成员"  #: at the province
    ADMIN = "admin", "系统管理员"
    AUDITOR = "auditor", "审计员"


ROLE_LABELS: dict[Role, str] = {m: m.label for m in Role}

#: Roles that make sense at each tier (the assessment team sits at the province).
ROLES_BY_TIER: dict[Tier, tuple[Role, ...]] = {
    Tier.PROVINCE: (
        Role.CLERK,
        Role.REVIEWER,
        Role.LEADER,
        Role.ASSESSOR,
        Role.ADMIN,
        Role.AUDITOR,
    ),
    Tier.CITY: (Role.CLERK, Role.REVIEWER, Role.LEADER),
    Tier.DIRECT_COUNTY: (Role.CLERK, Role.REVIEWER, Role.LEADER),
    Tier.COUNTY: (Role.CLERK, Role.REVIEWER, Role.LEADER),
}


class Org(db.Model):
    """An organisation of the supervision hierarchy, keyed by its administrative code."""

    __tablename__ = "org"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 行政区划代码, e.g. 410102
    code: Mapped[str] = mapped_column(String(12), unique=True, index=True)
    #: e.g. 中原区
    name: Mapped[str] = mapped_column(String(100))
    tier: Mapped[Tier] = mapped_column(String(20))
    #: The unit this one reports to (a directly administered county's parent is the province).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    #: Materialised path of codes, "410000/410100/410102/", for subtree queries by prefix.
    path: Mapped[str] = mapped_column(String(200), index=True)
    #: 0 for the province, 1 for cities and directly administered counties, 2 for counties.
    depth: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[Org | None] = relationship(remote_side="Org.id", back_populates="children")
    children: Mapped[list[Org]] = relationship(back_populates="parent", order_by="Org.code")

    @property
    def tier_label(self) -> str:
        return Tier(self.tier).label

    @property
    def parent_code(self) -> str | None:
        """The code of the unit above, read from :attr:`path` (written with ``parent_id``):
        no query for the parent's row."""
        codes = self.path.rstrip("/").split("/")
        return codes[-2] if len(codes) > 1 else None

    def is_in_subtree_of(self, other: Org) -> bool:
        """True when ``self`` is ``other`` or lies below it."""
        return self.path.startswith(other.path)

    def __repr__(self) -> str:
        return f"<Org {self.code} {self.name}>"


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_user_role_user_id_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(String(20))


class User(UserMixin, db.Model):
    """A staff member: one organisation, one or more roles in it."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, e.g. clerk_410102
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    #: 姓名 shown in the UI and on documents (填表人, 批准人)
    full_name: Mapped[str] = mapped_column(String(64))
    #: Where notifications are e-mailed when SMTP is configured (None: in the app only)
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(256))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: Bumped on logout, password change and disable: every older session stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Org] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", order_by="UserRole.role", lazy="selectin"
    )

    # flask-login ---------------------------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.is_enabled

    def get_id(self) -> str:
        # The session version travels in the id, so bumping it invalidates old cookies.
        return f"{self.id}:{self.session_version}"

    # roles ---------------------------------------------------------------------------------
    @property
    def roles(self) -> set[Role]:
        return {Role(r.role) for r in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def role_labels(self) -> list[str]:
        return [Role(r.role).label for r in self.role_rows]

    # passwords -----------------------------------------------------------------------------
    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)  # scrypt
        self.password_changed_at = clock.now()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    #: The user's session version when issued: logout/password change/disable revoke tokens too.
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class _SQLiteTextJSON(sqlite.JSON):
    """SQLite's JSON declared as TEXT.  A column declared ``JSON`` has NUMERIC affinity there,
    so a document that is a bare number is stored as a number, not as its text: ``1.0`` comes
    back as ``1``, ``-0.0`` as ``0``, an integer beyond 64 bits as a float.  TEXT affinity keeps
    the text as written; reading still parses it, and ``column["key"]`` is still json_extract."""


@compiles(_SQLiteTextJSON, "sqlite")
def _compile_sqlite_text_json(type_: Any, compiler: Any, **kw: Any) -> str:
    return "TEXT"


#: A JSON document that reads back exactly as it was written, on PostgreSQL (JSON keeps the
#: text) and on SQLite (TEXT affinity): the audit trail's ``before``/``after``, whose hash
#: covers their JSON text.
ExactJSON = JSON().with_variant(_SQLiteTextJSON(), "sqlite")


class AuditRecord(db.Model):
    """One entry of the append-only, hash-chained audit trail."""

    __tablename__ = "audit_record"
    #: Ids are handed out from the chain's head (:class:`AuditHead`), which is what
    #: :func:`webapp.core.audit.verify_chain` compares the records with; SQLite's counter
    #: (``sqlite_sequence``, AUTOINCREMENT) follows them and never reuses an id.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: Acting user (None for the system: timers, CLI without a user, anonymous visitors).
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: Username at the time (kept even if the user is renamed), or "system"/"anonymous".
    actor_name: Mapped[str] = mapped_column(String(64))
    #: The org on whose data the action happened (code), for filtering by subtree.
    org_code: Mapped[str | None] = mapped_column(String(12), index=True)
    #: Dotted verb, e.g. "auth.login", "user.create", "task.complete".
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64), index=True)
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    before: Mapped[Any | None] = mapped_column(ExactJSON)
    after: Mapped[Any | None] = mapped_column(ExactJSON)
    #: Free text (opinion, reason) shown to auditors.
    message: Mapped[str | None] = mapped_column(Text)
    client_addr: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: SHA-256 over prev_hash and this record's canonical content.
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(db.Model):
    """The audit chain's end, kept by the database in the transaction that writes the records.

    One row (``id`` = 1), created by the migration that made the table.  A trigger on
    ``audit_record`` (AFTER INSERT; migration ``7c3e9a1b5d20``) moves it on with every insert,
    in the inserting transaction: a rolled-back or failed commit leaves it where it was.  The
    writer reads it under the chain's lock (``SELECT … FOR UPDATE`` on PostgreSQL) for the
    previous hash and the next id, so ids have no gaps; :func:`webapp.core.audit.verify_chain`
    compares it with the last record present (records cut off the end, an emptied trail)."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: Id and hash of the chain's last record (0 and the genesis hash: none yet).
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    #: How many records the chain holds.
    records: Mapped[int] = mapped_column(Integer)
    #: Ids up to this one were handed out by PostgreSQL's sequence before the head existed and
    #: may skip numbers; every id after it was handed out by the head, without a gap (0: all).
    gapless_after: Mapped[int] = mapped_column(Integer)


class SubmissionClaim(db.Model):
    """A form's one-time token or an API client's ``Idempotency-Key``, claimed by the request
    that acted on it, with that request's answer: a replay finds it and gets the same answer
    instead of acting twice (``webapp/core/claims.py``, ``webapp/idempotency.py``)."""

    __tablename__ = "submission_claim"
    __table_args__ = (UniqueConstraint("owner", "key", name="uq_submission_claim_owner_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Whose key it is: ``user:<id>``, or ``anonymous`` (the public portal's forms).
    owner: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(128))
    #: ``METHOD /path`` of the request that claimed it.
    request_line: Mapped[str] = mapped_column(String(600))
    #: The first answer: its status, ``Location`` and JSON body (None while it runs).
    status: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(2000))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
