"""A report's state, derived from its process instance's business status (set by the BPMN)."""

from __future__ import annotations

from webapp.reports.models import STATUS_TO_STATE, Report, ReportState


def instance_status(report: Report) -> str | None:
    if report.instance_id is None:
        return None
    from webapp.engine import instance_business_status

    return instance_business_status(report.instance_id)


def report_state(report: Report, status: str | None = None) -> ReportState:
    """not_started … accepted; overdue while late and not yet submitted up."""
    if report.instance_id is None:
        return ReportState.NOT_STARTED
    status = status if status is not None else instance_status(report)
    if report.locked:
        return ReportState.ACCEPTED
    state = STATUS_TO_STATE.get(status or "", ReportState.DRAFTING)
    if state == ReportState.ACCEPTED and not report.locked:
        state = ReportState.SUBMITTED
    if report.overdue_at is not None and state in (
        ReportState.DRAFTING,
        ReportState.RETURNED,
        ReportState.IN_REVIEW,
    ):
        return ReportState.OVERDUE
    return state
