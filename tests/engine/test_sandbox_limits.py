"""Scripts and expressions that cannot be stopped (issue 13): limits from outside the code.

Scripts run in a worker process killed by the kernel's CPU timer, its memory limit or the parent's
wall clock; expressions run in the web process under guarded operators that refuse a huge result
before computing it, and a CPU budget.  Each bomb below ran unbounded (or froze the server) before.
"""

from __future__ import annotations

import random
import threading
import time
from xml.sax.saxutils import escape

import pytest

from tests.engine.test_incidents import script_process
from webapp.core.errors import DomainError
from webapp.engine import deploy_bpmn, sandbox, script_pool, start_instance
from webapp.engine.models import Notification, ProcessInstance
from webapp.extensions import db, write_intent

BIG = 30_000_000  # bits: the square of (1 << BIG) - 1 held the GIL for 21 s


def _reload(instance: ProcessInstance) -> ProcessInstance:
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance.id)


@pytest.fixture
def limits(app, monkeypatch):
    """Set script/expression limits for one test (the app is shared by the whole run)."""

    def _set(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setitem(app.config, name, value)

    return _set


@pytest.fixture(autouse=True)
def _room_on_the_wall_clock(limits):
    """On a busy machine a worker may wait for a core: the wall-clock stop (2 s by default) must
    not come before the CPU or memory limit a test is about (the wall clock has its own test)."""
    limits(SCRIPT_WALL_MS=30_000)


def gateway_process(condition: str, pid: str = "conditioned") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="gw" default="f_no"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="end_yes"><bpmn:incoming>f_yes</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_no"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw" />
    <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="end_yes">
      <bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="end_no" />
  </bpmn:process>
</bpmn:definitions>""".encode()


def timer_process(expression: str, pid: str = "paused") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="pause"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>{escape(expression)}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="pause" />
    <bpmn:sequenceFlow id="f2" sourceRef="pause" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


# Scripts: a worker process the script cannot outrun ---------------------------------------------
# Each loop first meets the CPU limit, catches what it can, then loops again: a trace-function
# limit is switched off once its exception is caught (the second loop ran unbounded before).
CATCHING_LOOPS = {
    "finally-continue": (
        "n = 0\nfor attempt in range(2):\n    try:\n        while n < 40000000:\n"
        "            n = n + 1\n    finally:\n        continue\ndone = n"
    ),
    "bare-except": (
        "n = 0\ntry:\n    while n < 40000000:\n        n = n + 1\nexcept:\n    pass\n"
        "while n < 40000000:\n    n = n + 1\ndone = n"
    ),
}


@pytest.mark.parametrize("script", CATCHING_LOOPS.values(), ids=CATCHING_LOOPS.keys())
def test_a_script_that_catches_the_limit_is_still_stopped(org, script):
    deploy_bpmn(None, None, script_process(script))
    instance = start_instance(None, "scripted", org("410102"), "catching")
    db.session.commit()
    failed = _reload(instance)
    assert failed.state == "error"
    assert "脚本运行超过 CPU 时间限制（100 毫秒），已被终止" in failed.error
    assert "n" not in failed.data and "done" not in failed.data  # nothing half-run was saved


def test_a_script_exceeding_cpu_is_killed_and_its_worker_replaced(org, limits):
    limits(SCRIPT_CPU_MS=50)
    pool = script_pool.pool()
    deploy_bpmn(None, None, script_process("x = 1"))
    start_instance(None, "scripted", org("410102"), "warm")  # the pool is started and used
    killed, before = pool.killed, set(pool.pids())
    deploy_bpmn(None, None, script_process("while True:\n    pass", pid="spinning"))
    instance = start_instance(None, "spinning", org("410102"), "spin")
    db.session.commit()
    assert "脚本运行超过 CPU 时间限制（50 毫秒），已被终止" in _reload(instance).error
    assert pool.killed == killed + 1
    assert set(pool.pids()) != before  # a fresh worker took the killed one's place
    after = start_instance(None, "scripted", org("410102"), "after")
    db.session.commit()
    assert _reload(after).state == "completed" and _reload(after).data["x"] == 1


def test_a_script_exceeding_memory_is_stopped(org, limits):
    # 1 MB at a time, under the size guards; 200 MB is past the limit, not the CPU budget.
    limits(SCRIPT_MEMORY_MB=32, SCRIPT_CPU_MS=5000)
    script = (
        "chunks = []\nfor i in range(200):\n    chunks.append('a' * 1000000)\nchunks = len(chunks)"
    )
    deploy_bpmn(None, None, script_process(script))
    instance = start_instance(None, "scripted", org("410102"), "hungry")
    db.session.commit()
    failed = _reload(instance)
    assert failed.state == "error" and "脚本超出内存限制（32 MB），已终止" in failed.error
    assert "chunks" not in failed.data


def test_a_script_running_past_the_wall_clock_is_killed(org, limits):
    """The wall clock is the parent's own stop: here it comes before the CPU limit."""
    limits(SCRIPT_CPU_MS=10_000, SCRIPT_WALL_MS=300)
    deploy_bpmn(None, None, script_process("while True:\n    pass"))
    instance = start_instance(None, "scripted", org("410102"), "slow")
    db.session.commit()
    assert "脚本运行超过时间限制（300 毫秒），已被终止" in _reload(instance).error


def test_a_concurrent_write_completes_while_a_bomb_script_is_killed(app, org, make_user, limits):
    """The request running the bomb waits for its worker without holding the GIL; another
    request's write goes through (SQLite queues it behind the bomb's short transaction) instead of
    failing with "database is locked" after the bomb ran for minutes."""
    limits(SCRIPT_CPU_MS=500)
    user_id = make_user("clerk", "410102").id  # read here: the object belongs to this session
    deploy_bpmn(None, None, script_process(CATCHING_LOOPS["bare-except"], pid="bomb"))
    db.session.commit()
    pool = script_pool.pool()
    killed = pool.killed
    started = threading.Barrier(2)
    results: dict[str, object] = {}

    def bomb() -> None:
        with app.app_context():
            write_intent.set(True)
            started.wait()
            instance = start_instance(None, "bomb", org("410102"), "bomb")
            db.session.commit()
            results["bomb"] = instance.id
            db.session.remove()

    def writer() -> None:
        with app.app_context():
            write_intent.set(True)
            started.wait()
            time.sleep(0.1)  # let the bomb's script start first
            t0 = time.monotonic()
            db.session.add(Notification(user_id=user_id, kind="test", message="并发写入"))
            db.session.commit()
            results["write_seconds"] = time.monotonic() - t0
            db.session.remove()

    threads = [threading.Thread(target=bomb), threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    db.session.rollback()  # end the test's own read snapshot (SQLite WAL)
    assert db.session.query(Notification).filter_by(kind="test").count() == 1
    assert results["write_seconds"] < 20  # generous: far below SQLite's 30 s busy timeout
    failed = db.session.get(ProcessInstance, results["bomb"])
    assert failed.state == "error" and "CPU 时间限制（500 毫秒）" in failed.error
    assert pool.killed == killed + 1


# Expressions: guarded operators in the web process ----------------------------------------------
def test_an_integer_bomb_in_a_condition_is_refused_before_computing(org):
    deploy_bpmn(None, None, gateway_process("((1 << n) - 1) * ((1 << n) - 1) > 0"))
    t0 = time.monotonic()
    instance = start_instance(None, "conditioned", org("410102"), "c", {"n": BIG})
    db.session.commit()
    failed = _reload(instance)
    assert failed.state == "error" and "运算结果过大" in failed.error and "已拒绝" in failed.error
    assert time.monotonic() - t0 < 10  # the product alone took 21 s


def test_an_integer_bomb_in_a_timer_expression_is_refused(org):
    deploy_bpmn(
        None, None, timer_process('"PT1H" if ((1 << n) - 1) * ((1 << n) - 1) > 0 else "PT2H"')
    )
    instance = start_instance(None, "paused", org("410102"), "t", {"n": BIG})
    db.session.commit()
    failed = _reload(instance)
    assert failed.state == "error" and "运算结果过大（整数约" in failed.error


def test_a_string_bomb_is_refused_before_allocating(org):
    deploy_bpmn(None, None, gateway_process("len(s * n) > 0"))
    instance = start_instance(
        None, "conditioned", org("410102"), "s", {"s": "a", "n": 2_000_000_000}
    )
    db.session.commit()
    failed = _reload(instance)
    assert failed.state == "error" and "约 2000000000 个字符或元素" in failed.error


@pytest.mark.parametrize(
    "expression",
    [
        "s * 2000000000",
        "s.ljust(2000000000)",
        "s.center(2000000000)",
        "''.join([t] * 1000)",
        "t.replace('', t)",
        "(1).to_bytes(2000000000, 'big')",
        "'%2000000000d' % 1",
        "'%*d' % (2000000000, 1)",
        'f"{s:2000000000}"',
        'f"{s:{w}}"',
        "str([t, t, t, t])",
        "sum([[0]] * 10, [])",
        "range(1000000000)",
        "len(s) << 2000000000",
    ],
)
def test_size_bombs_are_refused_in_expressions(expression):
    data = {"s": "a", "t": "b" * 1_000_000, "w": 2_000_000_000}
    with pytest.raises(sandbox.LimitExceeded):
        sandbox.evaluate(expression, data)


def test_an_expression_past_its_cpu_budget_is_stopped():
    """A chain of allowed, individually short C calls: each is timed by the budget."""
    numbers = list(range(300_000))
    random.Random(13).shuffle(numbers)
    expression = " and ".join(["sorted(l) != l"] * 40)
    with pytest.raises(sandbox.LimitExceeded) as err:
        sandbox.evaluate(expression, {"l": numbers}, cpu_ms=100)
    assert err.value.message == "表达式运行超过 CPU 时间限制（100 毫秒），已终止"


@pytest.mark.parametrize(
    ("expression", "needle"),
    [
        ("[x for x in items]", "推导式"),
        ("all(x > 0 for x in items)", "推导式"),
        ("(lambda: 1)()", "lambda"),
        ("(y := items)", ":="),
        ("items.append(1) or True", ".append"),
        ("x" * 1001, "表达式过长"),
    ],
)
def test_expressions_cannot_loop_or_grow(expression, needle):
    """What keeps an expression's work bounded by its length: no loops, no mutation."""
    with pytest.raises(sandbox.SandboxError) as err:
        sandbox.compile_expression(expression)
    assert needle in err.value.message


def test_ordinary_scripts_and_expressions_still_work(org):
    assert sandbox.evaluate("'-' * 3 + str(n) + f'{n:>4}' + '%02d' % n", {"n": 7}) == "---7   707"
    assert sandbox.evaluate("isinstance(x, str) and str.join(',', [x, x])", {"x": "a"}) == "a,a"
    script = "total = sum([1, 2, 3])\nlines = []\nfor i in range(3):\n    lines.append('%d' % i)"
    data: dict = {}
    sandbox.execute(script, data)
    assert data == {"total": 6, "lines": ["0", "1", "2"], "i": 2}


# Deploy time: what the run would refuse is refused at upload ------------------------------------
BOMBS = [
    "'a' * 2000000000",
    "((1 << 30000000) - 1) * ((1 << 30000000) - 1)",
    "'x'.ljust(2000000000)",
    "'%2000000000d' % 1",
    'f"{1:2000000000}"',
]


@pytest.mark.parametrize("bomb", BOMBS)
def test_bombs_are_refused_at_deploy_in_scripts_conditions_and_timers(bomb):
    cases = [
        (script_process(f"x = {bomb}"), "script"),
        (gateway_process(f"len(str({bomb})) > 0"), "gw"),
        (timer_process(f'"PT1H" if {bomb} else "PT2H"'), "pause"),
    ]
    for content, element in cases:
        with pytest.raises(DomainError) as err:
            deploy_bpmn(None, None, content)
        [problem] = err.value.details
        assert problem["element_id"] == element
        assert "被沙箱拒绝" in problem["message"] and "上限" in problem["message"]


def test_upload_validation_never_evaluates_an_expression(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("validation evaluated an expression")

    monkeypatch.setattr(sandbox, "evaluate", refuse)
    from webapp.engine import validate_bpmn

    assert validate_bpmn(timer_process('"PT1H" if flag else "PT2H"')) == []
    assert validate_bpmn(timer_process('"P3D"')) == []
    assert validate_bpmn(gateway_process("n > 1")) == []


def test_a_runaway_script_fired_by_the_timer_worker_is_an_incident_and_the_pass_goes_on(org):
    """The timer worker runs scripts through the same pool: a killed one is that instance's
    incident, and the other due instances of the pass are fired normally."""
    from datetime import datetime, timedelta

    from webapp.core import clock
    from webapp.engine import run_timers

    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=clock.UTC)
    clock.set_now(t0)
    content = (
        script_process("if spin:\n    while True:\n        pass\ndone = True")
        .replace(
            b'<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>',
            b'<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
            b'<bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f0</bpmn:incoming>'
            b"<bpmn:outgoing>f1</bpmn:outgoing><bpmn:timerEventDefinition>"
            b'<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>'
            b"</bpmn:intermediateCatchEvent>"
            b'<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait" />',
        )
        .replace(b'sourceRef="start" targetRef="script"', b'sourceRef="wait" targetRef="script"')
    )
    deploy_bpmn(None, None, content)
    spinning = start_instance(None, "scripted", org("410102"), "spin", {"spin": True})
    calm = start_instance(None, "scripted", org("410102"), "calm", {"spin": False})
    db.session.commit()
    clock.set_now(t0 + timedelta(hours=2))
    assert run_timers() == {"instances": 2, "errors": 1, "messages": 0}
    db.session.commit()
    failed = _reload(spinning)
    assert failed.state == "error" and "CPU 时间限制（100 毫秒）" in failed.error
    assert _reload(calm).state == "completed" and _reload(calm).data["done"] is True
