"""The document archive: versions and hashes, PDFs rendered once (LibreOffice calls counted, a
concurrent first request included), tampered files refused, the download route's permissions,
and the stamped scans (盖章扫描件) a unit attaches to its frozen report."""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import login
from tests.reports.conftest import PERIOD, draft
from webapp.archive import access
from webapp.archive import operations as archive
from webapp.archive.models import ArchivedDocument, DocumentKind
from webapp.core import clock
from webapp.core.errors import NotFound
from webapp.core.models import AuditRecord
from webapp.extensions import db

DOCX_BYTES = b"PK\x03\x04 a frozen Word file"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """LibreOffice replaced by a counter: every conversion the archive asks for is recorded."""
    calls: list[bytes] = []
    lock = threading.Lock()

    def fake_to_pdf(docx: bytes) -> bytes:
        with lock:
            calls.append(docx)
        threading.Event().wait(0.3)  # long enough for a concurrent request to arrive
        return b"%PDF-1.7 rendered from " + hashlib.sha256(docx).hexdigest().encode()

    monkeypatch.setattr(archive, "to_pdf", fake_to_pdf)
    return calls


def _actions(action: str) -> list[AuditRecord]:
    db.session.commit()
    return list(db.session.execute(sa.select(AuditRecord).filter_by(action=action)).scalars())


def test_store_numbers_versions_per_owner_and_kind_and_keeps_the_hash():
    first = archive.store("report", 7, DOCX_BYTES, filename="a.docx", stage="submitted", actor=None)
    second = archive.store(
        "report", 7, b"PK second", filename="b.docx", stage="submitted", actor=None
    )
    other = archive.store(
        "report", 8, b"PK other", filename="c.docx", stage="submitted", actor=None
    )
    scan = archive.store(
        "report", 7, PNG, filename="s.png", stage="submitted", actor=None,
        media_type="image/png", kind=DocumentKind.SEAL_SCAN, derived_from=second,
    )  # fmt: skip
    db.session.commit()
    assert (first.version, second.version, other.version, scan.version) == (1, 2, 1, 1)
    assert first.sha256 == hashlib.sha256(DOCX_BYTES).hexdigest() and first.size == len(DOCX_BYTES)
    assert archive.latest("report", 7) == second
    assert archive.documents("report", 7) == [first, second]
    assert archive.seals_of(second) == [scan] and archive.seals_of(first) == []
    assert archive.read(first) == DOCX_BYTES
    with pytest.raises(sa.exc.IntegrityError):  # the constraint behind the numbering
        with db.session.begin_nested():
            db.session.add(
                ArchivedDocument(
                    owner_kind="report", owner_id=7, kind="source", version=2, stage="x",
                    filename="x.docx", media_type="x", content=b"", size=0, sha256="",
                    created_at=clock.now(),
                )
            )  # fmt: skip


def test_the_pdf_is_rendered_once_and_kept(renders):
    doc = archive.store("report", 9, DOCX_BYTES, filename="报告.docx", stage="accepted", actor=None)
    db.session.commit()
    pdf = archive.pdf_of(doc)
    db.session.commit()
    again = archive.pdf_of(archive.get(doc.id))
    db.session.commit()
    assert len(renders) == 1 and renders[0] == DOCX_BYTES
    assert again.id == pdf.id and again.kind == DocumentKind.PDF and again.derived_from_id == doc.id
    assert (again.version, again.filename, again.media_type) == (1, "报告.pdf", "application/pdf")
    assert archive.read(again).startswith(b"%PDF")
    assert [r.after["document"] for r in _actions("archive.render_pdf")] == [doc.id]


def test_without_libreoffice_nothing_is_stored_and_the_next_request_renders(monkeypatch, renders):
    doc = archive.store("report", 10, DOCX_BYTES, filename="a.docx", stage="accepted", actor=None)
    db.session.commit()
    monkeypatch.setattr(archive, "to_pdf", lambda _docx: None)
    with pytest.raises(NotFound, match="LibreOffice"):
        archive.pdf_of(doc)
    db.session.commit()
    assert archive.latest("report", 10, DocumentKind.PDF) is None
    monkeypatch.undo()
    monkeypatch.setattr(archive, "to_pdf", lambda docx: b"%PDF-1.7 later")
    assert archive.read(archive.pdf_of(archive.get(doc.id))) == b"%PDF-1.7 later"


def test_concurrent_first_requests_render_once_and_make_one_row(app: Flask, renders):
    doc_id = archive.store(
        "report", 11, DOCX_BYTES, filename="a.docx", stage="accepted", actor=None
    ).id
    db.session.commit()
    barrier = threading.Barrier(3)
    served: list[int] = []
    errors: list[BaseException] = []

    def request() -> None:
        with app.app_context():
            try:
                barrier.wait()
                pdf = archive.pdf_of(db.session.get(ArchivedDocument, doc_id))
                served.append(pdf.id)
                db.session.commit()
            except BaseException as err:  # noqa: BLE001 - reported below
                errors.append(err)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(renders) == 1
    db.session.commit()
    rows = db.session.execute(
        sa.select(ArchivedDocument).filter_by(derived_from_id=doc_id, kind="pdf")
    ).scalars()
    assert [r.id for r in rows] == [served[0]] and len(set(served)) == 1


def _client(app: Flask, make_user: Any, role: str, code: str, name: str) -> FlaskClient:
    make_user(role, code, name)
    client = app.test_client()
    assert login(client, name).status_code == 302
    return client


def test_a_changed_file_is_refused_with_a_chinese_page_and_an_audit_record(app, make_user):
    access.register_reader("test_owner", lambda user, _id: True)
    doc = archive.store("test_owner", 1, DOCX_BYTES, filename="a.docx", stage="x", actor=None)
    db.session.commit()
    good = _client(app, make_user, "clerk", "410102", "clerk_tamper")
    assert good.get(f"/archive/{doc.id}").data == DOCX_BYTES
    db.session.execute(
        sa.update(ArchivedDocument)
        .where(ArchivedDocument.id == doc.id)
        .values(content=b"PK forged")
    )
    db.session.commit()
    response = good.get(f"/archive/{doc.id}")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "存档文件校验失败" in page and b"forged" not in response.data
    (record,) = _actions("archive.tamper_detected")
    assert record.actor_name == "clerk_tamper"
    assert record.after["document"] == doc.id and record.after["expected"] == doc.sha256
    assert record.after["found"] == hashlib.sha256(b"PK forged").hexdigest()
    with pytest.raises(archive.DocumentTampered):
        archive.read(archive.get(doc.id))


def test_an_owner_kind_nobody_registered_is_nobody_s_to_read(app, make_user):
    doc = archive.store("unregistered", 1, DOCX_BYTES, filename="a.docx", stage="x", actor=None)
    db.session.commit()
    client = _client(app, make_user, "admin", "410000", "admin_unreg")
    assert client.get(f"/archive/{doc.id}").status_code == 404
    assert client.get("/archive/999999").status_code == 404


# A real report: submitted by 中原区 (410102), seen by 郑州市 (410100), not by 洛阳市 (410300) --
@pytest.fixture
def submitted(workflows, oracle, api) -> dict[str, Any]:
    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve")
    report = clerk.report("410102")
    assert report["state"] == "submitted" and len(report["documents"]) == 1
    return report


def test_the_report_s_files_are_read_by_who_may_see_the_report(app, make_user, submitted, renders):
    doc_id = submitted["documents"][0]["id"]
    doc = archive.get(doc_id)
    assert (doc.owner_kind, doc.owner_id, doc.kind) == ("report", submitted["id"], "source")
    county = _client(app, make_user, "clerk", "410102", "clerk_b")
    city = _client(app, make_user, "reviewer", "410100", "reviewer_b")
    other_city = _client(app, make_user, "reviewer", "410300", "reviewer_ly")
    word = county.get(f"/archive/{doc_id}")
    assert word.status_code == 200 and word.data == archive.read(doc)
    assert city.get(f"/archive/{doc_id}").status_code == 200
    assert other_city.get(f"/archive/{doc_id}").status_code == 404
    assert other_city.get(f"/archive/{doc_id}/pdf").status_code == 404
    assert other_city.get(f"/reports/{submitted['id']}/document.pdf").status_code == 404
    assert renders == []  # a refused request renders nothing
    # The report's PDF button and the archive's PDF route share the one rendered file.
    first = county.get(f"/reports/{submitted['id']}/document.pdf")
    second = city.get(f"/archive/{doc_id}/pdf")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.mimetype == "application/pdf"
    assert len(renders) == 1
    downloads = _actions("archive.download")
    assert {(r.actor_name, r.after["format"]) for r in downloads} == {
        ("clerk_b", "docx"),
        ("reviewer_b", "docx"),
        ("reviewer_b", "pdf"),
    }
    assert all(r.object_type == "report" and r.org_code == "410102" for r in downloads)
    denied = _actions("permission.denied")
    assert {r.actor_name for r in denied} == {"reviewer_ly"}


def _upload(client: FlaskClient, report_id: int, content: bytes, name: str) -> Any:
    from tests.conftest import csrf_token

    token = csrf_token(client, f"/reports/{report_id}")
    return client.post(
        f"/reports/{report_id}/seal",
        data={"csrf_token": token, "scan": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_the_unit_attaches_its_stamped_scan_and_the_city_sees_it(app, make_user, submitted):
    report_id = submitted["id"]
    clerk = _client(app, make_user, "clerk", "410102", "clerk_seal")
    # Sniffed from the content: a PNG named .pdf is a PNG.
    response = _upload(clerk, report_id, PNG, "盖章.pdf")
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    (scan,) = archive.documents("report", report_id, DocumentKind.SEAL_SCAN)
    source = archive.latest("report", report_id)
    assert scan.media_type == "image/png" and scan.derived_from_id == source.id
    assert scan.filename.endswith("（盖章扫描件）.png") and archive.read(scan) == PNG
    (record,) = _actions("report.seal_attach")
    assert record.actor_name == "clerk_seal" and record.after["scan"] == scan.id
    assert record.after["sha256"] == hashlib.sha256(PNG).hexdigest()
    # Refusals, in Chinese, and nothing stored.
    text = _upload(clerk, report_id, b"just text, named like a PDF", "scan.pdf")
    assert text.status_code == 422 and "PDF、PNG 或 JPEG" in text.get_data(as_text=True)
    app.config["SEAL_SCAN_MAX_MB"] = 0.01  # the setting (10 KB here)
    try:
        big = _upload(clerk, report_id, JPEG + b"\x00" * 11 * 1024, "big.jpg")
        fits = _upload(clerk, report_id, JPEG + b"\x00" * 9 * 1024, "ok.jpg")
    finally:
        app.config["SEAL_SCAN_MAX_MB"] = 10
    assert big.status_code == 422 and "不能超过 0.01 MB" in big.get_data(as_text=True)
    assert fits.status_code == 302
    scans = archive.documents("report", report_id, DocumentKind.SEAL_SCAN)
    assert [s.media_type for s in scans] == ["image/png", "image/jpeg"]
    assert len(_actions("security.upload_refused")) == 2
    # The upper level sees and downloads it; it may not attach one itself.
    city = _client(app, make_user, "reviewer", "410100", "reviewer_seal")
    page = city.get(f"/reports/{report_id}").get_data(as_text=True)
    assert scan.filename in page and f"/archive/{scan.id}" in page
    assert 'id="seal-form"' not in page
    got = city.get(f"/archive/{scan.id}")
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert _upload(city, report_id, PNG, "x.png").status_code == 403
    other = _client(app, make_user, "reviewer", "410300", "reviewer_ly2")
    assert other.get(f"/archive/{scan.id}").status_code == 404


def test_no_scan_before_the_report_is_frozen(app, make_user, workflows, oracle, api):
    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    report = api("clerk", "410102").report("410102")
    clerk = _client(app, make_user, "clerk", "410102", "clerk_early")
    response = _upload(clerk, report["id"], PNG, "scan.png")
    assert response.status_code == 409 and "上报冻结后" in response.get_data(as_text=True)
    page = clerk.get(f"/reports/{report['id']}").get_data(as_text=True)
    assert 'id="seal-form"' not in page and "data-progress-download" in page
    assert "js/download.js" in page
