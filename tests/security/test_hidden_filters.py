"""The hidden-id rule beyond the URL's ids: the query parameters of every page and API read.

A list, a search or an export filtered by another unit's object (``?report=``, ``?user=``, a
search text naming its project) must answer exactly as when filtered by something that does
not exist: no row of it, no count, no other error.  A filter naming another unit (``?org=``,
``?under=``, ``?unit=``) may be refused (the units are public, the portal lists them) but may
show nothing of that unit's objects.

The parameters are not listed by hand: each route is requested once by each probing user and
the names its view reads from the query string are recorded (the request's parameter class
notes every key asked for); every name read must be classified below, so a new filter is
walked (or excused) the day it is added.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote, quote_plus

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from tests.security.access_table import TABLE
from tests.security.access_world import COUNTY, OTHER_CITY, OTHER_COUNTY, SIBLING, build, marker
from tests.security.test_access_walk import MARKER, may, shown_markers
from tests.security.test_hidden_ids import MISSING, answer, id_fields
from webapp.core.operations import get_org
from webapp.core.permissions import DOWNWARD, relation

#: Who probes: staff of a sibling county, another city and another city's county; 中原区
#: (COUNTY) is the unit whose objects they may not see (its accepted report excepted, which
#: the world does not put in the filters).
PROBES = (("clerk", SIBLING), ("reviewer", OTHER_CITY), ("leader", OTHER_COUNTY))
#: Parameters naming a unit: the value is 中原区's code; refusing it tells nothing (the units
#: are public), only its objects must not show.
UNIT_PARAMS = frozenset({"org", "under", "unit"})
#: Parameters naming one object by id → the world's kind whose 中原区 object is named.
ID_PARAMS = {
    "report": "report",
    "task": "task",
    "user": "user",
    "project": "project",
    "accident": "accident",
    "publication": "publication",
    "record_id": "published_record",
}
#: Free text searched in the objects' names and numbers: 中原区's project number and marker.
SEARCH_PARAMS = frozenset({"q", "search", "enterprise", "keyword", "name"})
#: Parameters that name no object: paging, sorting, periods, views, switches.
PLAIN_PARAMS = frozenset(
    {
        "page",
        "per_page",
        "sort",
        "dir",
        "period",
        "year",
        "open",
        "show",
        "view",
        "phase",
        "group",
        "category",
        "kind",
        "status",
        "state",
        "unread",
        "next",
        "download",
        "process",
        "limit",
        "before",
        "after",
        "new",
        "old",
        "direct",
        "run",
        "anchor",
        "object_type",
        "object_id",
        "action",
        "actor",
        "from",
        "to",
    }
)


class NotedArgs(ImmutableMultiDict):  # type: ignore[type-arg]
    """The query string, noting every name a view asks for."""

    asked: set[str] = set()

    def __getitem__(self, key: Any) -> Any:
        NotedArgs.asked.add(str(key))
        return super().__getitem__(key)

    def get(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        NotedArgs.asked.add(str(key))
        return super().get(key, *args, **kwargs)

    def getlist(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        NotedArgs.asked.add(str(key))
        return super().getlist(key, *args, **kwargs)

    def __contains__(self, key: object) -> bool:
        NotedArgs.asked.add(str(key))
        return super().__contains__(key)


def routes_for(world: Any, role: str, code: str) -> list[tuple[str, str]]:
    """(key, URL) of the GET routes without an id in the path that the user may open (at their
    own unit where the route is a unit's)."""
    out = []
    for key, entry in TABLE.items():
        if id_fields(entry.path) or entry.public:
            continue
        target = code if entry.relations is not None else None
        if not may(entry, role, code, target):
            continue
        out.append((key, entry.path.format(**world.at(target))))
    return out


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def compared(response: Any, path: str) -> tuple[int, list[tuple[str, str]], str]:
    """What is compared of an answer: ``answer``'s, but a workbook by its cells. A workbook's
    bytes hold the moment it was written (docProps/core.xml), so two exports of the same rows a
    second apart differ (make test, 2026-12-07: ledger.export ``?q=`` failed under load)."""
    if response.mimetype != XLSX:
        return answer(response, path)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    cells = "\n".join(
        f"{sheet.title}: {row}"
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    )
    book.close()
    status, headers, _ = answer(response, path)
    return status, [(k, v) for k, v in headers if k != "Content-Length"], cells


def masked(body: str, value: str) -> str:
    for written in (value, quote(value), quote_plus(value)):
        body = body.replace(written, "<value>")
    return body


def with_param(path: str, name: str, value: str) -> str:
    base, _, query = path.partition("?")
    kept = [p for p in query.split("&") if p and p.split("=", 1)[0] != name]
    return f"{base}?{'&'.join([*kept, f'{name}={value}'])}"


def test_filters_naming_another_units_objects_answer_as_naming_nothing(app, make_user, monkeypatch):
    monkeypatch.setattr(Request, "parameter_storage_class", NotedArgs)
    world = build(app, make_user)
    problems: list[str] = []
    unclassified: set[str] = set()
    requests = 0
    walked: set[str] = set()
    for role, code in PROBES:
        client = world.clients[(role, code)]
        for key, path in routes_for(world, role, code):
            NotedArgs.asked = set()
            client.get(path).close()
            requests += 1
            for name in sorted(NotedArgs.asked):
                if name in PLAIN_PARAMS:
                    continue
                if name in UNIT_PARAMS:
                    pairs = [(COUNTY, None)]
                elif name in ID_PARAMS:
                    kind = ID_PARAMS[name]
                    pairs = [(str(world.at(COUNTY)[kind]), str(MISSING))]
                elif name in SEARCH_PARAMS:
                    pairs = [(f"ACC-{COUNTY}", "ACC-999999"), (marker(COUNTY), marker("999999"))]
                else:
                    unclassified.add(f"{name} ({key})")
                    continue
                walked.add(f"{key}?{name}")
                for value, absent_value in pairs:
                    url = with_param(path, name, value)
                    response = client.get(url)
                    requests += 1
                    existing = compared(response, url)
                    who = f"{key}: {role}@{code} ?{name}={value}"
                    # the world's markers are on projects, accidents, evidence: the subtree's
                    # (the value typed comes back in the search box and the page links)
                    shown = {
                        c
                        for c in (
                            MARKER.findall(masked(existing[2], value))
                            if response.mimetype != XLSX
                            else shown_markers(response)
                        )
                        if relation(get_org(code), get_org(c)) not in DOWNWARD
                    }
                    if shown and existing[0] == 200:
                        problems.append(f"{who}: shows {sorted(shown)}")
                    if absent_value is None:
                        continue
                    other = with_param(path, name, absent_value)
                    absent = compared(client.get(other), other)
                    requests += 1
                    if (*existing[:2], masked(existing[2], value)) != (
                        *absent[:2],
                        masked(absent[2], absent_value),
                    ):
                        problems.append(f"{who}: differs from naming nothing ({absent_value})")
    assert not unclassified, f"query parameters read but not classified: {sorted(unclassified)}"
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:60])
    assert requests > 150
    print(f"filter walk: {requests} requests, {len(walked)} filters: {sorted(walked)}")
