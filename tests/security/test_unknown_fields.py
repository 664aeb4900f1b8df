"""A field the API does not know is refused, never dropped (found from outside: a first accident
report sent with ``"death": 3, "serious_injury": 12`` instead of ``deaths``/``serious_injuries``
was answered 201 and recorded as a 质量问题 without casualties that went up no chain; a 续报
with ``"death": 4`` made a version that changed nothing; a ledger record with
``"is_residental": true`` was saved as not residential).

Marshmallow refuses undeclared fields by default (RAISE); a request schema that EXCLUDEs them
would drop them silently, one that INCLUDEs them must have its reader refuse what it does not
know.  The sweep below holds every schema of the product to that; the accidents' case is
``tests/accidents/test_records.py::test_an_accident_with_a_misspelt_field_is_refused_and_nothing_recorded``."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.ledger.models import Project

PROJECT = {
    "registration_no": "UNKNOWN-1",
    "name": "字段工程",
    "structure_type": "框架",
    "area_m2": 100,
    "cost_10k_yuan": 1,
    "registered_on": "2026-07-01",
}

#: Schemas that keep undeclared keys, and who refuses the keys they do not know.
INCLUDING = {
    # ledger/api.py refuse_unknown_fields: a record's keys are the ledger's fields
    "webapp.ledger.api.RecordBody",
    # a table travels whole into the comparison, which reads it by the registry's keys
    "webapp.stats.api._Open",
    "webapp.stats.api.FiguresBody",
    "webapp.stats.api.SnapshotBody",
    "webapp.stats.api.TableSchema",
}


def _count(model: Any) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_ledger_record_with_an_unknown_field_is_refused_and_read_back_ones_are_not(
    client, api_token
):
    headers = api_token("clerk", "410102")
    refused = client.post(
        "/api/v1/ledger/projects", json={**PROJECT, "is_residental": True}, headers=headers
    )
    assert refused.status_code == 422, refused.get_json()
    assert "is_residental" in refused.get_json()["message"]
    assert _count(Project) == 0
    created = client.post(
        "/api/v1/ledger/projects", json={**PROJECT, "is_residential": True}, headers=headers
    )
    assert created.status_code == 201, created.get_json()
    item = created.get_json()["item"]
    path = f"/api/v1/ledger/projects/{item['id']}"
    # A record sent back as it was read (id, org_code) is fine; a stray key is not.
    assert client.put(path, json={**item, "name": "改名"}, headers=headers).status_code == 200
    stray = client.put(path, json={**item, "org_id": 1}, headers=headers)
    assert stray.status_code == 422 and "org_id" in stray.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(Project, item["id"]).name == "改名"


def _schemas() -> list[type[Schema]]:
    found, stack = [], [Schema]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("webapp."):
                found.append(sub)
    return found


def test_no_schema_drops_unknown_fields_and_every_including_one_is_listed(app):
    schemas = _schemas()
    assert len(schemas) > 50  # the product's schemas were found
    dropping = [f"{s.__module__}.{s.__name__}" for s in schemas if s.opts.unknown == EXCLUDE]
    assert dropping == []
    including = {f"{s.__module__}.{s.__name__}" for s in schemas if s.opts.unknown == INCLUDE}
    assert including == INCLUDING
