"""The leader reaches a public report's approval in one tap (issue 18).

"The leader's approval pages usable on a phone: read the summary, approve or return with an
opinion."  Publication registers its task page (the report's workspace, which shows the summary
beside the opinion and the buttons), so the home page's and the inbox's links open it directly
instead of the engine's task page, which only linked on to it.
"""

from __future__ import annotations

import re

from tests.conftest import login
from tests.publication.conftest import awaiting_leader

TASK = "主要领导审批公开"


def _links_to(html: str, title: str) -> list[str]:
    """The hrefs of the links whose text holds ``title``."""
    return re.findall(rf'<a[^>]*href="([^"]+)"[^>]*>[^<]*{title}', html)


def test_the_home_page_and_the_inbox_open_the_approval_itself(
    workflows, h2_data, make_user, client
):
    pub = awaiting_leader(make_user, username="zz_leader")

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
