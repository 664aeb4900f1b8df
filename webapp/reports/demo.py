"""Demo history: 郑州's first two quarters of the current year, drafted, approved and accepted
through the real flow, so that a newcomer can take 郑州's half-year public report from draft
to the portal at once (the publication needs accepted quarters)."""

from __future__ import annotations

from sqlalchemy import select

from webapp.core import clock
from webapp.core.models import User
from webapp.core.operations import get_org
from webapp.engine import HumanTask, complete_task
from webapp.extensions import db
from webapp.reports.operations import find_report, open_period, save_explanations, save_narrative
from webapp.reports.rollup import build_tables
from webapp.reports.sections import sections

DEMO_TEXT = {
    "s01": "本季度全市在监工程总体平稳，施工企业质量行为总体规范。",
    "s02": "全市监督机构按计划开展监督抽查，监督覆盖率保持在较高水平。",
}


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def _step(report_id: int, user: User, outcome: str, comment: str | None = None) -> None:
    from webapp.reports.operations import get_report

    report = get_report(report_id)
    task = db.session.execute(
        select(HumanTask).where(
            HumanTask.instance_id == report.instance_id, HumanTask.state.in_(("ready", "claimed"))
        )
    ).scalar_one()
    complete_task(user, task.id, outcome, comment)


def seed_history(city: str = "410100") -> list[str]:
    """Accept ``city``'s Q1 and Q2 of the current year (idempotent); returns what was done."""
    year = clock.today_local().year
    done = []
    clerk, reviewer = _user(f"clerk_{city}"), _user(f"reviewer_{city}")
    upper = _user(f"reviewer_{get_org(city).parent.code}")
    for quarter in (1, 2):
        period = f"{year}Q{quarter}"
        open_period(None, period)
        report = find_report(get_org(city), period, "quarterly")
        if report is None or report.locked or report.submitted_at is not None:
            continue
        built = build_tables(report.org, period, "quarterly")
        save_explanations(
            clerk,
            report,
            {
                c["id"]: "经核实，数据属实（演示数据）。"
                for c in built["checks"]
                if c["severity"] == "warning"
            },
            "演示：各县区报告尚未报送，本级先行汇总。",
        )
        save_narrative(
            clerk,
            report,
            {
                key: DEMO_TEXT.get(key, f"{title}：本季度情况良好（演示数据）。")
                for key, title in sections("quarterly")
            },
        )
        _step(report.id, clerk, "next")
        _step(report.id, clerk, "submit")
        _step(report.id, reviewer, "approve", "同意上报。")
        _step(report.id, upper, "accept", "接收。")
        done.append(period)
    return done
