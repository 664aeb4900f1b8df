"""Two requests completing the same task at once: one succeeds, one gets 409 (PostgreSQL)."""

from __future__ import annotations

import os
import threading

import pytest

from tests.engine.conftest import open_task
from webapp.core.errors import Conflict, PermissionDenied
from webapp.engine import complete_task
from webapp.engine.models import HumanTask, ProcessInstance, WorkflowEvent
from webapp.extensions import db, write_intent

pytestmark = pytest.mark.postgres


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
)
def test_two_concurrent_completions_one_success_one_conflict(app, start, make_user):
    reviewers = [make_user("reviewer", "410102", username=f"rev{i}") for i in range(2)]
    clerk = make_user("clerk", "410102")
    instance = start("demo_two_tier", "410102")
    complete_task(clerk, open_task(instance).id, "submit", data={"title": "t"})
    db.session.commit()
    task_id = open_task(instance).id
    user_ids = [r.id for r in reviewers]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def worker(user_id: int) -> None:
        with app.app_context():
            write_intent.set(True)
            try:
                user = db.session.get(type(reviewers[0]), user_id)
                barrier.wait()
                complete_task(user, task_id, "approve", "同意")
                db.session.commit()
                results.append("ok")
            except (Conflict, PermissionDenied) as err:
                db.session.rollback()
                results.append(f"{err.status_code}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["409", "ok"]
    db.session.expire_all()
    assert (
        db.session.query(WorkflowEvent).filter_by(action="complete", task_id=task_id).count() == 1
    )
    accept = (
        db.session.query(HumanTask).filter_by(instance_id=instance.id, element_id="accept").all()
    )
    assert len(accept) == 1
    assert db.session.get(ProcessInstance, instance.id).version == 4  # start, submit, approve
