"""附表1–4: the record lists of a quarterly submission, as the printed forms define them.

- 附表1 不良行为记录统计表: bad-behaviour records of the subtree dated (记录日期) within the period;
- 附表2 行政处罚记录表: penalties of the subtree dated (时间) within the period;
- 附表3 在建工程明细表: projects in construction at the period end (the 本期在建 of 附表5);
- 附表4 竣工工程明细表: projects whose completion acceptance is dated within the period.
  **Decision**: the form has a 竣工验收结论 column, so 不合格 acceptances are listed too (with
  their conclusion); only the 合格 ones count as 竣工 in 附表5.
  **Decision** (附表4, domain.md §4): also the projects filed (备案) in the period though
  completed earlier, after the period's completions, with 备注 "往期竣工，本期备案", so that the
  list accounts for every project counted in 附表5's 备案 column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, or_, select

from webapp.core.models import Org
from webapp.extensions import db
from webapp.ledger.fields import KINDS, display
from webapp.ledger.models import AdministrativePenalty, BadBehaviourRecord, Project
from webapp.stats.figures import Heading, ListTable
from webapp.stats.periods import Period
from webapp.stats.tables import group_conditions

#: The project columns 附表3 and 附表4 open with.
PROJECT_COLUMNS = (
    "registration_no",
    "name",
    "structure_type",
    "area_m2",
    "cost_10k_yuan",
    "contractor",
    "supervisor",
)
#: Columns of each list, in the order of the printed form (field names of the ledger).
COLUMNS: dict[int, tuple[str, ...]] = {
    1: (
        "record_no",
        "project_name",
        "responsible_unit",
        "unit_type",
        "person_name",
        "person_title",
        "fact",
        "clause",
        "recorder",
        "recorded_on",
        "approver",
        "approved_on",
    ),
    2: (
        "record_no",
        "project_name",
        "responsible_unit",
        "decided_on",
        "violation",
        "legal_basis",
        "penalty",
        "penalty_status",
        "handling_status",
    ),
    3: (*PROJECT_COLUMNS, "progress", "remarks"),
    4: (
        *PROJECT_COLUMNS,
        "accepted_on",
        "acceptance_result",
        "filed_on",
        "filing_result",
        "remarks",
    ),
}
#: 附表4's 备注 of a project filed in the period though completed (竣工验收) before it.
FILED_EARLIER = "往期竣工，本期备案"
_KIND_OF = {1: "bad_records", 2: "penalties", 3: "projects", 4: "projects"}


def column_labels(n: int) -> list[str]:
    kind = KINDS[_KIND_OF[n]]
    return [kind.field(c).label for c in COLUMNS[n]]


def records(n: int, org: Org, period: Period) -> ListTable:
    """附表n (1–4) of ``org``'s subtree for ``period``."""
    kind = KINDS[_KIND_OF[n]]
    model = kind.model
    stmt = select(model).join(Org, model.org_id == Org.id).where(Org.path.like(org.path + "%"))
    if n == 1:
        stmt = stmt.where(
            BadBehaviourRecord.recorded_on.between(period.start, period.end)
        ).order_by(BadBehaviourRecord.recorded_on, BadBehaviourRecord.record_no)
    elif n == 2:
        stmt = stmt.where(
            AdministrativePenalty.decided_on.between(period.start, period.end)
        ).order_by(AdministrativePenalty.decided_on, AdministrativePenalty.record_no)
    elif n == 3:
        stmt = stmt.where(group_conditions(period)["under_construction"]).order_by(
            Org.path, Project.registration_no
        )
    else:
        completed_now = Project.accepted_on.between(period.start, period.end)
        filed_now = group_conditions(period)["filed"]
        stmt = stmt.where(or_(completed_now, filed_now)).order_by(
            case((completed_now, 0), else_=1), Project.accepted_on, Project.registration_no
        )
    rows = []
    for i, record in enumerate(db.session.execute(stmt).scalars(), start=1):
        row: dict[str, object] = {"seq": i, "org_code": record.org.code}
        for name in COLUMNS[n]:
            row[name] = display(kind.field(name), getattr(record, name))
        if n == 4 and not (
            record.accepted_on is not None and period.start <= record.accepted_on <= period.end
        ):
            row["remarks"] = "；".join(filter(None, [FILED_EARLIER, str(row["remarks"] or "")]))
        rows.append(row)
    return ListTable(
        Heading(n, org.code, org.name, period.code, period.label),
        tuple(zip(COLUMNS[n], column_labels(n), strict=True)),
        tuple(rows),
    )


def list_table(n: int, org: Org, period: Period) -> dict[str, Any]:
    """:func:`records` in its JSON shape."""
    return records(n, org, period).to_json()
