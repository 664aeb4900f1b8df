"""``/api/v1/drafts``: the saved versions of drafted texts (report narratives and
explanations, public report drafts): a document's sections, a section's versions, one version's
text, restore.  Saving itself is each feature's endpoint (with ``base_versions``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_login import current_user

from webapp.api import Blueprint, feature_api, refusals
from webapp.drafts import operations as ops
from webapp.drafts.schemas import (
    DocumentHistorySchema,
    DraftConflictSchema,
    RestoredSchema,
    SavedSchema,
    SectionHistorySchema,
    SectionVersionTextSchema,
)
from webapp.drafts.views import document_for, known_section, may_restore

bp = feature_api(
    "api_drafts",
    __name__,
    "/api/v1/drafts",
    "文稿历史版本：分析报告正文（report_narrative）、填报说明（report_explanations）、"
    "公开报告草稿（publication_draft）",
    gate="drafts.restore",
)


F = TypeVar("F", bound=Callable[..., Any])


def saves_sections(bp: Blueprint, invalid: str) -> Callable[[F], F]:
    """The answers of an endpoint saving a drafted document's sections: 200 what was saved
    (:class:`SavedSchema`), 409 both texts when another save came first, 422 ``invalid``."""

    def decorator(fn: F) -> F:
        fn = refusals(bp, described={422: invalid})(fn)
        conflict = "他人已保存较新版本：两份文字"
        fn = bp.alt_response(409, schema=DraftConflictSchema, description=conflict)(fn)
        return bp.response(200, SavedSchema)(fn)

    return decorator


@bp.route("/<kind_code>/<int:doc_id>")
@bp.response(200, DocumentHistorySchema)
@refusals(bp, 403, 404)
def document_history(kind_code: str, doc_id: int) -> Any:
    """A document's sections with their current version (who, when, length) and how many
    versions each has (whoever may read the document).  ``kind_code``: report_narrative,
    report_explanations or publication_draft; ``doc_id``: the report's or public report's id."""
    kind, document = document_for(kind_code, doc_id)
    return {
        "kind": kind.code,
        "document_id": document.id,
        "document": kind.describe(document),
        "editable": kind.editable(document),
        "can_restore": may_restore(kind, document),
        "sections": [
            {
                "section": r.section,
                "title": r.title,
                "version": r.current.version if r.current else 0,
                "saved_by": r.current.saved_by_name if r.current else None,
                "saved_at": r.current.saved_at if r.current else None,
                "length": r.current.length if r.current else 0,
                "versions": r.count,
            }
            for r in ops.overview(kind, document)
        ],
    }


@bp.route("/<kind_code>/<int:doc_id>/<section>/versions")
@bp.response(200, SectionHistorySchema)
@refusals(bp, 403, 404)
def section_history(kind_code: str, doc_id: int, section: str) -> Any:
    """Every version of one section, newest first: version, who, when, length."""
    kind, document = document_for(kind_code, doc_id, section)
    title = known_section(kind, document, section)
    return {
        "kind": kind.code,
        "document_id": document.id,
        "section": section,
        "title": title,
        "items": ops.history(kind, document, section),
    }


@bp.route("/<kind_code>/<int:doc_id>/<section>/versions/<int:version>")
@bp.response(200, SectionVersionTextSchema)
@refusals(bp, 403, 404)
def get_version(kind_code: str, doc_id: int, section: str, version: int) -> Any:
    """One version with its full text."""
    kind, document = document_for(kind_code, doc_id, section)
    return ops.get_version(kind, document, section, version)


@bp.route("/<kind_code>/<int:doc_id>/<section>/versions/<int:version>/restore", methods=["POST"])
@bp.response(200, RestoredSchema)
@refusals(bp, 403, 404, described={409: "文稿不可编辑，或该版本与当前文字相同"})
def restore(kind_code: str, doc_id: int, section: str, version: int) -> Any:
    """Make an old version's text the current one: saved as a new version, audited (whoever
    may draft the document, while it is editable)."""
    kind, document = document_for(kind_code, doc_id, section)
    row = ops.restore(kind, document, current_user, section, version)
    return {"section": section, "version": row.version, "restored_from": version}
