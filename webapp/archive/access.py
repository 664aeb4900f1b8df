"""Who may read an archived file: the owning feature decides (the archive imports no feature).

Each feature registers, for its owner kind, ``can_read(user, owner_id)`` and, for the audit
record, the code of the owning unit (``org_of(owner_id)``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from webapp.core.models import User


@dataclass(frozen=True)
class Reader:
    can_read: Callable[[User, int], bool]
    org_of: Callable[[int], str | None]


_READERS: dict[str, Reader] = {}


def register_reader(
    owner_kind: str,
    can_read: Callable[[User, int], bool],
    org_of: Callable[[int], str | None] = lambda _id: None,
) -> None:
    """Say who may read the files of ``owner_kind`` ("report": ``can_read(user, report_id)``)."""
    _READERS[owner_kind] = Reader(can_read, org_of)


def can_read(user: User, owner_kind: str, owner_id: int) -> bool:
    """False for an owner kind nobody registered: an unknown file is nobody's to read."""
    reader = _READERS.get(owner_kind)
    return reader is not None and bool(reader.can_read(user, owner_id))


def org_of(owner_kind: str, owner_id: int) -> str | None:
    reader = _READERS.get(owner_kind)
    return reader.org_of(owner_id) if reader is not None else None


def register_object_reader(
    owner_kind: str,
    load: Callable[[int], Any | None],
    can_view: Callable[[User, Any], bool],
) -> None:
    """The common case: the owner is a row with an ``org`` (``load(owner_id)``, None if it is
    gone), readable by whoever ``can_view(user, row)``."""

    def can_read(user: User, owner_id: int) -> bool:
        row = load(owner_id)
        return row is not None and bool(can_view(user, row))

    def org_of(owner_id: int) -> str | None:
        row = load(owner_id)
        return row.org.code if row is not None else None

    register_reader(owner_kind, can_read, org_of)
