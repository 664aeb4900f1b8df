"""The business status a process carries (BPMN ``status`` property): one state model.

The BPMN files name a **code** (``in_review``), never a display label: administrators edit the
BPMN in the browser, and a label renamed there (审核中 → 审核阶段) must not silently turn reports
in review back into drafts.  The labels live here; a deploy refuses a code that is not listed
(adding a state is a code change: add it here, then map it in the feature that reads it).

Reports, publication and assessment read the same codes; each feature maps them onto its own
state where it needs more (a report's ``overdue`` is derived from its due time).
"""

from __future__ import annotations

import enum
from typing import Any, Self


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry their Chinese display label, declared together:
    ``DRAFTING = "drafting", "填报中"``.  The value is the code (stored, sent by the API, named
    in the BPMN); ``label`` is what a page shows.  A member may stand for a member of another
    labelled enum, with its code and label (``DRAFTING = ProcessStatus.DRAFTING``) or its code
    and a label of its own (``DRAFTING = ProcessStatus.DRAFTING, "拟稿中"``)."""

    _label: str

    def __new__(cls, value: str, label: str | None = None) -> Self:
        if label is None:
            label = value.label if isinstance(value, LabelledEnum) else value
        value = str(value)
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        return self._label


class ProcessStatus(LabelledEnum):
    DRAFTING = "drafting", "填报中"
    RETURNED = "returned", "已退回"
    IN_REVIEW = "in_review", "审核中"
    SUBMITTED = "submitted", "已上报"
    ACCEPTED = "accepted", "已接收"
    AWAITING_APPROVAL = "awaiting_approval", "待领导审批"
    PUBLISHED = "published", "已公开"
    WITHDRAWAL_REQUESTED = "withdrawal_requested", "撤回审批中"
    WITHDRAWN = "withdrawn", "已撤回"
    OVERDUE = "overdue", "逾期"
    CANCELLED = "cancelled", "已取消"
    SELF_ASSESSMENT = "self_assessment", "单位自评中"
    SELF_CLOSED = "self_closed", "自评已截止（未上报）"
    MATERIALS = "materials", "单位报送材料中"  #: 附件3 (no self-assessment)
    MATERIALS_CLOSED = "materials_closed", "材料报送已截止（未上报）"
    SAMPLING = "sampling", "现场抽查"
    SCORING = "scoring", "考核评分中"
    SCORE_REVIEW = "score_review", "评分复核中"
    RESCORING = "rescoring", "按审批意见修改"
    RESULTS_PUBLISHED = "results_published", "结果已通报"
    ACCIDENT_REPORTING = "accident_reporting", "事故逐级上报中"
    ACCIDENT_REPORTED = "accident_reported", "事故已上报"


#: Code → label (the labels are the members' own).
STATUS_LABELS: dict[ProcessStatus, str] = {s: s.label for s in ProcessStatus}

#: Every display label the shipped BPMN files carried before they named codes, mapped to its
#: code (the data migration of stored definitions and instances reads this table, frozen there).
LEGACY_LABELS: dict[str, ProcessStatus] = {
    "草稿": ProcessStatus.DRAFTING,
    "填报中": ProcessStatus.DRAFTING,
    "拟稿中": ProcessStatus.DRAFTING,
    "自评填报中": ProcessStatus.DRAFTING,
    "已退回": ProcessStatus.RETURNED,
    "已退回修改": ProcessStatus.RETURNED,
    "审核中": ProcessStatus.IN_REVIEW,
    "已上报": ProcessStatus.SUBMITTED,
    "自评已上报": ProcessStatus.SUBMITTED,
    "已接收": ProcessStatus.ACCEPTED,
    "待领导审批": ProcessStatus.AWAITING_APPROVAL,
    "待领导审核": ProcessStatus.AWAITING_APPROVAL,
    "已公开": ProcessStatus.PUBLISHED,
    "撤回审批中": ProcessStatus.WITHDRAWAL_REQUESTED,
    "已撤回": ProcessStatus.WITHDRAWN,
    "逾期": ProcessStatus.OVERDUE,
    "已取消": ProcessStatus.CANCELLED,
    "单位自评中": ProcessStatus.SELF_ASSESSMENT,
    "自评已截止（未上报）": ProcessStatus.SELF_CLOSED,
    "现场抽查": ProcessStatus.SAMPLING,
    "考核评分中": ProcessStatus.SCORING,
    "评分复核中": ProcessStatus.SCORE_REVIEW,
    "按审批意见修改": ProcessStatus.RESCORING,
    "结果已通报": ProcessStatus.RESULTS_PUBLISHED,
}


def by_status(*states: enum.StrEnum) -> dict[ProcessStatus, Any]:
    """A feature's state for each business status code it reads: the ``states`` that stand
    for a process status (their code is its code)."""
    return {ProcessStatus(state.value): state for state in states}


def status_label(code: str | None) -> str:
    """The label of a stored status code ('' for none; an unknown value shown as it is)."""
    if not code:
        return ""
    try:
        return ProcessStatus(code).label
    except ValueError:
        return code


def allowed_codes() -> str:
    """The codes a BPMN may name, for the deploy refusal message."""
    return "、".join(f"{s.value}（{s.label}）" for s in ProcessStatus)
