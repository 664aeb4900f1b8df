"""What a drafted document declares to share the versioned section store.

A *kind* is one set of autosaved texts of one kind of document: the narrative of a report, its
explanations, the draft of a public report.  The feature that owns the document registers its
kind once (:func:`register_kind`); the store (:mod:`webapp.drafts.operations`), the history
pages and the API then work for every kind alike.  The store never imports a feature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from webapp.core.errors import NotFound


@dataclass(frozen=True)
class DraftKind:
    #: Stored in ``section_version.document_kind`` and used in URLs: ``report_narrative``
    code: str
    #: What the texts are, for pages and messages: 分析报告正文
    label: str
    #: The owning document's audit object type (and subject prefix): ``report``
    object_type: str
    #: Permission to read the texts and their history (checked on the owning document)
    view_action: str
    #: Permission to save and restore (checked on the owning document)
    draft_action: str
    #: Audit actions of a save and of a restore
    save_action: str
    restore_action: str
    #: Longest text of one section, in characters
    max_chars: int
    #: The owning document by id; raises NotFound
    load: Callable[[int], Any]
    #: Its message for an id that does not exist (also told to whoever may not see the document)
    missing: str
    #: The section keys that may be saved now → their titles (in the document's order)
    titles: Callable[[Any], Mapping[str, str]]
    #: The document may still be changed (drafting, returned)
    editable: Callable[[Any], bool]
    #: Why not, when it may not
    locked_message: str
    #: The texts as the rest of the feature reads them (its cache columns): key → text
    read_cache: Callable[[Any], Mapping[str, str | None]]
    #: Write changed texts to those columns, in the store's transaction: (document, texts, at)
    write_cache: Callable[[Any, dict[str, str], datetime], None]
    #: "中原区 · 2026年第三季度 · 分析报告": the document, for page headings
    describe: Callable[[Any], str]
    #: The page of the document (endpoint, its id argument, anchor), for links back
    page_endpoint: str
    page_arg: str
    page_anchor: str | None = None
    #: Whether a user who may not read the texts may still know that the document exists (told
    #: 403, not the missing answer): a report's peers and the administrators (None: nobody)
    known: Callable[[Any, Any], bool] | None = None
    #: A further rule on the texts of a save (key → text, after the key and length checks),
    #: raising InvalidInput to refuse the whole save: e.g. an explanation's minimum length
    validate: Callable[[Mapping[str, str]], None] | None = None

    def title(self, document: Any, section: str) -> str:
        return dict(self.titles(document)).get(section, section)


def json_column_cache(column: str) -> dict[str, Any]:
    """``read_cache`` and ``write_cache`` of texts kept in one JSON column of the document
    (``column``: key → text): a save merges its texts into it and stamps ``<column>_saved_at``."""

    def read(document: Any) -> dict[str, str]:
        return dict(getattr(document, column) or {})

    def write(document: Any, texts: dict[str, str], at: datetime) -> None:
        setattr(document, column, {**(getattr(document, column) or {}), **texts})
        setattr(document, f"{column}_saved_at", at)

    return {"read_cache": read, "write_cache": write}


_KINDS: dict[str, DraftKind] = {}

#: Labels of the fields the store writes into its audit records (``before``/``after``).
AUDIT_FIELDS = {
    "draft": "文稿类别",
    "title": "部分",
    "base_version": "所据版本",
    "version": "版本",
    "version_id": "版本记录编号",
    "restored_from": "恢复自版本",
    "length": "字数",
}


def register_kind(kind: DraftKind) -> DraftKind:
    """Make a kind known to the store, the pages, the API and the audit's vocabulary."""
    from webapp.audit.vocabulary import register_fields, register_values

    _KINDS[kind.code] = kind
    register_fields(AUDIT_FIELDS, object_type=kind.object_type)
    register_values("draft", {kind.code: kind.label})
    return kind


def get_kind(code: str) -> DraftKind:
    kind = _KINDS.get(code)
    if kind is None:
        raise NotFound("没有这类文稿。")
    return kind


def kinds() -> Mapping[str, DraftKind]:
    return dict(_KINDS)
