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

from webapp.core.models import Org, Role

LANE_RE = re.compile(r"(?P<role>[a-z_]+)@(?P<rel>self|parent|grandparent|province)\s*$")
RELATIONS = ("self", "parent", "grandparent", "province")


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
