from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from tests.audit.helpers import listed_ids, write
from webapp.extensions import db


def test_list_filters_and_keyset_pages(client, api_token):
    headers = api_token("auditor", "410000")
    made = [
        write(
            "ledger.project.update",
            datetime(2025, 7, 1, tzinfo=UTC),
            org="410102",
            object_type="project",
            object_id=i,
            before={"area": i},
            after={"area": i + 1},
        )
        for i in range(7)
    ]
    url = "/api/v1/audit?action=ledger.&limit=3"
    first = client.get(url, headers=headers).get_json()
    assert [i["id"] for i in first["items"]] == [r.id for r in reversed(made)][:3]
    assert first["total"] == 7 and first["total_is_lower_bound"] is False
    item = first["items"][0]
    assert item["action_label"] == "台账：ledger.project.update"
    assert item["after"] == {"area": 7} and item["org_code"] == "410102"
    second = client.get(f"{url}&before={first['next']}", headers=headers).get_json()
    assert [i["id"] for i in second["items"]] == [r.id for r in reversed(made)][3:6]
    last = client.get(f"{url}&before={second['next']}", headers=headers).get_json()
    assert len(last["items"]) == 1 and last["next"] is None


def test_same_filters_as_the_page(client, api_token):
    write("user.update", datetime(2025, 1, 1, tzinfo=UTC), org="410102", message="甲")
    write("user.update", datetime(2025, 1, 2, tzinfo=UTC), org="410302", message="乙")
    headers = api_token("admin", "410000")
    client.environ_base["HTTP_AUTHORIZATION"] = headers["Authorization"]
    assert len(listed_ids(client, "org=410100&date_to=2025-01-31")) == 1
    assert len(listed_ids(client, "q=乙")) == 1
    bad = client.get("/api/v1/audit?date_from=2025-02-01&date_to=2025-01-01")
    assert bad.status_code == 422 and "起始日期" in str(bad.get_json()["errors"])
    assert client.get("/api/v1/audit?org=999999").status_code == 422


def test_only_auditors_and_admins(client, api_token):
    assert client.get("/api/v1/audit").status_code == 401
    for role in ("clerk", "reviewer", "leader"):
        headers = api_token(role, "410000", username=f"{role}_x")
        assert client.get("/api/v1/audit", headers=headers).status_code == 403
        assert client.get("/api/v1/audit/verify", headers=headers).status_code == 403


def test_verify_reports_ok_then_first_broken(client, api_token):
    headers = api_token("auditor", "410000")
    records = [write("test.event", object_id=i) for i in range(4)]
    body = client.get("/api/v1/audit/verify", headers=headers).get_json()
    assert body["ok"] is True and body["first_broken"] is None and body["records"] >= 4
    anchor = client.get("/api/v1/audit/anchor", headers=headers).get_json()
    with_anchor = client.get(
        "/api/v1/audit/verify",
        headers=headers,
        query_string={"anchor_id": anchor["id"], "anchor_hash": anchor["hash"]},
    ).get_json()
    assert with_anchor["ok"] is True and with_anchor["anchor"]["status"] == "ok"
    db.session.commit()
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_record DISABLE TRIGGER audit_record_no_change"))
        conn.execute(
            text("UPDATE audit_record SET object_id = 'x' WHERE id = :id"), {"id": records[2].id}
        )
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_record ENABLE TRIGGER audit_record_no_change"))
    body = client.get("/api/v1/audit/verify", headers=headers).get_json()
    assert body["ok"] is False and body["first_broken"] == records[2].id


def test_record_by_id_and_openapi(client, api_token):
    headers = api_token("auditor", "410000")
    rec = write("user.create", org="410102", after={"username": "zs"})
    got = client.get(f"/api/v1/audit/{rec.id}", headers=headers).get_json()
    assert got["hash"] == rec.hash and got["action_label"] == "新建用户"
    assert client.get("/api/v1/audit/999999", headers=headers).status_code == 404
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/audit", "/api/v1/audit/verify", "/api/v1/audit/anchor"):
        assert path in paths and "get" in paths[path]
    params = {p["name"] for p in paths["/api/v1/audit"]["get"]["parameters"]}
    assert {"date_from", "date_to", "actor", "org", "action", "object_type", "q"} <= params
