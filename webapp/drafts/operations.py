"""The versioned section store: save with the version a text was based on, keep every version,
restore one, compare what the rest of the feature reads (its cache columns) with the store.

Every save names, per section, the version it was based on (``base_versions``).  When a
section's current version is another one and the text differs from it, someone else saved in
between: nothing is saved and :class:`DraftConflict` (409) carries both texts so that the page
can show them side by side.  Identical text creates no version.  Texts longer than the kind's
limit and keys the document does not have are refused (422), never cut or dropped.

The document's row is locked (``SELECT … FOR UPDATE``) for the whole save, so the versions and
the feature's cache columns change together, one save after another.  Operations flush, never
commit; each save or restore writes one audit record naming the versions it made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from webapp.core import audit, clock
from webapp.core.errors import Conflict, InvalidInput, NotFound
from webapp.core.models import User
from webapp.core.permissions import require
from webapp.drafts.kinds import DraftKind
from webapp.drafts.models import SYSTEM_BY, SectionVersion
from webapp.extensions import db


class DraftConflict(Conflict):
    """A stale save: ``details["conflicts"]`` holds, per section, both texts."""

    code = "draft_conflict"


@dataclass
class SaveResult:
    #: Sections that got a new version
    changed: list[str] = field(default_factory=list)
    #: Every submitted section → its current version after the save (0: never saved)
    versions: dict[str, int] = field(default_factory=dict)
    saved_at: datetime | None = None


@dataclass(frozen=True)
class SectionSummary:
    section: str
    title: str
    #: The current version (None: never saved)
    current: SectionVersion | None
    count: int


def normalise(value: Any) -> str:
    """The text as stored: Windows line ends as ``\n``; NUL characters, which nobody types and
    PostgreSQL cannot store in text, dropped."""
    return str(value if value is not None else "").replace("\r\n", "\n").replace("\x00", "")


def _local(value: datetime | None) -> str:
    local = clock.to_local(value)
    return local.strftime("%Y-%m-%d %H:%M:%S") if local else ""


def _where(kind: DraftKind, document: Any) -> Any:
    return and_(
        SectionVersion.document_kind == kind.code, SectionVersion.document_id == document.id
    )


def current(kind: DraftKind, document: Any) -> dict[str, SectionVersion]:
    """Each section's current (highest) version."""
    latest = (
        select(SectionVersion.section, func.max(SectionVersion.version).label("version"))
        .where(_where(kind, document))
        .group_by(SectionVersion.section)
        .subquery()
    )
    rows = db.session.execute(
        select(SectionVersion)
        .join(
            latest,
            and_(
                SectionVersion.section == latest.c.section,
                SectionVersion.version == latest.c.version,
            ),
        )
        .where(_where(kind, document))
    ).scalars()
    return {row.section: row for row in rows}


def current_versions(kind: DraftKind, document: Any) -> dict[str, int]:
    return {key: row.version for key, row in current(kind, document).items()}


def current_texts(kind: DraftKind, document: Any) -> dict[str, str]:
    return {key: row.text for key, row in current(kind, document).items()}


def require_draft(kind: DraftKind, actor: User, document: Any) -> None:
    """The actor may draft this document, and it may still be changed."""
    require(actor, kind.draft_action, document)
    if not kind.editable(document):
        raise Conflict(kind.locked_message)


def _lock(document: Any) -> None:
    # Serialise the saves of one document: the versions read next and the cache columns
    # written after are those of the last committed save (SQLite writers are serial already).
    db.session.flush()
    db.session.refresh(document, with_for_update=True)


def _checked(
    kind: DraftKind, titles: Mapping[str, str], texts: Mapping[str, Any]
) -> dict[str, str]:
    unknown = [str(k) for k in texts if k not in titles]
    if unknown:
        raise InvalidInput(
            f"未知的{kind.label}部分：{'、'.join(unknown)}（未保存）。",
            details={"unknown": unknown},
        )
    cleaned = {key: normalise(value) for key, value in texts.items()}
    too_long = {key: len(text) for key, text in cleaned.items() if len(text) > kind.max_chars}
    if too_long:
        names = "、".join(f"“{titles[k]}”（{n} 字）" for k, n in too_long.items())
        raise InvalidInput(
            f"{names}超过 {kind.max_chars} 字的上限，请精简后再保存（未保存，文字未被截断）。",
            details={"too_long": too_long, "max_chars": kind.max_chars},
        )
    if kind.validate is not None:
        kind.validate(cleaned)
    return cleaned


def _base(base_versions: Mapping[str, Any], key: str) -> int:
    value = base_versions.get(key, 0)
    try:
        number = int(value if value not in (None, "") else 0)
    except (TypeError, ValueError):
        raise InvalidInput(f"“{key}”的版本号无效。", details={"base_versions": key}) from None
    if number < 0:
        raise InvalidInput(f"“{key}”的版本号无效。", details={"base_versions": key})
    return number


def _conflict(stale: list[dict[str, Any]]) -> None:
    if len(stale) == 1:
        c = stale[0]
        head = (
            f"“{c['title']}”已被{c['saved_by']}于 {c['saved_at_label']} "
            f"保存为第 {c['current_version']} 版，您的修改基于第 {c['base_version']} 版。"
        )
    else:
        parts = [
            f"“{c['title']}”（第 {c['current_version']} 版，"
            f"{c['saved_by']}，{c['saved_at_label']}）"
            for c in stale
        ]
        head = "以下部分已被他人修改：" + "、".join(parts) + "。"
    raise DraftConflict(
        head + "为免覆盖他人的文字，本次没有保存：请对照两份文字合并后再保存。",
        details={"conflicts": stale},
    )


def _version_ref(row: SectionVersion) -> dict[str, Any]:
    return {"version": row.version, "version_id": row.id, "length": row.length}


def save(
    kind: DraftKind,
    document: Any,
    actor: User | None,
    texts: Mapping[str, Any],
    base_versions: Mapping[str, Any] | None,
    *,
    action: str | None = None,
    authorised: bool = False,
    note: Mapping[str, Any] | None = None,
) -> SaveResult:
    """Save ``texts`` (section key → text) of ``document``.

    ``base_versions`` (section key → version the client's text was based on; a missing key
    means 0: "never saved") is what every client sends.  ``None`` is for the server's own
    rewrites inside one transaction (regenerate, reuse last period's text, tests' fixtures):
    on top of whatever is current.  ``authorised``: the caller checked the actor's right and
    the document's state itself (a period being opened by the system or an administrator).
    ``note``: more of what the caller wrote, kept in the audit record's ``after`` (a generated
    draft's figures: ``webapp.reports.staleness``).
    """
    if not authorised:
        if actor is None:
            raise InvalidInput("保存文稿需要操作人。")
        require_draft(kind, actor, document)
    titles = kind.titles(document)
    cleaned = _checked(kind, titles, texts)
    _lock(document)
    heads = current(kind, document)
    result = SaveResult()
    stale = []
    planned: dict[str, tuple[str, int]] = {}
    for key, text in cleaned.items():
        head = heads.get(key)
        version = head.version if head else 0
        if text == (head.text if head else ""):
            result.versions[key] = version
            continue
        base = version if base_versions is None else _base(base_versions, key)
        if base != version:
            stale.append(
                {
                    "section": key,
                    "title": titles[key],
                    "base_version": base,
                    "current_version": version,
                    "current_text": head.text if head else "",
                    "saved_by": head.saved_by_name if head else "",
                    "saved_at": head.saved_at.isoformat() if head else None,
                    "saved_at_label": _local(head.saved_at) if head else "",
                    "submitted_text": text,
                }
            )
            continue
        planned[key] = (text, version + 1)
    if stale:
        _conflict(stale)
    if not planned:
        return result
    now = clock.now()
    rows = {
        key: SectionVersion(
            document_kind=kind.code,
            document_id=document.id,
            section=key,
            version=number,
            text=text,
            saved_by_id=actor.id if actor else None,
            saved_by_name=actor.full_name if actor else SYSTEM_BY,
            saved_at=now,
        )
        for key, (text, number) in planned.items()
    }
    db.session.add_all(rows.values())
    db.session.flush()
    kind.write_cache(document, {key: text for key, (text, _) in planned.items()}, now)
    result.changed = list(planned)
    result.versions.update({key: row.version for key, row in rows.items()})
    result.saved_at = now
    replaced = {key: _version_ref(heads[key]) for key in planned if key in heads}
    audit.record(
        action or kind.save_action,
        actor=actor,
        actor_name=None if actor else "system",
        org=document.org,
        object_type=kind.object_type,
        object_id=document.id,
        before={"sections": replaced} if replaced else None,
        after={
            "subject": f"{kind.object_type}:{document.id}",
            "draft": kind.code,
            "sections": {
                key: {
                    "title": titles[key],
                    "base_version": number - 1,
                    "version": number,
                    "version_id": rows[key].id,
                    "length": len(text),
                }
                for key, (text, number) in planned.items()
            },
            **(note or {}),
        },
    )
    return result


def get_version(kind: DraftKind, document: Any, section: str, version: int) -> SectionVersion:
    row = db.session.execute(
        select(SectionVersion).where(
            _where(kind, document),
            SectionVersion.section == section,
            SectionVersion.version == version,
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"“{kind.title(document, section)}”没有第 {version} 版。")
    return row


def history(kind: DraftKind, document: Any, section: str) -> list[SectionVersion]:
    """Every version of a section, newest first."""
    return list(
        db.session.execute(
            select(SectionVersion)
            .where(_where(kind, document), SectionVersion.section == section)
            .order_by(SectionVersion.version.desc())
        ).scalars()
    )


def previous(kind: DraftKind, document: Any, row: SectionVersion) -> SectionVersion | None:
    """The version saved just before ``row`` (None for version 1)."""
    if row.version <= 1:
        return None
    return db.session.execute(
        select(SectionVersion).where(
            _where(kind, document),
            SectionVersion.section == row.section,
            SectionVersion.version == row.version - 1,
        )
    ).scalar_one_or_none()


def overview(kind: DraftKind, document: Any) -> list[SectionSummary]:
    """The document's sections (those it has now, then any other with versions) with their
    current version and number of versions."""
    titles = dict(kind.titles(document))
    heads = current(kind, document)
    counts = dict(
        db.session.execute(
            select(SectionVersion.section, func.count())
            .where(_where(kind, document))
            .group_by(SectionVersion.section)
        )
        .tuples()
        .all()
    )
    keys = list(titles) + sorted(k for k in heads if k not in titles)
    return [
        SectionSummary(key, titles.get(key, key), heads.get(key), counts.get(key, 0))
        for key in keys
    ]


def restore(
    kind: DraftKind, document: Any, actor: User, section: str, version: int
) -> SectionVersion:
    """Bring back the text of an old version as a new version (audited)."""
    require_draft(kind, actor, document)
    title = kind.title(document, section)
    _lock(document)
    old = get_version(kind, document, section, version)
    head = current(kind, document).get(section)
    assert head is not None  # ``old`` exists, so the section has a current version
    if head.text == old.text:
        raise Conflict(
            f"“{title}”第 {version} 版与当前文字（第 {head.version} 版）相同，无需恢复。"
        )
    now = clock.now()
    row = SectionVersion(
        document_kind=kind.code,
        document_id=document.id,
        section=section,
        version=head.version + 1,
        text=old.text,
        saved_by_id=actor.id,
        saved_by_name=actor.full_name,
        saved_at=now,
        restored_from=version,
    )
    db.session.add(row)
    db.session.flush()
    kind.write_cache(document, {section: old.text}, now)
    audit.record(
        kind.restore_action,
        actor=actor,
        org=document.org,
        object_type=kind.object_type,
        object_id=document.id,
        message=f"恢复“{title}”第 {version} 版",
        before={"sections": {section: _version_ref(head)}},
        after={
            "subject": f"{kind.object_type}:{document.id}",
            "draft": kind.code,
            "sections": {
                section: {
                    "title": title,
                    "base_version": head.version,
                    "version": row.version,
                    "version_id": row.id,
                    "restored_from": version,
                    "length": row.length,
                }
            },
        },
    )
    return row


def divergence(kind: DraftKind, document: Any) -> dict[str, tuple[str, str]]:
    """Sections whose text in the feature's cache columns differs from the store's current
    version: section → (cache, store).  Always empty; the tests prove it."""
    cache = {k: v or "" for k, v in kind.read_cache(document).items()}
    store = current_texts(kind, document)
    return {
        key: (cache.get(key, ""), store.get(key, ""))
        for key in cache.keys() | store.keys()
        if cache.get(key, "") != store.get(key, "")
    }


def versions_by_id(ids: list[int]) -> dict[int, SectionVersion]:
    if not ids:
        return {}
    rows = db.session.execute(select(SectionVersion).where(SectionVersion.id.in_(ids))).scalars()
    return {row.id: row for row in rows}


@dataclass(frozen=True)
class TextChange:
    """What one save or restore changed in one section, for the audit's detail page."""

    section: str
    title: str
    base_version: int
    version: int
    restored_from: int | None
    segments: list[Any]
    added: int
    removed: int


def changes_of_record(before: Any, after: Any) -> list[TextChange]:
    """The text diffs of an audit record written by :func:`save` or :func:`restore` (the
    versions it names, read back from the store); empty for any other record."""
    from webapp.drafts import textdiff

    sections = (after or {}).get("sections") if isinstance(after, dict) else None
    if not isinstance(sections, dict):
        return []
    old_refs = (before or {}).get("sections") if isinstance(before, dict) else None
    old_refs = old_refs if isinstance(old_refs, dict) else {}
    ids = [
        ref.get("version_id")
        for ref in [*sections.values(), *old_refs.values()]
        if isinstance(ref, dict) and isinstance(ref.get("version_id"), int)
    ]
    rows = versions_by_id([i for i in ids if i is not None])
    out = []
    for key, ref in sections.items():
        if not isinstance(ref, dict) or ref.get("version_id") not in rows:
            continue
        new = rows[ref["version_id"]]
        old_ref = old_refs.get(key)
        old = rows.get(old_ref.get("version_id")) if isinstance(old_ref, dict) else None
        segments = textdiff.diff(old.text if old else "", new.text)
        added, removed = textdiff.counts(segments)
        out.append(
            TextChange(
                section=key,
                title=str(ref.get("title") or key),
                base_version=old.version if old else 0,
                version=new.version,
                restored_from=new.restored_from,
                segments=segments,
                added=added,
                removed=removed,
            )
        )
    return out
