from __future__ import annotations

import pytest

from tests.engine.conftest import open_task
from webapp.core.errors import Conflict, Hidden, InvalidInput, PermissionDenied
from webapp.engine import complete_task, instances, start_instance
from webapp.engine.models import InstanceState, ProcessInstance, WorkflowEvent
from webapp.extensions import db


def test_two_tier_demo_runs_through_lanes_across_tiers(start, make_user):
    clerk = make_user("clerk", "410102")
    reviewer = make_user("reviewer", "410102")
    city = make_user("reviewer", "410100")
    instance = start("demo_two_tier", "410102")

    task = open_task(instance)
    assert (task.element_id, task.candidate_role, task.candidate_org.code) == (
        "prepare",
        "clerk",
        "410102",
    )
    assert task.form_key == "demo.submission" and instance.business_status == "drafting"
    with pytest.raises(InvalidInput) as err:
        complete_task(clerk, task.id, "submit", data={"amount": -1})
    assert set(err.value.details) == {"title", "amount"}
    complete_task(clerk, task.id, "submit", data={"title": "一季度", "amount": 12.5})
    db.session.commit()

    review = open_task(instance)
    assert (review.element_id, review.candidate_role, review.candidate_org.code) == (
        "review",
        "reviewer",
        "410102",
    )
    assert db.session.get(ProcessInstance, instance.id).business_status == "in_review"
    with pytest.raises(InvalidInput) as err:
        complete_task(reviewer, review.id, "return")
    assert "comment" in err.value.details
    with pytest.raises(PermissionDenied):
        complete_task(city, review.id, "approve")
    complete_task(reviewer, review.id, "return", "金额有误")
    db.session.commit()

    again = open_task(instance)
    assert again.element_id == "prepare"
    assert db.session.get(ProcessInstance, instance.id).business_status == "returned"
    complete_task(clerk, again.id, "submit", data={"title": "一季度（改）"})
    complete_task(reviewer, open_task(instance).id, "approve", "同意")
    db.session.commit()

    accept = open_task(instance)
    assert (accept.element_id, accept.candidate_role, accept.candidate_org.code) == (
        "accept",
        "reviewer",
        "410100",
    )
    with pytest.raises(PermissionDenied):
        complete_task(reviewer, accept.id, "accept")
    complete_task(city, accept.id, "accept", "接收")
    db.session.commit()
    final = db.session.get(ProcessInstance, instance.id)
    assert final.state == InstanceState.COMPLETED and final.business_status == "accepted"
    assert final.data["title"] == "一季度（改）" and final.return_count == 1
    actions = [e.action for e in db.session.query(WorkflowEvent).filter_by(instance_id=instance.id)]
    assert actions.count("complete") == 5 and actions[0] == "start"
    with pytest.raises(Conflict):
        complete_task(city, accept.id, "accept")


def test_other_org_cannot_complete_and_unknown_outcome_is_refused(start, make_user):
    instance = start("demo_two_tier", "410102")
    other = make_user("clerk", "410103")
    clerk = make_user("clerk", "410102")
    task = open_task(instance)
    with pytest.raises(Hidden):  # another county's task: answered as a missing one
        complete_task(other, task.id, "submit", data={"title": "x"})
    with pytest.raises(InvalidInput) as err:
        complete_task(clerk, task.id, "approve", data={"title": "x"})
    assert "outcome" in err.value.details


def test_directly_administered_county_goes_to_the_province(start, make_user):
    instance = start("demo_two_tier", "410181")  # 巩义市, 省直管
    clerk = make_user("clerk", "410181")
    reviewer = make_user("reviewer", "410181")
    complete_task(clerk, open_task(instance).id, "submit", data={"title": "t"})
    complete_task(reviewer, open_task(instance).id, "approve")
    db.session.commit()
    assert open_task(instance).candidate_org.code == "410000"


def test_start_existing_ok_is_idempotent(deploy, org):
    deploy("demo_two_tier")
    first = start_instance(None, "demo_two_tier", org("410102"), "k1", existing_ok=True)
    second = start_instance(None, "demo_two_tier", org("410102"), "k1", existing_ok=True)
    assert first.id == second.id
    assert db.session.query(ProcessInstance).count() == 1


@pytest.mark.parametrize("existing_ok", [False, True])
def test_a_start_that_loses_the_race_for_its_key(deploy, org, monkeypatch, existing_ok):
    """Another transaction started the same business key and committed between this start's
    look-ups and its insert (on PostgreSQL its row is invisible until then): the unique
    constraint refuses the insert, nothing of this start is kept, and the caller gets Conflict,
    or with ``existing_ok`` the winner; the session stays usable."""
    deploy("demo_two_tier")
    winner = start_instance(None, "demo_two_tier", org("410102"), "k1")
    db.session.commit()
    real_find = instances.find_instance
    blind = [None] * (2 if existing_ok else 1)  # the look-ups before the insert see nothing

    def find(process_key: str, business_key: str) -> ProcessInstance | None:
        return blind.pop() if blind else real_find(process_key, business_key)

    monkeypatch.setattr(instances, "find_instance", find)
    if existing_ok:
        again = start_instance(None, "demo_two_tier", org("410102"), "k1", existing_ok=True)
        assert again.id == winner.id
    else:
        with pytest.raises(Conflict, match="业务编号 k1 的流程已存在"):
            start_instance(None, "demo_two_tier", org("410102"), "k1")
    assert not blind
    db.session.commit()
    assert db.session.query(ProcessInstance).count() == 1
    starts = db.session.query(WorkflowEvent).filter_by(action="start").count()
    assert starts == 1


def test_return_loops_are_capped(app, start, make_user):
    app.config["MAX_RETURN_LOOPS"] = 2
    try:
        instance = start("demo_two_tier", "410102")
        clerk = make_user("clerk", "410102")
        reviewer = make_user("reviewer", "410102")
        for _ in range(2):
            complete_task(clerk, open_task(instance).id, "submit", data={"title": "t"})
            complete_task(reviewer, open_task(instance).id, "return", "再改")
        complete_task(clerk, open_task(instance).id, "submit", data={"title": "t"})
        with pytest.raises(Conflict) as err:
            complete_task(reviewer, open_task(instance).id, "return", "再改")
        assert "上限" in err.value.message
    finally:
        app.config["MAX_RETURN_LOOPS"] = 30


def test_a_lane_s_org_id_is_the_lane_s_org_for_every_unit_and_relation(app):
    """The next step's org by id (``@self``/``@parent`` from the instance's org row alone, so
    the task read need not load the units above it) names the same unit as the rows do."""
    from webapp.core.models import Org
    from webapp.engine.lanes import resolve_org, resolve_org_id

    orgs = db.session.query(Org).order_by(Org.code).all()
    assert len({o.depth for o in orgs}) >= 3  # province, cities, counties
    for org in orgs:
        for relation in ("self", "parent", "grandparent", "province"):
            expected = resolve_org(org, relation)
            assert resolve_org_id(org, relation) == (expected.id if expected else None)
