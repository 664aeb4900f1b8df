"""An object the user may not see answers exactly as a missing one (the class of the outside
attacker's finding: 404 for a missing id, 403 for another unit's existing one told which report,
accident, task... ids exist).

For every route of the access walk's tables whose URL holds a database id, every signed-in user
the table refuses asks for the world's object and for an id that does not exist: same status,
same headers, same body (the URL itself masked).  The refusal of the existing object is still
audited (``permission.denied`` for the route, as for a 403); a missing id leaves no record.  A
user who may see the object (its page, :data:`SHOWN_BY`) but not do the action keeps a 403:
that tells nothing.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from tests.conftest import csrf_token
from tests.security.access_table import (
    CITIES,
    OWN,
    TABLE,
    UNITS,
    WORKERS,
    WRITES,
    Entry,
    org_bound,
)
from tests.security.access_world import CITY, World, build
from tests.security.test_access_walk import may
from webapp.core.models import AuditRecord
from webapp.core.permissions import DOWNWARD, Relation
from webapp.extensions import db

#: The world's kinds whose values are database ids.
ID_KINDS = frozenset(
    {
        "project",
        "report",
        "report_doc",
        "task",
        "instance",
        "accident",
        "unit",
        "evidence",
        "publication",
        "campaign",
        "sheet",
        "user",
        "record",
        "site",
        "objection",
        "published_record",
    }
)
#: The pages that show each kind of object (that it exists): who may read one of them may be
#: told 403 for an action on it.  A report is also known from the unit's reporting board, which
#: the administrators (who open the periods) follow for every unit without reading the report:
#: they keep their 403 (``reports.operations.may_know``).
ANSWERING = frozenset({"reviewer", "leader"})
SHOWN_BY: dict[str, tuple[str | Entry, ...]] = {
    "project": ("GET api_ledger.read",),
    "report": ("GET reports.report_page", "GET reports.board"),
    "report_doc": ("GET reports.archived_document",),
    "task": ("GET engine.task_page",),
    "instance": ("GET engine.instance_page",),
    "accident": ("GET accidents.detail",),
    "unit": ("GET assessment.unit",),
    "evidence": ("GET assessment.evidence",),
    "publication": ("GET publication.workspace",),
    "campaign": ("GET assessment.campaign",),
    "sheet": ("GET assessment.sheet",),
    "user": ("GET admin.user_edit",),
    "record": ("GET audit.detail",),
    #: a unit's page lists its sampled sites (the API's with their ids)
    "site": ("GET assessment.unit",),
    #: the objections page lists those the user's own unit answers
    "objection": (org_bound("/publication/objections", ANSWERING, relations=OWN),),
    #: the portal's record: one not published is missing to everyone there
    "published_record": (),
    #: An accepted report: its peers read its summary tables (第七条 互访) on its page, so they
    #: may know it (``reports.operations.may_know``); administrators follow every board.
    "accepted_report": (
        org_bound("/reports/{report}", WORKERS, relations=DOWNWARD | {Relation.PEER}),
        "GET reports.board",
    ),
}
#: Objects probed in place of a kind besides the world's own (its org's): the accepted report
#: wherever a report is, since who may know it differs.
VARIANTS = {"report": ("accepted_report",)}
#: What a write sends when an empty body would be refused before the object is looked at (the
#: walk must reach the lookup to compare an existing object with a missing one).
BODIES: dict[str, dict[str, str]] = {
    "POST assessment.site_visit": {"visit_date": "2025-06-01", "findings": "资料齐全"},
    "POST api_assessment.site_visit": {"visit_date": "2025-06-01", "findings": "资料齐全"},
    "POST publication.answer_objection": {"outcome": "dismissed", "answer": "经核实，记录属实。"},
    "POST public.objection": {
        "objector": "某建设有限公司",
        "objector_kind": "unit",
        "reason": "该记录所述事实与实际不符，请核实。",
    },
}
#: The id-taking writes the write walk leaves to the completeness walk (they need a body to
#: reach the object there): here nobody "may" (the empty roles); whoever sees the object is
#: left out by :data:`SHOWN_BY`, everyone else must be told what a missing id tells.
NOBODY = frozenset[str]()
HIDDEN_WRITES: dict[str, Entry] = {
    **{
        f"{method} {endpoint}": org_bound(path, NOBODY, UNITS)
        for method, endpoint, path in (
            ("POST", "reports.save_meeting", "/reports/{report}/meeting"),
            ("POST", "reports.first_draft", "/reports/{report}/first-draft"),
            ("POST", "reports.extend", "/reports/{report}/deadline"),
            ("POST", "reports.attach_seal", "/reports/{report}/seal"),
            ("PUT", "api_reports.put_meeting", "/api/v1/reports/{report}/meeting"),
            ("POST", "api_reports.extend_deadline", "/api/v1/reports/{report}/deadline"),
            ("POST", "publication.save_sections", "/publication/{publication}/sections"),
            ("POST", "publication.regenerate", "/publication/{publication}/regenerate"),
            ("POST", "publication.request_withdrawal", "/publication/{publication}/withdrawal"),
            ("PUT", "api_publication.put_sections", "/api/v1/publications/{publication}/sections"),
            (
                "POST",
                "api_publication.regenerate",
                "/api/v1/publications/{publication}/regenerate",
            ),
            (
                "POST",
                "api_publication.request_withdrawal",
                "/api/v1/publications/{publication}/withdrawal",
            ),
        )
    },
    "POST assessment.upload_material": org_bound(
        "/assessment/units/{unit}/materials/work_report", NOBODY, CITIES
    ),
    "POST api_assessment.upload_evidence": org_bound(
        "/api/v1/assessment/units/{unit}/evidence", NOBODY, CITIES
    ),
    # the assessors score (visit the sites); the others seeing the unit are told 403
    "POST assessment.site_visit": org_bound(
        "/assessment/sites/{site}/visit", frozenset({"assessor"}), CITIES
    ),
    "POST api_assessment.site_visit": org_bound(
        "/api/v1/assessment/sites/{site}/visit", frozenset({"assessor"}), CITIES
    ),
    # the approving tier (郑州市 here) answers; nobody else sees the objection
    "POST publication.answer_objection": org_bound(
        "/publication/objections/{objection}/answer", ANSWERING, (CITY,), relations=OWN
    ),
    # a record of a draft: missing on the portal to everyone alike
    "POST public.objection": org_bound(
        "/public/records/{published_record}/objection", NOBODY, (CITY,)
    ),
}
#: Id-taking routes not walked here, and why.
NOT_HIDDEN_WALKED = {
    "POST assessment.confirm_laggards": "the province's campaign: one, seen by all its staff",
    "POST assessment.activate_sheet": "score sheets: global, the administrators'",
    "POST api_assessment.activate_sheet": "score sheets: global, the administrators'",
    "POST api_assessment.compute_score": "score sheets: global, the administrators'",
    "POST notifications.read": "one's own notices only: another's is not found (mark_read)",
    "POST api_notifications.read": "as notifications.read",
    **dict.fromkeys(
        (
            "GET api_stats.table",
            "GET stats.table",
            "GET stats.table_xlsx",
            "GET api_workflows.download",
            "GET workflow_admin.workflows_download",
            "GET doc_templates.templates_download",
            "GET reports.notice_document",
            "GET reports.notice_page",
            "POST reports.notice_edit",
            "POST reports.notice_start",
        ),
        "the number is a form's, a version's or a year, not a database id",
    ),
}
#: An id no row has (every table's ids stay far below it in the tests).
MISSING = 987654321
#: What differs between any two answers of the same page: the CSRF token (signed with the time).
VOLATILE = re.compile(r'((?:name="csrf_token" value|name="csrf-token" content)=")[^"]*"')
#: Headers that differ between any two answers (the length follows the masked URL).
UNCOMPARED = frozenset({"Date", "Content-Length", "X-Request-ID"})
#: Headers whose value differs between any two answers (the login limits count down).
MASKED = frozenset({"X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"})
#: The public portal answers 404 for whatever is not published, to everyone alike: nothing
#: there is a refusal of the user (no audit record).
UNREFUSED = ("public.", "api_public.")
#: The session cookie's value and expiry differ between any two answers (its time is in it).
COOKIE = re.compile(r"^([^=]+=)[^;]*|(Expires=)[^;]*")


def id_fields(path: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(path) if name} & ID_KINDS


def sees(kind: str, role: str, user_org: str | None, target: str | None) -> bool:
    """May the user know that the object of ``kind`` at ``target`` exists (a page shows it)?"""
    return any(
        may(TABLE[page] if isinstance(page, str) else page, role, user_org, target)
        for page in SHOWN_BY[kind]
    )


def probes(world: World, entry: Entry, fields: set[str]) -> list[tuple[str, dict[str, Any], dict]]:
    """(the object's org, the URL's values, each field's kind as :data:`SHOWN_BY` knows it) for
    every object an entry is asked about: its own at each org, then the :data:`VARIANTS`."""
    out = [(target, world.at(target), {f: f for f in fields}) for target in entry.at]
    for field_ in sorted(fields):
        for variant in VARIANTS.get(field_, ()):
            for code, object_id in world.ids[variant].items():
                kinds = {f: f for f in fields} | {field_: variant}
                out.append((code, world.at(code) | {field_: object_id}, kinds))
    return out


def answer(response: Any, path: str) -> tuple[int, list[tuple[str, str]], str]:
    body = response.get_data().decode("utf-8", "replace")
    response.close()
    body = VOLATILE.sub(r"\1…\"", body.replace(path, "<url>"))
    headers = sorted(
        (
            k,
            "…"
            if k in MASKED
            else COOKIE.sub(r"\1\2…", v)
            if k == "Set-Cookie"
            else v.replace(path, "<url>"),
        )
        for k, v in response.headers
        if k not in UNCOMPARED
    )
    return response.status_code, headers, body


def refused_count(endpoint: str) -> int:
    db.session.commit()
    return db.session.execute(
        select(func.count())
        .select_from(AuditRecord)
        .where(AuditRecord.action == "permission.denied", AuditRecord.object_id == endpoint)
    ).scalar_one()


def hidden_walk(
    world: World, table: dict[str, Entry], keep: Callable[[str], bool] = lambda key: True
) -> tuple[list[str], int]:
    problems: list[str] = []
    requests = 0
    tokens: dict[tuple[str, str | None], str] = {}
    for key, entry in table.items():
        method, endpoint = key.split(" ", 1)
        fields = id_fields(entry.path)
        if not fields or not keep(key):
            continue
        body = BODIES.get(key, {})
        for target, values, kinds in probes(world, entry, fields):
            path = entry.path.format(**values)
            missing = entry.path.format(**(values | dict.fromkeys(fields, MISSING)))
            for (role, user_org), client in world.clients.items():
                if role == "anonymous" or may(entry, role, user_org, target):
                    continue
                if method == "GET":

                    def ask(url: str, client: Any = client) -> Any:
                        return client.get(url)
                else:
                    who = (role, user_org)
                    token = tokens.setdefault(who, csrf_token(client, "/"))

                    def ask(url: str, client: Any = client, token: str = token) -> Any:
                        if url.startswith("/api/"):
                            return client.open(
                                url, method=method, json=body, headers={"X-CSRFToken": token}
                            )
                        return client.open(url, method=method, data=body | {"csrf_token": token})

                who = f"{role}@{user_org} {method} {path} (object of {target})"
                before = refused_count(endpoint)
                existing = answer(ask(path), path)
                audited = refused_count(endpoint) - before
                absent = answer(ask(missing), missing)
                requests += 2
                # the portal shows only what is published: a draft is missing there to all
                portal = endpoint.startswith(UNREFUSED)
                if not portal and all(sees(k, role, user_org, target) for k in kinds.values()):
                    # Sees the object (a 403 for the action tells nothing); told it is missing,
                    # the rule would hide what the user may know: the other direction's fault.
                    if existing[0] == 404 and (audited or existing == absent):
                        problems.append(f"{key}: {who}: answered as missing to one who sees it")
                    continue
                if existing != absent:
                    diff = [
                        f"status {existing[0]} ≠ {absent[0]}" if existing[0] != absent[0] else "",
                        f"headers {sorted({k for k, _ in set(existing[1]) ^ set(absent[1])})}"
                        if existing[1] != absent[1]
                        else "",
                        "body differs" if existing[2] != absent[2] else "",
                    ]
                    problems.append(f"{key}: {who}: {' '.join(d for d in diff if d)}")
                elif (
                    existing[0] in (403, 404) and audited < 1 and not endpoint.startswith(UNREFUSED)
                ):
                    problems.append(f"{key}: {who}: {existing[0]} not audited")
    return problems, requests


def summary(problems: list[str]) -> str:
    """How many differences each route has, and its first."""
    first: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for problem in problems:
        key = problem.split(":", 1)[0]
        counts[key] += 1
        first.setdefault(key, problem)
    lines = [f"{counts[key]} × {first[key]}" for key in sorted(counts)]
    return f"{len(problems)} differences on {len(counts)} routes:\n" + "\n".join(lines)


def test_an_object_one_may_not_see_answers_as_a_missing_one(app, make_user):
    world = build(app, make_user)
    problems, requests = hidden_walk(world, TABLE)
    assert not problems, summary(problems)
    assert requests > 500
    print(f"hidden walk (reads): {requests} requests")


def test_every_id_taking_route_is_walked(app):
    walked = {
        key for key, entry in (TABLE | WRITES | HIDDEN_WRITES).items() if id_fields(entry.path)
    }
    routes = {
        f"{method} {rule.endpoint}"
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values())
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(routes - walked - NOT_HIDDEN_WALKED.keys())
    assert not missing, f"id-taking routes neither walked nor excused: {missing}"
    assert not NOT_HIDDEN_WALKED.keys() & walked


def test_a_write_on_an_object_one_may_not_see_answers_as_on_a_missing_one(app, make_user):
    world = build(app, make_user)
    problems, requests = hidden_walk(world, WRITES | HIDDEN_WRITES)
    assert not problems, summary(problems)
    assert requests > 500
    print(f"hidden walk (writes): {requests} requests")
