"""Evidence the system already holds, proposed to the assessor (who may override it, with a
reason that is audited).  An item not judged follows the proposal.

An item of the sheet names its source (``evidence_source`` in the sheet file, see
:data:`webapp.assessment.sheet.EVIDENCE_SOURCES`) and the part or duty it decides:

- ``reporting_record``: 附件3 1.9 工程质量运行态势分析, part a 按时报送, from the reporting-work
  record of the campaign's year (:func:`webapp.audit.reporting.reporting_record`): met when the
  unit submitted its reports and none was first submitted late; returns shown for part b;
- ``enforcement_records``: 附件3 1.5 监督执法, duty d 依法处理、处罚, from the ledgers'
  administrative penalties and bad-behaviour records of the unit's subtree in the year (met
  when any);
- ``lower_reviews``: 附件3 1.8 层级监督考核, duty a, from the unit's acceptances and returns of its
  counties' reports in the year (audit records report.accept / report.return);
- ``complaints``: 附件3 1.7 工程质量投诉和复议, duty b (no handling decision 确认违法、撤销或变更),
  from the complaints ledger of the unit's subtree: complaints closed in the year, and whether
  a 复议机关 or 审判机关 overturned any of them;
- ``materials``: 附件3 1.13 完成工作任务的时效和质量, duty a 按时报送年度工作计划和总结, from the
  archive: the first upload of the 年度工作计划和总结 on or before the campaign's due date is met,
  a later one or none after the due date is not (the text deducts 1 point) — unless no unit of
  the campaign uploaded anything (materials not collected through the system: nothing proposed).

A source that finds nothing proposes nothing (absence of records is not proof of a failure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from webapp.assessment.models import UnitAssessment
from webapp.assessment.sheet import Item, Sheet
from webapp.audit.reporting import reporting_record
from webapp.core.errors import InvalidInput


@dataclass(frozen=True)
class Proposal:
    item_id: str
    #: the part (additive) or duty (deduction) decided
    target: str
    #: proposed: that part is achieved / that duty is fulfilled; None: the source has nothing
    #: on the unit (shown for information, nothing proposed)
    met: bool | None
    #: why, in Chinese (shown beside the item and kept in the audit record)
    reason: str
    #: the source's label and page (endpoint, arguments) for a link
    source_label: str
    endpoint: str
    args: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "met": self.met, "reason": self.reason}


def _reporting(unit: UnitAssessment, item: Item, target: str) -> Proposal:
    year = unit.campaign.year
    record = next(
        (r for r in reporting_record(year, unit.org) if r.org_code == unit.org.code), None
    )
    reports = record.reports if record else 0
    expected = record.expected if record else 0
    missing = record.missing if record else 0
    late = record.late_reports if record else 0
    returns = record.returns if record else 0
    errors = record.errors if record else 0
    met: bool | None
    if expected == 0 and reports == 0:
        met, reason = None, f"报送工作记录中没有{year}年度的报送，请核实后评分"
    elif missing or late:
        # domain.md §7: "按时报送" is met only when nothing is missing and nothing late.
        met = False
        parts = [f"未报 {missing} 份"] if missing else []
        parts += [f"{late} 份首次报送逾期"] if late else []
        reason = f"{year}年度应报 {expected} 份、已报 {reports} 份，其中" + "、".join(parts)
    else:
        met, reason = True, f"{year}年度应报 {expected} 份，均按时报送"
    if reports:
        reason += f"；被上级退回修改 {returns} 次" if returns else "；无退回"
        reason += f"（差错 {errors} 次）" if errors else ""
    return Proposal(
        item.id,
        target,
        met,
        reason,
        "报送工作记录",
        "audit.reporting_unit",
        {"code": unit.org.code, "year": year},
    )


def _met_if_recorded(records: int, shown: str, unrecorded: str) -> tuple[bool | None, str]:
    """Met when the system holds ``records`` of the work (``shown`` says what); with none, no
    proposal (``unrecorded``): work done outside the system is no failure, the assessor checks."""
    return (True, shown) if records else (None, unrecorded)


def _enforcement(unit: UnitAssessment, item: Item, target: str) -> Proposal:
    """监督执法: penalties and bad-behaviour records of the unit's subtree in the year."""
    from datetime import date

    from sqlalchemy import func, select

    from webapp.core.models import Org
    from webapp.extensions import db
    from webapp.ledger.models import AdministrativePenalty, BadBehaviourRecord

    year = unit.campaign.year
    start, end = date(year, 1, 1), date(year, 12, 31)

    def count(model: Any, column: Any) -> int:
        return int(
            db.session.execute(
                select(func.count(model.id))
                .join(Org, model.org_id == Org.id)
                .where(Org.path.like(unit.org.path + "%"), column.between(start, end))
            ).scalar_one()
        )

    penalties = count(AdministrativePenalty, AdministrativePenalty.decided_on)
    records = count(BadBehaviourRecord, BadBehaviourRecord.recorded_on)
    met, reason = _met_if_recorded(
        penalties + records,
        f"{year}年度台账记录行政处罚 {penalties} 起、不良行为记录 {records} 条",
        f"台账中没有{year}年度的行政处罚和不良行为记录，请核实后评分",
    )
    return Proposal(item.id, target, met, reason, "台账", "ledger.index", {})


def _lower_reviews(unit: UnitAssessment, item: Item, target: str) -> Proposal:
    """层级监督考核: the unit's reviews (accepted / returned) of its lower units' reports."""
    from sqlalchemy import func, select

    from webapp.core.models import AuditRecord, Org
    from webapp.extensions import db

    year = unit.campaign.year
    lower = [o.code for o in unit.org.children]
    if not lower:
        return Proposal(
            item.id,
            target,
            None,
            "该单位没有下辖县（市、区），不适用",
            "报送工作记录",
            "audit.reporting_record",
            {"year": year},
        )
    rows = dict(
        db.session.execute(
            select(AuditRecord.action, func.count(AuditRecord.id))
            .join(Org, Org.code == AuditRecord.org_code)
            .where(
                Org.parent_id == unit.org.id,
                AuditRecord.action.in_(("report.accept", "report.return")),
                AuditRecord.created_at >= _year_start(year),
                AuditRecord.created_at < _year_start(year + 1),
            )
            .group_by(AuditRecord.action)
        ).all()
    )
    accepted, returned = rows.get("report.accept", 0), rows.get("report.return", 0)
    met, reason = _met_if_recorded(
        accepted + returned,
        f"{year}年度审核下级单位报告：接收 {accepted} 份、退回修改 {returned} 次",
        f"{year}年度没有审核下级单位报告的记录，请核实后评分",
    )
    return Proposal(
        item.id, target, met, reason, "报送工作记录", "audit.reporting_record", {"year": year}
    )


def _complaints(unit: UnitAssessment, item: Item, target: str) -> Proposal:
    """投诉和复议: the complaints closed in the year in the unit's subtree (complaints ledger)."""
    from datetime import date

    from webapp.ledger.figures import review_outcomes

    year = unit.campaign.year
    closed, overturned = review_outcomes(unit.org, date(year, 1, 1), date(year, 12, 31))
    met: bool | None
    if overturned:
        met = False
        reason = (
            f"{year}年度办结投诉 {closed} 件，其中 {overturned} 件的处理决定被复议机关、"
            "审判机关确认违法、撤销或变更"
        )
    elif closed:
        met, reason = True, f"{year}年度办结投诉 {closed} 件，处理决定均未被确认违法、撤销或变更"
    else:
        met, reason = None, f"台账中没有{year}年度办结的投诉，请核实后评分"
    return Proposal(
        item.id, target, met, reason, "质量投诉台账", "ledger.records", {"kind_name": "complaints"}
    )


def _materials(unit: UnitAssessment, item: Item, target: str) -> Proposal:
    """完成工作任务的时效和质量, duty a 按时报送年度工作计划和总结: the first upload of the unit's
    年度工作计划和总结 in the archive versus the campaign's due date (the 工作汇报 is shown)."""
    from webapp.archive import operations as archive
    from webapp.assessment.evidence import MATERIALS
    from webapp.core import clock

    due = unit.campaign.self_due
    first = {}
    for which, (owner_kind, label) in MATERIALS.items():
        versions = archive.documents(owner_kind, unit.id)
        first[which] = (label, clock.to_local(versions[0].created_at).date() if versions else None)
    label, sent = first["plan_summary"]
    met: bool | None
    if sent is None and clock.today_local() <= due:
        met, reason = None, f"尚未上传{label}，截止日 {due} 未到"
    elif sent is None and not _campaign_has_materials(unit):
        # no unit sent anything through the system: its absence is no proof of a failure
        met, reason = None, f"本次考核没有单位在系统中上传材料，请核实{label}的报送情况后评分"
    elif sent is None:
        met, reason = False, f"截止日 {due} 已过，未上传{label}"
    elif sent > due:
        met, reason = False, f"{label}于 {sent} 首次上传，晚于截止日 {due}"
    else:
        met, reason = True, f"{label}于 {sent} 上传，在截止日 {due} 之前"
    report_label, report_sent = first["work_report"]
    reason += f"；{report_label}" + (f"于 {report_sent} 上传" if report_sent else "未上传")
    return Proposal(
        item.id, target, met, reason, "考核单位页面", "assessment.unit", {"unit_id": unit.id}
    )


def _campaign_has_materials(unit: UnitAssessment) -> bool:
    from sqlalchemy import select

    from webapp.archive.models import ArchivedDocument
    from webapp.assessment.evidence import MATERIALS
    from webapp.extensions import db

    unit_ids = [u.id for u in unit.campaign.units]
    return (
        db.session.execute(
            select(ArchivedDocument.id)
            .where(
                ArchivedDocument.owner_kind.in_([kind for kind, _ in MATERIALS.values()]),
                ArchivedDocument.owner_id.in_(unit_ids),
            )
            .limit(1)
        ).first()
        is not None
    )


def _year_start(year: int) -> Any:
    from datetime import datetime

    from webapp.core import clock

    return datetime(year, 1, 1, tzinfo=clock.LOCAL_TZ)


SOURCES = {
    "reporting_record": _reporting,
    "enforcement_records": _enforcement,
    "lower_reviews": _lower_reviews,
    "complaints": _complaints,
    "materials": _materials,
}


def proposals(unit: UnitAssessment, sheet: Sheet | None = None) -> dict[str, Proposal]:
    """The system's proposals for the unit, by item id (none for an item that does not apply
    to the unit)."""
    sheet = sheet or unit.campaign.sheet.parsed()
    out = {}
    for item in sheet.items:
        if not item.applies_to(unit.org.tier):
            continue
        source = item.evidence_source
        if source is not None and source.kind in SOURCES:
            out[item.id] = SOURCES[source.kind](unit, item, source.target)
    return out


def with_proposals(unit: UnitAssessment, judgments: Mapping[str, Any]) -> dict[str, Any]:
    """The judgments, where an item not judged follows the system's proposal (instead of
    counting as fully met): the API and the scoring page (pre-filled) agree."""
    sheet = unit.campaign.sheet.parsed()
    out = dict(judgments)
    for item_id, proposal in proposals(unit, sheet).items():
        if item_id in out or proposal.met is not False:
            continue
        item = sheet.item(item_id)
        if item.rule.kind == "additive":
            out[item_id] = {"met": [p.id for p in item.rule.parts if p.id != proposal.target]}
        else:
            out[item_id] = {"unmet": [proposal.target]}
    return out


def _judged_met(item: Item, target: str, judgment: Any) -> bool:
    """Does the assessor's judgment of ``item`` count ``target`` as met (an item not judged is
    fully met)?"""
    if not isinstance(judgment, Mapping):
        return True
    if item.rule.kind == "additive":
        met = judgment.get("met")
        return True if met is None else target in met
    return target not in (judgment.get("unmet") or [])


def departures(
    unit: UnitAssessment,
    judgments: Mapping[str, Any],
    notes: Mapping[str, Any] | None,
) -> list[dict[str, Any]]:
    """Where the assessor's judgments depart from the proposals; each needs a note (the reason),
    else InvalidInput naming the items."""
    sheet = unit.campaign.sheet.parsed()
    out, missing = [], []
    for item_id, proposal in proposals(unit, sheet).items():
        item = sheet.item(item_id)
        if proposal.met is None:
            continue
        judged = _judged_met(item, proposal.target, judgments.get(item_id))
        if judged == proposal.met:
            continue
        reason = str((notes or {}).get(item_id) or "").strip()
        if not reason:
            missing.append(item.name)
        out.append(
            {
                "item": item_id,
                "target": proposal.target,
                "proposed": proposal.met,
                "judged": judged,
                "evidence": proposal.reason,
                "reason": reason,
            }
        )
    if missing:
        raise InvalidInput(
            "以下项目的评分与系统根据已有记录提出的建议不同，请在说明中写明理由："
            + "、".join(missing)
            + "。",
            details=missing,
        )
    return out
