"""No period key reaches the screen raw (issue 18): 2026H2 is "2026年下半年", 2026Q3
"2026年第三季度", 2026 "2026年度".

Issue 18 found the public report's task hint saying "2026H2"; the pages a leader meets in the
half year's work (home, inbox, the task, the public reports and their workspace, the quarterly
reports and one of them, the reporting record) are rendered and their visible text searched for
a key.  The ``period_label`` filter (webapp.core.periods.period_label) is the one way to show one.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import login
from tests.publication.conftest import awaiting_leader, open_task
from webapp.core.operations import get_org
from webapp.core.periods import period_label
from webapp.extensions import db
from webapp.reports.models import Report

RAW_KEY = re.compile(r"(?<![\w/])\d{4}[QH]\d(?!\w)")
TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S)


def test_period_label_reads_every_key_and_leaves_other_text():
    assert period_label("2026H2") == "2026年下半年" and period_label("2026H1") == "2026年上半年"
    assert period_label("2026Q3") == "2026年第三季度" and period_label("2026") == "2026年度"
    assert period_label("第三季度") == "第三季度" and period_label(None) == ""


def test_the_leaders_pages_show_no_raw_period_key(workflows, h2_data, make_user, client):
    pub = awaiting_leader(make_user, username="zz_leader")
    approval = open_task(pub, "approve")
    report = db.session.execute(
        select(Report).where(Report.org_id == get_org("410100").id, Report.period == "2026Q3")
    ).scalar_one()

    login(client, "zz_leader")
    pages = {
        "home": "/",
        "inbox": "/tasks/",
        "task": f"/tasks/{approval.id}",
        "public reports": "/publication/?period=2026H2",
        "workspace": f"/publication/{pub.id}",
        "quarterly reports": "/reports/?period=2026Q3",
        "report": f"/reports/{report.id}",
    }
    for name, path in pages.items():
        page = client.get(path)
        assert page.status_code == 200, (name, path, page.status_code)
        text = TAGS.sub(" ", page.get_data(as_text=True))
        assert not RAW_KEY.findall(text), (name, RAW_KEY.findall(text))
    hint = client.get(f"/tasks/{approval.id}").get_data(as_text=True)
    assert "2026年下半年" in hint
