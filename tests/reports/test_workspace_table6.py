"""附表6 on the report workspace: the printed form's headings, never internal keys or long names."""

from __future__ import annotations

import re

from tests.conftest import login
from tests.reports.conftest import PERIOD

#: The printed 附表6 (regulation, 河南省建设工程质量监督季（年）度分类统计表):
#: "项  目 | 本季/年新注册项目 | 本季/年竣工工程 | 本季/年质量备案工程 | 本季/年在建工程",
#: each with 项数, 面积（万㎡）, 造价（万元）, and 备案率（项%） after the 质量备案 造价.
PRINTED_GROUPS = ["本季/年新注册项目", "本季/年竣工工程", "本季/年质量备案工程", "本季/年在建工程"]
TRIO = ["项数", "面积（万㎡）", "造价（万元）"]
PRINTED_COLUMNS = TRIO * 3 + ["备案率（项%）"] + TRIO
PRINTED_ROWS = (
    "住宅工程 保障性安居工程 公共建筑工程 大型公共建筑工程（2万平方米以上） 钢结构工程 县（区）工程"
).split()


def _table(page: str, table_id: str) -> str:
    start = page.index(f'id="{table_id}"')
    return page[start : page.index("</table>", start)]


def _cells(html: str, tag: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html)
    ]


def test_workspace_prints_table6_with_the_printed_headings(workflows, oracle, api, app, make_user):
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    report = api("clerk", "410103").report("410103")
    web = app.test_client()
    make_user("clerk", "410103", username="t6_clerk")
    login(web, "t6_clerk")
    page = web.get(f"/reports/{report['id']}").get_data(as_text=True)

    table = _table(page, "category-table")
    head, body = table.split("</thead>")
    headings = _cells(head, "th")
    assert headings == ["项　目", *PRINTED_GROUPS, *PRINTED_COLUMNS]
    rows = [cells[0] for cells in (_cells(r, "td") for r in body.split("<tr")[1:])]
    assert rows == PRINTED_ROWS
    for internal in ("registered", "under_construction", "affordable_housing", "large_public"):
        assert internal not in table

    # the same headings as the stats table page of the same unit and period
    stats = web.get(f"/stats/table6?org=410103&period={PERIOD}").get_data(as_text=True)
    assert _cells(_table(stats, "stats-table").split("</thead>")[0], "th") == headings
