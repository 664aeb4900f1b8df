"""Opening a period costs a fixed number of statements plus a few per unit: counted, never
timed (docs/benchmarks.md, "open a quarter, 62 units").

Per unit only what the unit must have is written: its document, its instance, the instance's
steps saved and its first task (on PostgreSQL the two INSERTs of the documents and of the
instances are one statement each, however many units).  The definition, the existing documents
and instances, the history lines and the holders of the first tasks are read or written once
for all units.  Before (issue: the slow requests), each unit cost ~18 statements: the
definition and its instance looked up again, each report found one by one, the plan's read and
a clearing UPDATE of an instance that had no task or notice yet, its own holders and notice.

The audit chain's own statements (its head read, locked on PostgreSQL, and the records'
INSERT) are counted apart: how they are written is the audit core's business; that each state
change has its one record is checked here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, func, select

from tests.conftest import ROOT
from webapp.core.models import AuditRecord, Org
from webapp.engine import deploy_bpmn
from webapp.engine.models import HumanTask, Notification, ProcessInstance, WorkflowEvent
from webapp.extensions import db

#: Statements per opened unit (the audit chain's apart), by database: the document's and the
#: instance's INSERT (SQLite returns generated ids row by row; PostgreSQL inserts all units in
#: one statement), the instance's state saved after its first steps, its first task's INSERT.
PER_UNIT = {"sqlite": 4, "postgresql": 2}
#: The fixed part: measured 11 (quarter) and 12 (half year: its figures' look-up) on either
#: database; a little room, never enough for a look-up per unit to hide in it.
FIXED = 16


def per_unit() -> int:
    return PER_UNIT[db.engine.dialect.name]


def counted(action: Callable[[], Any]) -> tuple[Any, list[str], list[str]]:
    """What ``action`` returns, its statements apart from the audit chain's, and those."""
    statements: list[str] = []
    chain: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        text = statement.lower()
        audit_chain = "audit_record" in text or "audit_head" in text
        (chain if audit_chain else statements).append(statement)

    db.session.expunge_all()  # the request starts from nothing, as in production
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = action()
        db.session.commit()  # the audit chain is linked and written at commit
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return result, statements, chain


def _deploy(*names: str) -> None:
    for name in names:
        deploy_bpmn(None, None, (ROOT / "workflows" / name).read_bytes())
    db.session.commit()


def _count(model: Any, *where: Any) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


OPENINGS = {
    # feature: (BPMN files, module, its units function, period at few units, at all units)
    "reports": (
        ("quarterly_report.bpmn",),
        "webapp.reports.operations",
        "reporting_units",
        "2027Q1",
        "2027Q2",
    ),
    "publication": (
        ("publication.bpmn",),
        "webapp.publication.operations",
        "publishing_units",
        "2027H1",
        "2027H2",
    ),
}


@pytest.mark.parametrize("feature", sorted(OPENINGS))
def test_opening_a_period_costs_a_fixed_part_and_a_few_statements_per_unit(
    feature, make_user, monkeypatch
):
    import importlib

    files, module_name, units_name, few_period, all_period = OPENINGS[feature]
    module = importlib.import_module(module_name)
    _deploy(*files)
    real_units = getattr(module, units_name)
    everyone = real_units() if feature == "publication" else real_units(_quarterly())
    for org in everyone:
        make_user("clerk", org.code)
    db.session.commit()
    process_key = module.PROCESS_KEY

    def open_with(period: str, how_many: int | None) -> tuple[dict, list[str], list[str]]:
        def units(*args: Any) -> list[Org]:
            found = real_units(*args)
            return found[:how_many] if how_many is not None else found

        monkeypatch.setattr(module, units_name, units)
        result = counted(lambda: module.open_period(None, period))
        db.session.commit()
        return result

    few = 5
    small, small_statements, small_chain = open_with(few_period, few)
    large, large_statements, large_chain = open_with(all_period, None)
    units = len(everyone)
    assert small["opened"] == few and large["opened"] == units > 50
    listing = "\n".join(large_statements)
    # The difference between the two openings is the units' own statements: an N+1 (a look-up
    # per unit) would add at least one statement per unit to it.
    assert len(large_statements) - len(small_statements) == per_unit() * (units - few), listing
    assert len(large_statements) <= FIXED + per_unit() * units, listing
    # One audit record per unit's start and one for the period, nothing more.
    records = _count(AuditRecord, AuditRecord.action == "workflow.start")
    assert records == few + units
    action = {"reports": "report", "publication": "publication"}[feature] + ".open_period"
    assert _count(AuditRecord, AuditRecord.action == action) == 2
    # Every unit has its instance, its first task, its start in the history and one notice
    # per clerk; the instances started from the rows' own keys.
    instances = _count(ProcessInstance, ProcessInstance.process_key == process_key)
    assert instances == few + units
    assert _count(HumanTask) == few + units
    assert _count(WorkflowEvent, WorkflowEvent.action == "start") == few + units
    assert _count(Notification, Notification.kind == "task") == few + units
    told = db.session.execute(select(Notification.user_id, Notification.task_id)).all()
    assert len({user for user, _ in told}) == units  # each clerk told of their own unit's

    # Opening again starts nothing, and costs the same however many units there are.
    again, again_statements, _ = open_with(all_period, None)
    assert again == {**large, "opened": 0, "existing": units}
    assert len(again_statements) <= 4, "\n".join(again_statements)
    # ... and records nothing: an opening that opened no unit changed nothing
    assert _count(AuditRecord, AuditRecord.action == action) == 2
    assert _count(ProcessInstance, ProcessInstance.process_key == process_key) == instances
    assert small_chain and large_chain  # the audit chain was written (counted apart)


def _quarterly() -> Any:
    from webapp.reports.models import ReportKind

    return ReportKind.QUARTERLY


def test_a_unit_whose_document_exists_without_an_instance_gets_one(make_user, monkeypatch):
    """A report row left without an instance (opened before the process was deployed, or by an
    import) is found with the others and started, not created again."""
    from webapp.reports import operations
    from webapp.reports.models import Report, ReportKind
    from webapp.stats.compute import parse_period

    _deploy("quarterly_report.bpmn")
    org = operations.reporting_units(ReportKind.QUARTERLY)[3]
    row = operations._new_report(None, org, parse_period("2026Q3"), ReportKind.QUARTERLY)
    db.session.commit()
    counts = operations.open_period(None, "2026Q3")
    db.session.commit()
    assert counts["existing"] == 0 and counts["opened"] == len(
        operations.reporting_units(ReportKind.QUARTERLY)
    )
    assert _count(Report, Report.org_id == org.id) == 1
    db.session.refresh(row)
    instance = db.session.get(ProcessInstance, row.instance_id)
    assert instance.business_key == row.business_key and instance.org_id == org.id
