"""A big import: the row limit, validation without the write lock, one atomic write, progress."""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile

import pytest
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from sqlalchemy import func, select

from tests.conftest import csrf_token, login
from tests.ledger.helpers import project_row, workbook
from webapp.core import progress
from webapp.core.errors import Conflict, InvalidInput
from webapp.core.models import AuditRecord
from webapp.extensions import begin_write, db, write_intent
from webapp.ledger import excel, importing, operations, views
from webapp.ledger.fields import KINDS
from webapp.ledger.models import Project

PROJECTS = KINDS["projects"]


def _count(model=Project) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _declaring(data: bytes, rows: int | None) -> bytes:
    """The workbook with its sheet's declared dimension replaced (None: removed)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                new = b"" if rows is None else f'<dimension ref="A1:S{rows}"/>'.encode()
                body = re.sub(rb"<dimension [^>]*/>", new, body)
            dst.writestr(name, body)
    return out.getvalue()


def _upload(client, data, token=None):
    form = {"csrf_token": csrf_token(client, "/ledger/projects/import"), "org_code": "410102"}
    form["file"] = (io.BytesIO(data), "台账.xlsx")
    if token:
        form["progress"] = token
    return client.post("/ledger/projects/import", data=form, content_type="multipart/form-data")


def test_a_file_declaring_too_many_rows_is_refused_before_any_row_is_read(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("rows were read")

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", never)
    data = _declaring(workbook([project_row()]), 150_001)  # 150,000 data rows declared
    with pytest.raises(InvalidInput) as info:
        excel.read_sheet(data, PROJECTS)
    assert info.value.message == (
        "文件有 150000 行数据，超过单次导入上限 50000 行，请拆分为多个文件分批导入。"
    )


@pytest.mark.parametrize("declared", [None, 2])
def test_a_file_hiding_its_size_is_refused_when_it_passes_the_limit(declared):
    rows = [project_row(f"R-{i}") for i in range(6)]
    data = _declaring(workbook(rows), declared)
    assert len(excel.read_sheet(data, PROJECTS, max_rows=6)) == 6  # every row is read
    with pytest.raises(InvalidInput) as info:
        excel.read_sheet(data, PROJECTS, max_rows=5)
    assert "超过单次导入上限 5 行" in info.value.message


def test_over_the_limit_the_page_and_the_api_refuse_in_chinese(app, logged_in, api_token):
    app.config["LEDGER_IMPORT_MAX_ROWS"] = 3
    try:
        data = workbook([project_row(f"L-{i}") for i in range(4)])
        client = logged_in("clerk", "410102")
        page = _upload(client, data)
        assert page.status_code == 422
        assert "超过单次导入上限 3 行" in page.get_data(as_text=True)
        headers = api_token("clerk", "410102", "api_clerk")
        api = client.post(
            "/api/v1/ledger/projects/import?org=410102",
            data={"file": (io.BytesIO(data), "x.xlsx")},
            headers=headers,
            content_type="multipart/form-data",
        )
        assert api.status_code == 422 and "超过单次导入上限 3 行" in api.get_json()["message"]
        assert _count() == 0
    finally:
        app.config["LEDGER_IMPORT_MAX_ROWS"] = 50_000


def test_validation_runs_without_the_write_lock_and_the_write_holds_it(app, logged_in, monkeypatch):
    """Staging runs as a reader: another connection may take SQLite's write lock meanwhile.
    The write takes it: the other connection is refused until the edge commits."""
    sqlite = db.engine.dialect.name == "sqlite"
    seen: dict[str, object] = {}

    def other_writer_may_begin() -> bool:
        other = sqlite3.connect(db.engine.url.database, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()

    real_stage, real_apply = views.stage_import, views.apply_import

    def stage(*args, **kwargs):
        staged = real_stage(*args, **kwargs)
        seen["stage_intent"] = write_intent.get()
        if sqlite:
            seen["free_while_staging"] = other_writer_may_begin()
        return staged

    def apply(*args, **kwargs):
        result = real_apply(*args, **kwargs)
        seen["apply_intent"] = write_intent.get()
        if sqlite:
            seen["free_while_writing"] = other_writer_may_begin()
        return result

    monkeypatch.setattr(views, "stage_import", stage)
    monkeypatch.setattr(views, "apply_import", apply)
    client = logged_in("clerk", "410102")
    response = _upload(client, workbook([project_row(f"W-{i}") for i in range(20)]))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "新增 20" in response.get_data(as_text=True)
    assert seen["stage_intent"] is False and seen["apply_intent"] is True
    if sqlite:
        assert seen == seen | {"free_while_staging": True, "free_while_writing": False}
    assert _count() == 20


def test_a_row_changed_after_validation_refuses_the_whole_write(make_user, org):
    clerk = make_user("clerk", "410102")
    unit = org("410102")
    importing.apply_import(
        clerk, unit, importing.stage_import(clerk, PROJECTS, unit, [(2, _cells("OLD"))])
    )
    db.session.commit()
    rows = [(2, _cells("OLD", 工程名称="新名")), (3, _cells("NEW-1")), (4, _cells("NEW-2"))]
    staged = importing.stage_import(clerk, PROJECTS, unit, rows)
    assert (staged.created, staged.updated) == (2, 1)
    # a colleague renames OLD between the validation and the write
    old = db.session.execute(select(Project).where(Project.registration_no == "OLD")).scalar_one()
    raw = {f.name: getattr(old, f.name) for f in PROJECTS.fields} | {"name": "他人改名"}
    operations.save_record(make_user("clerk", "410102", "colleague"), PROJECTS, unit, raw, old)
    db.session.commit()
    begin_write()
    with pytest.raises(Conflict) as info:
        importing.apply_import(clerk, unit, staged)
    assert "被他人新增或修改" in info.value.message and "未导入任何数据" in info.value.message
    db.session.rollback()
    assert _count() == 1
    assert db.session.execute(select(Project.name)).scalar_one() == "他人改名"


@pytest.mark.parametrize("kind_name", ["projects", "accidents"])
def test_a_key_registered_after_validation_refuses_the_whole_write(make_user, org, kind_name):
    """Projects: the unique 监督注册号 refuses it; accidents (no unique key): checked again."""
    kind = KINDS[kind_name]

    def cells(name: str) -> dict[str, object]:
        if kind_name == "projects":
            return _cells(name)
        return {"事故日期": "2026-08-01", "工程名称": name, "直接经济损失（万元）": 1}

    assert importing._key_is_unique(kind) == (kind_name == "projects")
    clerk = make_user("clerk", "410102")
    unit = org("410102")
    staged = importing.stage_import(clerk, kind, unit, [(2, cells("A")), (3, cells("B"))])
    other = make_user("clerk", "410102", "colleague")
    importing.apply_import(
        other, unit, importing.stage_import(other, kind, unit, [(2, cells("B"))])
    )
    db.session.commit()
    begin_write()
    with pytest.raises(Conflict) as info:
        importing.apply_import(clerk, unit, staged)
    assert "被他人新增或修改" in info.value.message and "未导入任何数据" in info.value.message
    db.session.rollback()
    assert _count(kind.model) == 1


def test_a_failure_after_the_rows_are_written_leaves_nothing(logged_in, monkeypatch):
    def fail(*args, **kwargs):
        raise Conflict("审计写入失败（测试）")

    client = logged_in("clerk", "410102")
    monkeypatch.setattr(importing.audit, "record", fail)
    response = _upload(client, workbook([project_row(f"F-{i}") for i in range(30)]))
    assert response.status_code == 409 and "审计写入失败" in response.get_data(as_text=True)
    assert _count() == 0
    imports = select(AuditRecord).where(AuditRecord.action.like("ledger.%"))
    assert db.session.execute(imports).first() is None


def test_the_page_reports_progress_to_its_own_user_only(app, logged_in, make_user):
    client = logged_in("clerk", "410102")
    token = "t" * 32
    response = _upload(client, workbook([project_row("P-1")]), token=token)
    assert response.status_code == 200
    assert 'id="import-busy"' in response.get_data(as_text=True)
    answer = client.get(f"/ledger/import/progress/{token}")
    assert answer.status_code == 200 and answer.get_json()["phase"] == "done"
    me = db.session.execute(select(Project.created_by_id)).scalar_one()
    progress.report(me, token, "validate", 2000, 60000)
    assert client.get(f"/ledger/import/progress/{token}").get_json() == {
        "phase": "validate",
        "done": 2000,
        "total": 60000,
        "message": "正在校验 60000 行…（已校验 2000 行）",
    }
    other = app.test_client()
    assert login(other, make_user("clerk", "410103").username).status_code == 302
    assert other.get(f"/ledger/import/progress/{token}").status_code == 404


def _cells(reg: str, **over: object) -> dict[str, object]:
    return project_row(reg, **over)


def test_an_update_that_moves_a_row_to_another_unit(make_user, org):
    clerk = make_user("clerk", "410100")
    city = org("410100")

    def run(code: str, name: str) -> importing.ImportResult:
        rows = [(2, _cells("M-1", 监督机构代码=code, 工程名称=name)), (3, _cells("M-2"))]
        result = importing.apply_import(
            clerk, city, importing.stage_import(clerk, PROJECTS, city, rows)
        )
        db.session.commit()
        return result

    assert run("410102", "甲").created == 2
    moved = run("410103", "乙")
    assert (moved.created, moved.updated, moved.unchanged) == (0, 1, 1)
    row = db.session.execute(select(Project).where(Project.registration_no == "M-1")).scalar_one()
    assert (row.org.code, row.name) == ("410103", "乙")
    record = (
        db.session.execute(
            select(AuditRecord)
            .where(AuditRecord.action == "ledger.projects.import")
            .order_by(AuditRecord.id.desc())
        )
        .scalars()
        .first()
    )
    assert record.after["updated"] == {"M-1": {"name": ["甲", "乙"], "org": ["410102", "410103"]}}
