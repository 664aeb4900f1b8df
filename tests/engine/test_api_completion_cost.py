"""A task completion through the API on the demo process: counted, never timed (issue 19).

The SQL statements of one ``POST /api/v1/tasks/<id>/complete`` (the bearer token's check
included) stay under a written-down bound, the hot path lazy-loads nothing (every relationship
and column it reads comes with the statement that loads the task or the user), and the workflow
state is serialized once per step.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, event

from tests.engine.conftest import open_task
from webapp.core import clock
from webapp.core.models import ApiToken, User
from webapp.core.operations import TOKEN_RECHECK
from webapp.engine import spiff
from webapp.engine.models import HumanTask, Notification, ProcessInstance
from webapp.engine.schemas import CompleteSchema
from webapp.extensions import db

#: Statements of one completion of the demo's 填报 through the API, BEGIN included (COMMIT is
#: not a statement the cursor executes; on PostgreSQL BEGIN is not one either): the user with
#: org and roles (1), the task with its instance, org and definition (1), the task's conditional
#: UPDATE, the history INSERT, the audit chain's head and the record's INSERT (2), the open
#: rows with the last completed one (1), the state's UPDATE with the business status (1), the
#: new task's INSERT, the done step's notices cleared (1), and the next step's notice INSERT
#: that reads its candidates itself (1).
#: Issue 19 measured 19 (SQLite) before: the token row, the user's roles apart, the instance,
#: its org and its definition each lazy-loaded, the last completed row apart, a second UPDATE
#: for the business status.  On PostgreSQL one more than the above: the audit chain's advisory
#: lock, and no BEGIN.
#: The second pass (branch ``completion``) made the four INSERTs plain statements instead of
#: ORM flushes (history, audit record, new task, notice) and the task read a prebuilt
#: statement: less CPU, the same count, 13 / 13.  The third pass (branch ``completion``,
#: 2026-12-07) read the next step's candidates inside the notice's INSERT (one new unclaimed
#: step, mail off; with mail the users are read for their addresses, as before): 12 / 12.
#: The chain's head (branch ``audithead``, 2026-12-07): on PostgreSQL ``SELECT … FROM audit_head
#: FOR UPDATE`` is both the chain's lock and the read of the previous hash (it replaced the
#: advisory lock and the last record's read), and a trigger moves the head on: 12 / 11.
MAX_STATEMENTS = {"sqlite": 12, "postgresql": 11}


def _max() -> int:
    return MAX_STATEMENTS[db.engine.dialect.name]


def _counted(client: Any, method: str, path: str, **kwargs: Any) -> tuple[Any, list[str], list]:
    """The response, the SQL statements sent, and the lazy loads the ORM did."""
    statements: list[str] = []
    lazy: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    def orm(state):  # noqa: ANN001
        if state.is_relationship_load or state.is_column_load:
            lazy.append(str(state.statement)[:300])

    db.session.expunge_all()  # the request starts from nothing, as in production
    event.listen(db.engine, "before_cursor_execute", count)
    event.listen(db.session, "do_orm_execute", orm)
    try:
        response = client.open(path, method=method, **kwargs)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        event.remove(db.session, "do_orm_execute", orm)
    return response, statements, lazy


def _complete(client: Any, headers: dict[str, str], task_id: int, outcome: str, **body: Any):
    return _counted(
        client,
        "POST",
        f"/api/v1/tasks/{task_id}/complete",
        json={"outcome": outcome, **body},
        headers=headers,
    )


def test_a_completion_through_the_api_is_a_bounded_number_of_statements(
    client, start, api_token, make_user, monkeypatch
):
    headers = api_token("clerk", "410102")
    make_user("reviewer", "410102")  # the next step's holder: a notice is written
    instance = start("demo_two_tier", "410102")
    task_id, instance_id, version = open_task(instance).id, instance.id, instance.version
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    serialized: list[int] = []
    real_serialize = spiff.serialize

    def serialize(wf: Any) -> str:
        serialized.append(1)
        return real_serialize(wf)

    monkeypatch.setattr(spiff, "serialize", serialize)
    response, statements, lazy = _complete(
        client, headers, task_id, "submit", data={"title": "一季度"}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "completed"
    assert lazy == []  # nothing read behind the hot path's back
    assert not [s for s in statements if "FROM api_token" in s]  # the token was checked lately
    assert len(serialized) == 1  # the state serialized once per step
    assert len(statements) <= _max(), "\n".join(statements)
    # The task read joins the instance's org once: not the two units above it (a lane
    # ``@parent`` is resolved by the org's ``parent_id``).
    task_read = next(s for s in statements if "FROM human_task" in s)
    assert task_read.count("JOIN org ") == 1, task_read
    # What the statements did, all of it.
    db.session.expire_all()
    done = db.session.get(HumanTask, task_id)
    assert done.state == "completed" and done.data == {"title": "一季度"}
    inst = db.session.get(ProcessInstance, instance_id)
    assert inst.version == version + 1 and inst.data["title"] == "一季度"
    review = open_task(inst)
    assert review.element_id == "review" and review.candidate_org.code == "410102"
    assert inst.business_status == review.business_status
    notices = db.session.query(Notification).filter_by(task_id=review.id).all()
    assert [n.kind for n in notices] == ["task"]


def test_the_later_steps_load_nothing_lazily(client, start, api_token):
    """The review hands the work to the parent unit (its lane resolved from the instance's org
    loaded with the task); the parent's return sends it back with the opinion."""
    clerk = api_token("clerk", "410102")
    reviewer = api_token("reviewer", "410102")
    upper = api_token("reviewer", "410100", "reviewer_upper")
    instance_id = start("demo_two_tier", "410102").id
    first = _open(instance_id)
    element = first.element_id
    assert _complete(client, clerk, first.id, "submit", data={"title": "t"})[0].status_code == 200
    response, statements, lazy = _complete(client, reviewer, _open(instance_id).id, "approve")
    assert response.status_code == 200, response.get_json()
    assert lazy == [] and len(statements) <= _max(), "\n".join(statements)
    accept = _open(instance_id)
    assert accept.element_id == "accept" and accept.candidate_org.code == "410100"
    response, statements, lazy = _complete(client, upper, accept.id, "return", comment="请补充")
    assert response.status_code == 200, response.get_json()
    assert lazy == [] and len(statements) <= _max(), "\n".join(statements)
    # The work back to the clerk says why (the last completed row, read with the open ones).
    again = _open(instance_id)
    assert again.element_id == element
    notice = db.session.query(Notification).filter_by(task_id=again.id).one()
    assert notice.kind == "return" and "请补充" in notice.message


def test_the_completion_body_s_schema_is_built_once(client, start, api_token, monkeypatch):
    """webargs builds a schema per request when given its class (marshmallow binds every field
    again); the completion's is one instance, built when the route was declared."""
    headers = api_token("clerk", "410102")
    built: list[int] = []
    real_init = CompleteSchema.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(1)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(CompleteSchema, "__init__", init)
    task_id = open_task(start("demo_two_tier", "410102")).id
    response = _complete(client, headers, task_id, "submit", data={"title": "t"})[0]
    assert response.status_code == 200, response.get_json()
    # and a refused body is still refused by that instance
    response = _complete(client, headers, task_id, 7)[0]
    assert response.status_code == 422
    assert built == []


def _open(instance_id: int) -> HumanTask:
    return open_task(db.session.get(ProcessInstance, instance_id))


def test_the_no_op_loads_nothing_lazily(client, api_token):
    """``GET /api/v1/me``, the no-op the completion is measured against: the user with org and
    roles in one statement, the org's parent named without reading its row."""
    headers = api_token("clerk", "410102")
    assert _me(client, headers) == 200  # the token row read and remembered
    response, statements, lazy = _counted(client, "GET", "/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["org"]["parent_code"] == "410100"
    assert lazy == []
    assert len([s for s in statements if s.lstrip().startswith("SELECT")]) == 1


# The token check -------------------------------------------------------------------------------
def _me(client: Any, headers: dict[str, str]) -> int:
    return client.get("/api/v1/me", headers=headers).status_code


def test_a_deleted_token_works_at_most_until_the_recheck_then_401(client, api_token):
    clock.set_now(clock.now())
    headers = api_token("clerk", "410102")
    assert _me(client, headers) == 200  # read and remembered
    db.session.execute(delete(ApiToken))
    db.session.commit()
    clock.set_now(clock.now() + TOKEN_RECHECK - timedelta(seconds=1))
    assert _me(client, headers) == 200  # still trusted: no query per request
    clock.set_now(clock.now() + timedelta(seconds=2))
    assert _me(client, headers) == 401
    assert TOKEN_RECHECK <= timedelta(seconds=60)


def test_a_disabled_user_s_token_is_refused_at_once(client, api_token):
    headers = api_token("clerk", "410102")
    assert _me(client, headers) == 200
    user = db.session.query(User).filter_by(username="clerk_410102").one()
    user.is_enabled = False
    db.session.commit()
    assert _me(client, headers) == 401


def test_a_logout_elsewhere_revokes_the_token_at_once(client, api_token):
    """A bumped session version (logout, password change) ends the user's tokens."""
    headers = api_token("clerk", "410102")
    assert _me(client, headers) == 200
    user = db.session.query(User).filter_by(username="clerk_410102").one()
    user.session_version += 1
    db.session.commit()
    assert _me(client, headers) == 401


def test_an_expired_token_is_refused_although_remembered(client, app, api_token):
    clock.set_now(clock.now())
    headers = api_token("clerk", "410102")
    assert _me(client, headers) == 200
    hours = app.config["API_TOKEN_HOURS"]
    clock.set_now(clock.now() + timedelta(hours=hours, seconds=1))
    assert _me(client, headers) == 401


def test_sqlite_commits_are_durable():
    """Issue 19: speed never at the price of a lost approval (WAL with synchronous FULL)."""
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
