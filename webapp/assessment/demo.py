"""Demo assessments relative to today (``flask assessment demo``, run by ``make db``).

* 附件3 of last year, done as the text says in the first quarter of this year: the province's
  日常考察 log through last year, the campaign opened in January, the units send their 工作汇报
  and 年度工作计划和总结 through their materials process (two late; 附件3 has no
  self-assessment), their leaders approve, the sample drawn from last year's affordable
  housing (those completed in it included), every unit scored (directly administered
  counties scaled to 100), ranked and approved by the leader in March: the units now see
  their results and the log.
* 附件2 of this year, from November: opened on 11-02 (due 11-30), two units report their
  self-assessment, the province closes the phase on 12-01, draws the sites (济源 has no
  县（市）: its county sites are made up from the city body), scores every unit and ranks them;
  the process waits at 确认工作落后地区 with the system's proposal.  Before November it is not
  opened (the campaigns page then warns about its December window when it comes).

Everything runs through the processes and operations, with the clock moved to the day each step
happened.  Idempotent: a campaign that exists is left as it is.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from webapp.assessment import flow, judging, operations
from webapp.assessment.models import AssessmentCampaign, Observation
from webapp.core import clock
from webapp.core.models import User
from webapp.engine import complete_task
from webapp.extensions import db

#: 附件3 judgments that make the ranking readable: a few units lose points on named items
FUJIAN3_LOSSES: dict[str, dict[str, Any]] = {
    "410200": {"1.5": {"unmet": ["a", "b"]}, "2.2": {"unmet": ["c"]}},
    "410300": {"3.1": {"met": ["a"]}},
    "410500": {"1.4": {"met": ["a"]}, "2.2": {"unmet": ["a", "b", "c"]}},
    "411500": {"1.11": {"unmet": ["c"]}},
    "410225": {"2.2": {"unmet": ["a"]}},
    "411628": {"1.5": {"unmet": ["a"]}, "1.11": {"unmet": ["b"]}},
}
FUJIAN2_LOSSES: dict[str, dict[str, Any]] = {
    "410500": {"1.1": {"unmet": ["a", "b"]}, "1.13": {"unmet": ["a"]}},
    "410600": {"1.1": {"unmet": ["a"]}},
    "411700": {"1.2": {"unmet": ["a"]}, "2.1": {"unmet": ["a"]}},
    "419001": {"1.1": {"unmet": ["c"]}},
}
OBSERVATIONS = (
    ("03-14", "410100", "抽查两个保障房项目，监督交底记录齐全，分户验收方案已报备。"),
    ("04-22", "410200", "质量监督抽查频次未达计划，部分巡查记录后补。"),
    ("05-30", "410181", "保障性安居工程永久性标牌已全部设置。"),
    ("06-18", "410500", "未按期开展质量回访，投诉处理台账不完整。"),
    ("09-09", "411628", "监督人员参加省级培训不足，已当场指出。"),
    ("10-27", "419001", "市本级项目分户验收资料规范，可作为经验推广。"),
)


def _user(username: str) -> User | None:
    return db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=clock.LOCAL_TZ)


def _score_and_rank(staff: dict[str, User], campaign: AssessmentCampaign, losses: dict) -> None:
    for unit in campaign.units:
        judging.score_unit(staff["assessor"], unit.id, losses.get(unit.org.code, {}))
    province = flow.province_instance(campaign)
    for task in flow.open_tasks(province, "score"):
        complete_task(staff["assessor"], task.id, "done")
    for task in flow.open_tasks(province, "review_score"):
        complete_task(staff["reviewer"], task.id, "approve")


def _minimal_pdf(text: str) -> bytes:
    return f"%PDF-1.4\n% {text}\n%%EOF\n".encode()


def seed_fujian3(staff: dict[str, User], year: int) -> AssessmentCampaign:
    """Last year's 附件3, approved in March of ``year + 1``."""
    for day, code, text in OBSERVATIONS:
        with clock.moved_to(_at(date.fromisoformat(f"{year}-{day}"))):
            operations.record_observation(
                staff["assessor"], code, observed_on=clock.today_local(), observation=text
            )
    with clock.moved_to(_at(date(year + 1, 1, 6))):
        campaign = flow.start_campaign(staff["admin"], "fujian3", year)
    for n, unit in enumerate(campaign.units):
        clerk, leader = _user(f"clerk_{unit.org.code}"), _user(f"leader_{unit.org.code}")
        if clerk is None:
            continue
        day = date(year + 1, 1, 20 + n % 10) if n < 26 else date(year + 1, 2, 3)  # two late
        with clock.moved_to(_at(day)):
            for which in ("work_report", "plan_summary"):
                operations.upload_material(
                    clerk, unit.id, which, f"{which}.pdf", _minimal_pdf(f"{unit.org.name}{which}")
                )
            # 报送材料 → 领导审核材料 → reported (附件3 has no self-assessment)
            flow.act_on_unit(clerk, unit.id, "submit")
            if leader is not None:
                flow.act_on_unit(leader, unit.id, "approve", "同意上报")
    with clock.moved_to(_at(date(year + 1, 2, 6))):
        if any(flow.open_tasks(flow.province_instance(campaign), s) for s in flow.CLOSE_STEPS):
            flow.act_on_campaign(staff["assessor"], campaign.id, "close")
        flow.draw_sample(staff["assessor"], campaign.id, f"demo-{year}", accept_shortfall=True)
    with clock.moved_to(_at(date(year + 1, 3, 10))):
        _score_and_rank(staff, campaign, FUJIAN3_LOSSES)
    with clock.moved_to(_at(date(year + 1, 3, 20))):
        flow.act_on_campaign(staff["leader"], campaign.id, "approve", "同意考核组意见，予以通报。")
    return campaign


def seed_fujian2(staff: dict[str, User], year: int) -> AssessmentCampaign:
    """This year's 附件2 from 11-02 to ranking, waiting at 确认工作落后地区."""
    with clock.moved_to(_at(date(year, 11, 2))):
        campaign = flow.start_campaign(staff["admin"], "fujian2", year)
    for code in ("410100", "410181"):
        clerk, leader = _user(f"clerk_{code}"), _user(f"leader_{code}")
        unit = next(u for u in campaign.units if u.org.code == code)
        if clerk is None or leader is None:
            continue
        with clock.moved_to(_at(date(year, 11, 26))):
            operations.save_self_assessment(
                clerk, unit.id, judgments={}, summary=f"{unit.org.name}全年活动情况书面总结。"
            )
            flow.act_on_unit(clerk, unit.id, "submit")
        with clock.moved_to(_at(date(year, 11, 28))):
            flow.act_on_unit(leader, unit.id, "approve", "同意上报")
    with clock.moved_to(_at(date(year, 12, 1))):
        flow.act_on_campaign(staff["assessor"], campaign.id, "close")
        flow.draw_sample(staff["assessor"], campaign.id, f"demo-{year}", accept_shortfall=True)
        _score_and_rank(staff, campaign, FUJIAN2_LOSSES)
    return campaign


def seed_assessments() -> list[str]:
    """Create the demo campaigns that do not exist yet; what was created, in Chinese."""
    names = {
        "admin": "admin",
        "assessor": "assessor_410000",
        "reviewer": "reviewer_410000",
        "leader": "leader_410000",
    }
    staff = {key: _user(name) for key, name in names.items()}
    if any(u is None for u in staff.values()):
        return []
    users: dict[str, User] = {k: v for k, v in staff.items() if v is not None}
    today = clock.today_local()
    existing = {(c.kind, c.year) for c in db.session.execute(select(AssessmentCampaign)).scalars()}
    done = []
    last = today.year - 1
    if ("fujian3", last) not in existing and today >= date(today.year, 3, 21):
        if db.session.execute(select(Observation.id).where(Observation.year == last)).first():
            return done  # a partial earlier run: leave it alone
        seed_fujian3(users, last)
        done.append(f"{last}年度附件3考核（已审批通报）")
    if ("fujian2", today.year) not in existing and today >= date(today.year, 12, 2):
        seed_fujian2(users, today.year)
        done.append(f"{today.year}年度附件2考核（已排名，待确认工作落后地区）")
    return done
