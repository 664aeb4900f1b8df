"""表内/表间校验: the identities and rules of domain.md §4 over a table's figures.

:func:`run_checks` works on the JSON shape of :mod:`webapp.stats.tables` whatever its origin:
freshly computed, a frozen snapshot, or figures submitted from elsewhere (strings or numbers).
Each result: ``{"id", "severity", "rows", "message"}``; severity ``error`` blocks a submission,
``warning`` needs a written explanation, ``notice`` informs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, NotRequired, TypedDict

from flask import current_app, has_app_context

from webapp.core.numbers import round_half_up
from webapp.core.periods import period_label
from webapp.stats import figures
from webapp.stats.tables import GROUP_LABELS, GROUPS, TABLE6_GROUPS

ERROR, WARNING, NOTICE = "error", "warning", "notice"
#: Area is rounded once per figure: each rounded addend may be off by half a hundredth.
HALF_CENT = Decimal("0.005")
JUMP_LABELS = {"registered": "新注册", "completed": "竣工"}
METRICS = (("count", "项数"), ("area_10k_m2", "面积"), ("cost_10k_yuan", "造价"))
UNITS = {"count": "项", "area_10k_m2": "万㎡", "cost_10k_yuan": "万元"}


dec = figures.parse


@dataclass(frozen=True)
class JumpRule:
    """When a period-on-period change is worth a warning (domain.md §4 **Decision** (jump
    warnings)): "large in share (default 50 %) and large in size (default 5 projects, or
    1 万㎡, or 1,000 万元): '1 → 0, 100 %' is noise".

    Both are judged on the same measure: a group warns when its 项数, its 面积 or its 造价
    changed by more than ``share`` of the previous figure *and* by at least that measure's
    size.  A previous figure of 0 gives no share, so no warning (a unit's first figures)."""

    #: Share of the previous figure (0.5 = 50 %); settings ``STATS_JUMP_SHARE``
    share: Decimal = Decimal("0.5")
    #: Smallest change worth a warning, per measure; settings ``STATS_JUMP_MIN_PROJECTS``,
    #: ``STATS_JUMP_MIN_AREA_10K_M2``, ``STATS_JUMP_MIN_COST_10K_YUAN``
    min_count: Decimal = Decimal(5)
    min_area_10k_m2: Decimal = Decimal(1)
    min_cost_10k_yuan: Decimal = Decimal(1000)

    #: The settings (app config keys) and their defaults
    SETTINGS: ClassVar[dict[str, tuple[str, str]]] = {
        "STATS_JUMP_SHARE": ("share", "0.5"),
        "STATS_JUMP_MIN_PROJECTS": ("min_count", "5"),
        "STATS_JUMP_MIN_AREA_10K_M2": ("min_area_10k_m2", "1"),
        "STATS_JUMP_MIN_COST_10K_YUAN": ("min_cost_10k_yuan", "1000"),
    }

    def size(self, metric: str) -> Decimal:
        return {
            "count": self.min_count,
            "area_10k_m2": self.min_area_10k_m2,
            "cost_10k_yuan": self.min_cost_10k_yuan,
        }[metric]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> JumpRule:
        return cls(
            **{
                attr: Decimal(str(config.get(key, default)))
                for key, (attr, default) in cls.SETTINGS.items()
            }
        )


def jump_rule() -> JumpRule:
    """The rule as the application's settings give it (the defaults outside an app)."""
    return JumpRule.from_config(current_app.config) if has_app_context() else JumpRule()


class Check(TypedDict):
    """One finding: ``error`` blocks a submission, ``warning`` needs an explanation."""

    id: str
    severity: str
    rows: list[str]
    message: str
    #: The table it is about, in a report's list of checks (table5 …)
    table: NotRequired[str]
    #: What the message asks someone to do elsewhere (one of ``ACTIONS``): the pages link it
    action: NotRequired[str]


#: The actions a check's message may name, each done on another page: 更正 of the previous
#: period's accepted report of the row's unit (on that report's 文书 tab).
CORRECT_PREVIOUS = "correct_previous"
ACTIONS = (CORRECT_PREVIOUS,)

#: Who knows the pages where a check's ``action`` is done (the reports package registers itself
#: in its init_app; stats does not import it): (viewer, org, period code, report kind, checks)
#: → for each check, in order, its links (``label``, ``endpoint``, ``args``, ``anchor``).
ActionLinks = Callable[[Any, Any, str, str, list[Any]], list[list[Any]]]
_action_links: list[ActionLinks] = []


def add_action_links(source: ActionLinks) -> None:
    if source not in _action_links:
        _action_links.append(source)


def action_links(user: Any, org: Any, period: str, kind: str, checks: list[Any]) -> list[list[Any]]:
    """For each of ``checks``, the links of every registered source (those the user may open)."""
    out: list[list[Any]] = [[] for _ in checks]
    for source in _action_links:
        for index, links in enumerate(source(user, org, period, kind, checks)):
            out[index].extend(links)
    return out


#: The Chinese name of each rule a check id starts with (longest first wins): what the pages show
#: in the 规则 column instead of the id, which stays the key of the explanations.
RULE_NAMES = {
    "identity.under_construction": "在建平衡（本期在建 = 上期接转 + 本期新注册 − 本期竣工）",
    "identity.carried_over": "上期接转等于上期期末在建",
    "identity.total": "合计等于各行之和",
    "identity.rollup": "汇总等于下级单位之和",
    "rate.filing.count.over_100": "备案率（项）超过100%",
    "rate.filing.area.over_100": "备案率（面积）超过100%",
    "rate.filing.count": "备案率（项）",
    "rate.filing.area": "备案率（面积）",
    "rate.filing": "备案率",
    "rate.satisfaction": "满意率",
    "nonnegative": "数值不能为负",
    "jump": "环比变化较大",
    "table6.large_public_within_public": "大型公共建筑不超过公共建筑",
    "table6.within_summary": "附表6不超过附表5/7合计",
    "ledger.dates": "台账日期、面积和造价",
    "ledger.unit_cost": "台账每平方米造价",
    "accidents.fast_report": "较大及以上事故快报",
}
#: Names of the groups and figures a check id may end with.
PART_NAMES = {
    "carried_over": "上期接转",
    "registered": "新注册",
    "under_construction": "在建",
    "completed": "竣工",
    "filed": "质量备案",
    **dict(METRICS),
    "area": "面积",
    "cost": "造价",
}


def rule_name(cid: str) -> str:
    """The Chinese name of check ``cid`` (``jump.registered`` → 环比变化较大（新注册）); an id no
    rule names is shown as 其他校验 rather than as code."""
    for prefix in sorted(RULE_NAMES, key=len, reverse=True):
        if cid == prefix or cid.startswith(prefix + "."):
            rest = [PART_NAMES.get(p, "") for p in cid[len(prefix) :].split(".") if p]
            parts = "·".join(p for p in rest if p)
            return f"{RULE_NAMES[prefix]}（{parts}）" if parts else RULE_NAMES[prefix]
    return "其他校验"


def _check(cid: str, severity: str, rows: list[str], message: str) -> Check:
    return {"id": cid, "severity": severity, "rows": rows, "message": message}


def _rows_of(table: dict[str, Any]) -> list[dict[str, Any]]:
    rows = list(table.get("rows") or [])
    if table.get("total"):
        rows.append(table["total"])
    return rows


def _row_id(row: dict[str, Any]) -> str:
    return "total" if row.get("org_name") == "合计" else str(row.get("org_code") or row.get("key"))


def _row_name(row: dict[str, Any]) -> str:
    return str(row.get("org_name") or row.get("label") or row.get("key"))


def _tolerance(metric: str, addends: int) -> Decimal:
    return HALF_CENT * addends if metric == "area_10k_m2" else Decimal(0)


def _figure(row: dict[str, Any], group: str, metric: str) -> Decimal:
    return dec((row.get(group) or {}).get(metric)) or Decimal(0)


_expected_pct = figures.rate_value


# 附表5 / 附表7 ------------------------------------------------------------------------------------
def _identity(table: dict[str, Any], labels: dict[str, str]) -> list[Check]:
    out = []
    # A rolled-up table (its rows carry a status): a row taken from a lower unit's accepted
    # report was checked when that report was; the 合计 is the sum of the printed rows, so its
    # residual is the sum of theirs (rounding included, it grows with the number of rows) and
    # the 合计 = Σ rows check covers it.
    rolled_up = any("status" in r for r in table.get("rows") or [])
    for row in _rows_of(table):
        if rolled_up and (row is table.get("total") or row.get("status") == "已接收"):
            continue
        for metric, mlabel in METRICS:
            uc = _figure(row, "under_construction", metric)
            expected = (
                _figure(row, "carried_over", metric)
                + _figure(row, "registered", metric)
                - _figure(row, "completed", metric)
            )
            if abs(uc - expected) > _tolerance(metric, 4):
                out.append(
                    _check(
                        f"identity.under_construction.{metric}",
                        ERROR,
                        [_row_id(row)],
                        f"{_row_name(row)}：{labels['under_construction']}{mlabel}（{uc}）"
                        f"≠ {labels['carried_over']}（{_figure(row, 'carried_over', metric)}）"
                        f"+ {labels['registered']}（{_figure(row, 'registered', metric)}）"
                        f"− {labels['completed']}（{_figure(row, 'completed', metric)}）",
                    )
                )
    return out


#: A row's status when its figures are a report as the upper level accepted it (frozen).
ACCEPTED_ROW = "已接收"
#: A unit's own row (its own projects, from the ledger).
OWN_ROW = "本级"


def _carry(table: dict[str, Any], previous: dict[str, Any], labels: dict[str, str]) -> list[Check]:
    prev_rows = {_row_id(r): r for r in _rows_of(previous)}
    out = []
    # the 合计 (no status of its own) sums the rows: mixed when any row is
    any_mixed = any(
        _row_id(r) in prev_rows and prev_rows[_row_id(r)].get("status") != r.get("status")
        for r in _rows_of(table)
    )
    warned: set[str] = set()  # metrics a unit's row differs in for a reason no one here can fix
    for row in _rows_of(table):
        before = prev_rows.get(_row_id(row))
        if before is None:
            continue
        for metric, mlabel in METRICS:
            now = _figure(row, "carried_over", metric)
            then = _figure(before, "under_construction", metric)
            if now == then:
                continue
            # Last period's figures are the unit's report as accepted: the difference is a
            # change of the ledger since (a closed period's project corrected).  The closed
            # period changes only through a correction (更正) of that report, perhaps of several
            # before it, so it is a warning to explain, not an error blocking this period.
            statuses = (before.get("status"), row.get("status"))
            edited = (
                statuses[0] == ACCEPTED_ROW and statuses[1] in (ACCEPTED_ROW, OWN_ROW)
                if statuses != (None, None)
                else metric in warned  # the 合计 differs by what its rows do
            )
            # A row built another way last period (the unit's accepted report now, the
            # ledger then because it did not report) may differ by rounding alone: the
            # accepted total sums rounded rows.  Then it is a warning to explain, not an
            # error that no one can fix (the previous period is closed).
            mixed = not edited and (
                statuses[0] != statuses[1] if statuses != (None, None) else any_mixed
            )
            if edited:
                warned.add(metric)
            check = _check(
                f"identity.carried_over.{metric}",
                WARNING if mixed or edited else ERROR,
                [_row_id(row)],
                f"{_row_name(row)}：{labels['carried_over']}{mlabel}（{now}）"
                f"≠ 上期（{period_label(previous.get('period'))}）在建{mlabel}（{then}）"
                + ("（上期与本期汇总口径不同，差额来自取整）" if mixed else "")
                + (
                    "（上期为上级已接收报告的数据，此后台账中上期的工程有改动：请说明原因；"
                    "上期数据须改正的，由该单位对上期报告提出更正）"
                    if edited
                    else ""
                ),
            )
            if edited:
                check["action"] = CORRECT_PREVIOUS
            out.append(check)
    return out


def _sum_of_rows(table: dict[str, Any]) -> list[Check]:
    total = table.get("total")
    rows = table.get("rows") or []
    if not total:
        return []
    out = []
    paths = [(g, m, ml) for g in GROUPS for m, ml in METRICS] + [
        ("accidents", "count", "事故项数"),
        ("accidents", "deaths", "死亡人数"),
        ("accidents", "loss_10k_yuan", "经济损失"),
    ]
    for group, metric, mlabel in paths:
        summed = sum((_figure(r, group, metric) for r in rows), Decimal(0))
        given = _figure(total, group, metric)
        if abs(given - summed) > _tolerance(metric, len(rows)):
            out.append(
                _check(
                    f"identity.total.{group}.{metric}",
                    ERROR,
                    ["total"],
                    f"合计行 {group}{mlabel}（{given}）≠ 各行之和（{summed}）",
                )
            )
    return out


def _rollup(table: dict[str, Any], children: dict[str, dict[str, Any]]) -> list[Check]:
    """A child unit's row must equal the 合计 of that unit's own table."""
    out = []
    for row in table.get("rows") or []:
        child = children.get(str(row.get("org_code")))
        if not child or not child.get("total") or row.get("org_code") == table.get("org"):
            continue
        for group in GROUPS:
            for metric, mlabel in METRICS:
                mine, theirs = _figure(row, group, metric), _figure(child["total"], group, metric)
                if abs(mine - theirs) > _tolerance(metric, len(child.get("rows") or [])):
                    out.append(
                        _check(
                            f"identity.rollup.{group}.{metric}",
                            ERROR,
                            [_row_id(row)],
                            f"{_row_name(row)}：本表{mlabel}（{mine}）≠ 该单位上报合计（{theirs}）",
                        )
                    )
    return out


#: The rates of a row to check: (check id, label, the given rate, numerator, denominator) each.
RatesOf = Callable[[dict[str, Any]], list[tuple[str, str, Any, Decimal, Decimal]]]


def _rates(rows: list[dict[str, Any]], rate_of: RatesOf) -> list[Check]:
    out = []
    for row in rows:
        for cid, label, given, num, den in rate_of(row):
            value = dec(given)
            expected = _expected_pct(num, den)
            name = _row_name(row)
            if den == 0:
                if value is not None:
                    out.append(
                        _check(cid, ERROR, [_row_id(row)], f"{name}：分母为0时{label}应为“—”")
                    )
                continue
            # Area rates come from exact ㎡, the shown areas are rounded: compare counts only.
            exact = ".area" not in cid
            if value is None or (exact and value != expected):
                out.append(
                    _check(
                        cid,
                        ERROR,
                        [_row_id(row)],
                        f"{name}：{label}（{given}）与计算值（{expected}）不符",
                    )
                )
            elif value < 0:
                out.append(_check(cid, ERROR, [_row_id(row)], f"{name}：{label}不能为负数"))
            elif value > 100 and cid.startswith("rate.filing"):
                out.append(
                    _check(
                        cid + ".over_100",
                        WARNING,
                        [_row_id(row)],
                        f"{name}：{label} {value}% 超过100%（备案滞后于竣工），请说明",
                    )
                )
            elif value > 100:
                out.append(_check(cid, ERROR, [_row_id(row)], f"{name}：{label}超过100%"))
    return out


def _summary_rates(row: dict[str, Any]) -> list[tuple[str, str, Any, Decimal, Decimal]]:
    rate = row.get("filing_rate") or {}
    return [
        (
            "rate.filing.count",
            "备案率（项%）",
            rate.get("count_pct"),
            _figure(row, "filed", "count"),
            _figure(row, "completed", "count"),
        ),
        (
            "rate.filing.area",
            "备案率（面积%）",
            rate.get("area_pct"),
            _figure(row, "filed", "area_10k_m2"),
            # Every project has an area > 0: the area rate exists exactly when a count does.
            _figure(row, "completed", "count"),
        ),
    ]


def _satisfaction(rows: list[dict[str, Any]]) -> list[Check]:
    out = []
    for row in rows:
        value = dec(row.get("satisfaction_pct"))
        filed = _figure(row, "filed", "count")
        if filed == 0 and value is not None:
            out.append(
                _check(
                    "rate.satisfaction",
                    ERROR,
                    [_row_id(row)],
                    f"{_row_name(row)}：无备案工程时用户满意率应为“—”",
                )
            )
        elif value is not None and not 0 <= value <= 100:
            out.append(
                _check(
                    "rate.satisfaction",
                    ERROR,
                    [_row_id(row)],
                    f"{_row_name(row)}：用户满意率（{value}）应在0–100之间",
                )
            )
    return out


def _negatives(table: dict[str, Any]) -> list[Check]:
    bad = []
    for row in _rows_of(table):
        for group in row.values():
            if isinstance(group, dict):
                if any((dec(v) or 0) < 0 for v in group.values()):
                    bad.append(_row_id(row))
                    break
    if not bad:
        return []
    return [
        _check(
            "nonnegative", ERROR, sorted(set(bad)), "表中出现负数：" + "、".join(sorted(set(bad)))
        )
    ]


def _jumps(
    table: dict[str, Any], previous: dict[str, Any], rule: JumpRule, groups: tuple
) -> list[Check]:
    prev_rows = {_row_id(r): r for r in _rows_of(previous)}
    out = []
    for row in _rows_of(table):
        before = prev_rows.get(_row_id(row))
        if before is None:
            continue
        for group in groups:
            large = []
            for metric, mlabel in METRICS:
                now, then = _figure(row, group, metric), _figure(before, group, metric)
                delta = abs(now - then)
                if then > 0 and delta / then > rule.share and delta >= rule.size(metric):
                    pct = round_half_up(delta / then * 100, Decimal("0.1"))
                    sign = "+" if now > then else "−"
                    size = f"{sign}{_shown(metric, delta)}{UNITS[metric]}"
                    large.append(f"{mlabel}{sign}{pct}%（{size}）")
            if large:
                label = JUMP_LABELS.get(group, group)
                out.append(
                    _check(
                        f"jump.{group}",
                        WARNING,
                        [_row_id(row)],
                        f"{_row_name(row)}：{label}由上期 {_trio_text(before, group)} "
                        f"变为 {_trio_text(row, group)}，{'、'.join(large)}，"
                        f"变化超过 {_plain(rule.share * 100)}% 且达到 {_sizes_text(rule)}，请说明",
                    )
                )
    return out


def _trio_text(row: dict[str, Any], group: str) -> str:
    return "、".join(f"{_shown(m, _figure(row, group, m))}{UNITS[m]}" for m, _ in METRICS)


def _shown(metric: str, value: Decimal) -> str:
    """A figure as the forms print it: a count whole, an area or a cost with two decimals."""
    return str(int(value)) if metric == "count" else figures.text(value)


def _sizes_text(rule: JumpRule) -> str:
    return "或".join(f"{_plain(rule.size(m))}{UNITS[m]}" for m, _ in METRICS)


def _plain(value: Decimal) -> str:
    """50.0 → 50, 0.50 → 0.5, 1000 → 1000 (never 1E+3)."""
    return f"{value.normalize():f}"


def _one_per_figures(checks: list[Check]) -> list[Check]:
    """A warning raised on a unit's own row and again on the 合计 with the same figures is one
    warning, needing one explanation (domain.md §4 **Decision** (jump warnings)): the 合计's
    copy goes, the row's names both (rows ``[row, "total"]``)."""
    by_figures: dict[tuple[str, str], Check] = {}
    for c in checks:
        if c["severity"] == WARNING and c["rows"] and c["rows"][0] != "total":
            by_figures.setdefault((c["id"], _body(c["message"])), c)
    out = []
    for c in checks:
        twin = by_figures.get((c["id"], _body(c["message"])))
        if c["severity"] == WARNING and c["rows"] == ["total"] and twin is not None:
            name, body = twin["message"].split("：", 1)
            twin["rows"] = [*twin["rows"], "total"]
            twin["message"] = f"{name}（即合计）：{body}"
            continue
        out.append(c)
    return out


def _table6_slack(summary: dict[str, Any]) -> int:
    """How many figures rounded to 0.01 万㎡ stand between a 附表6 figure and the 合计 it may not
    exceed.  A unit's own tables: one on each side.  A rolled-up table: its 合计 adds its n rows,
    each rounded, and its 附表6 figure is the live one corrected, for each accepted lower unit,
    by that unit's submitted figure less its live one (two rounded figures each): 3n + 1.  A
    fixed allowance of two refused a province's annual report whose 62 rows had rounded 0.31
    万㎡ away from the one-rounding 附表6 (issue 19's simulated year)."""
    rows = summary.get("rows") or []
    return 3 * len(rows) + 1 if any("status" in r for r in rows) else 2


def _body(message: str) -> str:
    """A row's finding without the row's name (``中原区（本级）：…`` → ``…``)."""
    return message.split("：", 1)[-1]


# 附表6 ------------------------------------------------------------------------------------------
def _table6(table: dict[str, Any], related: dict[str, Any]) -> list[Check]:
    out = []
    rows = {r.get("key"): r for r in table.get("rows") or []}
    big, public = rows.get("large_public"), rows.get("public")
    if big and public:
        for g in TABLE6_GROUPS:
            for metric, mlabel in METRICS:
                if _figure(big, g, metric) > _figure(public, g, metric):
                    out.append(
                        _check(
                            "table6.large_public_within_public",
                            ERROR,
                            ["large_public", "public"],
                            f"大型公共建筑工程{g}{mlabel}大于公共建筑工程",
                        )
                    )
    summary = related.get("table5") or related.get("table7")
    if summary and summary.get("total"):
        total = summary["total"]
        slack = _table6_slack(summary)
        for key, row in rows.items():
            for g in TABLE6_GROUPS:
                for metric, mlabel in METRICS:
                    if _figure(row, g, metric) > _figure(total, g, metric) + _tolerance(
                        metric, slack
                    ):
                        out.append(
                            _check(
                                "table6.within_summary",
                                ERROR,
                                [str(key)],
                                f"{_row_name(row)}{g}{mlabel}（{_figure(row, g, metric)}）"
                                f"大于附表5/7合计（{_figure(total, g, metric)}）",
                            )
                        )
    rate = _rates(
        list(rows.values()),
        lambda r: [
            (
                "rate.filing.count",
                "备案率（项%）",
                r.get("filing_rate_count_pct"),
                _figure(r, "filed", "count"),
                _figure(r, "completed", "count"),
            )
        ],
    )
    return out + rate


def run_checks(
    table: dict[str, Any],
    *,
    previous: dict[str, Any] | None = None,
    related: dict[str, Any] | None = None,
    jump: JumpRule | None = None,
    ledger_checks: list[Check] | None = None,
) -> list[Check]:
    """Every rule that applies to ``table`` (附表5, 6 or 7 in its JSON shape).

    ``previous``: the same table for the previous period (接转 = 上期在建; jumps);
    ``related``: {"table5"/"table7": summary} for 附表6, {"children": {code: table}} for roll-up;
    ``jump``: when a change is a warning (the application's settings when None);
    ``ledger_checks``: per-project findings already computed from the ledger.
    """
    related = related or {}
    rule = jump or jump_rule()
    number = int(table.get("table") or 0)
    out: list[Check] = []
    if number == 6:
        out += _table6(table, related)
        out += _negatives(table)
        if previous:
            out += _jumps(table, previous, rule, ("registered",))
    else:
        labels = GROUP_LABELS[number == 7]
        out += _identity(table, labels)
        out += _sum_of_rows(table)
        out += _rates(_rows_of(table), _summary_rates)
        out += _satisfaction(_rows_of(table))
        out += _negatives(table)
        if previous:
            out += _carry(table, previous, labels)
            out += _jumps(table, previous, rule, ("registered", "completed"))
        if related.get("children"):
            out += _rollup(table, related["children"])
    return _one_per_figures(out) + list(ledger_checks or [])


def blocking(checks: list[Check]) -> bool:
    return any(c["severity"] == ERROR for c in checks)
