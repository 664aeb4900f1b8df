"""Expectations for the reports' routes (pages and API), exercised on the real
quarterly_report.bpmn with an empty ledger (figures all zero, no warnings)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.audit.routes import Case, Env, Route
from tests.conftest import ROOT
from webapp.extensions import db

COUNTY, CITY = "410102", "410100"
PERIOD = "2026Q3"
#: A new due date for 延期: after today (these cases run on the real clock) and within the year
#: a deadline may move (reports.operations.extend_deadline); 2099 is now refused.
LATER = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()


def _opened(env: Env, *periods: str) -> None:
    from webapp.engine import deploy_bpmn
    from webapp.reports.operations import find_report, open_period

    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    for period in periods or (PERIOD,):
        open_period(None, period)
    db.session.commit()
    env.data["report"] = find_report(env.org(COUNTY), PERIOD, "quarterly").id


def _accepted(env: Env) -> None:
    """Drive the county's report to acceptance with the engine's operations."""
    from webapp.engine import HumanTask, complete_task
    from webapp.reports.operations import get_report, save_narrative
    from webapp.reports.sections import sections

    clerk = env.make_user("clerk", COUNTY)
    reviewer = env.make_user("reviewer", COUNTY)
    city = env.make_user("reviewer", CITY)
    report = get_report(env.data["report"])
    save_narrative(clerk, report, {k: "情况良好。" for k, _ in sections("quarterly")})
    for user, outcome in (
        (clerk, "next"),
        (clerk, "submit"),
        (reviewer, "approve"),
        (city, "accept"),
    ):
        task = (
            db.session.query(HumanTask)
            .filter(
                HumanTask.instance_id == report.instance_id,
                HumanTask.state.in_(("ready", "claimed")),
            )
            .one()
        )
        complete_task(user, task.id, outcome)
    db.session.commit()


def as_user(
    role: str,
    code: str,
    *,
    api: bool = False,
    then: Callable | None = None,
    periods: tuple[str, ...] = (),
) -> Callable[[Env], None]:
    def run(env: Env) -> None:
        from tests.snapshots import built

        def build() -> dict[str, Any]:
            _opened(env, *periods)
            if then in _WRITES_ONLY_ROWS:
                then(env)
            return dict(env.data)

        key = ("reports", periods, then.__qualname__ if then in _WRITES_ONLY_ROWS else None)
        env.data.update(built(key, build))  # built once per process, then copied
        if then is not None and then not in _WRITES_ONLY_ROWS:
            then(env)
        name = f"{role}_{code}_walk"
        env.make_user(role, code, name)
        env.sign_in(name, api)

    return run


def city_report(env: Env) -> None:
    """The page's report is the city's (its lower units' reports not yet accepted)."""
    from webapp.reports.operations import find_report

    env.data["report"] = find_report(env.org(CITY), PERIOD, "quarterly").id


def _with_previous_narrative(env: Env) -> None:
    from webapp.reports.operations import find_report, save_narrative

    clerk = env.make_user("clerk", COUNTY, "clerk_prev")
    previous = find_report(env.org(COUNTY), "2026Q2", "quarterly")
    save_narrative(clerk, previous, {"s01": "上期内容"})
    db.session.commit()


def _saved_s02(env: Env) -> None:
    from webapp.reports.operations import get_report, save_narrative

    clerk = env.make_user("clerk", COUNTY, "clerk_other_tab")
    save_narrative(clerk, get_report(env.data["report"]), {"s02": "他人的版本"})
    db.session.commit()


def _late_in_q3(env: Env) -> None:
    """The meeting of 2026Q3 is recorded on 2026-09-25 (a meeting cannot be in the future)."""
    from datetime import datetime

    from webapp.core import clock

    clock.set_now(datetime(2026, 9, 28, 2, tzinfo=clock.UTC))


#: The ``then`` steps that only write rows (kept with the build by tests/snapshots.py); the
#: others (moving the clock...) run after it each time.
_WRITES_ONLY_ROWS = (_accepted, _with_previous_narrative, _saved_s02)

MEETING = {
    "held_on": "2026-09-25",
    "attendees": "局长、分管副局长、质监站站长",
    "conclusions": "通病治理",
}


def page(path: str, form: dict[str, Any]) -> Callable[[Env], Any]:
    return lambda env: env.post_form(path.format(**env.data), form, token_from="/reports/")


REPORT = "/reports/{report}"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _seal(env: Env, content: bytes) -> Any:
    path = REPORT.format(**env.data)
    return env.post_form(
        path + "/seal", {"scan": (io.BytesIO(content), "盖章.pdf")}, token_from=path
    )


EXPECTATIONS: dict[str, Route] = {
    "POST reports.open_period": Route(
        cases=(
            Case(
                "admin opens a quarter",
                setup=as_user("admin", "410000"),
                exercise=page("/reports/open", {"period": "2026Q4"}),
                writes=("report.open_period",),
                status=302,
            ),
            Case(
                "admin opens a quarter every unit has open already",
                setup=as_user("admin", "410000"),
                exercise=page("/reports/open", {"period": PERIOD}),
                no_audit="every unit has the quarter open: nothing changes, no record says so",
                status=302,
            ),
            Case(
                "a clerk may not",
                setup=as_user("clerk", COUNTY),
                exercise=page("/reports/open", {"period": "2026Q4"}),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_reports.open_period": Route(
        cases=(
            Case(
                "admin opens a quarter",
                setup=as_user("admin", "410000", api=True),
                exercise=lambda env: env.call("POST", "/api/v1/reports/open", {"period": "2026Q4"}),
                writes=("report.open_period",),
                status=200,
            ),
            Case(
                "bad period",
                setup=as_user("admin", "410000", api=True),
                exercise=lambda env: env.call("POST", "/api/v1/reports/open", {"period": "Q4"}),
                no_audit="refused before anything is done",
                status=422,
            ),
        )
    ),
    "POST reports.save_narrative": Route(
        cases=(
            Case(
                "clerk saves",
                setup=as_user("clerk", COUNTY),
                exercise=page(REPORT + "/narrative", {"s01": "本季度情况"}),
                writes=("report.narrative_save",),
                status=302,
            ),
            Case(
                "another county's clerk",
                setup=as_user("clerk", "410103"),
                exercise=page(REPORT + "/narrative", {"s01": "x"}),
                writes=("permission.denied",),
                status=404,  # another unit's object: answered as a missing one
            ),
        )
    ),
    "PUT api_reports.put_narrative": Route(
        cases=(
            Case(
                "clerk saves",
                setup=as_user("clerk", COUNTY, api=True),
                exercise=lambda env: env.call(
                    "PUT", "/api/v1/reports/{report}/narrative", {"sections": {"s02": "总体情况"}}
                ),
                writes=("report.narrative_save",),
                status=200,
            ),
            Case(
                "unknown section",
                setup=as_user("clerk", COUNTY, api=True),
                exercise=lambda env: env.call(
                    "PUT", "/api/v1/reports/{report}/narrative", {"sections": {"zz": "x"}}
                ),
                no_audit="refused, nothing saved",
                status=422,
            ),
            Case(
                "a stale save",
                setup=as_user("clerk", COUNTY, api=True, then=_saved_s02),
                exercise=lambda env: env.call(
                    "PUT",
                    "/api/v1/reports/{report}/narrative",
                    {"sections": {"s02": "我的版本"}, "base_versions": {"s02": 0}},
                ),
                no_audit="refused (409) with both texts, nothing saved",
                status=409,
            ),
        )
    ),
    "POST reports.save_meeting": Route(
        cases=(
            Case(
                "clerk records the quarter's meeting",
                setup=as_user("clerk", COUNTY, then=_late_in_q3),
                exercise=page(REPORT + "/meeting", MEETING),
                writes=("report.meeting_save",),
                status=302,
            ),
            Case(
                "a meeting before the quarter",
                setup=as_user("clerk", COUNTY, then=_late_in_q3),
                exercise=page(REPORT + "/meeting", {**MEETING, "held_on": "2026-06-30"}),
                no_audit="refused (422), nothing saved",
                status=422,
            ),
            Case(
                "another county's clerk",
                setup=as_user("clerk", "410103", then=_late_in_q3),
                exercise=page(REPORT + "/meeting", MEETING),
                writes=("permission.denied",),
                status=404,  # another unit's object: answered as a missing one
            ),
        )
    ),
    "PUT api_reports.put_meeting": Route(
        cases=(
            Case(
                "clerk records the quarter's meeting",
                setup=as_user("clerk", COUNTY, api=True, then=_late_in_q3),
                exercise=lambda env: env.call("PUT", "/api/v1/reports/{report}/meeting", MEETING),
                writes=("report.meeting_save",),
                status=200,
            ),
            Case(
                "no conclusions",
                setup=as_user("clerk", COUNTY, api=True, then=_late_in_q3),
                exercise=lambda env: env.call(
                    "PUT", "/api/v1/reports/{report}/meeting", {**MEETING, "conclusions": "无"}
                ),
                no_audit="refused (422), nothing saved",
                status=422,
            ),
        )
    ),
    "POST reports.save_explanations": Route(
        cases=(
            Case(
                "clerk explains",
                setup=as_user("clerk", COUNTY),
                exercise=page(REPORT + "/explanations", {"missing_explanation": "已电话督促"}),
                writes=("report.explain",),
                status=302,
            ),
            Case(
                "a warning the report does not have",
                setup=as_user("clerk", COUNTY),
                exercise=page(REPORT + "/explanations", {"exp_jump.registered": "新开工项目集中"}),
                no_audit="refused (422): the empty ledger raises no warning",
                status=422,
            ),
        )
    ),
    "PUT api_reports.put_explanations": Route(
        cases=(
            Case(
                "clerk explains",
                setup=as_user("clerk", COUNTY, api=True),
                exercise=lambda env: env.call(
                    "PUT",
                    "/api/v1/reports/{report}/explanations",
                    {"explanations": {}, "missing_explanation": "已电话督促"},
                ),
                writes=("report.explain",),
                status=200,
            ),
            Case(
                "unknown check id",
                setup=as_user("clerk", COUNTY, api=True),
                exercise=lambda env: env.call(
                    "PUT",
                    "/api/v1/reports/{report}/explanations",
                    {"explanations": {"x.y": "已核实"}},
                ),
                no_audit="refused (422), nothing saved",
                status=422,
            ),
        )
    ),
    "POST reports.reuse": Route(
        cases=(
            Case(
                "copy last quarter",
                setup=as_user(
                    "clerk", COUNTY, then=_with_previous_narrative, periods=("2026Q2", PERIOD)
                ),
                exercise=page(REPORT + "/reuse", {}),
                writes=("report.narrative_save",),
                status=302,
            ),
            Case(
                "nothing to copy",
                setup=as_user("clerk", COUNTY),
                exercise=page(REPORT + "/reuse", {}),
                no_audit="there is no previous report: nothing changes (the page says so)",
                status=302,
            ),
        )
    ),
    "POST reports.first_draft": Route(
        cases=(
            Case(
                "fill an empty section",
                setup=as_user("clerk", COUNTY),
                exercise=page(REPORT + "/first-draft", {"section": "s02"}),
                writes=("report.first_draft",),
                status=302,
            ),
            Case(
                "a section the tables do not write",
                setup=as_user("clerk", COUNTY),
                exercise=page(REPORT + "/first-draft", {"section": "s01"}),
                no_audit="refused (only figure-based sections): nothing changes",
                status=302,
            ),
        )
    ),
    "POST reports.correction": Route(
        cases=(
            Case(
                "reopen an accepted report",
                setup=as_user("clerk", COUNTY, then=_accepted),
                exercise=page(REPORT + "/correction", {"reason": "竣工日期录入错误"}),
                writes=("report.correction", "workflow.start"),
                status=302,
            ),
            Case(
                "not accepted yet",
                setup=as_user("clerk", COUNTY),
                exercise=page(REPORT + "/correction", {"reason": "竣工日期录入错误"}),
                no_audit="refused: a report in progress is corrected by editing",
                status=409,
            ),
        )
    ),
    "POST reports.attach_seal": Route(
        cases=(
            Case(
                "the county's clerk attaches the stamped scan of its accepted report",
                setup=as_user("clerk", COUNTY, then=_accepted),
                exercise=lambda env: _seal(env, PNG),
                writes=("report.seal_attach",),
                status=302,
            ),
            Case(
                "a text file named .pdf is no scan",
                setup=as_user("clerk", COUNTY, then=_accepted),
                exercise=lambda env: _seal(env, b"not a scan at all"),
                writes=("security.upload_refused",),
                status=422,
            ),
            Case(
                "the city may read it, not attach it",
                setup=as_user("reviewer", CITY, then=_accepted),
                exercise=lambda env: _seal(env, PNG),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST reports.remind": Route(
        cases=(
            Case(
                "the city reminds a county",
                setup=as_user("reviewer", CITY),
                exercise=page(REPORT + "/remind", {}),
                writes=("report.remind_unit", "task.remind"),
                status=302,
            ),
            Case(
                "a sibling may not",
                setup=as_user("reviewer", "410103"),
                exercise=page(REPORT + "/remind", {}),
                writes=("permission.denied",),
                status=404,  # another unit's object: answered as a missing one
            ),
        )
    ),
    "POST reports.extend": Route(
        cases=(
            Case(
                "the city gives a county more time",
                setup=as_user("reviewer", CITY),
                exercise=page(REPORT + "/deadline", {"due_date": LATER, "reason": "数据核查"}),
                writes=("report.extend", "workflow.subject_change"),
                status=302,
            ),
            Case(
                "the county may not extend its own deadline",
                setup=as_user("reviewer", COUNTY),
                exercise=page(REPORT + "/deadline", {"due_date": LATER, "reason": "数据核查"}),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_reports.extend_deadline": Route(
        cases=(
            Case(
                "an administrator extends",
                setup=as_user("admin", "410000", api=True),
                exercise=lambda env: env.call(
                    "POST",
                    "/api/v1/reports/{report}/deadline",
                    {"due_date": LATER, "reason": "系统故障顺延"},
                ),
                writes=("report.extend", "workflow.subject_change"),
                status=200,
            ),
            Case(
                "no reason",
                setup=as_user("admin", "410000", api=True),
                exercise=lambda env: env.call(
                    "POST", "/api/v1/reports/{report}/deadline", {"due_date": LATER}
                ),
                no_audit="refused before anything is done",
                status=422,
            ),
        )
    ),
}


def _notice_clerk(started: bool) -> Callable[[Env], None]:
    """The province's clerk, with the reporting_notice process deployed (and the 2025 notice
    started when ``started``)."""

    def run(env: Env) -> None:
        from webapp.engine import deploy_bpmn

        deploy_bpmn(None, None, (ROOT / "workflows" / "reporting_notice.bpmn").read_bytes())
        clerk = env.make_user("clerk", "410000", "clerk_410000_walk")
        if started:
            from webapp.reports.notice import start_notice

            start_notice(clerk, 2025)
        db.session.commit()
        env.sign_in("clerk_410000_walk", False)

    return run


def notice_form(path: str, form: dict[str, Any]) -> Callable[[Env], Any]:
    return lambda env: env.post_form(path, form, token_from="/reports/notice/2025")


EXPECTATIONS.update(
    {
        "POST reports.notice_start": Route(
            cases=(
                Case(
                    "the province's clerk drafts the notice from the proposal",
                    setup=_notice_clerk(False),
                    exercise=notice_form("/reports/notice/2025/start", {}),
                    writes=("notice.start", "workflow.start"),
                    status=302,
                ),
                Case(
                    "already drafted",
                    setup=_notice_clerk(True),
                    exercise=notice_form("/reports/notice/2025/start", {}),
                    no_audit="refused: one notice per year",
                    status=409,
                ),
            )
        ),
        "POST reports.notice_edit": Route(
            cases=(
                Case(
                    "add a unit with its reason",
                    setup=_notice_clerk(True),
                    exercise=notice_form(
                        "/reports/notice/2025/edit",
                        {
                            "list": "criticise_units",
                            "op": "add",
                            "target": "410200",
                            "reason": "多次催报后才报送",
                        },
                    ),
                    writes=("notice.edit",),
                    status=302,
                ),
                Case(
                    "no reason",
                    setup=_notice_clerk(True),
                    exercise=notice_form(
                        "/reports/notice/2025/edit",
                        {"list": "criticise_units", "op": "add", "target": "410200"},
                    ),
                    no_audit="refused: a change needs its reason",
                    status=422,
                ),
            )
        ),
    }
)
