"""Ledger lists: search, filters, sorting and keyset-free pagination that stays fast.

A page fetches ``per_page + 1`` rows to know whether a next page exists, so listing never runs
a COUNT over the whole subtree; the filters used by the pages are backed by indexes
(org, registration number, dates).  A total is counted only when asked for (``with_total``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from webapp.core.errors import InvalidInput
from webapp.core.models import Org, User
from webapp.extensions import db
from webapp.ledger.fields import Kind
from webapp.ledger.models import AcceptanceResult, FilingResult, Project
from webapp.ledger.operations import scoped_query

MAX_PER_PAGE = 200
#: Deeper pages are refused silently (clamped): a filter finds them faster.
MAX_PAGE = 100_000
#: Project status filter (as of today).
STATUSES = {
    "under_construction": "在建",
    "completed": "已竣工",
    "filed": "已备案",
}


@dataclass
class ListQuery:
    q: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    unit: str = ""  # an org code within the subtree (its whole subtree)
    sort: str = ""
    desc: bool = True
    page: int = 1
    per_page: int = 50
    with_total: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    has_more: bool
    total: int | None = None


def refuse_unknown_filters(kind: Kind, org: Org, query: ListQuery) -> None:
    """For the API: a sort, status or unit the list does not know is refused (422), where the
    page, whose menus offer only known values, ignores it.  A client that asked for one unit
    and silently got its whole subtree would count the wrong rows."""
    sortable = [f.name for f in kind.fields if f.listed]
    if query.sort and query.sort not in sortable:
        raise InvalidInput(f"排序字段“{query.sort}”不存在，可选：{'、'.join(sortable)}。")
    if query.status and (kind.model is not Project or query.status not in STATUSES):
        allowed = "、".join(STATUSES) if kind.model is Project else "（该台账没有状态筛选）"
        raise InvalidInput(f"状态“{query.status}”不存在，可选：{allowed}。")
    if query.unit and query.unit != org.code:
        unit = db.session.execute(select(Org).where(Org.code == query.unit)).scalar_one_or_none()
        if unit is None or not unit.path.startswith(org.path):
            raise InvalidInput(f"筛选单位“{query.unit}”不在{org.name}的范围内。")


def _searchable(kind: Kind) -> list[Any]:
    names = [f.name for f in kind.fields if f.kind == "str" and f.listed][:3]
    return [getattr(kind.model, n) for n in names]


def list_records(
    user: User, kind: Kind, org: Org, query: ListQuery, *, max_per_page: int = MAX_PER_PAGE
) -> Page:
    model = kind.model
    stmt = scoped_query(user, kind, org)
    if query.unit and query.unit != org.code:
        unit = db.session.execute(select(Org).where(Org.code == query.unit)).scalar_one_or_none()
        if unit is not None and unit.path.startswith(org.path):
            stmt = stmt.where(Org.path.like(unit.path + "%"))
    if query.q:
        text = query.q.strip()
        conds = [c.like(f"%{text}%") for c in _searchable(kind)]
        if kind.key[0] == "registration_no":
            conds.insert(0, model.registration_no.like(text + "%"))
        stmt = stmt.where(or_(*conds))
    date_col = getattr(model, kind.date_field)
    if query.date_from:
        stmt = stmt.where(date_col >= query.date_from)
    if query.date_to:
        stmt = stmt.where(date_col <= query.date_to)
    if model is Project and query.status in STATUSES:
        stmt = stmt.where(_status(query.status))
    total = None
    if query.with_total:
        total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    sortable = {f.name for f in kind.fields if f.listed}
    column = getattr(model, query.sort if query.sort in sortable else kind.date_field)
    order = column.desc() if query.desc else column.asc()
    per_page = min(max(query.per_page, 1), max_per_page)
    page = min(max(query.page, 1), MAX_PAGE)
    rows = (
        db.session.execute(
            stmt.order_by(order, model.id.desc() if query.desc else model.id)
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
        )
        .scalars()
        .all()
    )
    return Page(list(rows[:per_page]), page, per_page, len(rows) > per_page, total)


def _status(status: str) -> Any:
    if status == "under_construction":
        return or_(
            Project.acceptance_result.is_(None),
            Project.acceptance_result != AcceptanceResult.PASSED.value,
        )
    if status == "completed":
        return Project.acceptance_result == AcceptanceResult.PASSED.value
    return Project.filing_result == FilingResult.GRANTED.value


def visible_units(org: Org) -> list[Org]:
    """The org and every unit below it, in tree order (filter choices)."""
    return list(
        db.session.execute(
            select(Org).where(Org.path.like(org.path + "%")).order_by(Org.path)
        ).scalars()
    )


@dataclass(frozen=True)
class FrozenReport:
    """An accepted report whose frozen figures already count a ledger record: editing the
    record changes the ledger, not that report (only its 更正 does)."""

    report_id: int
    #: 中原区 · 2026年第三季度 · 季度分析报告
    label: str


#: Who knows which accepted reports count a record (the reports package registers itself in its
#: init_app; the ledger does not import it): (viewer, record) → those the viewer may open.
FrozenReportsSource = Callable[[User, Any], list[FrozenReport]]
_frozen_report_sources: list[FrozenReportsSource] = []


def add_frozen_reports_source(source: FrozenReportsSource) -> None:
    if source not in _frozen_report_sources:
        _frozen_report_sources.append(source)


def frozen_reports(user: User, record: Any) -> list[FrozenReport]:
    """The accepted reports counting ``record`` that ``user`` may open (every source's)."""
    return [found for source in _frozen_report_sources for found in source(user, record)]
