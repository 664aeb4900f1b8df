"""The public report's draft in the versioned section store (webapp.drafts).

``Publication.sections`` stays what the checks, the snapshot and the Word document read; the
store writes it in the same transaction as each new version.
"""

from __future__ import annotations

from webapp.drafts.kinds import DraftKind, json_column_cache, register_kind
from webapp.periodic.operations import get_document
from webapp.publication.draft import SECTION_MAX_CHARS, SECTIONS
from webapp.publication.models import Publication
from webapp.publication.periods import parse_half_year
from webapp.publication.state import editable

LOCKED = "公开报告已提交审核或已公开，不能修改。"


MISSING = "公开报告不存在。"


def _load(pub_id: int) -> Publication:
    return get_document(Publication, pub_id, MISSING)


def _describe(pub: Publication) -> str:
    return f"{pub.org.name} · {parse_half_year(pub.period).label} · 工程质量总体状况公开报告"


DRAFT = register_kind(
    DraftKind(
        code="publication_draft",
        label="公开报告草稿",
        object_type="publication",
        view_action="publication.view",
        draft_action="publication.draft",
        save_action="publication.sections_save",
        restore_action="publication.sections_restore",
        max_chars=SECTION_MAX_CHARS,
        load=_load,
        missing=MISSING,
        titles=lambda pub: dict(SECTIONS),
        editable=editable,
        locked_message=LOCKED,
        **json_column_cache("sections"),
        describe=_describe,
        page_endpoint="publication.workspace",
        page_arg="pub_id",
        page_anchor="sections",
    )
)
