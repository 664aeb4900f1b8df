"""A public report is never published with the template's drafting instructions in it.

Issue 15: "A public report cannot be published while it still contains the template's drafting
instructions (today replacing only 【请填写】 passes, and "（请结合本地监督检查情况，说明存在的
主要问题。）" reached the public portal and its PDF)"; 第十五条 publishes the unit's report, not
the template's notes to its drafter.
"""

from __future__ import annotations

import pytest

from tests.publication.conftest import FILLED, at, open_task
from tests.publication.test_flow import open_h2, task
from webapp.core import clock
from webapp.core.errors import Conflict
from webapp.engine import complete_task
from webapp.extensions import db
from webapp.publication import draft
from webapp.publication.operations import find_publication, publish, save_sections

PROBLEMS = "（请结合本地监督检查情况，说明存在的主要问题。）"


def test_the_instructions_are_derived_from_the_template_itself(monkeypatch):
    """ "derive the forbidden texts from the template itself so a new instruction is caught"."""
    found = draft.template_instructions()
    assert "请结合本地监督检查情况，说明存在的主要问题。" in found
    assert "请说明下一步加强工程质量监督管理的具体措施。" in found
    assert "如有可比资料，请补充说明。" in found
    # A new instruction written into the template is caught without listing it anywhere.
    draft.template_instructions.cache_clear()
    monkeypatch.setattr(draft, "measures", lambda: f"{draft.TO_FILL}（请附上本地典型案例。）")
    try:
        assert "请附上本地典型案例。" in draft.template_instructions()
        left = draft.leftovers("一是加强巡查。(请附上本地典型案例。)")
        assert left == ["（请附上本地典型案例。）"]
    finally:
        monkeypatch.undo()
        draft.template_instructions.cache_clear()


def test_every_placeholder_and_instruction_is_named_by_section():
    sections = {
        "overview": "总体平稳。",
        "trends": "与上期基本持平。【单位名称】",
        "problems": f"部分工程备案不及时。{PROBLEMS}",  # 【请填写】 removed, instruction left
        "measures": "",
    }
    problems = draft.drafting_problems(sections)
    assert problems == [
        "“二、与上一半年度比较”仍有模板的填写提示：【单位名称】，请替换为实际内容后再提交。",
        f"“三、存在的主要问题”仍有模板的填写提示：{PROBLEMS}，请替换为实际内容后再提交。",
        "“四、下一步工作措施”尚未填写。",
    ]
    # Plain parenthesised text of the unit's own is not an instruction.
    assert draft.leftovers("本期新开工（含续建）工程12项。") == []


@pytest.mark.usefixtures("workflows", "h2_data")
def test_submission_refused_while_an_instruction_is_left(api):
    pub_id = open_h2(api)
    clerk = api("clerk", "410100")
    versions = clerk.get(f"/api/v1/publications/{pub_id}")["versions"]
    clerk.send(
        "PUT",
        f"/api/v1/publications/{pub_id}/sections",
        {
            "sections": {**FILLED, "problems": f"部分工程质量备案不及时。{PROBLEMS}"},
            "base_versions": versions,
        },
    )
    detail = clerk.get(f"/api/v1/publications/{pub_id}")
    assert any("“三、存在的主要问题”仍有模板的填写提示" in p for p in detail["problems"])
    refused = clerk.complete(task(clerk, "拟稿公开报告"), "submit", status=422)
    assert "存在的主要问题" in str(refused)


@pytest.mark.usefixtures("workflows", "h2_data")
def test_approval_and_publishing_refused_for_a_frozen_text_with_instructions(make_user, org):
    """Even a text frozen before this check (or by an edited BPMN) is not approved for
    publishing, nor published."""
    clock.set_now(at("2027-01-05"))
    from webapp.publication.operations import open_period

    open_period(None, "2026H2")
    db.session.commit()
    pub = find_publication(org("410100"), "2026H2")
    clerk = make_user("clerk", "410100")
    save_sections(clerk, pub, FILLED)
    db.session.commit()
    complete_task(clerk, open_task(pub, "draft").id, "submit")
    db.session.commit()
    pub.snapshot = {
        **pub.snapshot,
        "sections": {**pub.snapshot["sections"], "problems": f"问题。{PROBLEMS}"},
    }
    db.session.commit()
    from webapp.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        complete_task(make_user("reviewer", "410100"), open_task(pub, "review").id, "approve")
    assert "存在的主要问题" in str(refused.value.details)
    db.session.rollback()
    with pytest.raises(Conflict, match="存在的主要问题"):
        publish(pub, None)
