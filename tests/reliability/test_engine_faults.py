"""Engine faults: a parallel join reached from both branches at once, a script that fails.

SpiffWorkflow keeps the whole instance in memory and does no locking: two requests completing
the two branches of a parallel gateway at the same moment could each see the other branch
still open (the join never fires) or both fire it.  The engine saves with a version check, so
one of two concurrent steps is refused with 409 and redone on fresh state (SQLite queues the
writers instead): the join fires exactly once.  A script that fails half-way leaves nothing of
its in-memory changes in the saved instance.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.reliability.server import serving
from webapp.core.errors import Conflict
from webapp.core.models import User
from webapp.engine import complete_task, deploy_bpmn, start_instance
from webapp.engine.models import HumanTask, ProcessInstance, WorkflowEvent
from webapp.engine.queries import current_tasks
from webapp.extensions import db, write_intent

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _tasks(instance_id: int) -> dict[str, HumanTask]:
    db.session.expire_all()
    tasks = current_tasks(db.session.get(ProcessInstance, instance_id))
    return {t.element_id: t for t in tasks}


def test_parallel_join_completed_from_both_branches_at_once_fires_once(app, org, make_user):
    deploy_bpmn(None, None, (FIXTURES / "parallel_join.bpmn").read_bytes())
    clerk, reviewer = make_user("clerk", "410102"), make_user("reviewer", "410102")
    make_user("leader", "410102")
    instance = start_instance(None, "parallel_join", org("410102"), "join-1", {"joined": 0})
    db.session.commit()
    open_now = _tasks(instance.id)
    assert set(open_now) == {"left", "right"}
    work = [(clerk.id, open_now["left"].id), (reviewer.id, open_now["right"].id)]
    barrier = threading.Barrier(2)
    first: list[str] = []
    final: list[str] = []

    def branch(user_id: int, task_id: int) -> None:
        with app.app_context():
            write_intent.set(True)
            for attempt in range(3):  # a user refused with 409 refreshes and tries again
                try:
                    if attempt == 0:
                        barrier.wait()
                    complete_task(db.session.get(User, user_id), task_id, "approve")
                    db.session.commit()
                    outcome = "ok"
                except Conflict:
                    db.session.rollback()
                    outcome = "409"
                finally:
                    db.session.remove()
                if attempt == 0:
                    first.append(outcome)
                if outcome == "ok":
                    final.append(outcome)
                    return

    threads = [threading.Thread(target=branch, args=pair) for pair in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(first) in (["409", "ok"], ["ok", "ok"])  # PostgreSQL / SQLite's queue
    assert final == ["ok", "ok"]
    db.session.rollback()  # end the test's own read snapshot (SQLite WAL)
    after = (
        db.session.execute(
            select(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.element_id == "after"
            )
        )
        .scalars()
        .all()
    )
    assert len(after) == 1 and after[0].state == "ready"
    saved = db.session.get(ProcessInstance, instance.id)
    assert saved.data["joined"] == 1  # the script behind the join ran once
    completions = (
        db.session.execute(
            select(WorkflowEvent.element_id).where(
                WorkflowEvent.instance_id == instance.id, WorkflowEvent.action == "complete"
            )
        )
        .scalars()
        .all()
    )
    assert sorted(completions) == ["left", "right"]


def _failing_script_process() -> bytes:
    return """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="x">
  <bpmn:process id="half_script" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="L" name="clerk@self">
      <bpmn:flowNodeRef>submit</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="submit" name="提交">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="generic.approval" />
        <spiffworkflow:property name="outcomes" value="submit:提交" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:scriptTask id="script" name="计算">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>half_written = "partial"
total = 1 / divisor</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="submit" />
    <bpmn:sequenceFlow id="f2" sourceRef="submit" targetRef="script" />
    <bpmn:sequenceFlow id="f3" sourceRef="script" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_a_failing_script_never_has_its_partial_state_saved(org, make_user):
    deploy_bpmn(None, None, _failing_script_process())
    clerk = make_user("clerk", "410102")
    instance = start_instance(None, "half_script", org("410102"), "half-1", {"divisor": 0})
    db.session.commit()
    before_version = instance.version
    complete_task(clerk, _tasks(instance.id)["submit"].id, "submit")
    db.session.commit()
    db.session.expire_all()
    failed = db.session.get(ProcessInstance, instance.id)
    assert failed.state == "error" and "script" in failed.error
    assert failed.version == before_version + 1  # the checkpoint (submit done) was saved
    assert "half_written" not in failed.data and "total" not in failed.data
    state = json.loads(failed.state_json)
    assert "partial" not in json.dumps(state)  # not in any task's data either


def _post(url: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _get(url: str) -> float:
    t0 = time.monotonic()
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
    return time.monotonic() - t0


def test_a_runaway_script_under_waitress_is_killed_while_the_server_keeps_answering(
    app, org, make_user, api_token
):
    """The real server (waitress threads, as `make run` serves): a completion whose script
    catches every limit it can see is killed by the worker's CPU timer; meanwhile the same
    server answers other requests, and afterwards runs a normal script (a fresh worker)."""
    runaway = (
        "n = 0\ntry:\n    while True:\n        n = n + 1\nexcept:\n    pass\n"
        "while True:\n    n = n + 1"
    )
    content = (
        _failing_script_process()
        .replace(b'half_written = "partial"\ntotal = 1 / divisor', runaway.encode())
        .replace(b'id="half_script"', b'id="runaway_script"')
    )
    deploy_bpmn(None, None, content)
    deploy_bpmn(None, None, _failing_script_process())
    headers = api_token("clerk", "410102")
    runaway_instance = start_instance(None, "runaway_script", org("410102"), "runaway")
    calm = start_instance(None, "half_script", org("410102"), "calm")
    db.session.commit()
    runaway_task = _tasks(runaway_instance.id)["submit"].id
    results: list[Any] = []
    env = {"HQR_SCRIPT_CPU_MS": "1500", "HQR_SCRIPT_WALL_MS": "20000"}
    with serving(app.config["SQLALCHEMY_DATABASE_URI"], **env) as srv:
        _get(srv.base + "/login")  # the server is up

        def complete() -> None:
            url = f"{srv.base}/api/v1/tasks/{runaway_task}/complete"
            results.append(_post(url, headers, {"outcome": "submit"}))

        thread = threading.Thread(target=complete)
        thread.start()
        answered = []
        while thread.is_alive():
            answered.append(_get(srv.base + "/login"))
        thread.join()
        assert answered and max(answered) < 10  # generous: the runaway never froze the server
        # The same server then runs a script normally (in a replacement worker): no leftovers.
        calm_task = _tasks(calm.id)["submit"].id
        status, _ = _post(
            f"{srv.base}/api/v1/tasks/{calm_task}/complete", headers, {"outcome": "submit"}
        )
    assert results[0][0] == 200, results
    db.session.rollback()
    db.session.expire_all()
    failed = db.session.get(ProcessInstance, runaway_instance.id)
    assert failed.state == "error" and "CPU 时间限制（1500 毫秒）" in failed.error
    assert "n" not in failed.data
    # The calm one divides by a missing divisor: the normal script-failure path, not a limit.
    assert status == 200
    calm_failed = db.session.get(ProcessInstance, calm.id)
    assert calm_failed.state == "error" and "divisor" in calm_failed.error
