"""附件3 1.13: the unit uploads its 工作汇报 and 年度工作计划和总结, archived with a sniffed type.

附件3 评分表 1.13 完成工作任务的时效和质量: "按时报送年度工作计划和总结"; issue 15: "附件3 has no
self-assessment in the text: the unit uploads its 工作汇报 and 年度工作计划和总结 (1.13; due date a
setting), stored through webapp/archive (content sniffed with archive's sniff)".
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import pytest

from tests.assessment.conftest import unit_of
from webapp.archive import operations as archive
from webapp.assessment import operations
from webapp.core import clock
from webapp.core.errors import Conflict, Hidden, InvalidInput
from webapp.core.models import AuditRecord
from webapp.extensions import db


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def test_materials_are_archived_versioned_and_marked_late_after_the_due_date(
    open_campaign, make_user, logged_in
):
    clock.set_now(datetime(2026, 1, 20, 2, tzinfo=UTC))
    campaign = open_campaign("fujian3", 2025, self_due=date(2026, 1, 31))
    unit = unit_of(campaign, "410100")
    clerk = make_user("clerk", "410100")
    doc = operations.upload_material(clerk, unit.id, "work_report", "汇报.pdf", b"%PDF-1.7 x")
    assert doc.media_type == "application/pdf" and doc.version == 1 and doc.stage == "submitted"
    assert doc.filename == "郑州市2025年度工作汇报.pdf"
    # the name is no evidence: a PDF named .docx is a PDF, an executable named .pdf is refused
    with pytest.raises(InvalidInput, match="按文件内容识别"):
        operations.upload_material(clerk, unit.id, "plan_summary", "计划.pdf", b"MZ\x90\x00")
    with pytest.raises(Hidden):  # another city's unit: answered as a missing one
        operations.upload_material(
            make_user("clerk", "410200"), unit.id, "plan_summary", "x.pdf", b"%PDF-1.4"
        )
    clock.set_now(datetime(2026, 2, 3, 2, tzinfo=UTC))  # after 01-31
    late = operations.upload_material(clerk, unit.id, "plan_summary", "计划.docx", docx_bytes())
    assert late.stage == "late" and late.filename.endswith("年度工作计划和总结.docx")
    again = operations.upload_material(clerk, unit.id, "work_report", "汇报2.pdf", b"%PDF-1.7 y")
    assert again.version == 2
    db.session.commit()
    got = operations.materials(unit)
    assert got["work_report"].id == again.id and got["plan_summary"].id == late.id
    assert archive.read(got["work_report"]) == b"%PDF-1.7 y"
    rec = db.session.query(AuditRecord).filter_by(action="assessment.material_upload").all()
    assert [r.after["late"] for r in rec] == [False, True, True]
    # the unit page lists both, the late one marked
    html = logged_in("clerk", "410100", "clerk7_410100").get(f"/assessment/units/{unit.id}")
    text = html.get_data(as_text=True)
    assert 'data-material="plan_summary"' in text and "逾期" in text


def test_materials_belong_to_fujian3_only(open_campaign, make_user):
    campaign = open_campaign("fujian2", 2026)
    unit = unit_of(campaign, "410100")
    with pytest.raises(Conflict, match="只用于附件3"):
        operations.upload_material(
            make_user("clerk", "410100"), unit.id, "work_report", "a.pdf", b"%PDF-1.4"
        )
