"""Our serializer writes SpiffWorkflow's own format, and reads it as SpiffWorkflow does.

``webapp.engine.spiff`` converts a workflow's tasks without the registry's dispatch per task
(fewer Python calls per completion, issue 19).  Here every state saved and every state loaded
while whole processes run (return loops, a sub-process with its own returns, a multi-instance,
boundary and reminder timers, a withdrawal; the demo's loops between three tiers) is checked
against SpiffWorkflow's stock converters: the saved JSON is the same text, and a state restored
by ours serializes (by the stock converters) to what the stock restore of it serializes to, with
the same waiting events.  So a state saved before this change restores as it always did, and a
state saved now is SpiffWorkflow's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.engine.test_state_pruning import _demo_finish, _demo_loops, _loop_state_run
from webapp.engine import runtime, spiff


@pytest.fixture
def people(make_user) -> dict[str, Any]:
    return {
        "clerk": make_user("clerk", "410102"),
        "reviewer": make_user("reviewer", "410102"),
        "city": make_user("reviewer", "410100"),
    }


def stock_serialize(workflow: Any) -> str:
    return spiff.dump(spiff.stock_serializer(), workflow)


def stock_restore(state: str, spec: Any, subprocess_specs: dict[str, Any]) -> Any:
    return spiff.read(spiff.stock_serializer(), state, spec, subprocess_specs)


def _waiting(workflow: Any) -> list[str]:
    return sorted(str(task_id) for task_id in workflow.event_manager.tasks)


@pytest.fixture
def checked(monkeypatch) -> dict[str, int]:
    """Every save and every load of the block compared with the stock converters."""
    seen = {"saved": 0, "loaded": 0, "subprocesses": 0}
    real_serialize, real_restore = spiff.serialize, spiff.restore

    def serialize(workflow: Any) -> str:
        state = real_serialize(workflow)  # pruned first, then written by ours
        assert state == stock_serialize(workflow)
        # written by orjson: the document json writes (only the text's form differs)
        by_json = spiff.dump(spiff.stock_serializer(), workflow, by_json=True)
        assert json.loads(state) == json.loads(by_json)
        seen["saved"] += 1
        seen["subprocesses"] += bool(workflow.subprocesses)
        return state

    def restore(state: str, spec: Any, subprocess_specs: dict[str, Any], engine: Any) -> Any:
        ours = real_restore(state, spec, subprocess_specs, engine)
        theirs = stock_restore(state, spec, subprocess_specs)
        assert stock_serialize(ours) == stock_serialize(theirs)
        assert _waiting(ours) == _waiting(theirs)
        assert sorted(map(str, ours.subprocesses)) == sorted(map(str, theirs.subprocesses))
        assert [t.data for t in ours.get_tasks()] == [t.data for t in theirs.get_tasks()]
        seen["loaded"] += 1
        return ours

    monkeypatch.setattr(spiff, "serialize", serialize)
    monkeypatch.setattr(spiff, "restore", restore)
    return seen


def test_loops_with_timers_multi_instance_and_sub_process_in_spiff_s_format(
    app, start, people, checked
):
    app.config["MAX_RETURN_LOOPS"] = 100
    try:
        _loop_state_run(start, people, "format:loop")
    finally:
        app.config["MAX_RETURN_LOOPS"] = 30
    assert checked["saved"] > 100 and checked["loaded"] > 100
    assert checked["subprocesses"] > 10  # the sub-process's tasks went through both


def test_the_demo_s_loops_across_three_tiers_in_spiff_s_format(start, people, checked):
    instance = _demo_loops(start, people, "format:demo", 6)
    _demo_finish(people, instance)
    assert checked["saved"] > 15 and checked["loaded"] > 15


def test_a_state_written_by_the_stock_converters_restores_the_same(start, people):
    """A state saved before (by SpiffWorkflow's converters) restores with ours unchanged."""
    from webapp.engine.definitions import specs_for
    from webapp.engine.runtime import script_engine

    instance = _demo_loops(start, people, "format:old", 2)
    parsed = specs_for(instance.definition)
    old_state = stock_serialize(stock_restore(instance.state_json, parsed.spec, {}))
    ours = spiff.restore(old_state, parsed.spec, parsed.subprocess_specs, script_engine())
    assert stock_serialize(ours) == old_state


def test_a_state_orjson_cannot_write_is_written_by_json(start):
    """An integer past 64 bits in the data: orjson refuses it, json writes it, it reads back
    whole (read by json, which keeps it an integer)."""
    big = 123456789012345678901234567890
    instance = start("demo_two_tier", "410102")
    workflow = runtime.load(instance)
    workflow.data["big"] = big
    state = spiff.serialize(workflow)
    assert str(big) in state
    assert json.loads(state)["data"]["big"] == big
