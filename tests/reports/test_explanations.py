"""Warnings' explanations (issue 15, checks and warnings).

domain.md §4: a warning "needs a written explanation", and **Decision** (jump warnings): "A
warning raised on a unit's own row and again on its 合计 with the same figures needs one
explanation, not two."  Issue 15: "the explanation's minimum length (a setting) shown beside the
field and enforced when saving (today '属实。' is 'saved' and then refused at submission without
saying why)".
"""

from __future__ import annotations

import re

from tests.conftest import csrf_token, login
from tests.reports.conftest import PERIOD
from webapp.extensions import db
from webapp.reports.models import Report


def _open(api) -> dict:
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    return api("clerk", "410103").report("410103")  # 二七区: filing rate 200 % → a warning


def _path(report: dict) -> str:
    return f"/api/v1/reports/{report['id']}/explanations"


def test_own_row_and_total_with_the_same_figures_ask_one_explanation(
    workflows, oracle, api, app, make_user
):
    """A county's own row and its 合计 carry the same figures: the filing-rate warning is listed
    once (naming both rows), the page has one field for it, and one explanation clears it."""
    report = _open(api)
    warnings = [c for c in report["checks"] if c["severity"] == "warning"]
    assert warnings, "二七区's filing rate of 200 % warns"
    over = [
        c for c in warnings if c["id"] == "rate.filing.count.over_100" and c["table"] == "table5"
    ]
    assert len(over) == 1 and over[0]["rows"] == ["410103", "total"]
    assert "（即合计）" in over[0]["message"]
    web = app.test_client()
    make_user("clerk", "410103", username="eq_clerk2")
    login(web, "eq_clerk2")
    page = web.get(f"/reports/{report['id']}").get_data(as_text=True)
    fields = re.findall(r'<textarea[^>]*name="exp_([^"]+)"', page)
    assert sorted(fields) == sorted({c["id"] for c in warnings})  # one field per warning
    clerk = api("clerk", "410103")
    clerk.send(
        "PUT",
        _path(report),
        {"explanations": {c["id"]: "备案滞后于竣工，属正常。" for c in warnings}},
    )
    problems = clerk.report("410103")["problems"]
    assert not [p for p in problems if "预警" in p]


def test_a_short_explanation_is_refused_when_saving_with_the_reason(workflows, oracle, api):
    """ "属实。" (3 characters) is under the default minimum of 4: refused at save with a clear
    message naming the rule and the minimum; nothing of that save is kept."""
    report = _open(api)
    warning = next(c["id"] for c in report["checks"] if c["severity"] == "warning")
    clerk = api("clerk", "410103")
    refused = clerk.send(
        "PUT",
        _path(report),
        {"explanations": {warning: "属实。"}, "missing_explanation": "已电话督促两次。"},
        status=422,
    )
    assert "至少 4 个字" in refused["message"] and "本次未保存" in refused["message"]
    assert "备案率（项）超过100%" in refused["message"]  # the rule's name, never its id
    assert warning not in refused["message"]
    assert refused["errors"]["too_short"] == {warning: 3}
    db.session.expire_all()
    saved = db.session.get(Report, report["id"])
    assert saved.explanations == {} and saved.missing_explanation is None
    # Long enough: saved; emptied again: saved (the warning is simply unexplained).
    clerk.send("PUT", _path(report), {"explanations": {warning: "属实，已核对。"}})
    versions = clerk.report("410103")["explanation_versions"]
    clerk.send(
        "PUT",
        _path(report),
        {"explanations": {warning: ""}, "base_versions": versions},
    )
    assert clerk.report("410103")["explanations"] == {}


def test_the_minimum_is_a_setting_shown_beside_the_field(
    workflows, oracle, api, app, make_user, monkeypatch
):
    """REPORT_MIN_EXPLANATION sets the minimum: the page says it beside each field (and as the
    field's minlength), the API reports it, the save and the submission check enforce it."""
    monkeypatch.setitem(app.config, "REPORT_MIN_EXPLANATION", 10)
    report = _open(api)
    assert report["explanation_min_chars"] == 10
    warning = next(c["id"] for c in report["checks"] if c["severity"] == "warning")
    web = app.test_client()
    make_user("clerk", "410103", username="eq_clerk3")
    login(web, "eq_clerk3")
    page = web.get(f"/reports/{report['id']}").get_data(as_text=True)
    assert "至少 10 个字" in page and 'minlength="10"' in page
    response = web.post(
        f"/reports/{report['id']}/explanations",
        data={
            "csrf_token": csrf_token(web, f"/reports/{report['id']}"),
            f"exp_{warning}": "备案滞后，已核实。",  # 9 characters
        },
    )
    assert response.status_code == 422
    assert "至少 10 个字" in response.get_data(as_text=True)
    # A text saved under a lower minimum is named at submission with the reason.
    monkeypatch.setitem(app.config, "REPORT_MIN_EXPLANATION", 4)
    api("clerk", "410103").send(
        "PUT", _path(report), {"explanations": {warning: "备案滞后，已核实。"}}
    )
    monkeypatch.setitem(app.config, "REPORT_MIN_EXPLANATION", 10)
    problems = api("clerk", "410103").report("410103")["problems"]
    assert any("预警说明不足 10 个字" in p and "备案滞后，已核实。" in p for p in problems)
