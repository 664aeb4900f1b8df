"""Ledger API and pages through HTTP."""

from __future__ import annotations

import io

from sqlalchemy import select

from tests.conftest import csrf_token
from tests.ledger.helpers import project_row, workbook
from webapp.extensions import db
from webapp.ledger.models import Project


def _upload(client, url, data, headers=None, extra=None):
    form = {"file": (io.BytesIO(data), "台账.xlsx"), **(extra or {})}
    return client.post(url, data=form, headers=headers or {}, content_type="multipart/form-data")


def test_api_import_counts_and_refusals(client, api_token):
    headers = api_token("clerk", "410100")
    ok = _upload(
        client,
        "/api/v1/ledger/projects/import?org=410100",
        workbook([project_row("A-1"), project_row("A-2", 监督机构代码="410102")]),
        headers,
    )
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json() == {"created": 2, "updated": 0, "unchanged": 0, "warnings": []}
    bad = _upload(
        client,
        "/api/v1/ledger/projects/import?org=410100",
        workbook([project_row("A-3"), project_row("A-4", 结构类型="木结构")]),
        headers,
    )
    body = bad.get_json()
    assert bad.status_code == 422 and "未导入任何数据" in body["message"]
    assert body["errors"] == [
        {"row": 3, "column": "结构类型", "reason": body["errors"][0]["reason"]}
    ]
    assert db.session.execute(select(Project.registration_no)).scalars().all() != []
    assert "A-3" not in db.session.execute(select(Project.registration_no)).scalars().all()
    garbage = _upload(client, "/api/v1/ledger/accidents/import?org=410100", b"not excel", headers)
    assert garbage.status_code == 422 and "不是有效的 Excel 文件" in garbage.get_json()["message"]


def test_api_import_outside_subtree_is_forbidden(client, api_token):
    headers = api_token("clerk", "410102")
    response = _upload(
        client, "/api/v1/ledger/projects/import?org=410103", workbook([project_row()]), headers
    )
    assert response.status_code == 403


def test_api_crud_and_list(client, api_token):
    headers = api_token("clerk", "410102")
    body = {
        "registration_no": "P-1",
        "name": "工程",
        "structure_type": "框架",
        "area_m2": 100,
        "cost_10k_yuan": 1,
        "registered_on": "2026-07-01",
        "is_public": True,
    }
    created = client.post("/api/v1/ledger/projects", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    item = created.get_json()["item"]
    assert (
        item["area_m2"] == "100.00" and item["is_public"] is True and item["org_code"] == "410102"
    )
    assert "每平方米造价 100 元" in created.get_json()["warnings"][0]
    bad = client.post(
        "/api/v1/ledger/projects",
        json={**body, "registration_no": "P-2", "area_m2": -1},
        headers=headers,
    )
    assert bad.status_code == 422 and "建筑面积必须大于0" in bad.get_json()["message"]
    listed = client.get("/api/v1/ledger/projects?q=P-", headers=headers).get_json()
    assert [i["registration_no"] for i in listed["items"]] == ["P-1"] and not listed["has_more"]
    pid = item["id"]
    updated = client.put(
        f"/api/v1/ledger/projects/{pid}", json={**body, "name": "新名"}, headers=headers
    )
    assert updated.status_code == 200 and updated.get_json()["item"]["name"] == "新名"
    other = api_token("clerk", "410103")
    assert client.get(f"/api/v1/ledger/projects/{pid}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/ledger/projects/{pid}", headers=headers).status_code == 204


def test_pages_list_form_import(logged_in, app):
    client = logged_in("clerk", "410100")
    assert client.get("/ledger/").status_code == 302
    page = client.get("/ledger/projects/")
    assert page.status_code == 200 and "工程项目台账" in page.get_data(as_text=True)
    token = csrf_token(client, "/ledger/projects/new")
    form = {
        "csrf_token": token,
        "org_code": "410102",
        "registration_no": "W-1",
        "name": "网页工程",
        "structure_type": "框架",
        "area_m2": "1000",
        "cost_10k_yuan": "300",
        "registered_on": "2026-07-01",
        "user_rating": "",
        "acceptance_result": "",
        "filing_result": "",
    }
    saved = client.post("/ledger/projects/new", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    refused = client.post(
        "/ledger/projects/new", data={**form, "registration_no": "W-2", "area_m2": "0"}
    )
    assert refused.status_code == 422 and "建筑面积必须大于0" in refused.get_data(as_text=True)
    listing = client.get("/ledger/projects/?q=网页").get_data(as_text=True)
    assert "W-1" in listing and "W-2" not in listing
    token = csrf_token(client, "/ledger/projects/import")
    bad = client.post(
        "/ledger/projects/import",
        data={
            "csrf_token": token,
            "org_code": "410100",
            "file": (io.BytesIO(workbook([project_row("I-1", 住宅="maybe")])), "x.xlsx"),
        },
        content_type="multipart/form-data",
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "import-problems" in text and "住宅" in text
    export = client.get("/ledger/projects/export.xlsx")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    assert client.get("/ledger/accidents/template.xlsx").data[:2] == b"PK"


def test_cli_import(app, make_user, tmp_path):
    make_user("clerk", "410102")
    path = tmp_path / "p.xlsx"
    path.write_bytes(workbook([project_row("C-1")]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "import", "--org", "410102", str(path)])
    assert result.exit_code == 0, result.output
    assert "新增 1" in result.output
    path.write_bytes(workbook([project_row("C-2", 结构类型="木结构")]))
    result = runner.invoke(args=["ledger", "import", "--org", "410102", str(path)])
    assert result.exit_code == 1 and "第 2 行 结构类型" in result.output


def test_reviewer_reads_but_cannot_edit(logged_in, make_user, org):
    from webapp.ledger import operations
    from webapp.ledger.fields import KINDS

    clerk = make_user("clerk", "410102")
    p = operations.save_record(
        clerk,
        KINDS["projects"],
        org("410102"),
        {
            "registration_no": "V-1",
            "name": "只读",
            "structure_type": "框架",
            "area_m2": "100",
            "cost_10k_yuan": "10",
            "registered_on": "2026-07-01",
        },
    ).record
    db.session.commit()
    client = logged_in("reviewer", "410102")
    page = client.get(f"/ledger/projects/{p.id}").get_data(as_text=True)
    assert "查看工程项目" in page and "保存</button>" not in page
    token = csrf_token(client, f"/ledger/projects/{p.id}")
    assert client.post(f"/ledger/projects/{p.id}", data={"csrf_token": token}).status_code == 403
    assert client.get("/ledger/projects/new").status_code == 403


def test_a_huge_number_is_refused_everywhere_with_a_chinese_422(client, logged_in, api_token):
    """1e300 in a decimal field (form, API as number or text, Excel cell) and 3e9 in a count:
    422 "数值过大", nothing stored (it was a 500)."""
    headers = api_token("clerk", "410102", "api_clerk")
    body = {
        "registration_no": "BIG-1",
        "name": "大数",
        "structure_type": "框架",
        "area_m2": 1e300,
        "cost_10k_yuan": "1e300",
        "registered_on": "2026-07-01",
    }
    api = client.post("/api/v1/ledger/projects", json=body, headers=headers)
    assert api.status_code == 422, api.get_data(as_text=True)
    assert api.get_json()["errors"] == {
        "建筑面积（平方米）": "建筑面积（平方米）数值过大",
        "工程造价（万元）": "工程造价（万元）数值过大",
    }
    accident = {
        "occurred_on": "2026-08-01",
        "project_name": "甲",
        "deaths": 3_000_000_000,
        "loss_10k_yuan": "1",
    }
    deaths = client.post("/api/v1/ledger/accidents", json=accident, headers=headers)
    assert deaths.status_code == 422 and "死亡人数数值过大" in deaths.get_json()["message"]
    imported = _upload(
        client,
        "/api/v1/ledger/projects/import?org=410102",
        workbook([project_row("BIG-2", **{"建筑面积（平方米）": 1e300})]),
        headers,
    )
    assert imported.status_code == 422
    assert imported.get_json()["errors"] == [
        {"row": 2, "column": "建筑面积（平方米）", "reason": "建筑面积（平方米）数值过大"}
    ]
    web = logged_in("clerk", "410102")
    form = {f"{k}": str(v) for k, v in body.items()} | {"org_code": "410102"}
    form |= {"user_rating": "未评价", "acceptance_result": "", "filing_result": ""}
    form["csrf_token"] = csrf_token(web, "/ledger/projects/new")
    page = web.post("/ledger/projects/new", data=form)
    assert page.status_code == 422 and "建筑面积（平方米）数值过大" in page.get_data(as_text=True)
    assert db.session.execute(select(Project)).first() is None


def test_api_list_refuses_a_filter_it_does_not_know(client, api_token):
    """Found from outside: the API list silently ignored an unknown sort or status, clamped
    per_page=-1 and page=10^20, and answered ``unit=<a unit outside the subtree>`` with the whole
    subtree, so a client counted rows it had not asked for.  Each is now a Chinese 422."""
    headers = api_token("clerk", "410100")
    url = "/api/v1/ledger/projects"

    def refusal(query: str) -> str:
        answer = client.get(f"{url}?{query}", headers=headers)
        assert answer.status_code == 422, (query, answer.get_json())
        body = answer.get_json()
        return body["message"] + str(body.get("errors", ""))

    assert "排序字段“id;drop”不存在" in refusal("sort=id;drop")
    assert "状态“built”不存在，可选：under_construction" in refusal("status=built")
    penalties = client.get("/api/v1/ledger/penalties?status=filed", headers=headers)
    assert "该台账没有状态筛选" in penalties.get_json()["message"]
    assert "筛选单位“410200”不在郑州市的范围内" in refusal("unit=410200")
    assert "筛选单位“999999”不在郑州市的范围内" in refusal("unit=999999")
    assert "应大于或等于 1且小于或等于 200" in refusal("per_page=-1")
    assert "应大于或等于 1且小于或等于 200" in refusal("per_page=201")
    assert "应大于或等于 1且小于或等于 100000" in refusal("page=0")
    for query in ("sort=name", "status=filed", "unit=410102", "unit=410100", "per_page=200"):
        assert client.get(f"{url}?{query}", headers=headers).status_code == 200, query
