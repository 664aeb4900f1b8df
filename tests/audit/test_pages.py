from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from tests.audit.helpers import write
from webapp.core.models import AuditRecord
from webapp.extensions import db

ROW_ID = re.compile(r"<tr>\s*<td>(\d+)</td>")


def ids(client, query: str = "") -> list[int]:
    html = client.get(f"/audit/?{query}").get_data(as_text=True)
    table = html[html.index('id="audit-table"') :]
    return [int(x) for x in ROW_ID.findall(table)]


def test_auditor_filters_by_time_actor_org_action_object_and_text(logged_in):
    client = logged_in("auditor", "410000")
    # 2026-03-31 23:30 in Beijing is 15:30 UTC: it belongs to the 31st locally.
    late_march = write(
        "user.update",
        datetime(2026, 3, 31, 15, 30, tzinfo=UTC),
        actor_name="admin_410000",
        org="410102",
        object_type="user",
        object_id=7,
        before={"full_name": "张三", "roles": ["clerk"], "enabled": True},
        after={"full_name": "张三丰", "roles": ["clerk", "reviewer"], "enabled": True},
        message="改名",
    )
    april = write(
        "auth.login",
        datetime(2026, 3, 31, 16, 30, tzinfo=UTC),  # 2026-04-01 00:30 in Beijing
        actor_name="clerk_410302",
        org="410302",
    )
    assert ids(client, "date_from=2026-03-31&date_to=2026-03-31") == [late_march.id]
    after_march = ids(client, "date_from=2026-04-01")
    assert late_march.id not in after_march and april.id in after_march
    assert ids(client, "actor=clerk_410302") == [april.id]
    assert late_march.id in ids(client, "org=410100")  # 中原区 is below 郑州
    assert late_march.id not in ids(client, "org=410100&subtree=0")
    by_action = ids(client, "action=user.")
    assert late_march.id in by_action and april.id not in by_action
    assert ids(client, "object_type=user&object_id=7") == [late_march.id]
    assert ids(client, "q=改名") == [late_march.id]
    assert ids(client, "q=clerk_4103") == [april.id]  # the actor name matches too
    assert ids(client, "q=100%25") == []  # LIKE wildcards are taken literally


def test_detail_shows_a_readable_field_by_field_diff(logged_in):
    client = logged_in("auditor", "410000")
    rec = write(
        "user.update",
        org="410102",
        object_type="user",
        object_id=7,
        before={"full_name": "张三", "roles": ["clerk"], "enabled": True},
        after={"full_name": "张三丰", "roles": ["clerk", "reviewer"], "enabled": True},
        message="改名",
    )
    html = client.get(f"/audit/{rec.id}").get_data(as_text=True)
    assert "修改用户" in html and "中原区" in html
    rows = dict(re.findall(r'data-field="([^"]+)" data-status="(\w+)"', html))
    assert rows == {"full_name": "changed", "roles": "changed", "enabled": "same"}
    assert "姓名" in html and "填表人、审核人" in html and "是" in html
    assert "内容与哈希一致" in html
    assert client.get("/audit/999999").status_code == 404


def test_keyset_pages_walk_every_record_once(logged_in):
    made = [write("test.event", datetime(2024, 1, 1, tzinfo=UTC), object_id=i) for i in range(120)]
    client = logged_in("auditor", "410000")
    seen: list[int] = []
    html = client.get("/audit/?date_to=2024-12-31").get_data(as_text=True)
    while True:
        table = html[html.index('id="audit-table"') :]
        seen += [int(x) for x in ROW_ID.findall(table)]
        older = re.search(r'href="([^"]+)" id="audit-older"', html)
        if not older:
            break
        html = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert seen == [r.id for r in reversed(made)]
    # and back towards the newest
    newer = re.search(r'href="([^"]+)">较新', html)
    assert newer
    back = client.get(newer.group(1).replace("&amp;", "&")).get_data(as_text=True)
    back_ids = [int(x) for x in ROW_ID.findall(back[back.index('id="audit-table"') :])]
    assert back_ids == [r.id for r in reversed(made)][50:100]


def test_timeline_joins_versions_and_instances_by_subject(logged_in):
    key = "report:410100-2026Q3"
    own = write("report.create", org="410100", object_type="report", object_id="410100-2026Q3")
    v1 = write(
        "report.version.save",
        org="410100",
        object_type="report_version",
        object_id=11,
        after={"subject": key, "table5.total": 10},
    )
    task = write(
        "task.complete",
        org="410100",
        object_type="task",
        object_id="abc",
        after={"business_key": key, "outcome": "approve"},
        message="同意",
    )
    v2 = write(
        "report.version.save",
        org="410100",
        object_type="report_version",
        object_id=12,
        after={"subject": key},
    )
    later_on_v1 = write("document.generate", object_type="report_version", object_id=11)
    other = write("report.create", org="410200", object_type="report", object_id="410200-2026Q3")
    client = logged_in("auditor", "410000")

    def timeline(object_type: str, object_id: str) -> list[int]:
        html = client.get(
            "/audit/timeline", query_string={"object_type": object_type, "object_id": object_id}
        ).get_data(as_text=True)
        return [int(x) for x in re.findall(r'href="/audit/(\d+)"', html)]

    whole = [own.id, v1.id, task.id, v2.id, later_on_v1.id]
    assert timeline("report", "410100-2026Q3") == [own.id, v1.id, task.id, v2.id]
    # from one version, the whole report: its subject pulls the rest in
    assert timeline("report_version", "11") == whole
    assert other.id not in timeline("report", "410100-2026Q3")
    assert client.get("/audit/timeline").status_code == 422


def test_records_page_reports_bad_filters_in_chinese(logged_in):
    client = logged_in("auditor", "410000")
    html = client.get("/audit/?date_from=2026-13-01&org=999999").get_data(as_text=True)
    assert "日期格式应为 YYYY-MM-DD" in html and "单位代码 999999 不存在" in html


def test_clerk_cannot_see_audit(logged_in):
    client = logged_in("clerk", "410102")
    assert client.get("/audit/").status_code == 403
    assert client.get("/api/v1/audit").status_code == 403
    refused = db.session.execute(
        select(AuditRecord.object_id).where(AuditRecord.action == "permission.denied")
    ).scalars()
    assert set(refused) == {"audit.records", "api_audit.list_records"}


def test_nav_leads_auditors_to_the_audit_pages(logged_in):
    client = logged_in("auditor", "410000")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/audit/"' in home


def test_objects_show_by_name_not_by_bare_id(logged_in, make_user):
    """用户 zhang_san, not 用户 17: users by username, units by name, unknown ids as they are."""
    target = make_user("clerk", "410102", "zhang_san")
    client = logged_in("auditor", "410000")
    named = write("user.update", org="410102", object_type="user", object_id=target.id)
    unit = write("org.update", org="410100", object_type="org", object_id="410100")
    gone = write("user.update", org="410102", object_type="user", object_id=999_999)
    listing = client.get("/audit/").get_data(as_text=True)
    cells = {
        int(rid): re.sub(r"\s+", " ", cell).strip()
        for rid, cell in re.findall(
            r"<tr>\s*<td>(\d+)</td>(?:\s*<td[^>]*>.*?</td>){4}\s*<td>(.*?)</td>", listing, re.S
        )
    }
    name = '<span class="object-name">zhang_san</span>'
    assert cells[named.id] == f'用户 {name} <span class="text-muted">#{target.id}</span>'
    assert "郑州市" in cells[unit.id]
    assert cells[gone.id] == "用户 999999"
    detail = client.get(f"/audit/{named.id}").get_data(as_text=True)
    assert '<span class="object-name">zhang_san</span>' in detail
    timeline = client.get(f"/audit/timeline?object_type=user&object_id={target.id}")
    assert "对象时间线：用户 zhang_san" in timeline.get_data(as_text=True)


def test_an_untouched_search_form_raises_no_date_errors(logged_in):
    """Issue 18 (item 6): the search form sends every box, empty ones included; an empty date
    box means "no limit", never "日期格式应为 YYYY-MM-DD" (the two false errors of every search)."""
    client = logged_in("auditor", "410000")
    login = write("auth.login", datetime(2026, 4, 1, 1, tzinfo=UTC), actor_name="clerk_410302")
    query = "date_from=&date_to=&actor=&org=&subtree=1&subtree=0&action=&object_type=&object_id=&q="
    html = client.get(f"/audit/?{query}").get_data(as_text=True)
    assert "audit-filter-error" not in html and "有误" not in html
    everything = ids(client)
    assert login.id in everything and ids(client, query) == everything
    assert client.get("/api/v1/audit?date_from=&action=").status_code == 200


def test_action_picker_offers_chinese_labels_and_families(logged_in):
    """Issue 18 (item 6): the 操作 filter is a picker of the audit vocabulary's Chinese labels,
    no "如 user. 或 auth.login" to type; a family (用户管理（全部）) filters by its prefix."""
    client = logged_in("auditor", "410000")
    user = write("user.update", datetime(2026, 4, 1, 1, tzinfo=UTC), actor_name="admin")
    write("auth.login", datetime(2026, 4, 1, 2, tzinfo=UTC), actor_name="clerk_410302")
    html = client.get("/audit/").get_data(as_text=True)
    picker = html[html.index('<select class="form-select form-select-sm" id="action"') :]
    picker = picker[: picker.index("</select>")]
    assert '<option value="user.">用户管理（全部）</option>' in picker
    assert '<option value="auth.login">登录</option>' in picker
    assert "如 user." not in html
    assert user.id in ids(client, "action=user.")
    assert not {r for r in ids(client, "action=user.") if r != user.id} & set(
        ids(client, "action=auth.")
    )
    selected = client.get("/audit/?action=user.update").get_data(as_text=True)
    assert '<option value="user.update" selected>修改用户</option>' in selected


def test_bad_filters_are_named_in_chinese(logged_in):
    """House rule (DEVELOPERS.md): bad input gets a clear Chinese message; the filter is named
    as the form labels it, never by its parameter name."""
    client = logged_in("auditor", "410000")
    html = client.get("/audit/?date_from=2026-05-01&date_to=2026-04-01").get_data(as_text=True)
    assert "筛选条件“截止日期”有误：起始日期不能晚于截止日期。" in html
    assert "date_to" not in html.split('id="audit-filter"')[1].split("</form>")[1]
