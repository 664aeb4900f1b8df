"""A unit's filled score sheet as a Word document, laid out as the printed table."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from docx import Document
from sqlalchemy import select

from tests.assessment import flow_helpers as step
from tests.assessment.conftest import unit_of
from tests.conftest import login
from webapp.assessment import judging, operations
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.extensions import db


def _draft_marked(data: bytes) -> bool:
    doc = Document(io.BytesIO(data))
    return any(
        "草稿" in p.text
        for section in doc.sections
        for header in (section.header, section.even_page_header)
        for p in header.paragraphs
    )


def _cells(data: bytes) -> list[list[str]]:
    table = Document(io.BytesIO(data)).tables[0]
    return [[c.text for c in row.cells] for row in table.rows]


def test_filled_sheets_add_up_and_say_why(app, open_campaign, province_staff, make_user, logged_in):
    clock.set_now(datetime(2026, 12, 10, 2, tzinfo=UTC))
    campaign = open_campaign("fujian2", 2026)
    unit = unit_of(campaign, "410100")
    clerk = make_user("clerk", "410100")
    operations.save_self_assessment(
        clerk,
        unit.id,
        judgments={"2.4": {"unmet": ["a", "b"]}},
        summary="全年开展质量管理年活动",
        notes={"2.4": "项目部带班记录不全 <b>&"},
        evidence={"2.4": ["file:1"]},
    )
    db.session.commit()
    page = logged_in("clerk", "410100", "clerk2_410100")
    response = page.get(f"/assessment/units/{unit.id}/sheet.docx")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert _draft_marked(response.data)  # the self-assessment is not submitted yet: 草稿
    rows = _cells(response.data)
    assert rows[0] == ["序号", "考核对象", "考核项目", "评分内容及评分标准", "分值", "得分", "小计"]
    items = {r[2]: r for r in rows[1:-1]}
    assert len(items) == len(campaign.sheet.parsed().items)
    banban = items["带班制度"]
    assert banban[4] == "4" and banban[5] == "3"  # min(4, 5 − 2)
    assert "不满足：" in banban[3] and "项目部带班记录不全 <b>&" in banban[3]
    assert "佐证：file:1" in banban[3]
    assert rows[-1][0] == "合　　计" and rows[-1][5] == "99"
    # section subtotals: merged down the section (printed once per section in the cell text)
    assert {r[1] for r in rows[1:-1]} >= {"建设主管部门（50分）", "施工企业（20分）"}
    assert [r[6] for r in rows[1:-1] if r[1].startswith("施工企业")][0] == "19"
    xml = zipfile.ZipFile(io.BytesIO(response.data)).read("word/document.xml").decode()
    assert "{{" not in xml and "{%" not in xml and "全年开展质量管理年活动" in xml
    sections = len(campaign.sheet.parsed().sections)
    assert xml.count('<w:vMerge w:val="restart"/>') == 3 * sections  # 序号, 考核对象, 小计
    # the final sheet is the province's until the results are approved
    assert page.get(f"/assessment/units/{unit.id}/sheet.docx?phase=final").status_code == 403

    step.close_self(province_staff["assessor"], campaign)
    judging.score_unit(province_staff["assessor"], unit.id, {"1.1": {"unmet": ["a"]}})
    judging.score_unit(province_staff["assessor2"], unit.id, {"1.1": {"unmet": ["a", "b"]}})
    judging.override_item_score(province_staff["leader"], unit.id, "1.2", "4", "制度执行不到位")
    db.session.commit()
    leader = app.test_client()
    login(leader, "leader_410000")
    final = leader.get(f"/assessment/units/{unit.id}/sheet.docx?phase=final")
    assert final.status_code == 200
    assert _draft_marked(final.data)  # the results are not approved yet
    rows = _cells(final.data)
    first = {r[2]: r for r in rows[1:-1]}["总体工作"]
    assert first[5] == "3.5"  # the two assessors' average of 4 and 3
    assert "assessor_410000：" in first[3] and "assessor2_410000：" in first[3]
    assert (
        "省厅调整：6分 → 4分；理由：制度执行不到位" in {r[2]: r for r in rows[1:-1]}["工作部署"][3]
    )
    assert rows[-1][5] == "96.5"
    # each sheet taken out is recorded: who, which unit's sheet, which one (docs/audit.md)
    db.session.expire_all()
    taken = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "assessment.sheet_download")
    ).scalars()
    assert [(r.actor_name, r.org_code, r.object_id, r.after["phase"]) for r in taken] == [
        ("clerk2_410100", "410100", str(unit.id), "self"),
        ("leader_410000", "410100", str(unit.id), "final"),
    ]
