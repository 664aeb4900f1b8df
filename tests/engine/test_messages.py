from __future__ import annotations

from tests.engine.conftest import open_task
from webapp.core.models import AuditRecord
from webapp.engine import complete_task
from webapp.engine.models import ProcessInstance, WorkflowMessage
from webapp.extensions import db


def test_a_county_submission_reaches_the_city_instance(start, make_user):
    clerk = make_user("clerk", "410102")
    city = start("msg_receiver", "410100", business_key="upper:410100")
    county = start("msg_sender", "410102", data={"parent_code": "410100"})
    complete_task(clerk, open_task(county).id, "submit")
    db.session.commit()
    task = open_task(city)
    assert task.element_id == "review_county" and task.candidate_org.code == "410100"
    received = db.session.get(ProcessInstance, city.id).data["submission"]
    assert received == {"target": "upper:410100", "county": "410102"}
    message = db.session.query(WorkflowMessage).one()
    assert message.delivered_at is not None and message.receiver_instance_id == city.id
    # The receiver's step is on the audit trail, under the receiving unit.
    [record] = db.session.query(AuditRecord).filter_by(action="workflow.message").all()
    assert (record.org_code, record.object_id, record.actor_name) == (
        "410100",
        str(city.id),
        "system",
    )
    assert record.after == {
        "message": message.name,
        "from_instance": county.id,
        "business_key": "upper:410100",
    }


def test_a_message_waits_until_the_receiver_exists(start, make_user):
    clerk = make_user("clerk", "410102")
    county = start("msg_sender", "410102", data={"parent_code": "410100"})
    complete_task(clerk, open_task(county).id, "submit")
    db.session.commit()
    assert db.session.query(WorkflowMessage).one().delivered_at is None
    city = start("msg_receiver", "410100", business_key="upper:410100")
    assert open_task(city).element_id == "review_county"
    assert db.session.query(WorkflowMessage).one().delivered_at is not None
