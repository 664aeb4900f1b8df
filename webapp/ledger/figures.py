"""The complaints ledger's figures for a period: what section (9) of the report (工程质量事故及
投诉情况) and 附件3 1.7 (工程质量投诉和复议) read, computed in SQL over the unit's subtree."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from webapp.core.models import Org
from webapp.extensions import db
from webapp.ledger.models import OVERTURNED, Complaint


@dataclass(frozen=True)
class ComplaintFigures:
    """Complaints of a unit's subtree in [start, end]."""

    #: 本期受理
    received: int = 0
    #: 本期办结 (closed within the period, whenever received)
    closed: int = 0
    #: 期末未办结 (received by the end, not closed by it)
    open_at_end: int = 0
    #: 处理决定被复议机关、审判机关确认违法、撤销或变更 (among those closed in the period)
    overturned: int = 0

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ComplaintFigures:
        return cls(**{k: int(v) for k, v in (data or {}).items() if k in cls.__dataclass_fields__})

    @property
    def sentence(self) -> str:
        """The figures as a sentence of the report (section 9)."""
        text = (
            f"本期受理工程质量投诉 {self.received} 件，办结 {self.closed} 件，"
            f"期末尚未办结 {self.open_at_end} 件"
        )
        if self.overturned:
            text += f"；{self.overturned} 件投诉处理决定被复议机关或审判机关确认违法、撤销或变更"
        return text + "。"


def complaint_figures(org: Org, start: date, end: date) -> ComplaintFigures:
    """The complaints supervised by ``org`` or any unit below it, for the days [start, end]."""
    c = Complaint

    def n(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    closed_in = c.closed_on.between(start, end)
    row = db.session.execute(
        select(
            n(c.received_on.between(start, end)),
            n(closed_in),
            n(and_(c.received_on <= end, or_(c.closed_on.is_(None), c.closed_on > end))),
            n(and_(closed_in, c.review_outcome.in_([o.value for o in OVERTURNED]))),
        )
        .join(Org, c.org_id == Org.id)
        .where(Org.path.like(org.path + "%"))
    ).one()
    return ComplaintFigures(*(int(v) for v in row))


def review_outcomes(org: Org, start: date, end: date) -> tuple[int, int]:
    """附件3 1.7: (complaints closed in [start, end] in the subtree, of which overturned)."""
    figures = complaint_figures(org, start, end)
    return figures.closed, figures.overturned
