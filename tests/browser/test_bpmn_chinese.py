"""bpmn-js in Chinese (issue 18, item 6 and Build's "Chinese everywhere"): the editor's palette,
context pad and replace menu speak Chinese through bpmn-js's translation hook, lanes are drawn
with 本级填表人 / 上级审核人 instead of their ``clerk@self`` codes on every diagram, the panel
names an element by its Chinese type and name (never "Task · Activity_xxx"), and the palette
covers no lane label."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from tests.browser.conftest import browser_login
from tests.conftest import ROOT, TEST_PASSWORD
from webapp.core import clock
from webapp.core.operations import get_org
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.reports.models import Report
from webapp.reports.operations import open_period

pytestmark = pytest.mark.browser
LATIN = re.compile(r"[A-Za-z_]{3,}")
LANES = sorted(["本级填表人", "本级审核人", "上级审核人"])

LABELS = "els => els.map((e) => e.title || e.getAttribute('aria-label')).filter(Boolean)"
LANE_TEXTS = """(box) => Array.from(
  document.querySelectorAll(box + ' g[data-element-id^="Lane_"] text'))
  .map((t) => t.textContent.trim()).sort()"""
RECTS = """(selector) => Array.from(document.querySelectorAll(selector)).map((e) => {
  const r = e.getBoundingClientRect();
  return { text: e.textContent.trim(), left: r.left, right: r.right, top: r.top, bottom: r.bottom };
})"""


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


def _deploy() -> None:
    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    db.session.commit()


def test_editor_speaks_chinese_and_keeps_lane_labels_clear(page, make_user):
    admin = make_user("admin", "410000")
    _deploy()
    browser_login(page, admin.username, TEST_PASSWORD)
    page.goto("/admin/workflows/quarterly_report/edit")
    page.wait_for_selector("#canvas[data-ready=true]")

    titles = page.eval_on_selector_all(".djs-palette .entry", LABELS)
    assert "任务" in titles and "开始事件" in titles and "池" in titles
    assert not [t for t in titles if LATIN.search(t)], titles

    lanes = page.evaluate(LANE_TEXTS, "#canvas")
    assert lanes == LANES
    # the saved XML keeps the codes the engine reads
    xml = page.evaluate("async () => (await window.hqrModeler.saveXML()).xml")
    assert 'name="本级填表人 clerk@self"' in xml

    # the palette floats over the canvas: it covers no lane label, and lane labels do not overlap
    palette = page.evaluate(RECTS, ".djs-palette")[0]
    labels = page.evaluate(RECTS, '#canvas g[data-element-id^="Lane_"] text')
    assert labels and not [x["text"] for x in labels if _overlap(palette, x)]
    assert not [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :] if _overlap(a, b)]

    # the context pad and the replace menu of a task
    page.click('#canvas g[data-element-id="review"]')
    page.wait_for_selector(".djs-context-pad .entry")
    pad = page.eval_on_selector_all(".djs-context-pad .entry", LABELS)
    assert "更改类型" in pad and "删除" in pad and not [t for t in pad if LATIN.search(t)], pad
    assert page.inner_text("#p-type") == "用户任务 · 本级审核"
    page.click('.djs-context-pad .entry[data-action="replace"]')
    page.wait_for_selector(".djs-popup-results .entry")
    menu = page.inner_text(".djs-popup")
    assert "服务任务" in menu and "调用活动" in menu
    assert not LATIN.findall(menu), LATIN.findall(menu)
    page.keyboard.press("Escape")

    # a lane selected: named by its Chinese label in the panel's heading
    page.evaluate(
        "() => { const m = window.hqrModeler;"
        " m.get('selection').select(m.get('elementRegistry').get('Lane_upper')); }"
    )
    assert page.inner_text("#p-type") == "泳道 · 上级审核人"


def test_every_diagram_draws_lanes_by_their_chinese_label(page, make_user):
    admin = make_user("admin", "410000")
    _deploy()
    with clock.moved_to(datetime(2026, 9, 20, 10, 0, tzinfo=clock.LOCAL_TZ)):
        open_period(None, "2026Q3")
        db.session.commit()
    report = db.session.execute(
        select(Report).where(Report.org_id == get_org("410102").id, Report.period == "2026Q3")
    ).scalar_one()
    browser_login(page, admin.username, TEST_PASSWORD)
    page.goto("/admin/workflows/quarterly_report")
    page.wait_for_selector("#diagram[data-ready=true]")
    assert page.evaluate(LANE_TEXTS, "#diagram") == LANES
    instances = page.inner_text("#instances-table")
    assert "2026年第三季度" in instances and "report:" not in instances

    page.goto(f"/tasks/instances/{report.instance_id}")
    page.wait_for_selector("#diagram[data-ready=true]")
    lanes = page.evaluate(LANE_TEXTS, "#diagram")
    assert lanes == LANES
    assert page.locator('#diagram g[data-element-id="prepare"].hl-current').count() == 1
