"""Pages of drafted texts: the history of a document's sections, one version with what it
changed, restore; and the helpers the features' pages use to save (JSON from the autosave,
forms without script) and to show a stale save's two texts side by side."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.core import clock
from webapp.core.errors import DomainError, Hidden, InvalidInput, NotFound, PermissionDenied
from webapp.core.permissions import can
from webapp.drafts import operations as ops
from webapp.drafts import textdiff
from webapp.drafts.kinds import DraftKind, get_kind
from webapp.drafts.operations import DraftConflict, SaveResult
from webapp.web import page_blueprint, wants_json

bp = page_blueprint("drafts", __name__, writes="drafts.restore")
#: A form field ``base__<field>`` carries the version the text of ``<field>`` was based on.
BASE_PREFIX = "base__"
MAX_SECTION_KEY = 200


def document_for(kind_code: str, doc_id: int, section: str | None = None) -> tuple[DraftKind, Any]:
    """The kind and its document, for a user who may read it (shared with the API)."""
    if section is not None and (len(section) > MAX_SECTION_KEY or "\x00" in section):
        raise NotFound("没有这一部分。")
    kind = get_kind(kind_code)
    document = kind.load(doc_id)
    if not can(current_user, kind.view_action, document):
        # who knows the document (a peer of an accepted report, the administrator following
        # the boards) is refused; anyone else is told what a missing id tells
        if kind.known is not None and kind.known(current_user, document):
            raise PermissionDenied(details={"action": kind.view_action})
        raise Hidden(kind.missing, action=kind.view_action)
    return kind, document


def may_restore(kind: DraftKind, document: Any) -> bool:
    return kind.editable(document) and can(current_user, kind.draft_action, document)


def known_section(kind: DraftKind, document: Any, section: str) -> str:
    """The section's title; 404 for a key the document neither has nor ever had."""
    titles = kind.titles(document)
    if section not in titles and not ops.history(kind, document, section):
        raise NotFound("没有这一部分。")
    return titles.get(section, section)


def back_url(kind: DraftKind, document: Any) -> str:
    return url_for(kind.page_endpoint, **{kind.page_arg: document.id}, _anchor=kind.page_anchor)


@bp.route("/<kind_code>/<int:doc_id>/")
def overview(kind_code: str, doc_id: int) -> Any:
    kind, document = document_for(kind_code, doc_id)
    return render_template(
        "drafts/overview.html",
        kind=kind,
        document=document,
        rows=ops.overview(kind, document),
        back=back_url(kind, document),
    )


@bp.route("/<kind_code>/<int:doc_id>/<section>/")
def section_history(kind_code: str, doc_id: int, section: str) -> Any:
    kind, document = document_for(kind_code, doc_id, section)
    title = known_section(kind, document, section)
    return render_template(
        "drafts/history.html",
        kind=kind,
        document=document,
        section=section,
        title=title,
        versions=ops.history(kind, document, section),
        can_restore=may_restore(kind, document),
        back=back_url(kind, document),
    )


@bp.route("/<kind_code>/<int:doc_id>/<section>/<int:version>")
def version_page(kind_code: str, doc_id: int, section: str, version: int) -> Any:
    kind, document = document_for(kind_code, doc_id, section)
    row = ops.get_version(kind, document, section, version)
    before = ops.previous(kind, document, row)
    head = ops.current(kind, document).get(section)
    return render_template(
        "drafts/version.html",
        kind=kind,
        document=document,
        section=section,
        title=kind.title(document, section),
        row=row,
        before=before,
        head=head,
        changes=textdiff.diff(before.text if before else "", row.text),
        to_current=textdiff.diff(row.text, head.text) if head and head.id != row.id else None,
        can_restore=may_restore(kind, document),
        back=back_url(kind, document),
    )


@bp.route("/<kind_code>/<int:doc_id>/<section>/<int:version>/restore", methods=["POST"])
def restore(kind_code: str, doc_id: int, section: str, version: int) -> Any:
    kind, document = document_for(kind_code, doc_id, section)
    row = ops.restore(kind, document, current_user, section, version)
    flash(f"已将第 {version} 版恢复为当前文字（第 {row.version} 版）。", "success")
    return redirect(
        url_for("drafts.section_history", kind_code=kind.code, doc_id=doc_id, section=section)
    )


def audit_part(record: Any) -> tuple[str, dict[str, Any]] | None:
    """The audit record page's part: the text a save or restore changed (registered with
    webapp.audit.record_parts, which imports no feature)."""
    changes = ops.changes_of_record(record.before, record.after)
    return ("drafts/_audit_changes.html", {"changes": changes}) if changes else None


# Helpers of the features' save routes ----------------------------------------------------------
def submission(fields: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(texts, base versions) by section key, from the autosave's JSON body
    ``{"sections": {key: text}, "base_versions": {key: n}}`` or from a form whose ``fields``
    (form field → section key) come with ``base__<field>``."""
    payload = request.get_json(silent=True)
    if isinstance(payload, dict):
        texts = payload.get("sections") or {}
        bases = payload.get("base_versions") or {}
        if not isinstance(texts, dict) or not isinstance(bases, dict):
            raise InvalidInput("提交的数据格式不正确。")
        return texts, bases
    texts = {
        key: request.form.get(name, "") for name, key in fields.items() if name in request.form
    }
    bases = {
        key: request.form.get(BASE_PREFIX + name)
        for name, key in fields.items()
        if BASE_PREFIX + name in request.form
    }
    return texts, bases


def saved_json(result: SaveResult) -> Any:
    saved = clock.to_local(result.saved_at)
    return jsonify(
        changed=result.changed,
        versions=result.versions,
        saved_at=saved.strftime("%H:%M:%S") if saved else None,
    )


def conflict_response(err: DraftConflict, fields: Mapping[str, str], back: str) -> Any:
    """A stale save: JSON for the autosave (which shows the merge view itself), or the page
    with both texts side by side and the submitted form to post again once merged."""
    if wants_json():
        return jsonify(code=err.code, message=err.message, errors=err.details), 409
    conflicts = {c["section"]: c for c in err.details["conflicts"]}
    rows = [
        {
            "field": name,
            "text": request.form.get(name, ""),
            "base": request.form.get(BASE_PREFIX + name, "0"),
            "conflict": conflicts.get(key),
        }
        for name, key in fields.items()
        if name in request.form
    ]
    return render_template(
        "drafts/conflict.html",
        message=err.message,
        rows=rows,
        action=request.path,
        back=back,
        base_prefix=BASE_PREFIX,
    ), 409


def section_errors(
    err: DomainError, fields: Mapping[str, str], titles: Mapping[str, str]
) -> dict[str, str]:
    """A refused save of sections as its page shows it (``refused_on``): the reason under each
    section the store named (too long, too short, unknown, a bad version; ``fields``: form field
    → section key), the whole form's when it named none (the document is no longer editable)."""
    details = err.details if isinstance(err.details, dict) else {}
    field_of = {key: name for name, key in fields.items()}
    found: dict[str, str] = {}

    def under(key: str, reason: str) -> None:
        name = field_of.get(key, "_")
        found[name] = f"{found[name]}；{reason}" if name in found else reason

    for key, count in (details.get("too_long") or {}).items():
        under(
            key,
            f"“{titles.get(key, key)}”{count} 字，超过 {details.get('max_chars')} 字的上限，"
            "请精简后再保存（未保存，文字未被截断）。",
        )
    for key, count in (details.get("too_short") or {}).items():
        under(
            key,
            f"“{titles.get(key, key)}”仅 {count} 个字：填报说明至少 {details.get('min_chars')} "
            "个字，请写明原因后再保存（未保存）。",
        )
    for key in details.get("unknown") or []:
        under(str(key), f"未知的部分“{key}”（未保存）。")
    if isinstance(details.get("base_versions"), str):
        under(details["base_versions"], err.message)
    return found or {"_": err.message}


def refused_sections(
    kind: DraftKind, fields: Callable[[Any], Mapping[str, str]]
) -> Callable[..., dict[str, str]]:
    """``refused_on``'s ``errors`` for a page form of ``kind``'s sections posted without script
    (the autosave's JSON gets the edge's JSON refusal): ``fields`` gives the form field →
    section key of the document."""

    def errors(err: DomainError, **view_args: Any) -> dict[str, str]:
        document = kind.load(view_args[kind.page_arg])
        return section_errors(err, fields(document), kind.titles(document))

    return errors
