"""What other features add to an audit record's page.

The audit reads every feature's records and imports none of them: a feature that can say more
about some records (the drafted texts show the text a save changed) registers a function from
its ``init_app``, as it registers its vocabulary.  The function gets the record and returns a
template and its context (the template sees it as ``part``), or None when it has nothing to add.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: record → (template name, context) or None
RecordPart = Callable[[Any], tuple[str, dict[str, Any]] | None]
_PARTS: dict[str, RecordPart] = {}


def register_record_part(name: str, part: RecordPart) -> None:
    """Add (or replace, by name) a part of the record page."""
    _PARTS[name] = part


def record_parts(record: Any) -> list[tuple[str, dict[str, Any]]]:
    """The parts every registered feature adds to this record's page, in registration order."""
    found = (part(record) for part in _PARTS.values())
    return [item for item in found if item is not None]
