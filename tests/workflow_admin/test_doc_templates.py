"""Word template versions: validated in the sandbox before activation, kept, restorable."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from tests.conftest import csrf_token
from webapp.core.errors import InvalidInput, PermissionDenied
from webapp.core.models import AuditRecord
from webapp.extensions import db
from webapp.workflow_admin import active_template
from webapp.workflow_admin.doc_templates import restore_template, upload_template
from webapp.workflow_admin.models import DocumentTemplate

BUILTIN = Path(__file__).resolve().parents[2] / "docs_templates" / "quarterly_report.docx"


def docx_with(*paragraphs: str) -> bytes:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _rows() -> int:
    return db.session.query(DocumentTemplate).count()


def test_without_uploads_the_builtin_file_is_used():
    assert active_template("quarterly_report") == BUILTIN.read_bytes()


def test_a_good_template_becomes_active_and_an_older_one_can_be_restored(make_user):
    admin = make_user("admin", "410000")
    first = docx_with("{{ title }}", "填报单位：{{ unit }}")
    second = docx_with("{{ title }}（第二版）")
    assert upload_template(admin, "quarterly_report", first, "a.docx").version == 1
    assert upload_template(admin, "quarterly_report", second, "b.docx").version == 2
    db.session.commit()
    assert active_template("quarterly_report") == second
    restore_template(admin, "quarterly_report", 1)
    db.session.commit()
    assert active_template("quarterly_report") == first
    restore_template(admin, "quarterly_report", 0)
    db.session.commit()
    assert active_template("quarterly_report") == BUILTIN.read_bytes()
    assert _rows() == 2
    records = list(
        db.session.execute(
            select(AuditRecord)
            .where(AuditRecord.action.like("template.%"))
            .order_by(AuditRecord.id)
        ).scalars()
    )
    assert [r.action for r in records] == [
        "template.upload",
        "template.upload",
        "template.restore",
        "template.restore",
    ]
    assert records[1].before["version"] == 1 and records[1].after["version"] == 2
    assert records[3].after == {
        "name": "quarterly_report",
        "version": 0,
        "hash": None,
        "source": "docs_templates",
    }


def test_a_sandbox_escape_is_refused_with_a_clear_message(make_user):
    admin = make_user("admin", "410000")
    with pytest.raises(InvalidInput) as err:
        upload_template(admin, "quarterly_report", docx_with("{{ ''.__class__ }}"))
    assert "安全沙箱" in err.value.message
    assert _rows() == 0


def test_a_field_the_sample_does_not_have_is_refused(make_user):
    with pytest.raises(InvalidInput) as err:
        upload_template(make_user("admin", "410000"), "annual_report", docx_with("{{ nonsense }}"))
    assert "不存在的字段" in err.value.message
    assert _rows() == 0


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"PK not really", "不是有效的 Word 文件"),
        (b"x" * (5 * 1024 * 1024 + 1), "过大"),
        (
            zip_of(
                {
                    "[Content_Types].xml": b"<Types/>",
                    "word/document.xml": b"<w/>",
                    "word/media/zeros.bin": b"\0" * (51 * 1024 * 1024),
                }
            ),
            "压缩炸弹",
        ),
        (
            zip_of(
                {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}
                | {f"word/p{i}.xml": b"<p/>" for i in range(600)}
            ),
            "部件过多",
        ),
        (
            zip_of(
                {
                    "[Content_Types].xml": b"<Types/>",
                    "word/document.xml": b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaa">]>'
                    b"<w>&a;</w>",
                }
            ),
            "DOCTYPE",
        ),
    ],
    ids=["not-a-zip", "oversize", "zip-bomb", "member-count", "doctype"],
)
def test_hostile_files_are_refused_before_opening(make_user, data, needle):
    with pytest.raises(InvalidInput) as err:
        upload_template(make_user("admin", "410000"), "quarterly_report", data)
    assert needle in err.value.message
    assert _rows() == 0


def test_only_administrators_and_only_known_templates(make_user):
    with pytest.raises(PermissionDenied):
        upload_template(make_user("reviewer", "410000"), "quarterly_report", docx_with("x"))
    from webapp.core.errors import NotFound

    with pytest.raises(NotFound):
        upload_template(make_user("admin", "410000"), "../../etc/passwd", docx_with("x"))


def test_pages_upload_refuse_restore_and_download(logged_in):
    client = logged_in("admin", "410000")
    html = client.get("/admin/doc-templates/").get_data(as_text=True)
    assert "考核结果通报" in html and "内置模板" in html
    token = csrf_token(client, "/admin/doc-templates/assessment_results")
    url = "/admin/doc-templates/assessment_results"
    bad = client.post(
        f"{url}/upload",
        data={"csrf_token": token, "file": (io.BytesIO(docx_with("{{ ''.__class__ }}")), "x.docx")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "安全沙箱" in bad.get_data(as_text=True)
    good = docx_with("{{ year }}年{{ title }}", "{% for r in rows %}{{ r.org_name }}{% endfor %}")
    r = client.post(
        f"{url}/upload",
        data={"csrf_token": token, "file": (io.BytesIO(good), "通报.docx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "第 1 版已启用" in r.get_data(as_text=True)
    assert client.get(f"{url}/versions/1.docx").data == good
    r = client.post(f"{url}/restore", data={"csrf_token": token, "version": "0"})
    assert r.status_code == 302
    assert active_template("assessment_results") != good


def test_a_template_rendering_hundreds_of_megabytes_is_refused_and_audited(app, logged_in):
    """The 300 MB template of issue 13: its sample render passes HQR_DOCUMENT_MAX_MB and stops
    there; the refusal is shown in Chinese, audited as a refused upload, and nothing is kept."""
    client = logged_in("admin", "410000")
    url = "/admin/doc-templates/assessment_results"
    token = csrf_token(client, url)
    huge = docx_with("{% for i in range(10000) %}{{ 'x' * 30000 }}{% endfor %}")  # 300 MB
    response = client.post(
        f"{url}/upload",
        data={"csrf_token": token, "file": (io.BytesIO(huge), "通报.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "文书内容过大（超过 20 MB）" in response.get_data(as_text=True)
    assert _rows() == 0
    db.session.expire_all()
    (record,) = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "security.upload_refused")
    ).scalars()
    assert record.actor_name == "admin_410000" and record.after["files"] == ["通报.docx"]
    assert "文书内容过大" in record.after["reason"]


def test_the_reporting_notice_is_an_administered_template(logged_in):
    """Issue 15: the 通报 'produces its Word document' from a template the administrators
    manage like the others: listed, and the built-in file renders its sample context."""
    from webapp.documents import validate_template
    from webapp.workflow_admin.samples import SAMPLES

    assert SAMPLES["reporting_notice"].label == "报送工作表扬和批评通报"
    builtin = active_template("reporting_notice")
    assert validate_template(builtin, SAMPLES["reporting_notice"].factory()) == []
    client = logged_in("admin", "410000")
    assert "reporting_notice" in client.get("/admin/doc-templates/").get_data(as_text=True)
