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


class ProcessStatus(enum.StrEnum):
    DRAFTING = "drafting"  #: 填报中 (a report; 拟稿中 for a public report)
    RETURNED = "returned"  #: 已退回
    IN_REVIEW = "in_review"  #: 审核中
    SUBMITTED = "submitted"  #: 已上报
    ACCEPTED = "accepted"  #: 已接收
    AWAITING_APPROVAL = "awaiting_approval"  #: 待领导审批
    PUBLISHED = "published"  #: 已公开
    WITHDRAWAL_REQUESTED = "withdrawal_requested"  #: 撤回审批中
    WITHDRAWN = "withdrawn"  #: 已撤回
    OVERDUE = "overdue"  #: 逾期
    CANCELLED = "cancelled"  #: 已取消
    SELF_ASSESSMENT = "self_assessment"  #: 单位自评中
    SELF_CLOSED = "self_closed"  #: 自评已截止（未上报）
    SAMPLING = "sampling"  #: 现场抽查
    SCORING = "scoring"  #: 考核评分中
    SCORE_REVIEW = "score_review"  #: 评分复核中
    RESCORING = "rescoring"  #: 按审批意见修改
    RESULTS_PUBLISHED = "results_published"  #: 结果已通报
    ACCIDENT_REPORTING = "accident_reporting"  #: 事故逐级上报中
    ACCIDENT_REPORTED = "accident_reported"  #: 事故已上报

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[ProcessStatus, str] = {
    ProcessStatus.DRAFTING: "填报中",
    ProcessStatus.RETURNED: "已退回",
    ProcessStatus.IN_REVIEW: "审核中",
    ProcessStatus.SUBMITTED: "已上报",
    ProcessStatus.ACCEPTED: "已接收",
    ProcessStatus.AWAITING_APPROVAL: "待领导审批",
    ProcessStatus.PUBLISHED: "已公开",
    ProcessStatus.WITHDRAWAL_REQUESTED: "撤回审批中",
    ProcessStatus.WITHDRAWN: "已撤回",
    ProcessStatus.OVERDUE: "逾期",
    ProcessStatus.CANCELLED: "已取消",
    ProcessStatus.SELF_ASSESSMENT: "单位自评中",
    ProcessStatus.SELF_CLOSED: "自评已截止（未上报）",
    ProcessStatus.SAMPLING: "现场抽查",
    ProcessStatus.SCORING: "考核评分中",
    ProcessStatus.SCORE_REVIEW: "评分复核中",
    ProcessStatus.RESCORING: "按审批意见修改",
    ProcessStatus.RESULTS_PUBLISHED: "结果已通报",
    ProcessStatus.ACCIDENT_REPORTING: "事故逐级上报中",
    ProcessStatus.ACCIDENT_REPORTED: "事故已上报",
}

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
