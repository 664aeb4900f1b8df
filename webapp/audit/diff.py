"""Field-by-field comparison of a record's ``before`` and ``after``, for the detail page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webapp.audit.vocabulary import field_label, format_value

_MISSING = object()
#: Nested objects are flattened to dotted paths down to this depth; deeper values show as JSON.
MAX_DEPTH = 3


@dataclass(frozen=True)
class DiffRow:
    path: str
    label: str
    before: str
    after: str
    #: "changed", "added", "removed" or "same"
    status: str


def flatten(value: Any, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; a non-object value sits under the key "" ."""
    if isinstance(value, dict) and value and depth < MAX_DEPTH:
        out: dict[str, Any] = {}
        for key in value:
            path = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten(value[key], path, depth + 1))
        return out
    return {prefix: value}


def diff(before: Any, after: Any, object_type: str | None = None) -> list[DiffRow]:
    """Rows for every field present before or after, in a stable, readable order (labels of
    ``object_type``'s fields first)."""
    if before is None and after is None:
        return []
    old = flatten(before) if before is not None else {}
    new = flatten(after) if after is not None else {}
    order = list(old) + [k for k in new if k not in old]
    rows = []
    for path in order:
        a = old.get(path, _MISSING)
        b = new.get(path, _MISSING)
        if a is _MISSING:
            status = "added"
        elif b is _MISSING:
            status = "removed"
        else:
            status = "same" if a == b else "changed"
        rows.append(
            DiffRow(
                path=path,
                label=field_label(path, object_type) if path else "（值）",
                before="" if a is _MISSING else format_value(path, a),
                after="" if b is _MISSING else format_value(path, b),
                status=status,
            )
        )
    return rows
