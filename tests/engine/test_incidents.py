from __future__ import annotations

import pytest

from tests.conftest import csrf_token, login
from tests.engine.conftest import open_task
from webapp.core.errors import DomainError
from webapp.engine import (
    complete_task,
    deploy_bpmn,
    retry_instance,
    service_operation,
    start_instance,
)
from webapp.engine.models import Notification, ProcessInstance, WorkflowEvent
from webapp.engine.registry import ServiceContext
from webapp.extensions import db

BEHAVIOUR = {"fail": True}


@service_operation("test.write_then_fail")
def write_then_fail(ctx: ServiceContext) -> dict:
    db.session.add(Notification(user_id=ctx.actor.id, kind="test", message="half-written"))
    db.session.flush()
    if BEHAVIOUR["fail"]:
        raise DomainError("外部系统不可用")
    return {"ok": True}


def _reload(instance):
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance.id)


def test_crash_in_a_service_task_writes_nothing_and_is_retryable(start, make_user):
    BEHAVIOUR["fail"] = True
    clerk = make_user("clerk", "410102")
    admin = make_user("admin", "410000")
    instance = start("service_crash", "410102")
    complete_task(clerk, open_task(instance).id, "submit")
    db.session.commit()

    failed = _reload(instance)
    assert failed.state == "error" and "外部系统不可用" in failed.error
    assert db.session.query(Notification).filter_by(kind="test").count() == 0
    assert any(e.action == "error" for e in db.session.query(WorkflowEvent))

    BEHAVIOUR["fail"] = False
    retry_instance(admin, instance.id)
    db.session.commit()
    resumed = _reload(instance)
    assert resumed.state == "running" and resumed.error is None
    assert open_task(instance).element_id == "after"
    assert resumed.data["written"] == {"ok": True} and resumed.data["ok"] is True
    assert db.session.query(Notification).filter_by(kind="test").count() == 1


def test_the_actor_is_told_when_the_steps_after_the_action_failed(client, start, api_token):
    """The action is saved and the instance is in error: the API's answer says so
    (``instance_state``) and the page warns instead of a plain success."""
    BEHAVIOUR["fail"] = True
    headers = api_token("clerk", "410102")
    first = start("service_crash", "410102")
    answer = client.post(
        f"/api/v1/tasks/{open_task(first).id}/complete", json={"outcome": "submit"}, headers=headers
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["instance_state"] == "error"
    assert _reload(first).state == "error"

    second = start("service_crash", "410102", business_key="service_crash:2")
    login(client, "clerk_410102")
    task = open_task(second)
    page = client.post(
        f"/tasks/{task.id}/complete",
        data={"csrf_token": csrf_token(client, f"/tasks/{task.id}"), "outcome": "submit"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已办理，但后续自动步骤出错，已通知系统管理员处理。" in page
    assert "已办理：" not in page  # no success message beside it


def script_process(script: str, pid: str = "scripted") -> bytes:
    from xml.sax.saxutils import escape

    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="script" name="脚本"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="script" />
    <bpmn:sequenceFlow id="f2" sourceRef="script" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_runaway_loop_is_stopped_and_the_instance_marked_in_error(app, org, monkeypatch):
    monkeypatch.setitem(app.config, "SCRIPT_CPU_MS", 200)
    monkeypatch.setitem(app.config, "SCRIPT_WALL_MS", 30_000)  # a busy machine: CPU stops it
    deploy_bpmn(None, None, script_process("n = 0\nwhile True:\n    n = n + 1"))
    instance = start_instance(None, "scripted", org("410102"), "loop-1")
    db.session.commit()
    failed = _reload(instance)
    assert failed.state == "error" and "CPU 时间限制（200 毫秒）" in failed.error
    assert "n" not in failed.data  # nothing of the half-run script was saved


def test_a_script_runs_in_the_sandbox_and_keeps_plain_data(org):
    deploy_bpmn(
        None, None, script_process("total = sum([1, 2, 3])\nlabel = 'ok' if total > 5 else 'no'")
    )
    instance = start_instance(None, "scripted", org("410102"), "s-1")
    db.session.commit()
    done = _reload(instance)
    assert done.state == "completed" and done.data["total"] == 6 and done.data["label"] == "ok"


@pytest.mark.parametrize(
    "payload",
    [
        "x = ().__class__.__base__.__subclasses__()",
        "import os",
        "x = __import__('os')",
        "x = open('/etc/passwd').read()",
        "x = getattr((), '__class__')",
        "x = '{0.__class__}'.format(1)",
        "x = eval('1')",
        "x = 9 ** 9 ** 9",
    ],
)
def test_escape_attempts_are_refused_at_deploy(payload):
    with pytest.raises(DomainError) as err:
        deploy_bpmn(None, None, script_process(payload))
    assert err.value.details and err.value.details[0]["element_id"] == "script"


@pytest.mark.parametrize(
    "payload",
    ["().__class__.__base__", "[].__class__", "{}.__class__.__subclasses__()", "x.__dict__"],
)
def test_escapes_are_refused_at_run_time_too(payload):
    """A condition never deployed (e.g. evaluated by the runtime directly) is still compiled by
    the sandbox, never by plain eval."""
    from webapp.engine import sandbox

    with pytest.raises(sandbox.SandboxError):
        sandbox.evaluate(payload, {"x": {}})


def test_format_string_escape_is_blocked_at_run_time():
    from webapp.engine import sandbox

    with pytest.raises(sandbox.SandboxError):
        sandbox.evaluate("fmt.format(x)", {"fmt": "{0.__class__}", "x": 1})
    with pytest.raises(sandbox.SandboxError):
        sandbox.evaluate('f"{x.__class__}"', {"x": 1})
    data: dict = {}
    sandbox.execute("y = len\nz = 1", data)
    assert data == {"z": 1}  # a function never comes back into task data


def test_a_service_s_rows_are_undone_when_a_later_step_fails(start, make_user):
    """The steps' SAVEPOINT opens at the first service call (not before every step): what a
    service wrote is still undone when a script after it fails."""
    BEHAVIOUR["fail"] = False
    clerk = make_user("clerk", "410102")
    instance = start("service_then_script", "410102")
    complete_task(clerk, open_task(instance).id, "submit")
    db.session.commit()
    failed = _reload(instance)
    assert failed.state == "error" and "missing_name" in failed.error
    assert db.session.query(Notification).filter_by(kind="test").count() == 0
