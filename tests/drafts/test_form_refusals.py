"""The autosaved texts posted as a plain form (without script, or by their 保存 button): a refused
save answers the document's page with the reason at the top of the form and under the section,
every text as typed and the versions it was based on, and nothing of the save written (a bare
error page lost everything typed).  The autosave's JSON keeps its JSON answers."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from tests.conftest import csrf_token
from webapp.core.models import AuditRecord
from webapp.drafts import operations as drafts
from webapp.drafts.models import SectionVersion
from webapp.engine import HumanTask, complete_task
from webapp.extensions import db
from webapp.reports.drafting import NARRATIVE
from webapp.reports.models import Report
from webapp.reports.operations import save_narrative
from webapp.reports.sections import sections

LONG = "长" * 20001


def saved(report_id: int) -> tuple[dict[str, tuple[int, str]], int]:
    """The current version and text of each section, and the number of audit records."""
    db.session.expire_all()
    heads = drafts.current(NARRATIVE, db.session.get(Report, report_id))
    audits = db.session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    return {key: (row.version, row.text) for key, row in heads.items()}, audits


def textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea\b([^>]*)\bname="{name}"([^>]*)>(.*?)</textarea>', page, re.S)
    assert found, name
    return found.group(1) + found.group(2) + "\n" + found.group(3)


def test_a_refused_form_keeps_every_text_and_writes_nothing(report: Any, logged_in: Any) -> None:
    page = logged_in("clerk", "410102")
    path = f"/reports/{report.id}"
    token = csrf_token(page, path)
    first = page.post(
        f"{path}/narrative", data={"csrf_token": token, "s01": "第一版正文", "base__s01": "0"}
    )
    assert first.status_code == 302
    before = saved(report.id)
    form = {
        "csrf_token": token,
        "s01": "改写后的正文",
        "base__s01": "1",
        "s02": LONG,
        "base__s02": "0",
    }
    refused = page.post(f"{path}/narrative", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    # the narrative's tab is the one shown, the reason on top of its form and under s02
    assert re.search(r'class="tab-pane fade show active" id="tab-narrative"', html)
    summary = re.search(r'<div[^>]*id="form-errors"[^>]*autofocus>(.*?)</div>', html, re.S)
    assert summary and "超过 20000 字的上限" in summary.group(1)
    assert 'is-invalid" aria-invalid="true' in textarea(html, "s02")
    assert "is-invalid" not in textarea(html, "s01")
    assert textarea(html, "s01").endswith("改写后的正文") and LONG in textarea(html, "s02")
    assert 'name="base__s01" value="1"' in html and 'name="base__s02" value="0"' in html
    assert saved(report.id) == before, "nothing of the refused save is written"
    # Shortened and sent again from the page as it came back: both saved on their bases.
    form["s02"] = "二" * 20
    assert page.post(f"{path}/narrative", data=form).status_code == 302
    heads, _ = saved(report.id)
    assert heads["s01"] == (2, "改写后的正文") and heads["s02"] == (1, "二" * 20)


def test_the_autosave_still_reads_json_refusals(report: Any, logged_in: Any) -> None:
    page = logged_in("clerk", "410102")
    path = f"/reports/{report.id}"
    headers = {"Accept": "application/json", "X-CSRFToken": csrf_token(page, path)}
    body = {"sections": {"s01": "正文", "s02": LONG}, "base_versions": {"s01": 0, "s02": 0}}
    refused = page.post(f"{path}/narrative", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["too_long"] == {"s02": 20001}
    ok = page.post(f"{path}/narrative", json={"sections": {"s01": "正文"}}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["versions"] == {"s01": 1}


def test_a_report_submitted_meanwhile_keeps_the_text_typed(
    report: Any, logged_in: Any, make_user: Any
) -> None:
    """Another tab submitted the report: the page says why (409) and the text is still there."""
    page = logged_in("clerk", "410102")
    path = f"/reports/{report.id}"
    token = csrf_token(page, path)
    clerk = make_user("clerk", "410102", username="clerk_other_tab")
    save_narrative(clerk, report, {k: "情况良好。" for k, _ in sections("quarterly")})
    for outcome in ("next", "submit"):
        task = db.session.execute(
            select(HumanTask).where(
                HumanTask.instance_id == report.instance_id,
                HumanTask.state.in_(("ready", "claimed")),
            )
        ).scalar_one()
        complete_task(clerk, task.id, outcome)
    db.session.commit()
    before = saved(report.id)
    versions = db.session.execute(select(func.count()).select_from(SectionVersion)).scalar_one()
    refused = page.post(
        f"{path}/narrative", data={"csrf_token": token, "s03": "迟到的修改", "base__s03": "1"}
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    summary = re.search(r'<div[^>]*id="form-errors"[^>]*>(.*?)</div>', html, re.S)
    assert summary and "报告当前状态不能修改" in summary.group(1)
    assert textarea(html, "s03").endswith("迟到的修改")
    assert saved(report.id) == before
    assert db.session.execute(select(func.count()).select_from(SectionVersion)).scalar_one() == (
        versions
    )
