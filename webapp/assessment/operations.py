"""Domain verbs of the assessment feature: sheets, campaigns, self-assessment, evidence.

Every function takes the acting user and ids (never a Flask request), checks permission and
state, writes its audit record and flushes; the edge (request, CLI, workflow engine step)
commits.  A BPMN service or user task can call them by name (see docs/assessment.md).
Scoring, ranking and results are in :mod:`webapp.assessment.judging`; the site sample in
:mod:`webapp.assessment.sampling`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from webapp.assessment import access
from webapp.assessment.models import (
    AssessmentCampaign,
    CampaignState,
    EvidenceFile,
    ItemScore,
    Phase,
    ScoreSheet,
    UnitAssessment,
    UnitState,
)
from webapp.assessment.scoring import parse_judgments, score_sheet
from webapp.assessment.sheet import (
    KIND_LABELS,
    bundled_sheets,
    canonical_json,
    content_hash,
    parse_sheet,
    read_sheet_file,
)
from webapp.core import audit, clock
from webapp.core.errors import Conflict, DomainError, InvalidInput, NotFound
from webapp.core.models import User
from webapp.core.permissions import require
from webapp.extensions import db

#: Evidence files: accepted extensions and the most files per unit and phase.
EVIDENCE_EXTENSIONS = {
    "pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png", "zip", "ofd", "wps", "txt",
}  # fmt: skip
MAX_EVIDENCE_FILES = 50
SUMMARY_MAX = 20000
NOTE_MAX = 2000


# Sheets -----------------------------------------------------------------------------------------
def get_sheet(sheet_id: int) -> ScoreSheet:
    sheet = db.session.get(ScoreSheet, sheet_id)
    if sheet is None:
        raise NotFound("评分表不存在。")
    return sheet


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
    audit.record(
        "assessment.sheet_load",
        actor=actor,
        object_type="assessment_sheet",
        object_id=row.id,
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
            select(ScoreSheet).where(
                ScoreSheet.kind == row.kind,
                ScoreSheet.year == row.year,
                ScoreSheet.is_active.is_(True),
            )
        ).scalars()
    ]
    _activate(row)
    audit.record(
        "assessment.sheet_activate",
        actor=actor,
        object_type="assessment_sheet",
        object_id=row.id,
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


# Campaigns --------------------------------------------------------------------------------------
def get_campaign(campaign_id: int) -> AssessmentCampaign:
    campaign = db.session.get(AssessmentCampaign, campaign_id)
    if campaign is None:
        raise NotFound("考核活动不存在。")
    return campaign


def get_unit(unit_id: int) -> UnitAssessment:
    unit = db.session.get(UnitAssessment, unit_id)
    if unit is None:
        raise NotFound("考核单位不存在。")
    return unit


def default_self_due(kind: str, year: int) -> date:
    """附件2: 11-30 of the year; 附件3 (assessed in Q1 of the next year): 01-31 of the next."""
    return date(year, 11, 30) if kind == "fujian2" else date(year + 1, 1, 31)


def open_campaign(
    actor: User,
    kind: str,
    year: int,
    *,
    sheet_id: int | None = None,
    self_due: date | None = None,
    sample_city: int = 6,
    sample_city_county: int = 2,
    sample_direct_county: int = 3,
) -> AssessmentCampaign:
    """Open a campaign for every city and directly administered county (state 单位自评)."""
    province = access.province()
    require(actor, "assessment.manage", province)
    if kind not in KIND_LABELS:
        raise InvalidInput("考核类别须为附件2或附件3。")
    if not 2000 <= year <= 2100:
        raise InvalidInput("考核年度无效。")
    if kind == "fujian2" and (sample_city, sample_city_county, sample_direct_county) != (6, 2, 3):
        raise InvalidInput(
            "附件2规定每个省辖市查看6个项目（其中2个为所辖县（市）），每个省直管县（市）3个。"
        )
    if not (0 <= sample_city_county <= sample_city <= 50 and 0 <= sample_direct_county <= 50):
        raise InvalidInput("抽查项目数无效。")
    exists = db.session.execute(
        select(AssessmentCampaign.id).where(
            AssessmentCampaign.kind == kind, AssessmentCampaign.year == year
        )
    ).first()
    if exists:
        raise Conflict(f"{year}年度的{KIND_LABELS[kind]}已开启。")
    sheet = get_sheet(sheet_id) if sheet_id is not None else choose_sheet(kind, year)
    if sheet.kind != kind or not sheet.is_active:
        raise InvalidInput("所选评分表与考核类别不符或未启用。")
    campaign = AssessmentCampaign(
        kind=kind,
        year=year,
        sheet=sheet,
        state=CampaignState.SELF_ASSESSMENT.value,
        self_due=self_due or default_self_due(kind, year),
        sample_city=sample_city,
        sample_city_county=sample_city_county,
        sample_direct_county=sample_direct_county,
        opened_by_id=actor.id,
        opened_at=clock.now(),
        org=province,
    )
    db.session.add(campaign)
    units = access.assessed_units()
    for org in units:
        campaign.units.append(UnitAssessment(org=org, state=UnitState.DRAFT.value))
    db.session.flush()
    audit.record(
        "assessment.campaign_open",
        actor=actor,
        org=province,
        object_type="assessment_campaign",
        object_id=campaign.id,
        after={
            "kind": kind,
            "year": year,
            "sheet": sheet.id,
            "self_due": campaign.self_due.isoformat(),
            "units": [o.code for o in units],
        },
    )
    return campaign


# Self-assessment --------------------------------------------------------------------------------
def _texts(raw: Mapping[str, Any] | None, sheet_has: Any, limit: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (raw or {}).items():
        if not sheet_has(key):
            raise InvalidInput(f"评分表中没有考核项目“{key}”。")
        text = str(value or "").strip()
        if len(text) > limit:
            raise InvalidInput(f"考核项目“{key}”的说明过长（最多 {limit} 字）。")
        out[key] = text
    return out


def _refs(raw: Mapping[str, Any] | None, sheet_has: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in (raw or {}).items():
        if not sheet_has(key):
            raise InvalidInput(f"评分表中没有考核项目“{key}”。")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput("佐证材料引用须为字符串列表。")
        out[key] = [v.strip()[:300] for v in value if v.strip()][:20]
    return out


def write_scores(
    unit: UnitAssessment,
    phase: Phase,
    scorer: User,
    judgments_raw: Mapping[str, Any],
    notes: Mapping[str, Any] | None,
    evidence: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Replace the scorer's rows of a phase with one row per item of the sheet; return totals."""
    sheet = unit.campaign.sheet.parsed()
    judgments = parse_judgments(sheet, judgments_raw)
    note_map = _texts(notes, sheet.has_item, NOTE_MAX)
    ref_map = _refs(evidence, sheet.has_item)
    result = score_sheet(sheet, judgments)
    for row in [s for s in unit.scores if s.phase == phase.value and s.scorer_id == scorer.id]:
        unit.scores.remove(row)
    db.session.flush()
    now = clock.now()
    for item in sheet.items:
        j = judgments.get(item.id)
        met = None if j is None else j.met
        unit.scores.append(
            ItemScore(
                phase=phase.value,
                scorer_id=scorer.id,
                item_id=item.id,
                unmet=sorted(j.unmet) if j else [],
                met=sorted(met) if met is not None else None,
                score=result.items[item.id],
                note=note_map.get(item.id, ""),
                evidence=ref_map.get(item.id, []),
                scored_at=now,
            )
        )
    db.session.flush()
    return result.to_dict()


def save_self_assessment(
    actor: User,
    unit_id: int,
    *,
    judgments: Mapping[str, Any],
    summary: str | None = None,
    notes: Mapping[str, Any] | None = None,
    evidence: Mapping[str, Any] | None = None,
) -> UnitAssessment:
    """The unit's clerk fills (or refills) its self-assessment and written summary."""
    unit = get_unit(unit_id)
    require(actor, "assessment.self", unit.org)
    if unit.campaign.state != CampaignState.SELF_ASSESSMENT.value:
        raise Conflict("自评阶段已结束，不能再修改自评。")
    if unit.state != UnitState.DRAFT.value:
        raise Conflict("自评已提交，退回后才能修改。")
    if summary is not None:
        if len(summary) > SUMMARY_MAX:
            raise InvalidInput(f"书面总结过长（最多 {SUMMARY_MAX} 字）。")
        unit.self_summary = summary.strip()
    before = None if unit.self_total is None else str(unit.self_total)
    totals = write_scores(unit, Phase.SELF, actor, judgments, notes, evidence)
    unit.self_total = Decimal(totals["total"])
    audit.record(
        "assessment.self_save",
        actor=actor,
        org=unit.org,
        object_type="assessment_unit",
        object_id=unit.id,
        before={"self_total": before},
        after={"self_total": totals["total"], "judgments": dict(judgments)},
    )
    return unit


def submit_self_assessment(actor: User, unit_id: int) -> UnitAssessment:
    """The clerk hands the self-assessment to the unit's leader for approval."""
    unit = get_unit(unit_id)
    require(actor, "assessment.self", unit.org)
    if unit.campaign.state != CampaignState.SELF_ASSESSMENT.value:
        raise Conflict("自评阶段已结束。")
    if unit.state != UnitState.DRAFT.value:
        raise Conflict("自评已提交。")
    problems = []
    if unit.self_total is None:
        problems.append("尚未填写自评评分表")
    if not unit.self_summary:
        problems.append("尚未填写全年活动情况书面总结")
    if problems:
        raise InvalidInput("不能提交：" + "；".join(problems) + "。", details=problems)
    unit.state = UnitState.SELF_REVIEW.value
    unit.self_submitted_by_id = actor.id
    unit.self_submitted_at = clock.now()
    unit.return_reason = None
    audit.record(
        "assessment.self_submit",
        actor=actor,
        org=unit.org,
        object_type="assessment_unit",
        object_id=unit.id,
        before={"state": UnitState.DRAFT.value},
        after={"state": unit.state, "self_total": str(unit.self_total)},
    )
    return unit


def approve_self_assessment(actor: User, unit_id: int, opinion: str = "") -> UnitAssessment:
    """The unit's leader approves the self-assessment: it is reported to the province."""
    unit = get_unit(unit_id)
    require(actor, "assessment.self_approve", unit.org)
    if unit.state != UnitState.SELF_REVIEW.value:
        raise Conflict("该自评不在待审核状态。")
    if unit.self_submitted_by_id == actor.id:
        raise DomainError("提交人不能审核自己提交的自评。")
    unit.state = UnitState.SELF_SUBMITTED.value
    unit.self_approved_by_id = actor.id
    unit.self_approved_at = clock.now()
    audit.record(
        "assessment.self_approve",
        actor=actor,
        org=unit.org,
        object_type="assessment_unit",
        object_id=unit.id,
        before={"state": UnitState.SELF_REVIEW.value},
        after={"state": unit.state, "overdue": unit.self_overdue},
        message=opinion.strip()[:NOTE_MAX] or None,
    )
    return unit


def return_self_assessment(actor: User, unit_id: int, reason: str) -> UnitAssessment:
    """The unit's leader returns the self-assessment to the clerk, with a reason."""
    unit = get_unit(unit_id)
    require(actor, "assessment.self_approve", unit.org)
    if unit.state != UnitState.SELF_REVIEW.value:
        raise Conflict("该自评不在待审核状态。")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("退回须填写理由。")
    unit.state = UnitState.DRAFT.value
    unit.return_reason = reason[:NOTE_MAX]
    audit.record(
        "assessment.self_return",
        actor=actor,
        org=unit.org,
        object_type="assessment_unit",
        object_id=unit.id,
        before={"state": UnitState.SELF_REVIEW.value},
        after={"state": unit.state},
        message=unit.return_reason,
    )
    return unit


# Evidence ---------------------------------------------------------------------------------------
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
    unit = get_unit(unit_id)
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
        raise InvalidInput(f"不支持的文件类型，允许：{allowed}。")
    if not data:
        raise InvalidInput("文件为空。")
    limit = max_evidence_bytes()
    if len(data) > limit:
        raise InvalidInput(f"文件超过 {limit // (1024 * 1024)} MB 的大小限制。")
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
    audit.record(
        "assessment.evidence_add",
        actor=actor,
        org=unit.org,
        object_type="assessment_evidence",
        object_id=file.id,
        after={
            "unit": unit.id,
            "name": file.original_name,
            "size": file.size,
            "sha256": file.sha256,
        },
    )
    return file


def get_evidence(actor: User, file_id: int) -> EvidenceFile:
    file = db.session.get(EvidenceFile, file_id)
    if file is None:
        raise NotFound("文件不存在。")
    require(actor, "assessment.view", file.unit.org)
    return file
