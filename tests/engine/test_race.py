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


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
)
def test_two_workers_never_fire_a_timer_twice(app, start, make_user):
    from datetime import datetime, timedelta

    from webapp.core import clock
    from webapp.engine import run_timers
    from webapp.engine.models import Notification

    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=clock.UTC)
    clock.set_now(t0)
    make_user("reviewer", "410102")
    for i in range(6):
        start("timers", "410102", business_key=f"timers:{i}")
    clock.set_now(t0 + timedelta(days=1, minutes=1))
    barrier = threading.Barrier(2)
    fired: list[int] = []

    def worker() -> None:
        with app.app_context():
            write_intent.set(True)
            try:
                barrier.wait()
                fired.append(run_timers()["instances"])
                db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    db.session.expire_all()
    assert sum(fired) == 6
    assert db.session.query(Notification).filter_by(kind="reminder").count() == 6
