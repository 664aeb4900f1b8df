"""``start_instances``: many starts in one batch leave what the same starts one by one leave
(instances, first tasks, history, audit records, notices), keep ``existing_ok``'s idempotence,
and fall back to one-by-one starts when a concurrent start of one of the keys wins."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from webapp.core.errors import Conflict, InvalidInput
from webapp.core.models import AuditRecord
from webapp.engine import Start, instances, start_instance, start_instances
from webapp.engine.models import HumanTask, Notification, ProcessInstance, WorkflowEvent
from webapp.extensions import db

CODES = ("410102", "410103", "410104")


def _what_was_left(prefix: str) -> dict[str, Any]:
    """Everything the starts of the keys ``prefix:…`` wrote, without ids, times and the prefix:
    comparable between two runs."""
    db.session.commit()
    mine = {
        i.id: i
        for i in db.session.execute(select(ProcessInstance).order_by(ProcessInstance.id)).scalars()
        if i.business_key.startswith(f"{prefix}:")
    }
    key = {i.id: i.business_key.removeprefix(f"{prefix}:") for i in mine.values()}
    subject = {i.id: {**i.subject, "business_key": key[i.id]} for i in mine.values()}
    return {
        "instances": [
            (key[i.id], i.org_id, i.state, i.business_status, subject[i.id], i.version)
            for i in mine.values()
        ],
        "tasks": sorted(
            (key[t.instance_id], t.element_id, t.candidate_role, t.candidate_org_id, t.state)
            for t in db.session.execute(select(HumanTask)).scalars()
            if t.instance_id in mine
        ),
        "history": sorted(
            (key[e.instance_id], e.action, e.comment)
            for e in db.session.execute(select(WorkflowEvent)).scalars()
            if e.instance_id in mine
        ),
        "audit": sorted(
            (r.action, r.object_type, r.org_code, key[int(r.object_id)])
            for r in db.session.execute(select(AuditRecord)).scalars()
            if r.object_type == "process_instance" and int(r.object_id) in mine
        ),
        "notices": sorted(
            (n.user_id, n.kind, n.message, key[n.instance_id], n.read_at is None)
            for n in db.session.execute(select(Notification)).scalars()
            if n.instance_id in mine
        ),
    }


def test_a_batch_leaves_what_the_same_starts_one_by_one_leave(deploy, org, make_user):
    deploy("demo_two_tier")
    for code in CODES:
        make_user("clerk", code)
    db.session.commit()
    for code in CODES:
        start_instance(None, "demo_two_tier", org(code), f"a:{code}", {"purpose": code})
    started = start_instances(
        None, "demo_two_tier", [Start(org(c), f"b:{c}", {"purpose": c}) for c in CODES]
    )
    assert [i.business_key for i in started] == [f"b:{c}" for c in CODES]
    one_by_one, batch = _what_was_left("a"), _what_was_left("b")
    assert batch == one_by_one
    assert len(batch["tasks"]) == len(batch["notices"]) == len(batch["audit"]) == len(CODES)
    assert len(batch["history"]) == len(CODES)


def test_existing_instances_are_returned_or_refused(deploy, org):
    deploy("demo_two_tier")
    first = start_instance(None, "demo_two_tier", org("410103"), "k:2")
    db.session.commit()
    starts = [Start(org(c), f"k:{n}") for n, c in enumerate(CODES, 1)]
    with pytest.raises(Conflict, match="业务编号 k:2 的流程已存在"):
        start_instances(None, "demo_two_tier", starts)
    db.session.rollback()
    assert db.session.query(ProcessInstance).count() == 1  # nothing of the batch started
    again = start_instances(None, "demo_two_tier", starts, existing_ok=True)
    assert again[1].id == first.id and len({i.id for i in again}) == 3
    twice = start_instances(None, "demo_two_tier", starts, existing_ok=True)
    assert [i.id for i in twice] == [i.id for i in again]
    db.session.commit()
    assert db.session.query(ProcessInstance).count() == 3
    with pytest.raises(InvalidInput, match="重复"):
        start_instances(None, "demo_two_tier", [starts[0], starts[0]], existing_ok=True)


@pytest.mark.parametrize("existing_ok", [False, True])
def test_a_batch_that_loses_the_race_for_one_key(deploy, org, monkeypatch, existing_ok):
    """Another transaction started one of the keys and committed between the batch's look-up
    and its insert (on PostgreSQL invisible until then): the unique constraint refuses the
    batch's INSERT, nothing of it is kept, and the starts are made one by one: Conflict, or
    with ``existing_ok`` the winner for that key and new instances for the others."""
    deploy("demo_two_tier")
    winner = start_instance(None, "demo_two_tier", org("410103"), "k:2")
    db.session.commit()
    real_existing = instances._existing
    blind = [{}]  # the batch's look-up sees nothing

    def existing(process_key: str, keys: list[str]) -> dict:
        return blind.pop() if blind else real_existing(process_key, keys)

    monkeypatch.setattr(instances, "_existing", existing)
    starts = [Start(org(c), f"k:{n}") for n, c in enumerate(CODES, 1)]
    if existing_ok:
        started = start_instances(None, "demo_two_tier", starts, existing_ok=True)
        assert started[1].id == winner.id
        assert [i.business_key for i in started] == ["k:1", "k:2", "k:3"]
    else:
        with pytest.raises(Conflict, match="业务编号 k:2 的流程已存在"):
            start_instances(None, "demo_two_tier", starts)
    assert not blind
    db.session.commit()
    expected = 3 if existing_ok else 2  # without existing_ok k:1 started before k:2 refused
    assert db.session.query(ProcessInstance).count() == expected
    starts_logged = db.session.query(WorkflowEvent).filter_by(action="start").count()
    assert starts_logged == expected
