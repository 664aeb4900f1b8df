"""The snapshot comparison speaks the forms' words: every difference names its table, row and
column as printed (附表5 季度统计表 · 中原区 · 本季度竣工工程 · 项数), never a key of the
snapshot's JSON (table5, 410102, completed.count) — found from outside by a city clerk."""

from __future__ import annotations

import copy
import json
import re

import pytest

from tests.conftest import csrf_token
from tests.stats import oracle as o
from webapp.extensions import db
from webapp.stats.compute import compare_snapshot, freeze_tables, label_differences

#: What a key of the snapshot looks like: ASCII letters, digits, _ and . (table5,
#: carried_over.count, filing_rate_count_pct, 410102, 2026Q3); the words are Chinese.
JSON_KEY = re.compile(r"^[A-Za-z0-9_.]+$")


@pytest.fixture
def ledger():
    o.load_oracle()


def _bump(value):
    if isinstance(value, bool) or value is None:
        return "1"
    if isinstance(value, int):
        return value + 1
    return f"{value}x"


def _every_cell_changed(snapshot):
    """A copy of ``snapshot`` with every figure of every row (and 合计) changed."""
    changed = copy.deepcopy(snapshot)
    for table in changed["tables"].values():
        for row in [*(table.get("rows") or []), *([table["total"]] if table.get("total") else [])]:
            for key, value in list(row.items()):
                if key in ("seq", "org_code", "key", "registration_no", "record_no"):
                    continue
                if isinstance(value, dict):
                    row[key] = {k: _bump(v) for k, v in value.items()}
                else:
                    row[key] = _bump(value)
    return changed


@pytest.mark.parametrize(
    ("org", "period", "kind"), [("410100", "2026Q3", "quarterly"), ("410100", "2026", "annual")]
)
def test_every_difference_is_named_in_words(ledger, org, period, kind):
    live = freeze_tables(org, period, kind)
    snapshot = _every_cell_changed(live)
    diffs = label_differences(compare_snapshot(snapshot, live), snapshot, live)
    with_rows = {name for name, table in live["tables"].items() if table.get("rows")}
    assert {d["table"] for d in diffs} == with_rows  # every table with rows differs
    for d in diffs:
        for word in (d["table_label"], d["row_label"], d["field_label"]):
            assert word and not JSON_KEY.match(word), d
        assert "其他" not in d["table_label"] + d["field_label"], d  # every column is known
    t5 = {(d["row"], d["field"]): d for d in diffs if d["table"] in ("table5", "table7")}
    own = t5[
        (
            next(r for r in live["tables"].get("table5", live["tables"].get("table7", {}))["rows"])[
                "org_code"
            ],
            "completed.count",
        )
    ]
    assert own["row_label"] == "郑州市（本级）"
    assert own["field_label"] == (
        "截止到年底竣工工程 · 项数" if kind == "annual" else "本季度竣工工程 · 项数"
    )
    assert t5[("total", "accidents.deaths")]["row_label"] == "合计"
    assert t5[("total", "accidents.deaths")]["field_label"].endswith("· 死亡人数")


def test_compare_page_shows_words_not_keys(logged_in, ledger):
    client = logged_in("clerk", "410100")
    live = freeze_tables("410100", "2026Q3")
    snapshot = copy.deepcopy(live)
    own = snapshot["tables"]["table5"]["rows"][0]
    own["completed"]["count"] += 1
    db.session.rollback()
    token = csrf_token(client, "/stats/compare")
    html = client.post(
        "/stats/compare", data={"csrf_token": token, "snapshot": json.dumps(snapshot)}
    ).get_data(as_text=True)
    cells = re.findall(r"<td>([^<]*)</td>", html.split('id="snapshot-diff"', 1)[1])
    assert cells[:3] == ["附表5 季度统计表", "郑州市（本级）", "本季度竣工工程 · 项数"]
    assert "table5" not in html and "completed.count" not in html
    assert "T" not in re.search(r"计算于 ([^<]*)</p>", html).group(1)  # a local time, not ISO
