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
    assert "附表三　工程质量指数（78.49）" in text
    assert "附表四" not in text  # records are published by the province only
    figures = tables[0]
    assert figures[3] == ["本期监督工程合计", "8", "9.92", "47770.37"]
    units = tables[1]
    assert [r[0] for r in units[1:]][:2] == ["中原区", "二七区"]
    index = tables[2]
    assert index[3][:5] == ["质量事故", "事故起数 / 万㎡", "0.1008 起/万㎡", "100", "89.92"]
    for name in ("clerk_410100", "reviewer_410100", "leader_410100", "张责任", "王批准"):
        assert name not in text and name not in str(tables)


def test_the_province_document_lists_the_records(make_user):
    clock.set_now(at("2027-01-05"))
    pub = run_to_publication("410000", make_user=make_user)
    text, tables = _text(archive.read(archive.latest("publication", pub.id)))
    assert "附表四　建设工程质量责任主体不良行为记录" in text
    bad = tables[3]
    assert bad[1][1:4] == ["ZY-BAD-1", "河南某某建设有限公司", "施工"]
    assert len(bad) == 2  # the unapproved EQ-BAD-1 is not published
    good = tables[4]
    assert good[1][1:] == [
        "郑州一建集团有限公司",
        "获评省级安全文明标准化工地",
        "2026-09-01",
        "郑州市",
    ]
    assert "张责任" not in str(tables) and "钱未批" not in str(tables)


def test_the_public_pdf(client, make_user):
    assert shutil.which("soffice"), "LibreOffice missing: run `make system-deps`"
    clock.set_now(at("2027-01-05"))
    pub = run_to_publication("410100", make_user=make_user)
    response = client.get(f"/public/reports/{pub.id}/document.pdf")
    assert response.status_code == 200 and response.data[:4] == b"%PDF"
    assert response.headers["Content-Type"] == "application/pdf"
