"""Drafted texts: a quarter opened on the real quarterly_report.bpmn with the oracle ledger
(二七区's filing rate of 200 % is a warning to explain), API clients per user."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reports.conftest import PERIOD, Api, api, oracle, workflows  # noqa: F401 (fixtures)
from webapp.core.operations import get_org
from webapp.extensions import db

__all__ = ["Api", "PERIOD", "opened_report", "two_clerks"]


def opened_report(code: str = "410102") -> Any:
    from webapp.reports.operations import find_report, open_period

    open_period(None, PERIOD)
    db.session.commit()
    return find_report(get_org(code), PERIOD, "quarterly")


@pytest.fixture
def report(workflows, oracle) -> Any:  # noqa: F811
    """中原区's report of 2026Q3, opened (drafting)."""
    return opened_report()


def two_clerks(client: Any, make_user: Any, code: str = "410102") -> tuple[Api, Api]:
    """Two clerks of one unit, each with their own API client (张三 and 李四)."""
    make_user("clerk", code, username=f"zhang_{code}", full_name="张三")
    make_user("clerk", code, username=f"li_{code}", full_name="李四")
    return Api(client, f"zhang_{code}"), Api(client, f"li_{code}")
