"""Who may do what: one table of rules, one function ``can(user, action, obj)``.

A rule names the roles that may perform an action and the organisational relations between the
user's org and the object's org under which they may.  Feature packages add their actions with
:func:`register`; every view and API call goes through :func:`can` or :func:`require`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from webapp.core.errors import Hidden, PermissionDenied
from webapp.core.models import Org, Role, User


class Relation(enum.StrEnum):
    OWN = "own"  #: the user's own org
    DESCENDANT = "descendant"  #: any unit below the user's org
    PARENT = "parent"  #: the unit the user's org reports to
    ANCESTOR = "ancestor"  #: a unit further up than the parent
    PEER = "peer"  #: another unit at the same depth (cities and directly administered counties)
    OTHER = "other"  #: anything else (a county of another city, say)


ANY = frozenset(Relation)
DOWNWARD = frozenset({Relation.OWN, Relation.DESCENDANT})
STAFF = frozenset(Role)


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    relations: frozenset[Relation]
    #: Anonymous visitors allowed (public portal).
    public: bool = False
    label: str = ""


RULES: dict[str, Rule] = {}


def register(
    action: str,
    roles: frozenset[Role] | set[Role] | tuple[Role, ...],
    relations: frozenset[Relation] | set[Relation] = DOWNWARD,
    *,
    public: bool = False,
    label: str = "",
) -> None:
    RULES[action] = Rule(frozenset(roles), frozenset(relations), public, label)


def relation(user_org: Org, target: Org) -> Relation:
    if user_org.id == target.id:
        return Relation.OWN
    if target.path.startswith(user_org.path):
        return Relation.DESCENDANT
    if target.id == user_org.parent_id:
        return Relation.PARENT
    if user_org.path.startswith(target.path):
        return Relation.ANCESTOR
    if target.depth == user_org.depth:
        return Relation.PEER
    return Relation.OTHER


def org_of(obj: Any) -> Org | None:
    """The org an object belongs to: an Org itself, or anything with ``.org``."""
    if obj is None or isinstance(obj, Org):
        return obj
    return getattr(obj, "org", None)


def can(user: User | None, action: str, obj: Any = None) -> bool:
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"unknown permission action {action!r}")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return rule.public
    if not user.roles & rule.roles:
        return rule.public
    target = org_of(obj)
    if target is None:
        return True  # a global action (no org involved): the role decides
    return relation(user.org, target) in rule.relations


def require(user: User | None, action: str, obj: Any = None) -> None:
    if not can(user, action, obj):
        raise PermissionDenied(details={"action": action})


def require_visible(user: User | None, action: str, obj: Any, missing: str) -> None:
    """``user`` may see ``obj`` by ``action`` (its view action), else :class:`Hidden`: the same
    404 and message ``missing`` as an id that does not exist (another unit's report, task,
    accident... is not told to exist), audited as a refusal.  Check it right after the lookup,
    before any other refusal can tell the object's state."""
    if not can(user, action, obj):
        raise Hidden(missing, action=action)


# Foundation actions ---------------------------------------------------------------------------
register("org.view", STAFF, ANY, label="查看组织机构")
register("user.manage", {Role.ADMIN}, ANY, label="管理用户")
register("audit.view", {Role.AUDITOR, Role.ADMIN}, ANY, label="查看审计日志")
register("workflow.admin", {Role.ADMIN}, ANY, label="管理流程定义")
#: Ledgers: read by the unit's staff and above; kept by clerks of the unit and above.
register(
    "ledger.view",
    {Role.CLERK, Role.REVIEWER, Role.LEADER, Role.ASSESSOR},
    DOWNWARD,
    label="查看台账",
)
register("ledger.edit", {Role.CLERK}, DOWNWARD, label="编辑台账")
#: Accepted summary tables (附表5–7) and published reports: own subtree, and peers (第七条 互访).
register(
    "summary.view",
    {Role.CLERK, Role.REVIEWER, Role.LEADER, Role.ASSESSOR},
    DOWNWARD | {Relation.PEER},
    label="查看汇总表",
)
