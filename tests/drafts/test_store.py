"""The versioned section store through the report's API: a save carries the version it was
based on, a stale save is refused with both texts, every version is kept, limits refuse (never
cut), the report's own columns always hold the current versions' texts."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.drafts.conftest import opened_report, two_clerks
from webapp.core.models import AuditRecord
from webapp.drafts import operations as drafts
from webapp.drafts.models import SectionVersion
from webapp.extensions import db
from webapp.reports.drafting import EXPLANATIONS, NARRATIVE
from webapp.reports.models import Report


def narrative(report_id: int) -> str:
    return f"/api/v1/reports/{report_id}/narrative"


def versions_of(report_id: int, section: str) -> list[tuple[int, str, str]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(SectionVersion)
        .where(
            SectionVersion.document_kind == "report_narrative",
            SectionVersion.document_id == report_id,
            SectionVersion.section == section,
        )
        .order_by(SectionVersion.version)
    ).scalars()
    return [(r.version, r.saved_by_name, r.text) for r in rows]


def assert_cache_is_current(report_id: int) -> None:
    db.session.expire_all()
    report = db.session.get(Report, report_id)
    assert drafts.divergence(NARRATIVE, report) == {}
    assert drafts.divergence(EXPLANATIONS, report) == {}


def test_two_clerks_save_one_section_from_the_same_base(report, client, make_user):
    zhang, li = two_clerks(client, make_user)
    # Both open the page: s01 never saved (version 0).
    assert zhang.report("410102")["narrative_versions"] == {}
    assert li.report("410102")["narrative_versions"] == {}
    saved = zhang.send(
        "PUT", narrative(report.id), {"sections": {"s01": "张三的文字"}, "base_versions": {}}
    )
    assert saved == {"changed": ["s01"], "versions": {"s01": 1}}
    refused = li.send(
        "PUT",
        narrative(report.id),
        {"sections": {"s01": "李四的文字", "s02": "李四的第二章"}, "base_versions": {"s01": 0}},
        status=409,
    )
    assert refused["code"] == "draft_conflict"
    assert "张三" in refused["message"] and "没有保存" in refused["message"]
    [conflict] = refused["errors"]["conflicts"]
    assert conflict["section"] == "s01" and conflict["title"] == "企业总体情况"
    assert (conflict["base_version"], conflict["current_version"]) == (0, 1)
    assert conflict["current_text"] == "张三的文字" and conflict["saved_by"] == "张三"
    assert conflict["submitted_text"] == "李四的文字"
    # All or nothing: li's s02 was not saved either; zhang's text is untouched.
    assert versions_of(report.id, "s01") == [(1, "张三", "张三的文字")]
    assert versions_of(report.id, "s02") == []
    # Li merges and saves on top of version 1.
    merged = li.send(
        "PUT",
        narrative(report.id),
        {
            "sections": {"s01": "张三的文字；李四的文字", "s02": "李四的第二章"},
            "base_versions": {"s01": 1, "s02": 0},
        },
    )
    assert merged["versions"] == {"s01": 2, "s02": 1}
    assert versions_of(report.id, "s01") == [
        (1, "张三", "张三的文字"),
        (2, "李四", "张三的文字；李四的文字"),
    ]
    assert zhang.report("410102")["narrative"]["s01"] == "张三的文字；李四的文字"
    assert_cache_is_current(report.id)


def test_one_clerk_in_two_tabs_is_refused_like_two_clerks(report, api):
    clerk = api("clerk", "410102")
    clerk.send("PUT", narrative(report.id), {"sections": {"s03": "第一个标签页"}})
    stale = clerk.send(
        "PUT",
        narrative(report.id),
        {"sections": {"s03": "第二个标签页"}, "base_versions": {"s03": 0}},
        status=409,
    )
    assert stale["errors"]["conflicts"][0]["current_text"] == "第一个标签页"
    assert versions_of(report.id, "s03")[-1][2] == "第一个标签页"


def test_without_base_versions_a_saved_section_is_refused(report, api):
    clerk = api("clerk", "410102")
    clerk.send("PUT", narrative(report.id), {"sections": {"s01": "第一稿"}})
    clerk.send("PUT", narrative(report.id), {"sections": {"s01": "覆盖？"}}, status=409)
    assert [v for v, _, _ in versions_of(report.id, "s01")] == [1]


def test_identical_text_makes_no_version_and_writes_no_record(report, api):
    clerk = api("clerk", "410102")
    clerk.send("PUT", narrative(report.id), {"sections": {"s01": "同样的文字"}})
    before = db.session.execute(select(func.count()).select_from(AuditRecord)).scalar()
    # Even from a stale base: nothing would be lost.
    same = clerk.send(
        "PUT",
        narrative(report.id),
        {"sections": {"s01": "同样的文字"}, "base_versions": {"s01": 0}},
    )
    assert same == {"changed": [], "versions": {"s01": 1}}
    assert len(versions_of(report.id, "s01")) == 1
    assert db.session.execute(select(func.count()).select_from(AuditRecord)).scalar() == before


def test_each_save_is_audited_with_its_versions(report, api):
    clerk = api("clerk", "410102")
    clerk.send("PUT", narrative(report.id), {"sections": {"s01": "甲"}})
    clerk.send(
        "PUT", narrative(report.id), {"sections": {"s01": "甲乙"}, "base_versions": {"s01": 1}}
    )
    db.session.expire_all()
    rec = (
        db.session.execute(
            select(AuditRecord)
            .where(AuditRecord.action == "report.narrative_save")
            .order_by(AuditRecord.id.desc())
        )
        .scalars()
        .first()
    )
    [v1, v2] = db.session.execute(
        select(SectionVersion.id).where(SectionVersion.section == "s01").order_by("version")
    ).scalars()
    assert rec.after["subject"] == f"report:{report.id}"
    assert rec.after["sections"]["s01"] == {
        "title": "企业总体情况",
        "base_version": 1,
        "version": 2,
        "version_id": v2,
        "length": 2,
    }
    assert rec.before["sections"]["s01"] == {"version": 1, "version_id": v1, "length": 1}
    assert rec.actor_name == "clerk_410102"


def test_over_long_text_and_unknown_sections_are_refused_not_cut(report, api):
    clerk = api("clerk", "410102")
    too_long = clerk.send(
        "PUT", narrative(report.id), {"sections": {"s01": "字" * 20001}}, status=422
    )
    assert "超过 20000 字" in too_long["message"] and "未被截断" in too_long["message"]
    assert too_long["errors"]["too_long"] == {"s01": 20001}
    unknown = clerk.send(
        "PUT", narrative(report.id), {"sections": {"s99": "x", "zz": "y"}}, status=422
    )
    assert "s99" in unknown["message"] and "zz" in unknown["message"]
    assert sorted(unknown["errors"]["unknown"]) == ["s99", "zz"]
    assert versions_of(report.id, "s01") == []
    exactly = clerk.send("PUT", narrative(report.id), {"sections": {"s01": "字" * 20000}})
    assert exactly["versions"] == {"s01": 1}


def test_explanations_refuse_unknown_checks_and_long_text(workflows, oracle, api):
    report = opened_report("410103")  # 二七区: filing rate 200 % → a warning
    clerk = api("clerk", "410103")
    detail = clerk.report("410103")
    warning = next(c["id"] for c in detail["checks"] if c["severity"] == "warning")
    path = f"/api/v1/reports/{report.id}/explanations"
    unknown = clerk.send(
        "PUT", path, {"explanations": {warning: "已核实", "no.such.check": "x"}}, status=422
    )
    assert "no.such.check" in unknown["message"] and unknown["errors"]["unknown"] == [
        "no.such.check"
    ]
    long = clerk.send("PUT", path, {"explanations": {warning: "说" * 2001}}, status=422)
    assert "超过 2000 字" in long["message"]
    missing_long = clerk.send("PUT", path, {"missing_explanation": "说" * 2001}, status=422)
    assert "未报单位说明" in missing_long["message"]
    db.session.expire_all()
    assert db.session.get(Report, report.id).explanations == {}
    saved = clerk.send(
        "PUT",
        path,
        {
            "explanations": {warning: "备案滞后于竣工，属正常。"},
            "missing_explanation": "无下级单位未报。",
        },
    )
    assert saved["versions"] == {warning: 1, "missing_explanation": 1}
    detail = clerk.report("410103")
    assert detail["explanations"] == {warning: "备案滞后于竣工，属正常。"}
    assert detail["explanation_versions"] == {warning: 1, "missing_explanation": 1}
    # Clearing an explanation is a version too; the report's map drops it.
    clerk.send(
        "PUT",
        path,
        {"explanations": {warning: ""}, "base_versions": {warning: 1}},
    )
    db.session.expire_all()
    assert db.session.get(Report, report.id).explanations == {}
    assert_cache_is_current(report.id)


def test_the_report_columns_follow_every_save_and_restore(report, api):
    from webapp.reports.operations import reuse_previous

    clerk = api("clerk", "410102")
    versions: dict[str, int] = {}
    for i in range(3):
        body = {
            "sections": {"s01": f"第{i}稿", "s02": f"二章第{i}稿"},
            "base_versions": versions,
        }
        versions = clerk.send("PUT", narrative(report.id), body)["versions"]
        assert_cache_is_current(report.id)
    clerk.send("POST", f"/api/v1/drafts/report_narrative/{report.id}/s01/versions/1/restore")
    assert_cache_is_current(report.id)
    # A server-side rewrite (reuse of last period's text) goes through the store as well.
    from webapp.core.models import User

    previous = opened_previous_with_text()
    user = db.session.execute(select(User).filter_by(username="clerk_410102")).scalar_one()
    changed = reuse_previous(user, db.session.get(Report, report.id))
    db.session.commit()
    assert "s03" in changed and previous
    assert versions_of(report.id, "s03") == [(1, user.full_name, "上期第三章")]
    assert_cache_is_current(report.id)


def opened_previous_with_text() -> Report:
    from webapp.core.operations import get_org
    from webapp.reports.operations import find_report, open_period, save_narrative

    open_period(None, "2026Q2")
    previous = find_report(get_org("410102"), "2026Q2", "quarterly")
    from webapp.core.models import User

    user = db.session.execute(select(User).filter_by(username="clerk_410102")).scalar_one()
    save_narrative(user, previous, {"s03": "上期第三章"})
    db.session.commit()
    return previous
