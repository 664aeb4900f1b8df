"""The leader reaches a public report's approval in one tap (issue 18).

"The leader's approval pages usable on a phone: read the summary, approve or return with an
opinion."  Publication registers its task page (the report's workspace, which shows the summary
beside the opinion and the buttons), so the home page's and the inbox's links open it directly
instead of the engine's task page, which only linked on to it.
"""

from __future__ import annotations

import re

from tests.conftest import login
from tests.publication.conftest import FILLED, at, open_task
from webapp.core import clock
from webapp.core.operations import get_org
from webapp.engine import complete_task
from webapp.extensions import db
from webapp.publication.operations import find_publication, open_period, save_sections

TASK = "主要领导审批公开"


def _links_to(html: str, title: str) -> list[str]:
    """The hrefs of the links whose text holds ``title``."""
    return re.findall(rf'<a[^>]*href="([^"]+)"[^>]*>[^<]*{title}', html)


def test_the_home_page_and_the_inbox_open_the_approval_itself(
    workflows, h2_data, make_user, client
):
    clock.set_now(at("2027-01-05"))
    open_period(None, "2026H2")
    db.session.commit()
    clerk, reviewer = make_user("clerk", "410100"), make_user("reviewer", "410100")
    make_user("leader", "410100", username="zz_leader")
    pub = find_publication(get_org("410100"), "2026H2")
    save_sections(clerk, pub, FILLED | {"trends": "与上期基本持平。"})
    db.session.commit()
    complete_task(clerk, open_task(pub, "draft").id, "submit")
    complete_task(reviewer, open_task(pub, "review").id, "approve", comment="数据核对无误。")
    db.session.commit()

    login(client, "zz_leader")
    workspace = f"/publication/{pub.id}"
    home = client.get("/").get_data(as_text=True)
    assert _links_to(home, TASK) == [workspace]
    inbox = client.get("/tasks/").get_data(as_text=True)
    assert workspace in _links_to(inbox, TASK)
    assert not re.search(r'href="/tasks/\d+"', inbox)
    # the page the one tap opens: the summary and the approval form with its buttons
    page = client.get(workspace).get_data(as_text=True)
    assert 'class="task-form' in page or "task-form" in page
    assert 'value="approve"' in page and 'value="return"' in page and TASK in page
    assert 'id="quality-index-value"' in page
