"""附件3 1.13 完成工作任务的时效和质量, duty a "按时报送年度工作计划和总结": proposed from the
upload dates in the archive against the campaign's due date (附件3 评分表:
"按时报送年度工作计划和总结；… 记3分，不满足一项扣1分"); the assessor decides, and a departure
needs a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.assessment import flow_helpers as step
from tests.assessment.conftest import unit_of
from tests.conftest import login
from webapp.assessment import judging, operations, proposals
from webapp.core import clock
from webapp.core.errors import InvalidInput
from webapp.extensions import db


def _upload(clerk, unit, which: str, day: str) -> None:
    with clock.moved_to(datetime.fromisoformat(f"{day}T02:00:00+00:00")):
        operations.upload_material(clerk, unit.id, which, f"{which}.pdf", step.PDF)


def test_on_time_late_and_missing_plan_and_summary(open_campaign, province_staff, make_user):
    clock.set_now(datetime(2026, 1, 6, 2, tzinfo=UTC))
    campaign = open_campaign("fujian3", 2025)  # due 2026-01-31
    on_time, late, missing = (unit_of(campaign, c) for c in ("410100", "410200", "410300"))
    assert proposals.proposals(missing)["1.13"].met is None  # the due date has not come
    zhengzhou = make_user("clerk", "410100")
    _upload(zhengzhou, on_time, "plan_summary", "2026-01-20")
    _upload(zhengzhou, on_time, "plan_summary", "2026-02-05")  # a new version, late
    _upload(zhengzhou, on_time, "work_report", "2026-01-21")
    _upload(make_user("clerk", "410200"), late, "plan_summary", "2026-02-03")
    clock.set_now(datetime(2026, 2, 10, 2, tzinfo=UTC))
    step.close_self(province_staff["assessor"], campaign)
    db.session.commit()

    found = {u.org.code: proposals.proposals(u)["1.13"] for u in (on_time, late, missing)}
    assert {code: p.target for code, p in found.items()} == dict.fromkeys(found, "a")
    assert found["410100"].met is True  # the first upload counts
    assert found["410100"].reason == (
        "年度工作计划和总结于 2026-01-20 上传，在截止日 2026-01-31 之前；工作汇报于 2026-01-21 上传"
    )
    assert found["410200"].met is False
    assert found["410200"].reason == (
        "年度工作计划和总结于 2026-02-03 首次上传，晚于截止日 2026-01-31；工作汇报未上传"
    )
    assert found["410300"].met is False
    assert found["410300"].reason.startswith("截止日 2026-01-31 已过，未上传年度工作计划和总结")

    # not judged: the item follows the proposal — 3 − 1 for a late or missing plan and summary
    assessor = province_staff["assessor"]
    for unit, expected in ((on_time, "3.00"), (late, "2.00"), (missing, "2.00")):
        judging.score_unit(assessor, unit.id, {})
        assert str(judging.final_scores(unit).items["1.13"]) == expected
    # the assessor decides: counting the late one as on time needs a reason
    with pytest.raises(InvalidInput, match="完成工作任务的时效和质量"):
        judging.score_unit(assessor, late.id, {"1.13": {"unmet": []}})
    judging.score_unit(
        assessor, late.id, {"1.13": {"unmet": []}}, notes={"1.13": "经核实已于截止日前书面报送"}
    )
    assert str(judging.final_scores(late).items["1.13"]) == "3.00"


def test_the_scoring_page_shows_the_proposal_with_its_reason(
    open_campaign, province_staff, make_user, client
):
    clock.set_now(datetime(2026, 1, 6, 2, tzinfo=UTC))
    campaign = open_campaign("fujian3", 2025)
    unit = unit_of(campaign, "410200")
    _upload(make_user("clerk", "410200"), unit, "plan_summary", "2026-02-03")
    clock.set_now(datetime(2026, 2, 10, 2, tzinfo=UTC))
    step.close_self(province_staff["assessor"], campaign)
    db.session.commit()
    login(client, province_staff["assessor"].username)
    page = client.get(f"/assessment/units/{unit.id}/score").get_data(as_text=True)
    assert "年度工作计划和总结于 2026-02-03 首次上传，晚于截止日 2026-01-31" in page


def test_nothing_proposed_when_no_unit_sent_materials_through_the_system(open_campaign):
    """No unit uploaded anything (materials collected outside the system): a missing upload is
    no proof of a late report, so nothing is proposed and the assessor judges."""
    clock.set_now(datetime(2026, 2, 10, 2, tzinfo=UTC))
    campaign = open_campaign("fujian3", 2025)
    proposal = proposals.proposals(unit_of(campaign, "410100"))["1.13"]
    assert proposal.met is None and "没有单位在系统中上传材料" in proposal.reason
