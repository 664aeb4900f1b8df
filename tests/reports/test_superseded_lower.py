"""A frozen report says when a lower unit's accepted figures changed after it took their row.

Sibling of the public report's stale figures (tests/publication/test_stale_figures.py): a
county corrected and accepted again after its city submitted leaves the city's 附表5, and the
province's roll-up of it, on the older figures.  Nothing changes by itself (a frozen report keeps
what it was submitted with); the city's page and the province's, where it is accepted, say so.
"""

from __future__ import annotations

import copy
from datetime import datetime

from tests.conftest import login
from tests.reports.conftest import PERIOD, draft
from webapp.core import clock
from webapp.extensions import db
from webapp.reports.models import Report

ALERT = 'id="lower-superseded"'


def _county_corrected(code: str) -> None:
    """``code``'s accepted 附表5 replaced by a corrected one (one more project registered)."""
    report = db.session.query(Report).filter_by(period=PERIOD, kind="quarterly").all()
    report = next(r for r in report if r.org.code == code)
    snap = copy.deepcopy(report.accepted_snapshot)
    snap["tables"]["table5"]["total"]["registered"]["count"] += 1
    report.accepted_snapshot = snap
    db.session.commit()


def _zhongyuan_accepted(api):
    """The quarter opened, 中原区's report drafted, approved and accepted by 郑州市: the city's
    reviewer and clerk (API clients)."""
    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    city = api("reviewer", "410100")
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve")
    city.complete(city.task("410102"), "accept")
    return city, api("clerk", "410100")


def _page_as(client, username: str, path: str) -> str:
    """``path`` as ``username`` sees it (a client of their own: one login each)."""
    own = client.application.test_client()
    login(own, username)
    return own.get(path).get_data(as_text=True)


def test_the_city_and_the_province_are_told_of_a_county_corrected_after_the_freeze(
    workflows, oracle, api, client
):
    city, zz_clerk = _zhongyuan_accepted(api)
    draft(zz_clerk, "410100")
    city.complete(city.task("410100"), "approve")
    zz_id = zz_clerk.report("410100")["id"]
    page = f"/reports/{zz_id}"

    assert ALERT not in _page_as(client, "clerk_410100", page)  # nothing changed yet

    _county_corrected("410102")
    html = _page_as(client, "clerk_410100", page)
    assert ALERT in html and "中原区" in html and "已更正并重新接收" in html
    assert "请在退回后重新提交" in html  # submitted, not yet accepted

    province = api("reviewer", "410000")
    assert ALERT in _page_as(client, "reviewer_410000", page)  # where the province accepts it
    province.complete(province.task("410100"), "accept")
    html = _page_as(client, "clerk_410100", page)
    assert ALERT in html and "发起更正" in html  # accepted: the way on is a correction
    assert 'href="#tab-docs" id="superseded-correction"' in html  # to the form, on 文书


def test_a_live_report_rolls_up_what_is_accepted_now(workflows, oracle, api, client):
    """While the city drafts, its table is live: no alert, the corrected figures are in it."""
    city, zz_clerk = _zhongyuan_accepted(api)
    before = zz_clerk.report("410100")
    _county_corrected("410102")
    after = zz_clerk.report("410100")
    row = {r["org_code"]: r for r in after["tables"]["table5"]["rows"]}["410102"]
    was = {r["org_code"]: r for r in before["tables"]["table5"]["rows"]}["410102"]
    assert row["registered"]["count"] == was["registered"]["count"] + 1
    assert ALERT not in _page_as(client, "clerk_410100", f"/reports/{before['id']}")
