"""The demo province: the org tree of ``data/orgs.csv`` and a user for every org and fitting role.

Usernames are ``{role}_{orgcode}`` (``clerk_410102``, ``reviewer_410100``, ``leader_410000``),
plus ``admin`` and ``auditor`` at the province.  All share one password (``DEMO_PASSWORD``).
Each has an address of the reserved demo domain (``clerk_410102@example.org``, RFC 2606: no
mail ever reaches anyone), so the notification mails can be shown with a local SMTP server.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from webapp.core.models import ROLES_BY_TIER, Org, Role, Tier, User
from webapp.core.operations import create_user, load_orgs_csv, validate_password
from webapp.extensions import db

ORGS_CSV = Path(__file__).resolve().parent.parent / "data" / "orgs.csv"
DEFAULT_DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - documented demo password, printed by make run
#: The demo users' mail domain: reserved for examples (RFC 2606), never delivered.
DEMO_MAIL_DOMAIN = "example.org"

#: Per-tier roles that get a demo user named after the role (admin/auditor are single users).
DEMO_ROLES = (Role.CLERK, Role.REVIEWER, Role.LEADER, Role.ASSESSOR)

ROLE_NAME = {
    Role.CLERK: "统计员",
    Role.REVIEWER: "审核人",
    Role.LEADER: "主要领导",
    Role.ASSESSOR: "考核组成员",
}


def demo_email(username: str) -> str:
    """A demo user's plausible address: ``clerk_410102@example.org``."""
    return f"{username}@{DEMO_MAIL_DOMAIN}"


def seed_demo(password: str) -> dict[str, int]:
    """Load orgs and demo users; idempotent (existing users are left as they are)."""
    validate_password(password)
    counts = load_orgs_csv(ORGS_CSV)
    shared_hash = generate_password_hash(password)
    existing = set(db.session.execute(select(User.username)).scalars())
    created = 0
    orgs = db.session.execute(select(Org).order_by(Org.path)).scalars().all()
    province = next(o for o in orgs if o.tier == Tier.PROVINCE)
    wanted: list[tuple[str, str, Org, Role]] = [
        ("admin", "系统管理员", province, Role.ADMIN),
        ("auditor", "审计员", province, Role.AUDITOR),
    ]
    for org in orgs:
        for role in DEMO_ROLES:
            if role in ROLES_BY_TIER[Tier(org.tier)]:
                wanted.append(
                    (f"{role.value}_{org.code}", f"{org.name}{ROLE_NAME[role]}", org, role)
                )
    for username, full_name, org, role in wanted:
        if username in existing:
            continue
        create_user(
            None,
            username=username,
            full_name=full_name,
            org_code=org.code,
            roles=[role],
            password="",
            password_hash=shared_hash,
            email=demo_email(username),
        )
        created += 1
    return {"orgs_created": counts["created"], "users_created": created}
