"""The report page and GET /api/v1/reports/<id> show one read model (reports/pages.py): the
same problems, the same section versions, the same state; the list endpoint and the page's
history the same rows."""

from __future__ import annotations

import re

from tests.conftest import login
from tests.reports.conftest import PERIOD
from webapp.core.periods import period_label


def test_the_page_and_the_api_show_the_same_report(workflows, oracle, api, app):
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    clerk = api("clerk", "410103")
    report = clerk.report("410103")
    assert report["problems"] and report["state"] == "drafting" and not report["frozen"]
    web = app.test_client()
    login(web, clerk.username)
    page = web.get(f"/reports/{report['id']}").get_data(as_text=True)
    for problem in report["problems"]:
        assert f'<li>{problem} <a href="#tab-' in page  # each with its way to the tab
    bases = dict(re.findall(r'name="base__(s\d+)" value="(\d+)"', page))
    versions = report["narrative_versions"]
    assert bases == {s["key"]: str(versions.get(s["key"], 0)) for s in report["sections"]}
    assert [s["key"] for s in report["sections"]] == list(bases)
    assert f"state-{report['state']}" in page and report["state_label"] in page
    # The task the clerk may work on is on the page, as the engine lists it.
    task = clerk.task("410103")
    assert f'id="task-{task["id"]}"' in page


def test_the_list_endpoint_and_the_history_show_the_same_rows(workflows, oracle, api, app):
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    clerk = api("clerk", "410103")
    items = clerk.get(f"/api/v1/reports?org=410103&period={PERIOD}")["items"]
    assert len(items) == 1 and clerk.get("/api/v1/reports?org=410103&state=accepted")["items"] == []
    web = app.test_client()
    login(web, clerk.username)
    index = web.get(f"/reports/?period={PERIOD}").get_data(as_text=True)
    row = items[0]
    assert f'href="/reports/{row["id"]}"' in index
    # the page names the period as people read it (2026年第三季度), the API by its key
    assert f"<td>{period_label(row['period'])}</td>" in index and row["state_label"] in index
    # Another city's reports are not listed for this clerk.
    assert clerk.get("/api/v1/reports?org=410200", status=403)
