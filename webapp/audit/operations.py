"""Audited reads of the audit trail: exports and anchors leave the system, so they are recorded.

Like every operation they take the acting user explicitly, flush and never commit.  Reading
the trail on screen is not recorded (it would drown the trail in its own reading).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webapp.audit import export, search
from webapp.audit.anchor import Anchor, chain_head
from webapp.core import audit
from webapp.core.errors import InvalidInput
from webapp.core.models import User
from webapp.core.permissions import require

#: Largest export, for CSV and Excel alike (Excel's own limit is about a million rows).
EXPORT_MAX_ROWS = 100_000
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ExportPlan:
    """What an export will contain: the filter, the records up to ``upto``, ``rows`` of them."""

    filter: search.AuditFilter
    fmt: str
    upto: int
    #: The hash of record ``upto``: the chain head the export states in its summary row.
    upto_hash: str
    rows: int

    def summary(self) -> list[Any]:
        """The export's last row (``export.summary_row``)."""
        return export.summary_row(self.upto, self.upto_hash, self.rows, self.filter.describe())


def plan_export(actor: User, flt: search.AuditFilter, fmt: str) -> ExportPlan:
    """Check, count and record an export; the caller then writes the records up to ``upto``.

    The export is a snapshot: records written after this point (its own record included) are
    not in it, so the file has exactly the ``rows`` the audit record states.
    """
    require(actor, "audit.view")
    if fmt not in FORMATS:
        raise InvalidInput("导出格式只能是 CSV 或 Excel。")
    upto, upto_hash = search.head()
    rows, more = search.count(flt, cap=EXPORT_MAX_ROWS, upto=upto)
    if more:
        raise InvalidInput(
            f"符合条件的记录超过 {EXPORT_MAX_ROWS} 条，请缩小时间范围或增加筛选条件后再导出。"
        )
    audit.record(
        "audit.export",
        actor=actor,
        object_type="audit_record",
        after={
            "format": fmt,
            "filters": flt.describe(),
            "rows": rows,
            "upto_id": upto,
            "upto_hash": upto_hash,
        },
        message=f"导出审计日志 {rows} 条（{fmt.upper()}）",
    )
    return ExportPlan(filter=flt, fmt=fmt, upto=upto, upto_hash=upto_hash, rows=rows)


def take_anchor(actor: User | None) -> Anchor:
    """The chain head for safekeeping; recorded (by the system when run from the CLI)."""
    if actor is not None:
        require(actor, "audit.view")
    head = chain_head()
    audit.record(
        "audit.anchor",
        actor=actor,  # None: the system (the CLI)
        object_type="audit_record",
        object_id=head.id,
        after={"anchor": {"id": head.id, "hash": head.hash, "records": head.records}},
        message=f"导出审计锚点：记录 id={head.id}",
    )
    return head
