"""Lane → candidate role and org.

A lane's name declares who works in it: ``<display name> <role>@<whose org>``, for example
``县级审核人 reviewer@self`` or just ``reviewer@parent``.  An administrator changes the mapping by
renaming the lane in the BPMN; no code changes.

Whose org, relative to the instance's org (the reporting unit):

=============  ====================================================================
``self``       the instance's org
``parent``     the unit it reports to (a directly administered county's parent is the province)
``grandparent`` the parent's parent
``province``   the root of the hierarchy
=============  ====================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from webapp.core.models import ROLE_LABELS, Org, Role

LANE_RE = re.compile(r"(?P<role>[a-z_]+)@(?P<rel>self|parent|grandparent|province)\s*$")
RELATIONS = ("self", "parent", "grandparent", "province")
#: How a lane without a display name is read: 本级填表人, 上级审核人 (relation word + role label).
RELATION_WORDS = {"self": "本级", "parent": "上级", "grandparent": "上上级", "province": "省级"}


@dataclass(frozen=True)
class LaneSpec:
    name: str
    role: Role
    relation: str
    label: str


class LaneError(ValueError):
    pass


def parse_lane(name: str | None) -> LaneSpec:
    """Parse a lane name; raise LaneError with a Chinese message when it maps to nothing."""
    text = (name or "").strip()
    match = LANE_RE.search(text)
    if not match:
        raise LaneError(
            f"泳道“{text}”未声明角色和单位，名称应以“角色@单位”结尾，如 reviewer@parent"
        )
    try:
        role = Role(match.group("role"))
    except ValueError:
        raise LaneError(f"泳道“{text}”中的角色 {match.group('role')} 不存在") from None
    if role == Role.AUDITOR:
        raise LaneError(f"泳道“{text}”：审计员只能查阅，不能办理流程任务")
    label = text[: match.start()].strip() or f"{role.label}"
    return LaneSpec(text, role, match.group("rel"), label)


def lane_display(name: str | None) -> str:
    """A lane's name as people read it: its display name, else the words of its code
    (``reviewer@parent`` → 上级审核人); never the code itself."""
    text = (name or "").strip()
    match = LANE_RE.search(text)
    if not match:
        return text
    label = text[: match.start()].strip()
    if label:
        return label
    role = ROLE_LABELS.get(Role(match.group("role"))) if match.group("role") in set(Role) else ""
    return f"{RELATION_WORDS[match.group('rel')]}{role or ''}"


def lane_words() -> dict[str, dict[str, str]]:
    """The words diagrams show for a lane's ``role@whose`` code (static/js/bpmn_zh.js)."""
    return {
        "roles": {role.value: label for role, label in ROLE_LABELS.items()},
        "relations": dict(RELATION_WORDS),
    }


def resolve_org_id(instance_org: Org, relation: str) -> int | None:
    """The id of :func:`resolve_org`'s org.  ``self`` and ``parent`` (every lane but one of
    the shipped processes) come from the instance's org row itself, so the task read need not
    load the units above it; the others read them."""
    if relation == "self":
        return instance_org.id
    if relation == "parent":
        return instance_org.parent_id
    org = resolve_org(instance_org, relation)
    return org.id if org is not None else None


def resolve_org(instance_org: Org, relation: str) -> Org | None:
    """The candidate org for ``relation`` seen from the instance's org (None past the root)."""
    org: Org | None = instance_org
    if relation == "self":
        return org
    if relation == "parent":
        return org.parent
    if relation == "grandparent":
        return org.parent.parent if org.parent else None
    if relation == "province":
        while org is not None and org.parent is not None:
            org = org.parent
        return org
    return None
