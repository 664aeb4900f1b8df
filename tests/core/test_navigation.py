"""The top navigation highlights the section of the page shown, whichever feature serves it."""

from __future__ import annotations

import re

import pytest

from webapp.main.views import SECTION_BLUEPRINTS, SECTION_ENDPOINTS, current_section

NAV = re.compile(r'<ul class="navbar-nav me-auto" id="main-nav">(.*?)</ul>', re.S)
LINK = re.compile(r'<a class="nav-link( active)?"[^>]*>([^<]+)</a>')


def nav(client, path: str) -> tuple[list[str], list[str]]:
    """(labels shown, labels highlighted) of the top navigation on ``path``."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    [menu] = NAV.findall(response.get_data(as_text=True))
    links = LINK.findall(menu)
    return [label for _, label in links], [label for active, label in links if active]


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/tasks/", "待办"),
        ("/tasks/?view=done", "待办"),
        ("/ledger/projects/", "台账"),
        ("/ledger/accidents/new", "台账"),
        ("/stats/", "报表"),
        ("/stats/table5?period=2026Q2", "报表"),
        ("/assessment/", "考核"),
        ("/assessment/sheets", "考核"),
        ("/section/public", "公开"),
    ],
)
def test_a_clerks_pages_highlight_their_section(logged_in, path, section):
    client = logged_in("clerk", "410102")
    assert nav(client, path)[1] == [section]


def test_home_highlights_nothing_and_auditors_see_only_what_they_can_open(logged_in):
    client = logged_in("auditor", "410000")
    shown, active = nav(client, "/")
    assert active == []
    assert "考核" not in shown and "台账" not in shown and "审计" in shown
    assert nav(client, "/audit/")[1] == ["审计"]
    assert client.get("/section/assessment").status_code == 403


def test_admin_pages_highlight_admin(logged_in):
    client = logged_in("admin", "410000")
    assert nav(client, "/admin/users")[1] == ["管理"]


def test_a_section_keeps_its_further_blueprints(monkeypatch):
    """When another feature takes a section's main page, the pages declared with it stay."""
    monkeypatch.setitem(SECTION_ENDPOINTS, "reports", "reports.index")
    assert current_section("reports.index", "reports", {}) == "reports"
    assert "stats" in SECTION_BLUEPRINTS["reports"]
    assert current_section("stats.table", "stats", {"n": 5}) == "reports"
    assert current_section("main.section", "main", {"name": "public"}) == "public"
    assert current_section("main.home", "main", {}) is None
    assert current_section(None, None, None) is None
