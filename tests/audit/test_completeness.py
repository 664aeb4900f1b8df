"""Completeness: every state-changing route writes its audit record; auditors change nothing.

The routes come from ``app.url_map`` (pages and API operations alike); how to exercise each
one and what it must write is the table in ``tests/audit/routes/`` (one module per feature).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, request_finished, request_started, url_for
from sqlalchemy import event, select
from werkzeug.routing import IntegerConverter, Rule

from tests.audit.helpers import misfiled
from tests.audit.routes import Case, Env, Route, load
from webapp.audit.vocabulary import ACTION_LABELS
from webapp.core import audit
from webapp.core.models import AuditRecord
from webapp.extensions import db

SAFE = {"GET", "HEAD", "OPTIONS"}
TABLE = load()
CASES = [(key, case) for key, route in TABLE.items() for case in route.cases]
PROBED = [key for key, route in TABLE.items() if not route.auditor_may]


def mutating_routes(app: Flask) -> dict[str, Rule]:
    found = {}
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - SAFE):
            found[f"{method} {rule.endpoint}"] = rule
    return found


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit trail (the tests' databases are small)."""
    return flat(rows_by_key())


def rows_by_key() -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Every row of every table but the audit trail, by primary key, as column → value."""
    db.session.commit()
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in ("audit_record", "audit_head"):
                continue
            keys = [c.name for c in table.primary_key.columns]
            out[table.name] = {
                tuple(row[k] for k in keys): dict(row)
                for row in conn.execute(select(table)).mappings()
            }
    return out


def flat(keyed: dict[str, dict[tuple[Any, ...], dict[str, Any]]]) -> dict[str, list[Any]]:
    return {
        name: sorted((tuple(map(repr, row.values())) for row in rows.values()), key=repr)
        for name, rows in keyed.items()
    }


#: Columns that an update may change without an audit record naming them (the walk's check
#: that a record shows what changed): technical state, or shown under another name.  A column
#: not listed must appear as a key of some record's ``before``/``after`` (at any depth), or
#: its new text in a record, or be a ``*_at`` time / ``*_by_id`` actor the record itself
#: carries.  Add a column here only with the reason.
UNDESCRIBED_OK: dict[str, dict[str, str]] = {
    "*": {
        "updated_at": "the record's own time",
        "version": "optimistic-locking counters",
        "session_version": "sessions ended: the record's action says so (logout, disable...)",
        "password_hash": "never in a record (docs/audit.md)",
    },
    # the engine's records speak of the task and the step (task.claim/complete/transfer...)
    "human_task": {c: "task.* records" for c in ("state", "assignee_id", "comment", "claimed_at")},
    "process_instance": {
        c: "the engine's serialised state, mirrored by workflow.*/task.* records"
        for c in ("state_json", "business_status", "data", "state", "return_count")
    }
    | {"definition_id": "workflow.migrate names the versions"},
    "notification": {c: "a user's inbox, not business state" for c in ("read_at", "cleared_at")},
    "app_user": {"is_enabled": "user.enable/disable: before/after `enabled`"},
    "ledger_project": {"area_cents": "shown as area_m2"},
    "assessment_unit": {
        "result": "derived from the campaign's ranking (assessment.rank/approve)",
        "state": "the action is the new state (assessment.score...)",
    },
    "assessment_campaign": {"ranked_at": "cleared by assessment.results_return"},
    "assessment_sheet": {"is_active": "the action is the change (assessment.sheet_activate)"},
    "document_template": {"active": "template.restore names the version made active"},
    "report": {
        "narrative": "drafts' records name the versions (docs/drafts.md)",
        "instance_id": "report.correction starts a new instance (workflow.start)",
        "snapshot": "report.correction reopens the report (its data is recomputed)",
        "locked": "report.correction reopens the report",
    },
    "reporting_notice": {"criticise_units": "notice.edit: list, op, entry"},
    "accident": {
        c: "accident.conclude: the action is the conclusion"
        for c in ("state", "concluded_org_id", "conclusion_records")
    },
}


def _keys(value: Any, into: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            into.add(str(key))
            _keys(inner, into)
    elif isinstance(value, list):
        for inner in value:
            _keys(inner, into)
    return into


def undescribed(
    before: dict[str, dict[tuple[Any, ...], dict[str, Any]]],
    after: dict[str, dict[tuple[Any, ...], dict[str, Any]]],
    records: list[AuditRecord],
) -> list[str]:
    """Columns of existing rows that changed while no record written shows the change."""
    named: set[str] = set()
    for rec in records:
        _keys(rec.before, named)
        _keys(rec.after, named)
    text = json.dumps(
        [[r.before, r.after, r.message] for r in records], ensure_ascii=False, default=str
    )
    actors = {r.actor_id for r in records}
    found = []
    for table, rows in after.items():
        allowed = UNDESCRIBED_OK["*"].keys() | UNDESCRIBED_OK.get(table, {}).keys()
        for key, row in rows.items():
            old = before.get(table, {}).get(key)
            if old is None:
                continue
            for col, value in row.items():
                if value == old[col] or col in allowed or col in named:
                    continue
                if isinstance(value, str) and value and value in text:
                    continue
                if col.endswith("_at") and value is not None:
                    continue
                if col.endswith("_by_id") and value in actors:
                    continue
                found.append(f"{table}.{col} {old[col]!r:.40} -> {value!r:.40}")
    return (
        [f"changed {sorted(set(found))} but no audit record shows it (before/after/message)"]
        if found
        else []
    )


def changed_tables(before: dict, after: dict) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def head() -> int:
    db.session.commit()
    return db.session.execute(select(AuditRecord.id).order_by(AuditRecord.id.desc())).scalar() or 0


def misfiled_since(mark: int) -> list[str]:
    db.session.expire_all()
    return misfiled(db.session.execute(select(AuditRecord).where(AuditRecord.id > mark)).scalars())


def records_since(mark: int) -> list[AuditRecord]:
    db.session.expire_all()
    return list(db.session.execute(select(AuditRecord).where(AuditRecord.id > mark)).scalars())


def actions_since(mark: int) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(AuditRecord.action).where(AuditRecord.id > mark).order_by(AuditRecord.id)
        ).scalars()
    )


@pytest.fixture
def env(app, client, make_user, logged_in, api_token, org) -> Env:
    return Env(app, client, make_user, logged_in, api_token, org)


@pytest.fixture
def hits(app) -> Iterator[list[str]]:
    """``METHOD endpoint`` of every request made while the fixture is active."""
    seen: list[str] = []

    def _record(sender: Any, **_: Any) -> None:
        from flask import request

        seen.append(f"{request.method} {request.endpoint}")

    request_started.connect(_record, app)
    yield seen
    request_started.disconnect(_record, app)


#: Request fields whose values are secrets: no audit record may hold them.
SECRET_FIELDS = ("password", "token", "secret")


@pytest.fixture
def secrets_sent(app) -> Iterator[set[str]]:
    """Every password, token or secret sent to the app or handed out by it (a token issued)
    while the fixture is active."""
    seen: set[str] = set()

    def _walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, inner in value.items():
                _walk(inner, str(k))
        elif isinstance(value, list):
            for inner in value:
                _walk(inner, key)
        elif (
            isinstance(value, str)
            and len(value) >= 6
            and any(word in key.lower() for word in SECRET_FIELDS)
        ):
            seen.add(value)

    def _request(sender: Any, **_: Any) -> None:
        from flask import request

        _walk(request.form.to_dict(flat=False))
        _walk(request.get_json(silent=True))
        bearer = request.headers.get("Authorization", "")
        _walk({"token": bearer.removeprefix("Bearer ").strip()})

    def _response(sender: Any, response: Any, **_: Any) -> None:
        if response.is_json and not response.is_streamed:
            _walk(response.get_json(silent=True))

    request_started.connect(_request, app)
    request_finished.connect(_response, app)
    yield seen
    request_started.disconnect(_request, app)
    request_finished.disconnect(_response, app)


def revealed(secrets: set[str], records: list[AuditRecord]) -> list[str]:
    """The secrets some record holds, in any of its texts (never a password or a token)."""
    text = json.dumps(
        [[r.actor_name, r.object_id, r.before, r.after, r.message] for r in records],
        ensure_ascii=False,
        default=str,
    )
    return sorted(f"{s[:3]}…" for s in secrets if s in text)


@pytest.fixture
def no_audit_tampering() -> Iterator[list[str]]:
    """Every SQL statement that would change or delete audit records (there must be none)."""
    bad: list[str] = []

    def _check(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sql = " ".join(statement.split()).lower()
        if "audit_record" in sql and sql.startswith(("update", "delete", "truncate", "drop")):
            bad.append(statement)

    event.listen(db.engine, "before_cursor_execute", _check)
    yield bad
    event.remove(db.engine, "before_cursor_execute", _check)


def test_every_state_changing_route_has_an_entry(app):
    routes = mutating_routes(app)
    missing = sorted(set(routes) - set(TABLE))
    assert not missing, (
        "state-changing routes without an entry in tests/audit/routes/ (say how to exercise "
        f"them and which audit action they write, or why they write none): {missing}"
    )
    stale = sorted(set(TABLE) - set(routes))
    assert not stale, f"entries in tests/audit/routes/ for routes that do not exist: {stale}"


def check_case(key: str, case: Case, env: Env, hits: list[str]) -> list[str]:
    """Run one case; the problems found (empty when the route behaves)."""
    if case.setup is not None:
        case.setup(env)
    keyed, mark = rows_by_key(), head()
    before = flat(keyed)
    hits.clear()
    response = case.exercise(env)
    problems = []
    if key not in hits:
        problems.append(f"the case did not call {key} (called: {hits})")
    if case.status is not None and response.status_code != case.status:
        problems.append(f"status {response.status_code}, expected {case.status}")
    written = actions_since(mark)
    keyed_after = rows_by_key()
    changed = changed_tables(before, flat(keyed_after))
    missing = [a for a in case.writes if a not in written]
    if missing:
        problems.append(f"did not write {missing} (wrote {written})")
    unlabelled = sorted({a for a in written if a not in ACTION_LABELS})
    if unlabelled:
        problems.append(f"wrote actions without a Chinese label: {unlabelled}")
    if case.no_audit and changed:
        problems.append(f"claims to write nothing ({case.no_audit}) but changed {sorted(changed)}")
    if changed and not written:
        problems.append(f"changed {sorted(changed)} without writing any audit record")
    problems += misfiled_since(mark)
    if written:
        problems += undescribed(keyed, keyed_after, records_since(mark))
    if not audit.verify_chain().ok:
        problems.append("the audit chain no longer verifies")
    return problems


@pytest.mark.parametrize(("key", "case"), CASES, ids=[f"{k} / {c.name}" for k, c in CASES])
def test_route_writes_its_audit_record(
    key: str, case: Case, env, hits, no_audit_tampering, secrets_sent
):
    problems = check_case(key, case, env, hits)
    leaked = revealed(secrets_sent, records_since(0))
    if leaked:
        problems.append(f"audit records hold a password or token sent or issued: {leaked}")
    assert not problems, f"{key} / {case.name}: " + "; ".join(problems)
    assert not no_audit_tampering, no_audit_tampering


def _probe_url(
    app: Flask, key: str, route: Route, env: Env, args: dict[str, Any] | None
) -> tuple[str, str]:
    method, _, endpoint = key.partition(" ")
    rule = mutating_routes(app)[key]
    if args is None:
        args = route.url_args(env) if route.url_args else {}
    for name in rule.arguments:
        if name not in args:
            converter = rule._converters[name]
            args[name] = 1 if isinstance(converter, IntegerConverter) else "x"
    with app.test_request_context():
        return method, url_for(endpoint, **args)


def probe_as_auditor(
    key: str, app: Flask, env: Env, hits: list[str], args: dict[str, Any] | None = None
) -> list[str]:
    """An auditor tries the route; the problems found (empty when refused with 403)."""
    route = TABLE[key]
    env.logged_in("auditor", "410000", username="auditor_probe")
    token = env.csrf("/")
    method, url = _probe_url(app, key, route, env, args)
    before, mark = snapshot(), head()
    hits.clear()
    if route.probe is not None:
        response = route.probe(env)
    elif url.startswith("/api/"):
        response = env.client.open(url, method=method, json={}, headers={"X-CSRFToken": token})
    else:
        response = env.client.open(
            url, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token}
        )
    problems = []
    if key not in hits:
        problems.append(f"the probe did not reach {key} (reached {hits})")
    if response.status_code != 403:
        problems.append(
            f"an auditor got {response.status_code} from {method} {url}: auditors only read "
            "(check the permission before parsing the body or loading the object, or give "
            "the entry a probe or url_args)"
        )
    changed = changed_tables(before, snapshot())
    if changed:
        problems.append(f"an auditor changed {sorted(changed)}")
    if set(actions_since(mark)) - {"permission.denied"}:
        problems.append(f"an auditor's attempt wrote {actions_since(mark)}")
    return problems


@pytest.mark.parametrize("key", PROBED)
def test_auditor_gets_403_on_every_mutating_route(key: str, app, env, hits, no_audit_tampering):
    problems = probe_as_auditor(key, app, env, hits)
    assert not problems, "; ".join(problems)
    assert not no_audit_tampering


def test_only_the_users_own_session_routes_are_open_to_auditors():
    exempt = {key for key, route in TABLE.items() if route.auditor_may}
    assert exempt == {
        "POST auth.login",
        "POST auth.logout",
        "POST auth.change_password",
        "POST api_auth.issue_token",
    }, "auditors only read: a new exemption needs the lead's agreement and docs/audit.md"


# The walk is not vacuous: break a route on purpose and it must notice. ----------------------


def test_walk_catches_a_state_change_without_audit_record(env, hits, monkeypatch):
    monkeypatch.setattr(audit, "record", lambda *a, **k: None)
    case = TABLE["POST auth.logout"].cases[0]
    problems = check_case("POST auth.logout", case, env, hits)
    assert any("without writing any audit record" in p for p in problems), problems


def test_probe_catches_a_route_that_lets_auditors_write(app, env, hits, monkeypatch):
    from webapp.core.models import Role
    from webapp.core.permissions import RULES, Rule

    rule = RULES["user.manage"]
    monkeypatch.setitem(
        RULES, "user.manage", Rule(rule.roles | {Role.AUDITOR}, rule.relations, label="x")
    )
    target = env.make_user("clerk", "410102")
    problems = probe_as_auditor(
        "POST admin.user_set_enabled", app, env, hits, {"user_id": target.id}
    )
    assert any("an auditor got 302" in p for p in problems), problems


def test_walk_catches_a_change_that_no_record_shows():
    rec = AuditRecord(before={"enabled": True}, after={"enabled": False}, message=None)
    before = {"app_user": {(1,): {"id": 1, "full_name": "张三", "email": None}}}
    after = {"app_user": {(1,): {"id": 1, "full_name": "李四", "email": None}}}
    problems = undescribed(before, after, [rec])
    assert problems and "app_user.full_name" in problems[0], problems
    rec.after = {"enabled": False, "full_name": "李四"}
    assert undescribed(before, after, [rec]) == []


def test_walk_catches_a_record_that_holds_a_password(env, hits, secrets_sent, monkeypatch):
    from flask import has_request_context, request

    real = audit.record

    def leaky(action: str, **kw: Any) -> Any:
        if has_request_context():
            kw["message"] = request.form.get("password")
        return real(action, **kw)

    monkeypatch.setattr(audit, "record", leaky)
    case = TABLE["POST auth.login"].cases[0]
    check_case("POST auth.login", case, env, hits)
    assert revealed(secrets_sent, records_since(0)), secrets_sent
