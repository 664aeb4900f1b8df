"""A report's state, derived from its process instance's business status (set by the BPMN)."""

from __future__ import annotations

from webapp.periodic.state import StateModel, instance_status
from webapp.reports.models import STATUS_TO_STATE, Report, ReportState

#: Codes → states; the unit may still change its data and narrative while drafting, returned
#: or overdue (an overdue report is one of those, past its due time).
STATES = StateModel(
    by_status=STATUS_TO_STATE,
    default=ReportState.DRAFTING,
    editable=(ReportState.DRAFTING, ReportState.RETURNED, ReportState.OVERDUE),
)


def report_state(report: Report, status: str | None = None) -> ReportState:
    """not_started … accepted; overdue while late and not yet submitted up."""
    if report.instance_id is None:
        return ReportState.NOT_STARTED
    status = status if status is not None else instance_status(report.instance_id)
    if report.locked:
        return ReportState.ACCEPTED
    state = STATES.of_status(status)
    if state == ReportState.ACCEPTED and not report.locked:
        state = ReportState.SUBMITTED
    if report.overdue_at is not None and state in (
        ReportState.DRAFTING,
        ReportState.RETURNED,
        ReportState.IN_REVIEW,
    ):
        return ReportState.OVERDUE
    return state


def editable(report: Report) -> bool:
    """The unit may still change its data and narrative (drafting or returned)."""
    return not report.locked and STATES.is_editable(report_state(report))
