from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.assessment.conftest import sheet_data, unit_of
from tests.conftest import TEST_PASSWORD
from webapp.assessment import operations
from webapp.assessment.models import ScoreSheet
from webapp.core.errors import Conflict, Hidden, InvalidInput, PermissionDenied
from webapp.extensions import db


def test_evidence_stored_under_a_server_name_with_limits(app, open_campaign, make_user):
    unit = unit_of(open_campaign(), "410100")
    clerk = make_user("clerk", "410100")
    f = operations.add_evidence(clerk, unit.id, "../../etc/总结.pdf", b"%PDF-1.4 data")
    assert f.original_name == "总结.pdf" and f.stored_name.endswith(".pdf")
    assert "总结" not in f.stored_name and len(f.stored_name) == 36
    assert operations.evidence_path(f).read_bytes() == b"%PDF-1.4 data"
    with pytest.raises(InvalidInput, match="不支持的文件类型"):
        operations.add_evidence(clerk, unit.id, "run.exe", b"MZ")
    with pytest.raises(InvalidInput, match="文件为空"):
        operations.add_evidence(clerk, unit.id, "a.pdf", b"")
    app.config["ASSESSMENT_MAX_FILE_MB"] = 1
    try:
        with pytest.raises(InvalidInput, match="超过 1 MB"):
            operations.add_evidence(clerk, unit.id, "big.pdf", b"x" * (1024 * 1024 + 1))
    finally:
        app.config["ASSESSMENT_MAX_FILE_MB"] = 10
    with pytest.raises(Hidden):  # another city's unit: answered as a missing one
        operations.add_evidence(make_user("clerk", "410200"), unit.id, "a.pdf", b"x")


def test_evidence_content_must_match_its_extension(app, open_campaign, make_user):
    """The extension is a claim, the content decides (issue 15: "today evidence uploads trust
    the extension; fix that class"): an executable named .pdf, a zip named .doc, a PDF named
    .png are refused and nothing is stored; real files of each family are kept."""
    from webapp.assessment.models import EvidenceFile

    unit = unit_of(open_campaign(), "410100")
    clerk = make_user("clerk", "410100")
    for name, data in (
        ("总结.pdf", b"MZ\x90\x00 not a pdf"),
        ("说明.doc", b"PK\x03\x04 a zip"),
        ("照片.png", b"%PDF-1.4"),
        ("记录.txt", b"text\x00binary"),
    ):
        with pytest.raises(InvalidInput, match="文件内容与扩展名"):
            operations.add_evidence(clerk, unit.id, name, data)
    assert db.session.query(EvidenceFile).count() == 0
    for name, data in (
        ("总结.pdf", b"%PDF-1.7 ..."),
        ("照片.jpg", b"\xff\xd8\xff\xe0 jpeg"),
        ("汇报.docx", b"PK\x03\x04 docx"),
        ("旧表.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 ole"),
        ("说明.txt", "全年工作说明".encode("gb18030")),
    ):
        operations.add_evidence(clerk, unit.id, name, data)
    assert db.session.query(EvidenceFile).count() == 5


def test_admin_uploads_next_years_sheet_validated_then_activated(sheets, make_user):
    admin = make_user("admin", "410000")
    bad = sheet_data("fujian3")
    bad["year"] = 2027
    bad["sections"][0]["items"][0]["points"] = 11
    with pytest.raises(InvalidInput, match="各项分值合计 61 分"):
        operations.upload_sheet(admin, json.dumps(bad, ensure_ascii=False).encode(), "bad.json")
    good = sheet_data("fujian3")
    good["year"] = 2027
    raw = json.dumps(good, ensure_ascii=False).encode()
    with pytest.raises(PermissionDenied):
        operations.upload_sheet(make_user("leader", "410000"), raw, "x.json")
    row = operations.upload_sheet(admin, raw, "2027.json")
    assert (row.kind, row.year, row.version, row.is_active) == ("fujian3", 2027, 1, False)
    with pytest.raises(Conflict, match="相同内容的评分表已存在"):
        operations.upload_sheet(admin, raw, "again.json")
    operations.activate_sheet(admin, row.id)
    db.session.commit()
    assert operations.choose_sheet("fujian3", 2027).id == row.id
    assert operations.choose_sheet("fujian3", 2026).year == 2026
    # a second version of 2027 replaces the first as the active one
    good["name"] = good["name"] + "（修订）"
    v2 = operations.upload_sheet(admin, json.dumps(good, ensure_ascii=False).encode(), "v2.json")
    operations.activate_sheet(admin, v2.id)
    assert v2.version == 2 and not db.session.get(ScoreSheet, row.id).is_active
    assert row.parsed().item("2.3").points == v2.parsed().item("2.3").points


def test_bundled_sheets_load_once(sheets):
    assert operations.install_bundled_sheets(None) == []
    assert db.session.query(ScoreSheet).filter_by(is_active=True).count() == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda s: s.update(name="评分表\x00"), "“name”包含不允许的控制字符（如 NUL）"),
        (lambda s: s.update(name="评分表\u202e"), "“name”含有不可见的文字方向控制字符（U+202E）"),
        (lambda s: s.update(note=json.loads("[" * 40 + "1" + "]" * 40)), "嵌套层数超过 32 层"),
    ],
    ids=["nul", "bidi", "deep"],
)
def test_a_sheet_sent_as_plain_text_meets_the_edge_rules(client, sheets, make_user, change, reason):
    """The API's sheet upload reads its body whatever the content type says, so the request edge
    (which checks JSON bodies) never saw it: a NUL reached the database.  The sheet's own parser
    applies the same rules to the file's keys and strings; nothing is stored."""
    make_user("admin", "410000", username="sheetadmin")
    token = client.post(
        "/api/v1/auth/tokens", json={"username": "sheetadmin", "password": TEST_PASSWORD}
    ).get_json()["token"]
    data = sheet_data("fujian3")
    data["year"] = 2027
    change(data)
    before = db.session.query(ScoreSheet).count()
    response = client.post(
        "/api/v1/assessment/sheets",
        data=json.dumps(data, ensure_ascii=False).encode(),
        content_type="text/plain",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422, response.get_json()
    assert reason in response.get_json()["message"]
    assert db.session.query(ScoreSheet).count() == before


def test_a_sheet_nested_past_the_decoders_recursion_is_refused(sheets, make_user):
    admin = make_user("admin", "410000")
    with pytest.raises(InvalidInput, match="嵌套层数超过 32 层"):
        operations.upload_sheet(admin, b"[" * 100_000 + b"]" * 100_000, "deep.json")


BOUNDARY = "hqr-boundary"


def _multipart(field: str, filename: str, **fields: str) -> bytes:
    """A multipart body whose file name comes as RFC 5987 ``filename*`` (percent-encoded UTF-8):
    the one way a line break reaches a file name (Werkzeug decodes it; a raw one breaks the
    part's header, and browsers send %0A)."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; '
        f"filename*=UTF-8''{quote(filename)}\r\nContent-Type: application/pdf\r\n\r\n".encode()
        + b"%PDF-1.4\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def test_a_file_name_with_a_line_break_is_refused_and_an_old_one_still_downloads(
    open_campaign, make_user, logged_in, client, api_token
):
    """A file's name goes into its download's Content-Disposition header, which holds no line
    break: evidence uploaded as "总结\\n.pdf" was stored, then every download of it was a 500
    (the assessors could never read it).  The edge now refuses such a name on the page and the
    API alike (422, nothing stored); a name stored before downloads on one line."""
    from tests.conftest import csrf_token
    from webapp.assessment.models import EvidenceFile

    unit = unit_of(open_campaign(), "410100")
    headers = api_token("clerk", "410100", username="api_clerk_410100")
    page = logged_in("clerk", "410100")
    token = csrf_token(page, f"/assessment/units/{unit.id}")
    for name in ("总结\n.pdf", "总结\r\n附件.pdf", "总结\u2028.pdf", "a\x85b.pdf"):
        refused = [
            page.post(
                f"/assessment/units/{unit.id}/evidence",
                data=_multipart("files", name, csrf_token=token),
                content_type=f"multipart/form-data; boundary={BOUNDARY}",
            ),
            client.post(
                f"/api/v1/assessment/units/{unit.id}/evidence",
                data=_multipart("file", name),
                content_type=f"multipart/form-data; boundary={BOUNDARY}",
                headers=headers,
            ),
        ]
        for response in refused:
            assert response.status_code == 422, (name, response.status_code)
            said = response.get_json()["message"] if response.is_json else response.get_data(True)
            assert "的文件名包含不允许的控制字符" in said
    assert db.session.query(EvidenceFile).count() == 0
    old = operations.add_evidence(
        make_user("clerk", "410100", "old_clerk"), unit.id, "旧\r\n总结.pdf", b"%PDF-1.4 data"
    )
    db.session.commit()
    response = page.get(f"/assessment/evidence/{old.id}")
    assert response.status_code == 200 and response.data == b"%PDF-1.4 data"
    response.close()
    disposition = response.headers["Content-Disposition"]
    assert "\n" not in disposition and "%E6%97%A7%20%E6%80%BB%E7%BB%93.pdf" in disposition


def test_activating_the_active_sheet_again_records_nothing(sheets, make_user):
    """An audit record says what changed (auditor's outside pass, 2026-12-07): activating the
    version already active changes nothing and wrote a record whose before equals its after."""
    from sqlalchemy import func, select

    from webapp.core.models import AuditRecord

    admin = make_user("admin", "410000")
    active = db.session.query(ScoreSheet).filter_by(is_active=True).order_by(ScoreSheet.id).first()

    def activations() -> int:
        where = AuditRecord.action == "assessment.sheet_activate"
        return db.session.execute(select(func.count(AuditRecord.id)).where(where)).scalar_one()

    operations.activate_sheet(admin, active.id)
    db.session.commit()
    assert activations() == 0 and db.session.get(ScoreSheet, active.id).is_active
