"""Excel import: headers in any order, every bad cell listed, all or nothing, hostile files."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
from sqlalchemy import func, select

from tests.ledger.helpers import PROJECT_HEADERS, project_row, workbook
from webapp.core.errors import InvalidInput
from webapp.extensions import db
from webapp.ledger import excel, operations
from webapp.ledger.fields import KINDS
from webapp.ledger.models import Project, QualityAccident

PROJECTS = KINDS["projects"]


def count(model=Project):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def do_import(user, org, data, kind=PROJECTS):
    return operations.import_records(user, kind, org, excel.read_sheet(data, kind))


def test_import_then_reimport_updates_by_registration_number(make_user, org):
    clerk = make_user("clerk", "410100")
    headers = list(reversed(PROJECT_HEADERS)) + ["无关的列"]
    rows = [
        project_row("A-1", 监督机构代码="410102"),
        project_row("A-2", 监督注册日期=datetime(2026, 7, 2), **{"建筑面积（平方米）": 20000.5}),
        project_row("A-3", 监督注册日期=46204),  # an Excel serial date (2026-07-01)
    ]
    result = do_import(clerk, org("410100"), workbook(rows, headers))
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    a1 = db.session.execute(select(Project).where(Project.registration_no == "A-1")).scalar_one()
    assert a1.org.code == "410102" and a1.is_residential and not a1.is_public
    a3 = db.session.execute(select(Project).where(Project.registration_no == "A-3")).scalar_one()
    assert a3.registered_on.isoformat() == "2026-07-01"
    rows[1]["工程名称"] = "改了名字"
    result = do_import(clerk, org("410100"), workbook(rows, headers))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)


@pytest.mark.parametrize(
    ("over", "column", "reason"),
    [
        ({"监督注册号": None}, "监督注册号", "不能为空"),
        ({"结构类型": "木结构"}, "结构类型", "应为砖混"),
        ({"建筑面积（平方米）": "abc"}, "建筑面积（平方米）", "应为数字"),
        ({"建筑面积（平方米）": 0}, "建筑面积（平方米）", "必须大于0"),
        ({"工程造价（万元）": -5}, "工程造价（万元）", "必须大于0"),
        ({"监督注册日期": "7/1/2026"}, "监督注册日期", "格式应为 2026-10-01"),
        ({"监督注册日期": "2026-02-30"}, "监督注册日期", "不是有效的日期"),
        ({"住宅": "Y"}, "住宅", "“是”或“否”"),
        ({"用户评价": "一般"}, "用户评价", "应为满意"),
        (
            {"竣工验收日期": "2026-06-01", "竣工验收结论": "合格"},
            "竣工验收日期",
            "早于监督注册日期",
        ),
        ({"竣工验收日期": "2026-08-01", "竣工验收结论": "通过"}, "竣工验收结论", "应为合格"),
        ({"备案日期": "2026-08-01", "备案结论": "准予备案"}, "备案日期", "未竣工验收"),
        ({"监督机构代码": "410103"}, "监督机构代码", "不在本单位辖区内"),
        ({"监督机构代码": "999999"}, "监督机构代码", "不存在"),
        ({"工程名称": "长" * 201}, "工程名称", "不能超过 200 个字符"),
    ],
)
def test_every_kind_of_bad_cell_is_refused_with_its_reason(make_user, org, over, column, reason):
    clerk = make_user("clerk", "410102")
    with pytest.raises(InvalidInput) as info:
        do_import(clerk, org("410102"), workbook([project_row(**over)]))
    problems = info.value.details
    assert any(p["row"] == 2 and p["column"] == column and reason in p["reason"] for p in problems)
    assert count() == 0


def test_partially_bad_file_changes_nothing_and_lists_every_bad_row(make_user, org):
    clerk = make_user("clerk", "410102")
    do_import(clerk, org("410102"), workbook([project_row("OLD", 工程名称="原名")]))
    db.session.commit()
    rows = [
        project_row("OLD", 工程名称="新名"),  # a good update
        project_row("N-1"),
        project_row("N-2", 结构类型="木结构", 住宅="也许"),
        project_row("N-1"),  # duplicate within the file
        project_row("N-4", **{"建筑面积（平方米）": -1}),
    ]
    with pytest.raises(InvalidInput) as info:
        do_import(clerk, org("410102"), workbook(rows))
    bad = {(p["row"], p["column"]) for p in info.value.details}
    assert bad == {(4, "结构类型"), (4, "住宅"), (5, "监督注册号"), (6, "建筑面积（平方米）")}
    assert "未导入任何数据" in info.value.message
    db.session.rollback()
    assert count() == 1
    assert db.session.execute(select(Project.name)).scalar_one() == "原名"


def test_registration_number_of_another_unit_is_refused(make_user, org):
    do_import(make_user("clerk", "410103"), org("410103"), workbook([project_row("EQ-9")]))
    with pytest.raises(InvalidInput) as info:
        do_import(make_user("clerk", "410102"), org("410102"), workbook([project_row("EQ-9")]))
    assert "其他单位（二七区）" in info.value.details[0]["reason"]


def test_missing_required_column(make_user, org):
    headers = [h for h in PROJECT_HEADERS if h != "结构类型"]
    with pytest.raises(InvalidInput) as info:
        do_import(make_user("clerk", "410102"), org("410102"), workbook([project_row()], headers))
    assert "结构类型" in info.value.message


def test_accidents_import(make_user, org):
    headers = [
        "事故日期",
        "监督注册号",
        "工程名称",
        "死亡人数",
        "重伤人数",
        "直接经济损失（万元）",
        "监督机构代码",
        "事故概况",
    ]
    rows = [
        {"事故日期": "2026-08-01", "工程名称": "甲", "死亡人数": 3, "直接经济损失（万元）": 12},
        {
            "事故日期": "2026-08-02",
            "工程名称": "乙",
            "死亡人数": 0,
            "重伤人数": 1,
            "直接经济损失（万元）": 1.5,
            "监督机构代码": "410102",
        },
    ]
    clerk = make_user("clerk", "410100")
    result = do_import(clerk, org("410100"), workbook(rows, headers), KINDS["accidents"])
    assert result.created == 2 and "较大" in result.warnings[0]["warnings"][0]
    bad = [{"事故日期": "2026-08-03", "工程名称": "丙", "死亡人数": 1.5, "直接经济损失（万元）": 1}]
    with pytest.raises(InvalidInput) as info:
        do_import(clerk, org("410100"), workbook(bad, headers), KINDS["accidents"])
    assert info.value.details[0]["column"] == "死亡人数"
    assert count(QualityAccident) == 2


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_garbage_is_not_an_excel_file():
    for data in (b"", b"hello", b"PK\x03\x04broken", _zip({"a.txt": b"x"})):
        with pytest.raises(InvalidInput) as info:
            excel.read_sheet(data, PROJECTS)
        assert "不是有效的 Excel 文件" in info.value.message


def test_zip_bomb_refused_before_opening(monkeypatch):
    monkeypatch.setattr(excel, "MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    bomb = _zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"\0" * (2 * 1024 * 1024)})
    assert len(bomb) < 20 * 1024
    with pytest.raises(InvalidInput) as info:
        excel.read_sheet(bomb, PROJECTS)
    assert "压缩炸弹" in info.value.message
    many = _zip(
        {"[Content_Types].xml": b"", **{f"xl/{i}": b"" for i in range(excel.MAX_MEMBERS + 1)}}
    )
    with pytest.raises(InvalidInput) as info:
        excel.read_sheet(many, PROJECTS)
    assert "条目过多" in info.value.message


def test_size_limit():
    with pytest.raises(InvalidInput) as info:
        excel.read_sheet(b"x" * 2048, PROJECTS, max_bytes=1024)
    assert "大小限制" in info.value.message


def test_xml_entity_bomb_is_refused(make_user, org):
    data = workbook([project_row()])
    src = zipfile.ZipFile(io.BytesIO(data))
    members = {n: src.read(n) for n in src.namelist()}
    members["xl/worksheets/sheet1.xml"] = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row><c t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'
    )
    with pytest.raises(InvalidInput) as info:
        excel.read_sheet(_zip(members), PROJECTS)
    assert "不是有效的 Excel 文件" in info.value.message


def test_template_and_export_round_trip(make_user, org):
    template = excel.read_sheet(excel.template(PROJECTS), PROJECTS)
    assert template == []
    clerk = make_user("clerk", "410102")
    do_import(
        clerk, org("410102"), workbook([project_row("R-1", **{"建筑面积（平方米）": 1234.56})])
    )
    exported = excel.export_records(PROJECTS, db.session.execute(select(Project)).scalars())
    result = do_import(clerk, org("410102"), exported)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)


@pytest.mark.parametrize("kind_name", ["bad_records", "good_records", "penalties", "accidents"])
def test_every_ledger_imports_and_reimports_from_its_own_export(make_user, org, kind_name):
    kind = KINDS[kind_name]
    samples = {
        "date": "2026-08-01",
        "decimal": "12.50",
        "int": 2,
        "bool": "是",
        "text": "说明文字",
        "str": "甲单位",
    }
    row = {}
    for f in kind.fields:
        row[f.label] = f.choices[0] if f.kind == "choice" else samples[f.kind]
    clerk = make_user("clerk", "410102")
    data = workbook([row], [f.label for f in kind.fields])
    assert do_import(clerk, org("410102"), data, kind).created == 1
    exported = excel.export_records(kind, db.session.execute(select(kind.model)).scalars())
    again = do_import(clerk, org("410102"), exported, kind)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
