"""Opening a campaign starts its units' self-assessments in one batch: a fixed number of
statements plus a few per unit, counted, never timed (docs/benchmarks.md, "open the campaign").

Before, each of the 28 units' instances was started on its own (654 statements on SQLite):
the definition and the instance looked up again, the unit's org read, an empty task read and a
clearing UPDATE, the holders of its first task and their notice.
"""

from __future__ import annotations

from sqlalchemy import func, select

from tests.periodic.test_open_cost import counted
from webapp.assessment import access
from webapp.core.models import AuditRecord
from webapp.engine.models import HumanTask, Notification, ProcessInstance, WorkflowEvent
from webapp.extensions import db

#: Per unit (the audit chain's statements apart): its row's INSERT, its instance's INSERT
#: (SQLite returns generated ids row by row; PostgreSQL inserts all units in one statement
#: each), the instance's state saved after its first steps and its first task's INSERT.
PER_UNIT = {"sqlite": 4, "postgresql": 2}
#: The fixed part, measured 33 on SQLite (opening the campaign, its own process, its sheet):
#: a little room, never enough for a look-up per unit to hide in it.
FIXED = 40


def test_opening_a_campaign_costs_a_fixed_part_and_a_few_statements_per_unit(
    app, sheets, workflows, province_staff, make_user, monkeypatch
):
    from webapp.assessment.flow import start_campaign

    everyone = access.assessed_units()
    for org in everyone:
        make_user("clerk", org.code)
    db.session.commit()
    admin_id = province_staff["admin"].id
    real = access.assessed_units

    def open_with(year: int, how_many: int | None) -> list[str]:
        monkeypatch.setattr(
            access, "assessed_units", lambda: real()[:how_many] if how_many else real()
        )

        def act() -> object:
            admin = db.session.get(type(province_staff["admin"]), admin_id)
            return start_campaign(admin, "fujian3", year)

        _, statements, _ = counted(act)
        db.session.commit()
        return statements

    few, units = 4, len(everyone)
    small = open_with(2027, few)
    large = open_with(2028, None)
    per_unit = PER_UNIT[db.engine.dialect.name]
    # The difference is the units' own statements, give or take the fixed part's two (the
    # sheet chosen for the year, the transaction's BEGIN); an N+1 (a look-up per unit) would add
    # 24 to it.
    assert abs(len(large) - len(small) - per_unit * (units - few)) <= 2, "\n".join(large)
    assert len(large) <= FIXED + per_unit * units, "\n".join(large)

    def count(model: object, *where: object) -> int:
        return db.session.execute(
            select(func.count()).select_from(model).where(*where)
        ).scalar_one()

    unit_process = ProcessInstance.process_key != "year_end_assessment"
    assert count(ProcessInstance, unit_process) == few + units
    assert count(AuditRecord, AuditRecord.action == "workflow.start") == few + units + 2
    assert count(WorkflowEvent, WorkflowEvent.action == "start") == few + units + 2
    # each unit's first task, its clerk told of it once
    of_units = select(ProcessInstance.id).where(unit_process)
    assert count(HumanTask, HumanTask.instance_id.in_(of_units)) == few + units
    told = db.session.execute(
        select(Notification.user_id).where(
            Notification.kind == "task", Notification.instance_id.in_(of_units)
        )
    ).scalars()
    told = list(told)
    assert len(told) == few + units and len(set(told)) == units
