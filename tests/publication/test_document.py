"""The published Word file (docs_templates/public_report.docx) and its PDF."""

from __future__ import annotations

import io
import shutil

import pytest
from docx import Document

from tests.publication.conftest import at, run_to_publication
from webapp.archive import operations as archive
from webapp.core import clock

pytestmark = pytest.mark.usefixtures("workflows", "h2_data")


def _text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    doc = Document(io.BytesIO(data))
    paragraphs = "\n".join(p.text for p in doc.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return paragraphs, tables


def test_the_city_document(make_user):
    clock.set_now(at("2027-01-05"))
    pub = run_to_publication("410100", make_user=make_user)
    text, tables = _text(archive.read(archive.latest("publication", pub.id)))
    # The title breaks between words (title_lines), one paragraph a line.
    assert "郑州市2026年下半年\n建设工程质量总体状况报告\n" in text
    assert "郑州市　2027年1月5日" in text
    assert "四、下一步工作措施" in text and "开展质量通病专项治理" in text
    assert "附表三　工程质量指数（57.50）" in text
    # The worked example of the index and each district's figure for comparison.
    example = "指数 = (30×75.00 + 30×50.00 + 20×0.00 + 20×100.00) ÷ (30 + 30 + 20 + 20) = 57.50。"
    assert example in text
    figures = tables[0]
    assert figures[3] == ["本期监督工程合计", "8", "9.92", "47770.37"]
    units = tables[1]
    assert [r[0] for r in units[1:]][:2] == ["中原区", "二七区"]
    index = tables[2]
    assert index[1][:5] == ["竣工验收合格率", "合格 ÷ 本期竣工验收", "75.00 %", "—", "75.00"]
    accidents = ["质量事故", "事故起数 / 百万㎡在建面积", "10.0806 起/百万㎡", "10", "0.00"]
    assert index[3][:5] == accidents
    assert ["中原区", "80.00"] in tables[3]
    # 郑州市 publishes the good record it approved itself (domain.md §6: "at the tier that
    # approved it"); 中原区's record is 中原区's to publish.
    assert "附表五　企业良好行为记录" in text and "郑州一建集团有限公司" in str(tables)
    for name in ("clerk_410100", "reviewer_410100", "leader_410100", "张责任", "王批准"):
        assert name not in text and name not in str(tables)


def test_the_province_publishes_only_the_records_it_approved(make_user):
    """domain.md §6 Decision (records): "at the tier that approved it"; the province approved
    none of the oracle's records, so its document lists none."""
    clock.set_now(at("2027-01-05"))
    pub = run_to_publication("410000", make_user=make_user)
    text, tables = _text(archive.read(archive.latest("publication", pub.id)))
    assert "附表四" not in text and "ZY-BAD-1" not in str(tables)


def test_the_public_pdf(client, make_user):
    assert shutil.which("soffice"), "LibreOffice missing: run `make system-deps`"
    clock.set_now(at("2027-01-05"))
    pub = run_to_publication("410100", make_user=make_user)
    response = client.get(f"/public/reports/{pub.id}/document.pdf")
    assert response.status_code == 200 and response.data[:4] == b"%PDF"
    assert response.headers["Content-Type"] == "application/pdf"
