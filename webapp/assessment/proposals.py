"""Evidence the system already holds, proposed to the assessor (who may override it, with a
reason that is audited).  An item not judged follows the proposal.

An item of the sheet names its source (``evidence_source`` in the sheet file, see
:data:`webapp.assessment.sheet.EVIDENCE_SOURCES`) and the part or duty it decides.  Today:
附件3 工程质量运行态势分析, part a 按时报送 from the reporting-work record of the campaign's year
(:func:`webapp.audit.reporting.reporting_record`): met when the unit submitted its reports and
none was first submitted late; the returns for errors are shown for part b.
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
    late = record.late_reports if record else 0
    returns = record.returns if record else 0
    met: bool | None
    if reports == 0:
        met, reason = None, f"报送工作记录中没有{year}年度的报送，请核实后评分"
    elif late:
        met = False
        reason = f"{year}年度报送报告 {reports} 份，其中 {late} 份首次报送逾期"
    else:
        met, reason = True, f"{year}年度报送报告 {reports} 份，均按时报送"
    if reports:
        reason += f"；被上级退回修改 {returns} 次" if returns else "；无退回"
    return Proposal(
        item.id,
        target,
        met,
        reason,
        "报送工作记录",
        "audit.reporting_unit",
        {"code": unit.org.code, "year": year},
    )


def proposals(unit: UnitAssessment, sheet: Sheet | None = None) -> dict[str, Proposal]:
    """The system's proposals for the unit, by item id."""
    sheet = sheet or unit.campaign.sheet.parsed()
    out = {}
    for item in sheet.items:
        source = item.evidence_source
        if source is not None and source.kind == "reporting_record":
            out[item.id] = _reporting(unit, item, source.target)
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
