"""The parallel scoring (a multi-instance sub-process) ends in a server process that did not
create its instances: another gunicorn process, or the same server after a restart.

Found by ``make simulate-year`` (two web processes): the province's process stayed at 考核评分
with every unit's scoring done and no open task.  SpiffWorkflow merges a finished instance into
its multi-instance parent through a signal that it connects on the spec when it creates the
instances (or when it deserializes a spec); the engine keeps parsed specs per process and
serializes states without them, so a process whose spec cache never created the instances did
not merge them.  Clearing the spec cache here is that other process.
"""

from __future__ import annotations

from tests.assessment import flow_helpers as step
from webapp.assessment import flow, judging
from webapp.engine import complete_task
from webapp.engine.definitions import clear_cache
from webapp.extensions import db


def test_scoring_ends_in_a_process_that_did_not_start_it(
    open_campaign, province_staff, ledger_stub
):
    staff = province_staff
    campaign = open_campaign("fujian2", 2026)
    step.close_self(staff["assessor"], campaign)
    step.draw(staff["assessor"], campaign)  # creates the 28 instances of 考核评分
    db.session.commit()
    clear_cache()  # another server process (or a restart) takes over
    for unit in campaign.units:
        judging.score_unit(staff["assessor"], unit.id, {})
    returned = next(u for u in campaign.units if u.org.code == "410300")
    for unit in campaign.units:
        complete_task(staff["assessor"], flow.tasks_by_unit(campaign)[unit.id].id, "done")
    for unit in campaign.units:
        task = flow.tasks_by_unit(campaign)[unit.id]
        if unit.id == returned.id:
            complete_task(staff["reviewer"], task.id, "return", comment="请核对")
        else:
            complete_task(staff["reviewer"], task.id, "approve")
    db.session.commit()
    clear_cache()
    task = flow.tasks_by_unit(campaign)[returned.id]
    assert task.element_id == "score"
    complete_task(staff["assessor"], task.id, "done")
    complete_task(staff["reviewer"], flow.tasks_by_unit(campaign)[returned.id].id, "approve")
    db.session.commit()
    db.session.expire_all()
    assert campaign.state == "ranked", flow.open_tasks(flow.province_instance(campaign))
