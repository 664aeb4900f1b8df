"""The access walk: every page and API operation read by every role at every org relation.

The world (tests/security/access_world.py) has users of each role at six orgs and objects at a
county, a city and the province; the table (tests/security/access_table.py) says who may.
Each request's answer is classified:

- allowed: 2xx, or a redirect that is not to the login page;
- refused: 403 or 404 for a signed-in user (404: an object the user may not see answers as a
  missing one, tests/security/test_hidden_ids.py), 401 or a redirect to the login page for an
  anonymous visitor.

Every 403 must leave a ``permission.denied`` audit record; a 500 is always a failure; lists,
exports and searches (``lists``) may only show the markers of objects the user may see.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections import Counter
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from tests.conftest import csrf_token
from tests.security.access_table import NOT_WALKED, TABLE, WRITES, Entry
from tests.security.access_world import ORGS, World, build, marker
from webapp.core.models import AuditRecord
from webapp.core.operations import get_org
from webapp.core.permissions import relation
from webapp.extensions import db

MARKER = re.compile(r"访问标记(\d{6})")


def may(entry: Entry, role: str, user_org: str | None, target: str | None) -> bool:
    if role == "anonymous":
        return entry.public
    if entry.public or role in entry.anywhere or (role, user_org) in entry.also:
        return True
    if role not in entry.roles:
        return False
    if entry.relations is None or target is None:
        return True
    return relation(get_org(user_org), get_org(target)) in entry.relations


def outcome(response: Any, entry: Entry) -> str:
    status = response.status_code
    if status == entry.allowed_status:
        return "allowed"  # checked the right, then refused by the object's state
    if status >= 500:
        return "error"
    if 200 <= status < 300:
        return "allowed"
    if 300 <= status < 400:
        location = response.headers.get("Location", "")
        return "refused" if "/login" in location else "allowed"
    if status in (401, 403, 404):
        return "refused"
    return f"status {status}"


def last_audit_id() -> int:
    db.session.commit()
    return db.session.execute(select(func.max(AuditRecord.id))).scalar() or 0


def refused_since(mark: int) -> bool:
    """Whether a request after ``mark`` was refused (403, or 404 for a hidden object)."""
    db.session.commit()
    return (
        db.session.execute(
            select(AuditRecord.id).where(
                AuditRecord.id > mark, AuditRecord.action == "permission.denied"
            )
        ).first()
        is not None
    )


def shown_markers(response: Any) -> set[str]:
    data = response.get_data()
    if response.mimetype.endswith("spreadsheetml.sheet"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        text = " ".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
        book.close()
    elif response.is_json:
        text = json.dumps(response.get_json(), ensure_ascii=False)
    else:
        text = data.decode("utf-8", "replace")
    return set(MARKER.findall(text))


def walk(app: Flask, world: World, table: dict[str, Entry]) -> tuple[list[str], int]:
    problems: list[str] = []
    refusals: Counter[str] = Counter()
    listed: Counter[str] = Counter()
    requests = 0
    for key, entry in table.items():
        endpoint = key.split(" ", 1)[1]
        for target in entry.at:
            values = world.at(target)
            try:
                path = entry.path.format(**values)
            except KeyError as missing:
                problems.append(f"{key}: no object {missing} at {target}")
                continue
            for (role, user_org), client in world.clients.items():
                # A 404 that means "allowed" here (no such file yet) is told from an object
                # hidden from the user (answered as missing) by the refusal's audit record.
                mark = last_audit_id() if entry.allowed_status == 404 else None
                response = client.get(path)
                response.get_data()  # read, then close (file answers hold an open file)
                response.close()
                requests += 1
                expected = "allowed" if may(entry, role, user_org, target) else "refused"
                got = outcome(response, entry)
                if mark is not None and response.status_code == 404 and refused_since(mark):
                    got = "refused"
                who = f"{role}@{user_org or '-'} → {path} (object of {target or '-'})"
                if got != expected:
                    problems.append(f"{key}: {who}: {got} ({response.status_code}), {expected}")
                    continue
                if response.status_code == 403:
                    refusals[endpoint] += 1
                if got == "allowed" and entry.lists:
                    shown = shown_markers(response)
                    listed[key] += len(shown)
                    for code in shown:
                        if not may(entry, role, user_org, code):
                            problems.append(f"{key}: {who} shows {marker(code)}")
    for key, entry in table.items():
        if entry.lists and not listed[key]:
            problems.append(f"{key}: no marker ever shown (the list check is vacuous)")
    db.session.commit()
    logged = Counter(
        db.session.execute(
            select(AuditRecord.object_id).where(AuditRecord.action == "permission.denied")
        ).scalars()
    )
    for endpoint, count in refusals.items():
        if logged[endpoint] < count:
            problems.append(f"{endpoint}: {count} refusals (403), {logged[endpoint]} logged")
    return problems, requests


def test_every_get_route_has_an_expectation(app):
    routes = {f"GET {rule.endpoint}" for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    missing = sorted(routes - TABLE.keys() - NOT_WALKED.keys())
    assert not missing, f"GET routes without an entry in tests/security/access_table.py: {missing}"
    stale = sorted((TABLE.keys() | NOT_WALKED.keys()) - routes)
    assert not stale, f"entries for routes that do not exist: {stale}"


def test_every_role_at_every_relation_gets_what_the_table_says(app, make_user):
    started = time.perf_counter()
    world = build(app, make_user)
    built = time.perf_counter() - started
    problems, requests = walk(app, world, TABLE)
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:80])
    assert requests > 2000 and set(ORGS) <= set(world.ids["project"])
    print(f"access walk: built in {built:.1f}s, {requests} requests")


def test_the_walk_catches_a_route_that_lets_peers_read(app, make_user, monkeypatch):
    """Widen a rule the way a mistake would (peers reading ledgers): the walk notices."""
    from webapp.core.permissions import RULES, Relation, Rule

    rule = RULES["ledger.view"]
    widened = Rule(rule.roles, rule.relations | {Relation.PEER}, label=rule.label)
    monkeypatch.setitem(RULES, "ledger.view", widened)
    world = build(app, make_user)
    subset = {k: TABLE[k] for k in ("GET api_ledger.read", "GET api_ledger.list_view")}
    problems, _ = walk(app, world, subset)
    assert any("clerk@410103 → /api/v1/ledger/projects/" in p for p in problems), problems


def test_the_reports_page_shows_no_report_to_roles_without_report_view(app, make_user):
    """Administrators and auditors use the reports page (opening periods) but see no report:
    the board of lower units (开封市 among them) is for report.view only."""
    world = build(app, make_user)
    for role in ("admin", "auditor", "reviewer"):
        page = world.clients[(role, "410000")].get("/reports/").get_data(as_text=True)
        assert ("开封市" in page) == (role == "reviewer"), role


def snapshot() -> dict[str, list[str]]:
    """Every row of every table but the audit trail (its records and its head: a refusal is
    recorded, so both move)."""
    db.session.commit()
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name not in ("audit_record", "audit_head"):
                out[table.name] = sorted(repr(tuple(r)) for r in conn.execute(select(table)))
    return out


def write_walk(world: World, table: dict[str, Entry]) -> tuple[list[str], int]:
    """Everyone the table does not allow tries each write with an empty body: refused."""
    problems: list[str] = []
    refusals: Counter[str] = Counter()
    tokens = {
        who: csrf_token(c, "/login" if who[0] == "anonymous" else "/")
        for who, c in world.clients.items()
    }
    before = snapshot()
    mark = db.session.execute(select(func.max(AuditRecord.id))).scalar() or 0
    requests = 0
    for key, entry in table.items():
        method, endpoint = key.split(" ", 1)
        for target in entry.at:
            path = entry.path.format(**world.at(target))
            for (role, user_org), client in world.clients.items():
                if may(entry, role, user_org, target):
                    continue
                token = tokens[(role, user_org)]
                if path.startswith("/api/"):
                    response = client.open(
                        path, method=method, json={}, headers={"X-CSRFToken": token}
                    )
                else:
                    response = client.open(path, method=method, data={"csrf_token": token})
                response.close()
                requests += 1
                got = outcome(response, entry)
                if response.status_code in (400, 422) and path.startswith("/api/"):
                    # The empty body failed validation before the object was looked at: still
                    # a refusal (nothing changes, checked below); the completeness walk's
                    # cross-org cases send real bodies and get 403.
                    got = "refused"
                if got != "refused":
                    who = f"{role}@{user_org or '-'} {method} {path} (object of {target or '-'})"
                    problems.append(f"{key}: {who}: {got} ({response.status_code}), refused")
                elif response.status_code == 403:
                    refusals[endpoint] += 1
    changed = [t for t, rows in snapshot().items() if rows != before[t]]
    if changed:
        problems.append(f"refused writes changed {changed}")
    written = Counter(
        db.session.execute(
            select(AuditRecord.action, AuditRecord.object_id).where(AuditRecord.id > mark)
        ).all()
    )
    for (action, _), _count in written.items():
        if action != "permission.denied":
            problems.append(f"a refused write wrote {action}")
    for endpoint, count in refusals.items():
        if written[("permission.denied", endpoint)] < count:
            logged = written[("permission.denied", endpoint)]
            problems.append(f"{endpoint}: {count} refusals (403), {logged} logged")
    return problems, requests


def test_writes_on_objects_of_other_orgs_are_refused_and_change_nothing(app, make_user):
    routes = {
        f"{m} {rule.endpoint}"
        for rule in app.url_map.iter_rules()
        for m in rule.methods - {"GET", "HEAD", "OPTIONS"}
    }
    assert not set(WRITES) - routes, sorted(set(WRITES) - routes)
    world = build(app, make_user)
    problems, requests = write_walk(world, WRITES)
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:80])
    print(f"write walk: {requests} requests")
