"""Word templates: upload a validated new version, keep every version, restore an older one.

Other features render from :func:`active_template`: the active uploaded version, or the file in
docs_templates/ while none was uploaded.  A version becomes active only after it rendered the
template's sample context in the sandbox, under the bounds of every real document
(``webapp.documents.render_docx``: time, output size).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update

from webapp.core import audit, clock
from webapp.core.errors import Conflict, InvalidInput, NotFound, UploadRefused
from webapp.core.models import User
from webapp.core.operations import one_or_not_found
from webapp.core.permissions import require
from webapp.documents import DocumentError, render_docx
from webapp.extensions import db
from webapp.workflow_admin.models import DocumentTemplate
from webapp.workflow_admin.samples import SAMPLES
from webapp.workflow_admin.uploads import check_docx

#: Where the built-in templates live (the fallback while nothing was uploaded).
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "docs_templates"


def _known(name: str) -> None:
    if name not in SAMPLES:
        raise NotFound(f"没有名为 {name} 的文书模板。")


def builtin_template(name: str) -> bytes:
    """The file docs_templates/<name>.docx shipped with the product."""
    _known(name)
    path = TEMPLATES_DIR / f"{name}.docx"
    if not path.is_file():
        raise NotFound(f"内置模板 {name}.docx 不存在。")
    return path.read_bytes()


def active_version(name: str) -> DocumentTemplate | None:
    return db.session.execute(
        select(DocumentTemplate)
        .where(DocumentTemplate.name == name, DocumentTemplate.active.is_(True))
        .order_by(DocumentTemplate.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def active_template(name: str) -> bytes:
    """The bytes to render ``name`` from: the active uploaded version, else the built-in file."""
    row = active_version(name)
    return row.content if row is not None else builtin_template(name)


def template_versions(name: str) -> list[DocumentTemplate]:
    _known(name)
    return list(
        db.session.execute(
            select(DocumentTemplate)
            .where(DocumentTemplate.name == name)
            .order_by(DocumentTemplate.version.desc())
        ).scalars()
    )


def get_version(name: str, version: int) -> DocumentTemplate:
    return one_or_not_found(
        select(DocumentTemplate).where(
            DocumentTemplate.name == name, DocumentTemplate.version == version
        ),
        f"模板 {name} 没有第 {version} 版。",
    )


@dataclass
class TemplateSummary:
    name: str
    label: str
    active: DocumentTemplate | None
    versions: int


def template_overview() -> list[TemplateSummary]:
    counts = dict(
        db.session.execute(
            select(DocumentTemplate.name, func.count()).group_by(DocumentTemplate.name)
        ).all()
    )
    return [
        TemplateSummary(s.name, s.label, active_version(s.name), counts.get(s.name, 0))
        for s in sorted(SAMPLES.values(), key=lambda s: s.name)
    ]


#: Render refusals that are an attack rather than a mistake: audited as refused uploads.
HOSTILE_RENDERS = frozenset({"security", "too_large", "timeout"})


def _validate(name: str, data: bytes) -> None:
    """The file's checks, then a render of the sample under the same bounds as every real
    document (time, output size, sandbox)."""
    check_docx(data)
    try:
        render_docx(data, SAMPLES[name].factory())
    except DocumentError as err:
        kind = err.details.get("kind") if isinstance(err.details, dict) else None
        refusal = UploadRefused if kind in HOSTILE_RENDERS else InvalidInput
        raise refusal("模板校验未通过：" + err.message, details=[err.message]) from err


def _state(row: DocumentTemplate | None) -> dict[str, object]:
    if row is None:
        return {"version": 0, "hash": None, "source": "docs_templates"}
    return {"version": row.version, "hash": row.sha256}


def _audit(
    action: str,
    actor: User,
    name: str,
    version: int,
    previous: DocumentTemplate | None,
    row: DocumentTemplate | None,
) -> None:
    """The audit record of a change of the active version: what was active, what is now."""
    audit.record(
        action,
        actor=actor,
        object_type="document_template",
        object_id=f"{name}:{version}",
        before=_state(previous),
        after={"name": name, **_state(row)},
    )


def _activate(name: str, row: DocumentTemplate | None) -> None:
    db.session.execute(
        update(DocumentTemplate)
        .where(DocumentTemplate.name == name, DocumentTemplate.active.is_(True))
        .values(active=False)
        .execution_options(synchronize_session="fetch")
    )
    if row is not None:
        row.active = True
    db.session.flush()


def upload_template(actor: User, name: str, data: bytes, filename: str = "") -> DocumentTemplate:
    """Validate ``data`` (size, zip bombs, sandboxed render of the sample) and make it the
    active new version of template ``name``.  Nothing is stored when it fails."""
    require(actor, "template.manage")
    _known(name)
    _validate(name, data)
    previous = active_version(name)
    number = (
        db.session.execute(
            select(func.max(DocumentTemplate.version)).where(DocumentTemplate.name == name)
        ).scalar_one_or_none()
        or 0
    ) + 1
    row = DocumentTemplate(
        name=name,
        version=number,
        content=data,
        sha256=hashlib.sha256(data).hexdigest(),
        original_filename=(filename or "")[:255],
        uploaded_by_id=actor.id,
        uploaded_at=clock.now(),
        active=False,
    )
    db.session.add(row)
    db.session.flush()
    _activate(name, row)
    _audit("template.upload", actor, name, number, previous, row)
    return row


def restore_template(actor: User, name: str, version: int) -> DocumentTemplate | None:
    """Make an earlier version active again (``version`` 0: the built-in file).  The version is
    validated again against the current sample first."""
    require(actor, "template.manage")
    _known(name)
    previous = active_version(name)
    row = get_version(name, version) if version else None
    if (previous.id if previous else None) == (row.id if row else None):
        raise Conflict("该版本已是当前使用的版本。")
    _validate(name, row.content if row is not None else builtin_template(name))
    _activate(name, row)
    _audit("template.restore", actor, name, version, previous, row)
    return row
