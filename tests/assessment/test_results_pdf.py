"""The results notice's PDF, made by LibreOffice when the notice is laid out for its 版记, is
archived with the notice: its first download renders nothing and serves exactly that PDF.

LibreOffice is replaced by counters (the layout's converter in webapp.documents.render, the
download's in webapp.archive.operations): what is checked is which conversions run, and that
the PDF kept is the one made of the archived Word bytes.
"""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from tests.assessment import flow_helpers as step
from tests.conftest import login
from webapp.archive import operations as archive
from webapp.archive.models import ArchivedDocument, DocumentKind
from webapp.core import audit as core_audit
from webapp.core.models import AuditRecord
from webapp.documents import render
from webapp.extensions import db


def _fake_pdf(docx: bytes, pages: int) -> bytes:
    """A PDF standing for LibreOffice's: its page count, and which Word bytes it was made of."""
    return b"%PDF-1.7 " + b"/Type /Page " * pages + hashlib.sha256(docx).hexdigest().encode()


@pytest.fixture
def converters(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[bytes]]:
    """LibreOffice "installed", both converters counted; the layout's PDF has ``pages`` pages."""
    calls: dict[str, list[bytes]] = {"layout": [], "download": []}
    pages = {"n": 2}

    def layout(docx: bytes) -> bytes:
        calls["layout"].append(docx)
        return _fake_pdf(docx, pages["n"])

    def download(docx: bytes) -> bytes:
        calls["download"].append(docx)
        return _fake_pdf(docx, 3)

    monkeypatch.setattr(render, "libreoffice", lambda: "/usr/bin/soffice")
    monkeypatch.setattr(render, "to_pdf", layout)
    monkeypatch.setattr(archive, "to_pdf", download)
    calls["pages"] = pages  # type: ignore[assignment]
    return calls


def _approve(open_campaign, province_staff) -> tuple[ArchivedDocument, int]:  # noqa: ANN001
    campaign = open_campaign("fujian3", 2025)
    step.score_every_unit(province_staff, campaign)
    db.session.commit()
    step.approve_results(province_staff["leader"], campaign, "同意")
    db.session.commit()
    notice = archive.latest("assessment_campaign", campaign.id)
    assert notice is not None and notice.stage == "published"
    return notice, campaign.id


def test_the_layouts_pdf_is_archived_and_served_without_rendering_again(
    app, client, open_campaign, province_staff, ledger_stub, converters
):
    notice, campaign_id = _approve(open_campaign, province_staff)
    docx = archive.read(notice)
    # The layout ran LibreOffice once, on exactly the Word bytes archived (an even page count:
    # the 版记 stays on the body's last page, the file laid out is the file kept).
    assert converters["layout"] == [docx]
    kept = db.session.execute(
        select(ArchivedDocument).where(ArchivedDocument.derived_from_id == notice.id)
    ).scalar_one()
    assert (kept.kind, kept.version, kept.owner_id) == (
        DocumentKind.PDF,
        notice.version,
        campaign_id,
    )
    assert kept.filename == notice.filename.rsplit(".", 1)[0] + ".pdf"
    assert archive.read(kept) == _fake_pdf(docx, 2)  # its hash checks
    recorded = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "archive.render_pdf")
    ).scalar_one()
    assert recorded.after == {
        "document": notice.id,
        "pdf": kept.id,
        "version": notice.version,
        "sha256": kept.sha256,
    }

    login(client, province_staff["leader"].username)
    response = client.get(f"/archive/{notice.id}/pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.data == _fake_pdf(docx, 2)
    assert converters["download"] == []  # nothing rendered for the download
    assert core_audit.verify_chain().ok


def test_a_notice_laid_out_again_keeps_no_pdf_and_its_download_renders_it(
    app, client, open_campaign, province_staff, ledger_stub, converters
):
    """An odd page count: the 版记 moves to a page of its own, the Word file kept is not the one
    LibreOffice laid out, so its PDF is not kept; the first download renders the file kept."""
    converters["pages"]["n"] = 3  # type: ignore[index]
    notice, _ = _approve(open_campaign, province_staff)
    docx = archive.read(notice)
    assert len(converters["layout"]) == 1 and converters["layout"] != [docx]
    assert archive.documents("assessment_campaign", notice.owner_id, DocumentKind.PDF) == []
    login(client, province_staff["leader"].username)
    response = client.get(f"/archive/{notice.id}/pdf")
    assert response.status_code == 200
    assert converters["download"] == [docx] and response.data == _fake_pdf(docx, 3)
