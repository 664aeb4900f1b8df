"""Expectations for the home page's routes: 一键催办 of the late lower units."""

from __future__ import annotations

from datetime import datetime

from tests.audit.routes import Case, Env, Route
from tests.audit.routes.reports import CITY, COUNTY, PERIOD, as_user
from webapp.core import clock

#: After 2026Q3's due time, before 2026Q4 opens: the board shows 2026Q3, every unit late.
AFTER_DUE = datetime(2026, 10, 8, 10, 0, tzinfo=clock.LOCAL_TZ)


def _after_due(env: Env) -> None:
    clock.set_now(AFTER_DUE)


def _remind(env: Env) -> object:
    return env.post_form("/home/remind-late", {"period": PERIOD}, token_from="/")


EXPECTATIONS: dict[str, Route] = {
    "POST main.remind_late_units": Route(
        cases=(
            Case(
                "the city reminds its late counties",
                setup=as_user("reviewer", CITY, then=_after_due),
                exercise=_remind,
                writes=("report.remind_unit", "task.remind"),
                status=302,
            ),
            Case(
                "a county has no lower units to remind",
                setup=as_user("clerk", COUNTY, then=_after_due),
                exercise=_remind,
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
}
