"""Staff pages of the 公开 section: the list, the workspace, editing, withdrawal request."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document

from tests.conftest import csrf_token
from tests.publication.conftest import at, run_to_publication
from webapp.archive import operations as archive
from webapp.core import clock
from webapp.extensions import db
from webapp.publication.operations import find_publication, open_period

pytestmark = pytest.mark.usefixtures("workflows", "h2_data")


@pytest.fixture
def opened(org):
    clock.set_now(at("2027-01-05"))
    open_period(None, "2026H2")
    db.session.commit()
    return find_publication(org("410100"), "2026H2")


def test_the_public_section_leads_to_the_units_report(logged_in, opened):
    client = logged_in("clerk", "410100")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/publication/"' in home
    page = client.get("/publication/?period=2026H2").get_data(as_text=True)
    assert "拟稿中" in page and f"/publication/{opened.id}" in page
    work = client.get(f"/publication/{opened.id}").get_data(as_text=True)
    assert 'id="sections-form"' in work and "【请填写】" in work
    assert "工程质量指数" in work and "57.50" in work


def test_the_clerk_edits_and_the_draft_check_lists_what_is_missing(logged_in, opened):
    client = logged_in("clerk", "410100")
    path = f"/publication/{opened.id}"
    page = client.get(path).get_data(as_text=True)
    # The form carries the version each text was based on (version 1: the generated draft).
    bases = dict(re.findall(r'name="(base__\w+)" value="(\d+)"', page))
    assert bases["base__measures"] == "1"
    response = client.post(
        f"{path}/sections",
        data={
            "csrf_token": csrf_token(client, path),
            "problems": "备案滞后。",
            "measures": "专项治理。",
            **bases,
        },
    )
    assert response.status_code == 302
    db.session.refresh(opened)
    assert opened.sections["measures"] == "专项治理。"
    page = client.get(path).get_data(as_text=True)
    assert 'id="publication-problems"' not in page  # nothing left to do before review


def test_a_city_reviewer_sees_its_counties_but_cannot_edit(logged_in, opened, org):
    client = logged_in("reviewer", "410100")
    page = client.get("/publication/?period=2026H2").get_data(as_text=True)
    assert "中原区" in page and 'id="publication-board"' in page
    county = find_publication(org("410102"), "2026H2")
    assert client.get(f"/publication/{county.id}").status_code == 200
    work = client.get(f"/publication/{opened.id}").get_data(as_text=True)
    assert 'id="sections-form"' not in work
    other = find_publication(org("410200"), "2026H2")  # 开封: not below 郑州
    assert client.get(f"/publication/{other.id}").status_code == 404


def test_withdrawal_form_only_after_the_window(logged_in, make_user, org):
    clock.set_now(at("2027-01-31"))
    pub = run_to_publication("410100", make_user=make_user)
    assert pub.online_until.isoformat() == "2027-02-28"
    client = logged_in("clerk", "410100", username="clerk2_410100")
    page = client.get(f"/publication/{pub.id}").get_data(as_text=True)
    assert 'id="withdraw-window"' in page and "2027-03-01 起方可申请撤回" in page
    refused = client.post(
        f"/publication/{pub.id}/withdrawal",
        data={"csrf_token": csrf_token(client, f"/publication/{pub.id}"), "reason": "需更正"},
    )
    assert refused.status_code == 409
    clock.set_now(at("2027-03-01"))
    client.delete_cookie("session")  # a new day, a new login
    client = logged_in("clerk", "410100", username="clerk3_410100")
    page = client.get(f"/publication/{pub.id}").get_data(as_text=True)
    assert 'id="withdraw-form"' in page


def test_staff_download_of_the_draft_preview_and_the_archived_file(logged_in, make_user, org):
    clock.set_now(at("2027-01-05"))
    pub = run_to_publication("410100", make_user=make_user)
    client = logged_in("reviewer", "410100", username="rev2_410100")
    response = client.get(f"/publication/{pub.id}/document.docx")
    archived = archive.latest("publication", pub.id)
    assert response.status_code == 200 and response.data == archive.read(archived)
    headers = Document(io.BytesIO(response.data)).sections[0].header.paragraphs
    assert "草稿" not in "".join(p.text for p in headers)  # published: no draft mark
    county = find_publication(org("410102"), "2026H2")
    assert client.get(f"/publication/{county.id}/document.docx").status_code == 409  # no data
