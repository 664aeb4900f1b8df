"""Rule names in Chinese, never ids like ``jump.registered`` (issue 15, checks and warnings).

The id stays the key of a warning's explanation; the pages show :func:`rule_name`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webapp.stats.checks import METRICS, rule_name

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "webapp/stats/checks.py", ROOT / "webapp/stats/compute.py"]
#: A check id written in the code: a literal or an f-string, "{…}" filled with a sample.
ID = re.compile(
    r"f?\"(nonnegative|(?:identity|rate|jump|table6|ledger|accidents)\.[a-z_.{}0-9]+)\""
)
SAMPLES = {"{metric}": METRICS[1][0], "{group}": "registered"}


def _ids() -> list[str]:
    found = set()
    for path in SOURCES:
        for raw in ID.findall(path.read_text(encoding="utf-8")):
            for placeholder, sample in SAMPLES.items():
                raw = raw.replace(placeholder, sample)
            found.add(raw)
    return sorted(found)


def test_the_scan_finds_the_rules():
    assert {"jump.registered", "rate.satisfaction", "ledger.dates"} <= set(_ids())


@pytest.mark.parametrize("cid", _ids())
def test_every_rule_written_in_the_code_has_a_chinese_name(cid: str):
    name = rule_name(cid)
    assert name != "其他校验", cid
    assert not re.search(r"[A-Za-z_]{3,}", name), name


def test_names_with_their_group_and_figure():
    assert rule_name("jump.registered") == "环比变化较大（新注册）"
    assert rule_name("identity.total.completed.area_10k_m2") == "合计等于各行之和（竣工·面积）"
    assert rule_name("rate.filing.count.over_100") == "备案率（项）超过100%"
    assert rule_name("something.new") == "其他校验"


def test_the_report_page_shows_the_name_not_the_id(app):
    from flask import render_template_string

    with app.test_request_context():
        html = render_template_string("{{ 'jump.registered'|rule_name }}")
    assert html == "环比变化较大（新注册）"
