"""The text submitted states the figures submitted with it.

Found from outside (a clerk, then a leader): the draft is generated from the accepted quarters
when the half year opens; a quarter corrected and accepted again while the clerk drafted left
the generated sentences with the old figures ("本期新注册4项") while the figures frozen at
submission held the new ones (5): the leader approved, and the portal would publish, a report
contradicting itself.  Submitting is refused while such a sentence is still in the text word for
word; regenerating (or rewriting the sentence) clears it.
"""

from __future__ import annotations

import pytest

from tests.publication.conftest import at, fill_draft
from tests.publication.test_flow import task
from tests.publication.test_stale_figures import _correct_q4
from webapp.core import clock

pytestmark = pytest.mark.usefixtures("workflows", "h2_data")


def test_generated_sentences_with_superseded_figures_hold_up_submission(api):
    clock.set_now(at("2027-01-05"))
    api("admin", "410000").send("POST", "/api/v1/publications/open", {"period": "2026H2"})
    clerk = api("clerk", "410100")
    pub_id = clerk.get("/api/v1/publications?org=410100&period=2026H2")["items"][0]["id"]
    url = f"/api/v1/publications/{pub_id}"
    assert "本期新注册4项" in clerk.get(url)["sections"]["overview"]
    _correct_q4()  # 二七区 registered one more project: 5 in the half year
    fill_draft(clerk, pub_id)

    problems = clerk.get(url)["problems"]
    assert any(p.startswith("“一、工程质量总体状况”仍有生成草稿时的统计数字") for p in problems)
    refused = clerk.complete(task(clerk, "拟稿公开报告"), "submit", status=422)
    assert "请重新生成草稿或改写该句后再提交" in refused["message"] + str(refused["errors"])

    clerk.send("POST", f"{url}/regenerate", {})
    fill_draft(clerk, pub_id)
    assert clerk.get(url)["problems"] == []
    clerk.complete(task(clerk, "拟稿公开报告"), "submit")
    frozen = clerk.get(url)["content"]
    assert frozen["figures"]["total"]["registered"]["count"] == 5
    assert "本期新注册5项" in frozen["sections"]["overview"]


def test_a_sentence_the_clerk_rewrote_is_theirs(api):
    clock.set_now(at("2027-01-05"))
    api("admin", "410000").send("POST", "/api/v1/publications/open", {"period": "2026H2"})
    clerk = api("clerk", "410100")
    pub_id = clerk.get("/api/v1/publications?org=410100&period=2026H2")["items"][0]["id"]
    url = f"/api/v1/publications/{pub_id}"
    _correct_q4()
    versions = clerk.get(url)["versions"]
    clerk.send(
        "PUT",
        f"{url}/sections",
        {
            "sections": {
                "overview": "2026年下半年，本市共监督工程9项，本期新注册5项。",
                "trends": "与上期相比，新注册工程有所增加。",
                "problems": "部分工程质量备案不及时。",
                "measures": "加强竣工验收备案管理。",
            },
            "base_versions": versions,
        },
    )
    assert clerk.get(url)["problems"] == []
