"""Read models of the report pages: one dataclass per page, built by one function.

The HTML page renders it and the API returns it through its marshmallow schema (which reads the
same attributes), so a report looks the same in both and its figures, problems and versions are
assembled once.  Nothing here queries the engine's tables: open tasks come from
``webapp.engine.open_tasks``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from webapp.archive.models import ArchivedDocument
from webapp.core.errors import PermissionDenied
from webapp.core.models import Org, User
from webapp.core.operations import get_org
from webapp.core.permissions import can
from webapp.core.rows import from_model
from webapp.drafts import operations as drafts
from webapp.extensions import db
from webapp.reports import operations as ops
from webapp.reports.board import BoardRow, board_rows
from webapp.reports.document import accidents_of, complaints_of, meeting_of, section9_sentence
from webapp.reports.drafting import EXPLANATIONS, NARRATIVE
from webapp.reports.models import Report, ReportState
from webapp.reports.readiness import (
    SupersededUnit,
    data_problems,
    editable,
    figures,
    min_explanation,
    narrative_problems,
    superseded_lower_units,
)
from webapp.reports.sections import sections
from webapp.reports.staleness import OutdatedSection, outdated_problems, outdated_sections
from webapp.reports.state import report_state
from webapp.stats import registry
from webapp.stats.checks import CORRECT_PREVIOUS
from webapp.stats.compute import parse_period


def viewable_report(user: User, report_id: int, *, summary: bool = False) -> Report:
    """The report, if ``user`` may read it (with ``summary``: or only its accepted summary
    tables, as a peer may); 403 to a peer who sees only those, and to anyone who may not see the
    report at all the answer of a missing one (:func:`ops.get_report`)."""
    report = ops.get_report(report_id, user)
    if not ops.can_view(user, report) and not (summary and ops.can_view_summary(user, report)):
        raise PermissionDenied("您无权查看该报告。")
    return report


@dataclass(frozen=True)
class Link:
    """Where a message sends the user: a page (endpoint and its arguments), perhaps one of its
    tabs (``anchor``, e.g. ``#tab-docs``), under a Chinese label."""

    label: str
    endpoint: str
    args: dict[str, Any]
    anchor: str = ""


def check_links(user: User, report: Report, checks: list[dict[str, Any]]) -> list[list[Link]]:
    """For each check, in order, the pages where what its message asks is done (those the user
    may open): 更正 of the previous period's report of each unit the check names."""
    return action_links(user, report.org, report.period, report.kind, checks)


def action_links(
    user: User, unit: Org, period: str, kind: str, checks: list[dict[str, Any]]
) -> list[list[Link]]:
    """:func:`check_links` for figures of ``unit`` and ``period`` wherever they are shown (the
    report page, and the 报表 pages through ``webapp.stats.checks.add_action_links``)."""
    previous = parse_period(period).previous().code
    out: list[list[Link]] = []
    for check in checks:
        links: list[Link] = []
        if check.get("action") == CORRECT_PREVIOUS:
            codes = [r for r in check.get("rows") or [] if r != "total"] or [unit.code]
            for code in codes:
                org = unit if code == unit.code else get_org(code)
                earlier = ops.find_report(org, previous, kind)
                if earlier is None or not ops.can_view(user, earlier):
                    continue
                mine = earlier.org_id == unit.id and can(user, "report.draft", org)
                label = "对上期报告发起更正" if mine else f"查看{org.name}上期报告（由该单位更正）"
                args = {"report_id": earlier.id}
                links.append(Link(label, "reports.report_page", args, "#tab-docs"))
        out.append(links)
    return out


@dataclass(frozen=True)
class ReportRow:
    """A report as lists show it: the API's list items (``ReportSchema``), the unit's own report
    and history, the status board."""

    id: int
    org_code: str
    org_name: str
    period: str
    kind: str
    kind_label: str
    state: ReportState
    state_label: str
    round: int
    instance_id: int | None
    due_at: datetime | None
    submitted_at: datetime | None
    accepted_at: datetime | None
    overdue: bool
    #: returns by the upper level (被上级退回), every round
    upper_returns: int
    #: returns by the unit's own reviewer (本级审核退回), every round: what the board shows beside
    #: ``upper_returns`` (the engine's ``return_counts``)
    review_returns: int


def review_returns(reports: list[Report]) -> dict[int, int]:
    """Report id → returns by its unit's own reviewer over every round (one query)."""
    from webapp.engine import return_counts

    counts = return_counts([key for r in reports for key in r.business_keys])
    return {r.id: sum(counts.get((key, r.org_id), 0) for key in r.business_keys) for r in reports}


def report_rows(reports: list[Report]) -> list[ReportRow]:
    """:func:`report_row` of each, their own reviewers' returns counted in one query."""
    own = review_returns(reports)
    return [report_row(r, own[r.id]) for r in reports]


def report_row(report: Report, own_returns: int | None = None) -> ReportRow:
    state = report_state(report)
    org = report.org
    if own_returns is None:
        own_returns = review_returns([report])[report.id]
    return from_model(
        ReportRow,
        report,
        org_code=org.code,
        org_name=org.name,
        kind_label=report.kind_enum.label,
        state=state,
        state_label=state.label,
        overdue=report.overdue_at is not None,
        review_returns=own_returns,
    )


@dataclass(frozen=True)
class ReportListPage:
    """The 报表 section's page for one period: the unit's report, its history, the board."""

    mine: ReportRow | None
    history: list[ReportRow]
    board: list[BoardRow]


def report_list_page(user: User, period: str, kind: str) -> ReportListPage:
    org = user.org
    # Administrators (who open periods here) and auditors see the page, not the reports.
    if not can(user, "report.view", org):
        return ReportListPage(mine=None, history=[], board=[])
    mine = ops.find_report(org, period, kind)
    history = db.session.execute(
        select(Report).where(Report.org_id == org.id).order_by(Report.period.desc())
    ).scalars()
    return ReportListPage(
        mine=report_row(mine) if mine is not None else None,
        history=report_rows(list(history)),
        board=board_rows(org, period),
    )


@dataclass(frozen=True)
class ReportPage(ReportRow):
    """One report: the workspace page and ``GET /api/v1/reports/<id>`` (``ReportDetailSchema``
    reads the row's fields and the properties below)."""

    report: Report
    #: a peer's view (同级互访): the accepted summary tables only
    summary_only: bool
    data: dict[str, Any]
    live: bool
    problems: list[str]
    narrative_versions: dict[str, int]
    explanation_versions: dict[str, int]
    sections: list[dict[str, str]]
    #: the open tasks the user may work on
    tasks: list[Any]
    #: lower units whose accepted figures changed after this frozen report took its rows
    superseded: list[SupersededUnit]
    #: why the report came back, while it is being answered (engine ``ReturnNote``; None: not)
    returned: Any
    can_edit: bool
    can_correct: bool
    can_extend: bool
    can_reuse: bool
    period_label: str
    summary_spec: registry.TableSpec
    list_specs: list[registry.TableSpec]
    #: characters an explanation needs (the setting REPORT_MIN_EXPLANATION)
    explanation_min_chars: int
    #: for each of ``data["checks"]``, the pages where what its message asks is done
    check_links: list[list[Link]]
    #: whether the user may open the unit's ledger (where a check's error is fixed)
    can_view_ledger: bool
    #: narrative sections whose generated draft's figures the tables no longer give (blocking
    #: ones are among ``problems`` too); the clerk's and the reviewer's view
    outdated: list[OutdatedSection]

    def outdated_of(self, section: str) -> OutdatedSection | None:
        return next((o for o in self.outdated if o.section == section), None)

    @property
    def tables(self) -> dict[str, Any]:
        return self.data["tables"]

    @property
    def checks(self) -> list[dict[str, Any]]:
        return self.data["checks"]

    @property
    def lower_units(self) -> list[dict[str, Any]]:
        return self.data.get("lower_units", [])

    def links_of(self, check: dict[str, Any]) -> list[Link]:
        """The links of one of ``checks`` (the same dict, as a template's filter hands it)."""
        for index, each in enumerate(self.checks):
            if each is check:
                return self.check_links[index] if index < len(self.check_links) else []
        return []

    @property
    def narrative(self) -> dict[str, str]:
        return dict(self.report.narrative or {})

    @property
    def explanations(self) -> dict[str, str]:
        return dict(self.report.explanations or {})

    @property
    def missing_explanation(self) -> str | None:
        return self.report.missing_explanation

    @property
    def documents(self) -> list[ArchivedDocument]:
        return list(self.report.documents)

    @property
    def frozen(self) -> bool:
        return not self.live

    @property
    def accidents(self) -> dict[str, Any]:
        """Section (9): the period's accidents (附表5/7's 合计)."""
        return accidents_of(self.report, self.data)

    @property
    def complaints(self) -> dict[str, int]:
        """Section (9): the period's complaints from the complaints ledger."""
        return complaints_of(self.report, self.data).to_json()

    @property
    def section9(self) -> str:
        """Section (9)'s figures as the Word document states them."""
        return section9_sentence(self.accidents, complaints_of(self.report, self.data))

    @property
    def meeting(self) -> dict[str, str] | None:
        """第十四条: the quarter's analysis meeting as recorded (frozen once submitted)."""
        return meeting_of(self.report, self.data) if not self.summary_only else None

    @property
    def takes_meeting(self) -> bool:
        """Quarterly reports record the quarter's meeting (第十四条)."""
        return self.report.kind == "quarterly" and not self.summary_only


def report_page(user: User, report: Report, *, summary_only: bool = False) -> ReportPage:
    """The report as ``user`` sees it (the caller has checked that they may)."""
    from webapp.engine import can_work, current_return, open_tasks

    data = figures(report)
    live = editable(report)
    full = not summary_only
    can_edit = live and can(user, "report.draft", report.org)
    tasks = open_tasks(report.instance_id) if report.instance_id is not None else []
    # the frozen narrative is the one under review, compared with the frozen tables
    texts = None if live else data.get("narrative")
    outdated = outdated_sections(report, data, texts) if full else []
    return ReportPage(
        **vars(report_row(report)),
        report=report,
        summary_only=summary_only,
        data=data,
        live=live,
        problems=(
            data_problems(report, data) + narrative_problems(report) + outdated_problems(outdated)
            if full and live
            else []
        ),
        narrative_versions=drafts.current_versions(NARRATIVE, report) if full else {},
        explanation_versions=drafts.current_versions(EXPLANATIONS, report) if full else {},
        sections=[{"key": k, "title": t} for k, t in sections(report.kind)],
        tasks=[t for t in tasks if can_work(user, t)],
        superseded=superseded_lower_units(report, data) if full and not live else [],
        returned=current_return(report.instance_id) if full else None,
        can_edit=can_edit,
        can_correct=report.locked and can(user, "report.draft", report.org),
        can_extend=ops.may_extend(user, report),
        can_reuse=can_edit and bool(ops.previous_narrative(report)),
        period_label=parse_period(report.period).label,
        summary_spec=registry.summary_spec(report.kind),
        list_specs=[s for s in registry.report_tables(report.kind) if s.shape == registry.LIST],
        explanation_min_chars=min_explanation(),
        check_links=check_links(user, report, data["checks"]) if full else [],
        can_view_ledger=can(user, "ledger.view", report.org),
        outdated=outdated,
    )
