"""Evidence files of a unit's assessment, stored under server-generated names.

Re-exported by :mod:`webapp.assessment.operations`.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from flask import current_app

from webapp.archive import operations as archive
from webapp.archive.models import DOCX, JPEG, PDF, PNG, ArchivedDocument
from webapp.assessment.access import get_unit
from webapp.assessment.models import CampaignState, EvidenceFile, Phase, UnitAssessment, UnitState
from webapp.core import audit, clock
from webapp.core.errors import Conflict, InvalidInput, NotFound, UploadRefused
from webapp.core.models import User
from webapp.core.operations import get_row
from webapp.core.permissions import require, require_visible
from webapp.extensions import db

#: Evidence files: accepted extensions and the most files per unit and phase.
EVIDENCE_EXTENSIONS = {
    "pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png", "zip", "ofd", "wps", "txt",
}  # fmt: skip
MAX_EVIDENCE_FILES = 50

#: What the bytes of a file of each extension must start with (the extension is only a claim):
#: PDF and images as the archive sniffs them; Office Open XML, OFD and zip are zip containers;
#: the older Office and WPS formats are OLE compound files.
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SNIFFED = {"pdf": PDF, "png": PNG, "jpg": JPEG, "jpeg": JPEG}
_CONTAINERS = {"docx": _ZIP, "xlsx": _ZIP, "zip": _ZIP, "ofd": _ZIP, "doc": _OLE, "xls": _OLE,
               "wps": _OLE}  # fmt: skip


def content_matches(ext: str, data: bytes) -> bool:
    """Do the bytes say what the extension says?  (Text: no NUL byte, UTF-8 or GB18030.)"""
    if ext in _SNIFFED:
        return archive.sniff(data) == _SNIFFED[ext]
    if ext in _CONTAINERS:
        return data.startswith(_CONTAINERS[ext])
    if ext == "txt":
        if b"\x00" in data:
            return False
        for encoding in ("utf-8", "gb18030"):
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return True
    return False


def _unit(unit_id: int, actor: User) -> UnitAssessment:
    return get_unit(unit_id, actor)


def evidence_dir() -> Path:
    configured = current_app.config.get("ASSESSMENT_EVIDENCE_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "evidence"
    path.mkdir(parents=True, exist_ok=True)
    return path


def evidence_path(file: EvidenceFile) -> Path:
    return evidence_dir() / file.stored_name


def max_evidence_bytes() -> int:
    return int(current_app.config.get("ASSESSMENT_MAX_FILE_MB", 10)) * 1024 * 1024


def add_evidence(actor: User, unit_id: int, filename: str, data: bytes) -> EvidenceFile:
    """Store an evidence file under a server-generated name (self or assessor phase)."""
    unit = _unit(unit_id, actor)
    if unit.campaign.state == CampaignState.SELF_ASSESSMENT.value:
        require(actor, "assessment.self", unit.org)
        if unit.state != UnitState.DRAFT.value:
            raise Conflict("自评已提交，退回后才能上传材料。")
        phase = Phase.SELF
    else:
        require(actor, "assessment.score", unit.org)
        if unit.campaign.state != CampaignState.SCORING.value:
            raise Conflict("考核评分已结束。")
        phase = Phase.ASSESSOR
    name = Path(filename or "").name.strip()
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EVIDENCE_EXTENSIONS:
        allowed = "、".join(sorted(EVIDENCE_EXTENSIONS))
        raise UploadRefused(f"不支持的文件类型，允许：{allowed}。")
    if not data:
        raise InvalidInput("文件为空。")
    limit = max_evidence_bytes()
    if len(data) > limit:
        raise UploadRefused(f"文件超过 {limit // (1024 * 1024)} MB 的大小限制。")
    if not content_matches(ext, data):
        raise UploadRefused(
            f"文件内容与扩展名 .{ext} 不符（按文件内容识别），请上传真实的 {ext.upper()} 文件。"
        )
    count = sum(1 for f in unit.evidence if f.phase == phase.value)
    if count >= MAX_EVIDENCE_FILES:
        raise InvalidInput(f"每个单位最多上传 {MAX_EVIDENCE_FILES} 个文件。")
    stored = f"{secrets.token_hex(16)}.{ext}"
    file = EvidenceFile(
        phase=phase.value,
        stored_name=stored,
        original_name=name[:200],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor.id,
        uploaded_at=clock.now(),
    )
    unit.evidence.append(file)
    db.session.flush()
    # Written before the commit: a rolled-back upload leaves an unreferenced file, never a
    # reference to a missing one.
    evidence_path(file).write_bytes(data)
    audit.record_on(
        "assessment.evidence_add",
        file,
        actor,
        org=unit.org,
        after={
            "unit": unit.id,
            "name": file.original_name,
            "size": file.size,
            "sha256": file.sha256,
        },
    )
    return file


def get_evidence(actor: User, file_id: int) -> EvidenceFile:
    file = get_row(EvidenceFile, file_id, "文件不存在。")
    require_visible(actor, "assessment.view", file.unit.org, "文件不存在。")
    return file


# 附件3 1.13: the unit's 工作汇报 and 年度工作计划和总结, archived ---------------------
#: which → (archive owner kind, name): 附件3 has no self-assessment in its text; the unit reports
#: its work and its annual plan and summary ("按时报送年度工作计划和总结", item 1.13).
MATERIALS = {
    "work_report": ("assessment_work_report", "工作汇报"),
    "plan_summary": ("assessment_plan_summary", "年度工作计划和总结"),
}


def _material_type(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) from the bytes: a PDF, or a Word .docx (a zip with word/)."""
    if archive.sniff(data) == PDF:
        return PDF, "pdf"
    if data.startswith(_ZIP) and b"word/" in data:
        return DOCX, "docx"
    return None


def upload_material(
    actor: User, unit_id: int, which: str, filename: str, data: bytes
) -> ArchivedDocument:
    """The unit's clerk or leader uploads its 工作汇报 or 年度工作计划和总结 for a 附件3 campaign:
    archived as the next version (content sniffed, never the name trusted); a file after the
    due date is stored and marked late (the assessors judge 1.13 a)."""
    unit = _unit(unit_id, actor)
    require(actor, "assessment.self", unit.org)
    if which not in MATERIALS:
        raise NotFound("材料类别不存在。")
    campaign = unit.campaign
    if campaign.kind != "fujian3":
        raise Conflict("工作汇报和年度工作计划、总结只用于附件3考核。")
    if campaign.state != CampaignState.SELF_ASSESSMENT.value:
        raise Conflict("材料报送阶段已结束。")
    owner_kind, label = MATERIALS[which]
    if not data:
        raise InvalidInput(f"请选择{label}文件。")
    limit = max_evidence_bytes()
    if len(data) > limit:
        raise UploadRefused(f"文件超过 {limit // (1024 * 1024)} MB 的大小限制。")
    kind = _material_type(data)
    if kind is None:
        raise UploadRefused(
            f"{label}须为 PDF 或 Word（.docx）文件（按文件内容识别，与扩展名无关）。"
        )
    media_type, ext = kind
    late = clock.today_local() > campaign.self_due
    doc = archive.store(
        owner_kind,
        unit.id,
        data,
        filename=f"{unit.org.name}{campaign.year}年度{label}.{ext}",
        stage="late" if late else "submitted",
        actor=actor,
        media_type=media_type,
    )
    audit.record(
        "assessment.material_upload",
        actor=actor,
        org=unit.org,
        object_type="assessment_unit",
        object_id=unit.id,
        after={
            "material": label,
            "version": doc.version,
            "name": Path(filename or "").name[:200],
            "size": doc.size,
            "sha256": doc.sha256,
            "late": late,
        },
    )
    return doc


def materials(unit: UnitAssessment) -> dict[str, ArchivedDocument | None]:
    """The latest 工作汇报 and 年度工作计划和总结 of the unit (None: not uploaded)."""
    return {which: archive.latest(kind, unit.id) for which, (kind, _) in MATERIALS.items()}
