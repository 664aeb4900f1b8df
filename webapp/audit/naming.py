"""Readable names of the objects audit records are about: 用户 zhang_san, not 用户 17.

A record keeps the object's type and id (ids are what the filters and timelines use); the
pages show the name next to them.  Features register a namer per object type from their
``init_app``::

    register_object_namer("ledger_project", lambda ids: {...})   # ids → names, one query

A namer receives the distinct ids (strings) of one page and returns the names it knows;
objects it does not know (deleted, malformed ids) keep their bare id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select

from webapp.core.models import Org, User
from webapp.extensions import db

Namer = Callable[[list[str]], dict[str, str]]
NAMERS: dict[str, Namer] = {}


def register_object_namer(object_type: str, namer: Namer) -> None:
    NAMERS[object_type] = namer


def int_ids(ids: Iterable[str]) -> list[int]:
    """The ids that are integers (others cannot name a row with an integer key)."""
    return [int(i) for i in ids if i.isdigit() and len(i) < 19]


def object_names(records: Iterable[Any]) -> dict[tuple[str, str], str]:
    """``{(object_type, object_id): name}`` for the records' objects, one query per type."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for rec in records:
        if rec.object_type in NAMERS and rec.object_id:
            wanted[rec.object_type].add(rec.object_id)
    names: dict[tuple[str, str], str] = {}
    for object_type, ids in wanted.items():
        for object_id, name in NAMERS[object_type](sorted(ids)).items():
            names[(object_type, object_id)] = name
    return names


def _users(ids: list[str]) -> dict[str, str]:
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(int_ids(ids))))
    return {str(uid): username for uid, username in rows}


def _orgs(ids: list[str]) -> dict[str, str]:
    rows = db.session.execute(select(Org.code, Org.name).where(Org.code.in_(ids)))
    return dict(rows.tuples().all())


register_object_namer("user", _users)
register_object_namer("org", _orgs)
