"""Score-sheet versions in the database: load the shipped files, upload, activate, choose.

Re-exported by :mod:`webapp.assessment.operations` (the feature's public verbs).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from webapp.assessment.models import ScoreSheet
from webapp.assessment.sheet import (
    KIND_LABELS,
    bundled_sheets,
    canonical_json,
    content_hash,
    parse_sheet,
    read_sheet_file,
)
from webapp.core import audit, clock
from webapp.core.errors import Conflict, DomainError
from webapp.core.models import User
from webapp.core.operations import get_row
from webapp.core.permissions import require
from webapp.extensions import db


def get_sheet(sheet_id: int) -> ScoreSheet:
    return get_row(ScoreSheet, sheet_id, "评分表不存在。")


def _next_version(kind: str, year: int) -> int:
    current = db.session.execute(
        select(func.max(ScoreSheet.version)).where(ScoreSheet.kind == kind, ScoreSheet.year == year)
    ).scalar_one()
    return (current or 0) + 1


def _store_sheet(
    actor: User | None, content: dict[str, Any], source_name: str | None, *, active: bool
) -> ScoreSheet:
    parsed = parse_sheet(content)
    digest = content_hash(content)
    duplicate = db.session.execute(
        select(ScoreSheet).where(
            ScoreSheet.kind == parsed.kind,
            ScoreSheet.year == parsed.year,
            ScoreSheet.content_hash == digest,
        )
    ).scalar_one_or_none()
    if duplicate is not None:
        raise Conflict(f"相同内容的评分表已存在（{duplicate.label}）。")
    row = ScoreSheet(
        kind=parsed.kind,
        year=parsed.year,
        version=_next_version(parsed.kind, parsed.year),
        name=parsed.name,
        content=content,
        content_hash=digest,
        is_active=False,
        loaded_by_id=actor.id if actor else None,
        loaded_at=clock.now(),
        source_name=(source_name or "")[:200] or None,
    )
    db.session.add(row)
    db.session.flush()
    if active:
        _activate(row)
    audit.record_on(
        "assessment.sheet_load",
        row,
        actor,
        after={
            "kind": row.kind,
            "year": row.year,
            "version": row.version,
            "hash": digest,
            "active": row.is_active,
            "source": row.source_name,
        },
    )
    return row


def _activate(row: ScoreSheet) -> None:
    for other in db.session.execute(
        select(ScoreSheet).where(
            ScoreSheet.kind == row.kind, ScoreSheet.year == row.year, ScoreSheet.id != row.id
        )
    ).scalars():
        other.is_active = False
    row.is_active = True
    db.session.flush()


def install_bundled_sheets(actor: User | None = None) -> list[ScoreSheet]:
    """Load the repository's sheet files not yet in the database (idempotent, by content hash).

    A bundled sheet becomes active when its kind and year have no active version yet.
    """
    created = []
    for path in bundled_sheets():
        content = read_sheet_file(path)
        parsed = parse_sheet(content)
        exists = db.session.execute(
            select(ScoreSheet.id).where(ScoreSheet.content_hash == content_hash(content))
        ).first()
        if exists:
            continue
        has_active = db.session.execute(
            select(ScoreSheet.id).where(
                ScoreSheet.kind == parsed.kind,
                ScoreSheet.year == parsed.year,
                ScoreSheet.is_active.is_(True),
            )
        ).first()
        created.append(_store_sheet(actor, content, path.name, active=not has_active))
    return created


def upload_sheet(actor: User, data: bytes, filename: str) -> ScoreSheet:
    """A new version of a sheet from an uploaded file: validated, stored inactive."""
    require(actor, "assessment.sheets")
    parse_sheet(data)  # refuses a sheet that does not add up, naming the problems
    content = json.loads(canonical_json(json.loads(data, parse_float=Decimal)))
    return _store_sheet(actor, content, filename, active=False)


def activate_sheet(actor: User, sheet_id: int) -> ScoreSheet:
    require(actor, "assessment.sheets")
    row = get_sheet(sheet_id)
    row.parsed()  # validated again: a sheet that does not add up never becomes active
    before = [
        s.id
        for s in db.session.execute(
            select(ScoreSheet)
            .where(
                ScoreSheet.kind == row.kind,
                ScoreSheet.year == row.year,
                ScoreSheet.is_active.is_(True),
            )
            .order_by(ScoreSheet.id)  # written into the audit record
        ).scalars()
    ]
    if before == [row.id]:
        return row  # already the active version: nothing changes, nothing to record
    _activate(row)
    audit.record_on(
        "assessment.sheet_activate",
        row,
        actor,
        before={"active": before},
        after={"active": [row.id]},
    )
    return row


def choose_sheet(kind: str, year: int) -> ScoreSheet:
    """The active sheet of the kind for the year, else the latest active one of the kind."""
    active = select(ScoreSheet).where(ScoreSheet.kind == kind, ScoreSheet.is_active.is_(True))
    row = db.session.execute(active.where(ScoreSheet.year == year)).scalar_one_or_none()
    if row is None:
        row = db.session.execute(
            active.order_by(ScoreSheet.year.desc()).limit(1)
        ).scalar_one_or_none()
    if row is None:
        raise DomainError(f"没有已启用的{KIND_LABELS.get(kind, kind)}评分表，请先上传并启用。")
    return row
