"""Who may see a report, and who may know that it exists (the answer of a missing report to
everyone else: :func:`webapp.reports.operations.get_report`).  Read by the drafted texts' kind
too, which the operations import."""

from __future__ import annotations

from webapp.core.models import User
from webapp.core.permissions import can
from webapp.reports.models import Report


def can_view(user: User, report: Report) -> bool:
    return can(user, "report.view", report.org)


def may_know(user: User, report: Report) -> bool:
    """Is the report's existence the user's to know: they read it, or its accepted summary as
    a peer, or open the periods (administrators follow every unit's board)."""
    return can_view(user, report) or can_view_summary(user, report) or can(user, "report.open")


def can_view_summary(user: User, report: Report) -> bool:
    """Peers (第七条 互访) read an accepted report's summary tables, never drafts or narratives."""
    return report.accepted_snapshot is not None and can(user, "summary.view", report.org)
