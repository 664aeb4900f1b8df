"""The board's return counts: the upper level's and the unit's own reviewer's, named apart.

Found as a leader: the board's 退回次数 counted only the upper level's returns, while a
reviewer's return inside the unit is a return too.  domain.md §7 counts against a unit only the
upper level's returns (its reporting record's errors); the unit's own review is its checking.
The board shows both numbers, each labelled for what it counts, across every round."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.conftest import login
from tests.reports.conftest import PERIOD, draft
from webapp.core.operations import get_org
from webapp.reports.board import board_rows


def _returned_twice_inside_once_above(api):
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    clerk, reviewer, city = (
        api("clerk", "410102"),
        api("reviewer", "410102"),
        api("reviewer", "410100"),
    )
    for _ in range(2):  # the unit's reviewer returns twice
        draft(clerk, "410102")
        reviewer.complete(reviewer.task("410102"), "return", "附表说明不完整，请补充。")
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve", "同意上报。")
    city.complete(
        city.task("410102"), "return", "竣工面积与台账不符。", data={"return_kind": "data_error"}
    )
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve", "同意上报。")
    city.complete(city.task("410102"), "accept")


def test_the_board_counts_both_returns_apart(workflows, oracle, api, client):
    _returned_twice_inside_once_above(api)
    rows = {r.org.code: r for r in board_rows(get_org("410100"), PERIOD)}
    assert (rows["410102"].upper_returns, rows["410102"].review_returns) == (1, 2)
    assert (rows["410103"].upper_returns, rows["410103"].review_returns) == (0, 0)

    web = client.application.test_client()
    login(web, "reviewer_410100")
    page = web.get(f"/reports/board?period={PERIOD}").get_data(as_text=True)
    assert "被上级退回（次）" in page and "本级审核退回（次）" in page and "退回次数" not in page
    row = re.search(r'<tr data-org="410102">(.*?)</tr>', page, re.S).group(1)
    cells = [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    assert cells[5:7] == ["1", "2"]

    sheet = load_workbook(io.BytesIO(web.get("/home/board.xlsx?org=410100").data)).active
    table = [[c.value for c in r] for r in sheet.iter_rows()]
    assert table[1][-2:] == ["被上级退回（次）", "本级审核退回（次）"]
    assert next(r for r in table if r[0] == "410102")[-2:] == [1, 2]


def test_a_corrections_returns_count_too(workflows, oracle, api):
    """A 更正 runs a new process (its own business key): its returns add to the first round's."""
    _returned_twice_inside_once_above(api)
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    from sqlalchemy import select

    from webapp.core.models import User
    from webapp.extensions import db
    from webapp.reports.operations import get_report, request_correction

    user = db.session.execute(select(User).where(User.username == "clerk_410102")).scalar_one()
    request_correction(user, get_report(clerk.report("410102")["id"]), "更正竣工面积")
    db.session.commit()
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "return", "更正说明不清。")
    row = next(r for r in board_rows(get_org("410100"), PERIOD) if r.org.code == "410102")
    assert (row.upper_returns, row.review_returns) == (1, 3)


def test_the_api_answers_both_counts_as_the_board_does(workflows, oracle, api, client):
    """Found from outside: the API's report answer had ``upper_returns`` and not the unit's own
    review returns the board shows beside it.  Both, in the detail and in the list, and the
    OpenAPI document describes them."""
    _returned_twice_inside_once_above(api)
    city = api("reviewer", "410100")
    detail = city.report("410102")
    assert (detail["upper_returns"], detail["review_returns"]) == (1, 2)
    items = city.get(f"/api/v1/reports?org=410102&period={PERIOD}")["items"]
    assert [(i["upper_returns"], i["review_returns"]) for i in items] == [(1, 2)]
    other = city.report("410103")
    assert (other["upper_returns"], other["review_returns"]) == (0, 0)
    spec = client.get("/api/v1/openapi.json").get_json()
    props = spec["components"]["schemas"]["Report"]["properties"]
    assert "本级审核退回" in props["review_returns"]["description"]
