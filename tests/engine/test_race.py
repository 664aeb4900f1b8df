"""Completing one task at once, firing one timer at once: one wins, the others get 409 or nothing.

On both databases: PostgreSQL (row versions, ``FOR UPDATE SKIP LOCKED``) and SQLite (writers
queue behind ``BEGIN IMMEDIATE`` and then see the winner's commit).  In-process threads start
their first read only after the barrier, as separate requests would (on SQLite a writer that
read before the barrier would hold the write lock while the others wait at the barrier).
"""

from __future__ import annotations

import threading

import pytest

from tests.conftest import TEST_PASSWORD
from tests.engine.conftest import open_task
from tests.reliability.http import AUTHS, HttpUser
from tests.reliability.server import serving
from webapp.core import audit
from webapp.core.errors import Conflict, PermissionDenied
from webapp.engine import complete_task
from webapp.engine.models import HumanTask, ProcessInstance, WorkflowEvent
from webapp.extensions import db, write_intent


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
                barrier.wait()
                user = db.session.get(type(reviewers[0]), user_id)
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
    db.session.commit()  # end the test's read transaction: see what the workers committed
    assert (
        db.session.query(WorkflowEvent).filter_by(action="complete", task_id=task_id).count() == 1
    )
    accept = (
        db.session.query(HumanTask).filter_by(instance_id=instance.id, element_id="accept").all()
    )
    assert len(accept) == 1
    assert db.session.get(ProcessInstance, instance.id).version == 4  # start, submit, approve


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
    db.session.commit()
    assert sum(fired) == 6
    assert db.session.query(Notification).filter_by(kind="reminder").count() == 6


# Over HTTP: N clients against a real server process (waitress, as in production), each
# authenticated by a bearer token or by a browser session.  The token path used to read the
# database before the edge knew the request would write, so on SQLite its transaction began
# DEFERRED and failed to upgrade ("database is locked", 500) when another writer went first.
CLIENTS = 8


@pytest.mark.parametrize("auth", AUTHS)
def test_eight_clients_completing_one_task_over_http(app, start, make_user, auth):
    reviewers = [make_user("reviewer", "410102", username=f"rev{i}") for i in range(CLIENTS)]
    clerk = make_user("clerk", "410102")
    instance = start("demo_two_tier", "410102")
    complete_task(clerk, open_task(instance).id, "submit", data={"title": "t"})
    db.session.commit()
    task_id = open_task(instance).id
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with serving(url, HQR_TEST_SERVE_THREADS=str(CLIENTS)) as server:
        users = [HttpUser(server.base, r.username, auth).login(TEST_PASSWORD) for r in reviewers]
        barrier = threading.Barrier(CLIENTS)
        answers: list[tuple[int, object]] = []

        def worker(user: HttpUser) -> None:
            barrier.wait()
            body = {"outcome": "approve", "comment": "同意", "data": {}}
            answers.append(user.send("POST", f"/api/v1/tasks/{task_id}/complete", body))

        threads = [threading.Thread(target=worker, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * (CLIENTS - 1), answers
    refusals = [body for status, body in answers if status == 409]
    assert all(isinstance(b, dict) and "message" in b for b in refusals)
    db.session.commit()  # end the test's read transaction: see what the server committed
    assert (
        db.session.query(WorkflowEvent).filter_by(action="complete", task_id=task_id).count() == 1
    )
    accept = (
        db.session.query(HumanTask).filter_by(instance_id=instance.id, element_id="accept").all()
    )
    assert len(accept) == 1
    assert db.session.get(ProcessInstance, instance.id).version == 4  # start, submit, approve
    assert audit.verify_chain().ok
