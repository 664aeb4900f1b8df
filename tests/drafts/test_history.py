"""Every saved version of a section can be listed, read and restored (who, when): pages and API;
whoever may read the document reads its history, whoever may draft it restores while it is
editable; the audit's detail page shows what a save changed."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import csrf_token, login
from tests.drafts.conftest import two_clerks
from webapp.core.models import AuditRecord
from webapp.drafts import operations as drafts
from webapp.extensions import db
from webapp.reports.drafting import NARRATIVE
from webapp.reports.models import Report

HISTORY = "/api/v1/drafts/report_narrative/{id}"


def three_versions(report, client, make_user):
    """s01 saved by 张三 (v1), 李四 (v2), 张三 (v3)."""
    zhang, li = two_clerks(client, make_user)
    path = f"/api/v1/reports/{report.id}/narrative"
    zhang.send("PUT", path, {"sections": {"s01": "本季度监督工程十项。"}})
    li.send(
        "PUT",
        path,
        {"sections": {"s01": "本季度监督工程十二项。"}, "base_versions": {"s01": 1}},
    )
    zhang.send(
        "PUT",
        path,
        {"sections": {"s01": "本季度监督工程十二项，均合格。"}, "base_versions": {"s01": 2}},
    )
    return zhang, li


def test_the_history_lists_reads_and_restores(report, client, make_user):
    zhang, li = three_versions(report, client, make_user)
    base = HISTORY.format(id=report.id)
    overview = li.get(base)
    assert overview["editable"] and overview["can_restore"]
    s01 = next(s for s in overview["sections"] if s["section"] == "s01")
    assert (s01["version"], s01["saved_by"], s01["versions"]) == (3, "张三", 3)
    assert next(s for s in overview["sections"] if s["section"] == "s02")["version"] == 0
    listed = li.get(f"{base}/s01/versions")
    assert listed["title"] == "企业总体情况"
    assert [(i["version"], i["saved_by"], i["length"]) for i in listed["items"]] == [
        (3, "张三", 15),
        (2, "李四", 11),
        (1, "张三", 10),
    ]
    assert all(i["saved_at"] for i in listed["items"])
    assert li.get(f"{base}/s01/versions/2")["text"] == "本季度监督工程十二项。"
    restored = li.send("POST", f"{base}/s01/versions/1/restore")
    assert restored == {"section": "s01", "version": 4, "restored_from": 1}
    newest = li.get(f"{base}/s01/versions")["items"][0]
    assert (newest["version"], newest["saved_by"], newest["restored_from"]) == (4, "李四", 1)
    db.session.expire_all()
    assert db.session.get(Report, report.id).narrative["s01"] == "本季度监督工程十项。"
    rec = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "report.narrative_restore")
    ).scalar_one()
    assert rec.message == "恢复“企业总体情况”第 1 版" and rec.actor_name == "li_410102"
    assert rec.after["sections"]["s01"]["restored_from"] == 1
    assert rec.before["sections"]["s01"]["version"] == 3
    # The same text again is no restore; a version that does not exist is 404.
    li.send("POST", f"{base}/s01/versions/4/restore", status=409)
    li.send("POST", f"{base}/s01/versions/9/restore", status=404)
    li.get(f"{base}/s99/versions", status=404)
    # A tab still based on version 3 learns of the restore when it saves.
    stale = zhang.send(
        "PUT",
        f"/api/v1/reports/{report.id}/narrative",
        {"sections": {"s01": "张三接着写"}, "base_versions": {"s01": 3}},
        status=409,
    )
    assert stale["errors"]["conflicts"][0]["current_text"] == "本季度监督工程十项。"


def test_who_may_read_and_who_may_restore(report, client, make_user, api):
    three_versions(report, client, make_user)
    base = HISTORY.format(id=report.id)
    reviewer = api("reviewer", "410102")
    assert reviewer.get(base)["can_restore"] is False
    assert len(reviewer.get(f"{base}/s01/versions")["items"]) == 3
    reviewer.send("POST", f"{base}/s01/versions/1/restore", status=403)
    assert len(api("reviewer", "410100").get(f"{base}/s01/versions")["items"]) == 3  # the city
    api("clerk", "410103").get(base, status=404)  # another county
    api("clerk", "410103").send("POST", f"{base}/s01/versions/1/restore", status=404)
    api("reviewer", "410200").get(base, status=404)  # a peer city: no drafts
    api("clerk", "410102").get("/api/v1/drafts/no_such_kind/1", status=404)


def test_restore_only_while_editable(report, client, make_user, api):
    from tests.reports.conftest import draft

    three_versions(report, client, make_user)
    clerk = api("clerk", "410102")
    draft(clerk, "410102")  # explained, written, submitted for review
    base = HISTORY.format(id=report.id)
    assert clerk.get(base)["editable"] is False
    refused = clerk.send("POST", f"{base}/s01/versions/1/restore", status=409)
    assert "不能修改" in refused["message"]
    assert len(clerk.get(f"{base}/s01/versions")["items"]) == 4  # still readable


def test_history_pages(report, app, client, make_user, logged_in):
    three_versions(report, client, make_user)
    page = logged_in("clerk", "410102")
    work = page.get(f"/reports/{report.id}").get_data(as_text=True)
    assert f'href="/drafts/report_narrative/{report.id}/s01/"' in work
    assert 'data-section="s01" data-version="3"' in work
    assert 'name="base__s01" value="3"' in work
    overview = page.get(f"/drafts/report_narrative/{report.id}/").get_data(as_text=True)
    assert "中原区 · 2026年第三季度 · 季度分析报告" in overview and "企业总体情况" in overview
    listing = page.get(f"/drafts/report_narrative/{report.id}/s01/").get_data(as_text=True)
    assert listing.count("恢复此版本") == 2 and "李四" in listing and "张三" in listing
    one = page.get(f"/drafts/report_narrative/{report.id}/s01/2").get_data(as_text=True)
    assert "本季度监督工程十二项。" in one
    # What version 2 changed: 十 → 十二.
    changes = re.search(r'id="version-changes">(.*?)</div>', one, re.S).group(1)
    assert '<ins class="draft-ins">二</ins>' in changes
    response = page.post(
        f"/drafts/report_narrative/{report.id}/s01/2/restore",
        data={"csrf_token": csrf_token(page, f"/drafts/report_narrative/{report.id}/s01/")},
    )
    assert response.status_code == 302
    listing = page.get(response.headers["Location"]).get_data(as_text=True)
    assert "已将第 2 版恢复为当前文字（第 4 版）" in listing and "恢复自第 2 版" in listing
    reviewer = app.test_client()
    make_user("reviewer", "410102")
    login(reviewer, "reviewer_410102")
    listing = reviewer.get(f"/drafts/report_narrative/{report.id}/s01/").get_data(as_text=True)
    assert "第 4 版" in listing and "恢复此版本" not in listing


def test_a_stale_form_shows_both_texts_and_saves_the_merge(report, client, make_user, logged_in):
    """Without script: the form's base versions are stale; the page shows both texts and
    posts the merged one on top of the current version."""
    zhang, _ = two_clerks(client, make_user)
    page = logged_in("clerk", "410102")
    path = f"/reports/{report.id}"
    token = csrf_token(page, path)
    zhang.send("PUT", f"/api/v1/reports/{report.id}/narrative", {"sections": {"s01": "张三的"}})
    response = page.post(
        f"{path}/narrative",
        data={"csrf_token": token, "s01": "我的", "base__s01": "0", "s02": "二", "base__s02": "0"},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "已被张三于" in html
    assert re.search(r'class="[^"]*merge-theirs[^"]*"[^>]*readonly>张三的</textarea>', html)
    assert re.search(r'name="s01">我的</textarea>', html)
    assert 'name="base__s01" value="1"' in html and 'name="base__s02" value="0"' in html
    merged = page.post(
        f"{path}/narrative",
        data={
            "csrf_token": token,
            "s01": "张三的；我的",
            "base__s01": "1",
            "s02": "二",
            "base__s02": "0",
        },
    )
    assert merged.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Report, report.id)
    assert saved.narrative["s01"] == "张三的；我的" and saved.narrative["s02"] == "二"
    assert drafts.divergence(NARRATIVE, saved) == {}


def test_the_audit_detail_shows_the_text_that_changed(report, client, make_user, logged_in, api):
    three_versions(report, client, make_user)
    api("clerk", "410102").send("POST", f"{HISTORY.format(id=report.id)}/s01/versions/1/restore")
    db.session.expire_all()
    saves = list(
        db.session.execute(
            select(AuditRecord.id)
            .where(AuditRecord.action == "report.narrative_save")
            .order_by(AuditRecord.id)
        ).scalars()
    )
    auditor = logged_in("auditor", "410000")
    third = auditor.get(f"/audit/{saves[2]}").get_data(as_text=True)
    assert "文字改动" in third and "第 2 版 → 第 3 版" in third
    assert '<ins class="draft-ins">，均合格</ins>' in third
    first = auditor.get(f"/audit/{saves[0]}").get_data(as_text=True)
    assert "（空白） → 第 1 版" in first
    restore = db.session.execute(
        select(AuditRecord.id).where(AuditRecord.action == "report.narrative_restore")
    ).scalar_one()
    page = auditor.get(f"/audit/{restore}").get_data(as_text=True)
    assert "恢复自第 1 版" in page and '<del class="draft-del">二</del>' in page
