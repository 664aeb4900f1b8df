"""A refused page form answers its own page with what the user typed (found from outside).

A county clerk wrote the quarter's analysis meeting's conclusions, left the date empty and
pressed 保存: the bare error page came back (422) and the conclusions were gone.  A city
reviewer's investigation conclusion of an accident, naming a record number that was not
theirs, was redirected back to an empty form; so were an accident's 续报 figures, a
publication's withdrawal reason, an objection's answer, a correction's and a deadline
extension's reasons.  WTForms pages (tests/core/test_form_errors.py), the task page and the
public objection form already kept the input; these hand-written forms did not.

The class: every form in a template that posts free text (a text input or a textarea) to a
page route.  The sweep finds them all in the templates; each is either exercised here with a
refusal (the answer must be that refusal's 4xx, not a redirect, with its Chinese message and
every typed value on the page, and nothing audited), or listed below with where it is kept.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import webapp
from tests.audit.routes import Env
from tests.audit.routes import accidents as accident_routes
from tests.audit.routes import publication as publication_routes
from tests.audit.routes import reports as report_routes
from webapp.core.models import AuditRecord
from webapp.extensions import db

LONG = "会议认为：本季度在建工程质量总体受控，主体结构抽检合格率稳定；" * 8


@dataclass(frozen=True)
class Refusal:
    #: Prepares the world and signs the user in (the completeness walk's setups).
    setup: Callable[[Env], Any]
    #: The page the form is on and the form's URL (``{name}`` filled from ``env.data``).
    page: str
    action: str
    #: What the user typed; each value must come back on the refused page.
    form: dict[str, str]
    status: int
    message: str


CASES: dict[str, Refusal] = {
    "reports.save_meeting": Refusal(
        report_routes.as_user("clerk", report_routes.COUNTY),
        "/reports/{report}",
        "/reports/{report}/meeting",
        {"held_on": "", "attendees": "局长、质监站站长、各科室负责人", "conclusions": LONG},
        422,
        "请填写会议日期",
    ),
    "reports.correction": Refusal(
        report_routes.as_user("clerk", report_routes.COUNTY, then=report_routes._accepted),
        "/reports/{report}",
        "/reports/{report}/correction",
        {"reason": "更正"},
        422,
        "请填写更正原因",
    ),
    "reports.extend": Refusal(
        report_routes.as_user("reviewer", "410100"),
        "/reports/{report}",
        "/reports/{report}/deadline",
        {"due_date": "2026-11-30", "reason": "受疫情影响，统计工作延后。"},
        422,
        "新的截止日期须晚于",
    ),
    "accidents.followup": Refusal(
        accident_routes._page_as("clerk", "410102"),
        "/accidents/{accident}",
        "/accidents/{accident}/followups",
        {"deaths": "1", "serious_injuries": "2", "missing": "0", "loss_10k_yuan": "812.5"},
        422,
        "死亡人数少于前次报告",
    ),
    "accidents.conclude": Refusal(
        accident_routes._page_as("reviewer", "410100"),
        "/accidents/{accident}",
        "/accidents/{accident}/conclusion",
        {"conclusion": LONG, "behaviour_ids": "999999", "penalty_ids": ""},
        422,
        "不存在或不属于本单位及下级",
    ),
    "publication.request_withdrawal": Refusal(
        publication_routes._published_as("clerk", "2027-02-06"),
        "/publication/{pub}",
        "/publication/{pub}/withdrawal",
        {"reason": "有误"},
        422,
        "请填写撤回理由",
    ),
    "publication.answer_objection": Refusal(
        publication_routes._objection_raised("reviewer"),
        "/publication/objections",
        "/publication/objections/{objection}/answer",
        {"outcome": "dismissed", "answer": "属实"},
        422,
        "至少",
    ),
}

#: Forms that post free text and keep it elsewhere, or post only a code.
ELSEWHERE = {
    "engine.complete": "the task page answers 422 with the comment (tests/engine)",
    "public.objection": "422 on the same page (tests/publication/test_publicity.py)",
    "publication.save_sections": "draft autosave: a stale save shows both texts (drafts)",
    "reports.save_narrative": "draft autosave: a stale save shows both texts (drafts)",
    "reports.save_explanations": "draft autosave: a stale save shows both texts (drafts)",
    "reports.open_period": "a period code chosen from a list, nothing written to keep",
    "publication.open_period": "a period code chosen from a list, nothing written to keep",
}

#: Still losing the input on refusal: the next ones to move to ``refused_on`` (the report says).
NOT_YET = {
    "assessment.approve",
    "assessment.confirm_laggards",
    "assessment.draw_sample",
    "assessment.open_campaign",
    "assessment.override",
    "assessment.return_results",
    "assessment.self_action",
    "engine.transfer",
    "reports.notice_edit",
}

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ACTION = re.compile(r"""action="\{\{\s*url_for\(\s*['"]([\w.]+)['"]""")
FIELD = re.compile(r"<(textarea|input)\b([^>]*)>", re.I)
NOT_TEXT = {"hidden", "file", "checkbox", "radio", "submit", "button"}


def free_text_forms() -> set[str]:
    """Endpoints that a template's POST form sends typed text to."""
    found: set[str] = set()
    for path in Path(webapp.__file__).parent.rglob("*.html"):
        for attrs, body in FORM.findall(path.read_text(encoding="utf-8")):
            action = ACTION.search(attrs)
            if 'method="post"' not in attrs.lower() or action is None:
                continue
            for tag, field_attrs in FIELD.findall(body):
                kind = re.search(r'\btype="([^"]+)"', field_attrs)
                named = re.search(r'\bname="', field_attrs)
                if named and (tag.lower() == "textarea" or not kind or kind[1] not in NOT_TEXT):
                    found.add(action[1])
    return found


def test_every_free_text_form_is_swept_or_says_where_it_keeps_the_input():
    found = free_text_forms()
    assert len(found) > 15, found  # the scan reads the templates
    listed = set(CASES) | set(ELSEWHERE) | NOT_YET
    assert found - listed == set(), "a new form posting text: add a case or a reason"
    assert listed - found == set(), "no longer a form posting text: remove it here"


@pytest.fixture
def env(app, client, make_user, logged_in, api_token, org) -> Env:
    return Env(app, client, make_user, logged_in, api_token, org)


def shown(page: str) -> str:
    return html.unescape(page)


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_a_refused_form_answers_its_page_with_what_was_typed(env: Env, endpoint: str):
    case = CASES[endpoint]
    case.setup(env)
    before = db.session.execute(select(AuditRecord.id)).scalars().all()
    page = case.page.format(**env.data)
    response = env.post_form(case.action.format(**env.data), case.form, token_from=page)
    body = shown(response.get_data(as_text=True))
    assert response.status_code == case.status, body[:2000]
    assert case.message in body
    assert 'class="alert alert-danger' in response.get_data(as_text=True)
    for name, value in case.form.items():
        if value:
            assert value in body, (name, value)
    if endpoint == "publication.answer_objection":
        assert f'<option value="{case.form["outcome"]}" selected>' in body
    db.session.rollback()
    after = db.session.execute(select(AuditRecord.id)).scalars().all()
    assert after == before, "a refusal audits nothing and saves nothing"


def test_the_page_itself_shows_no_kept_text(env: Env):
    """Only the refused request's page carries the typed text: the page read again is clean."""
    case = CASES["reports.save_meeting"]
    case.setup(env)
    page = case.page.format(**env.data)
    env.post_form(case.action.format(**env.data), case.form, token_from=page)
    assert LONG not in env.client.get(page).get_data(as_text=True)
