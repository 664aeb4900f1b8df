"""Jump warnings per domain.md §4 **Decision** (jump warnings) (issue 15, checks and warnings):

"a period-on-period change is worth a warning only when it is both large in share (setting,
default 50 %) and large in size (setting, default 5 projects, or 1 万㎡, or 1,000 万元):
'1 → 0, 100 %' is noise.  A warning raised on a unit's own row and again on its 合计 with the
same figures needs one explanation, not two."
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from webapp.stats.checks import WARNING, JumpRule, jump_rule, run_checks
from webapp.stats.figures import SUMMARY_GROUPS


def _trio(count: int, area: str = "0.10", cost: str = "100.00") -> dict[str, Any]:
    return {"count": count, "area_10k_m2": area, "cost_10k_yuan": cost}


def _row(code: str, name: str, registered: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"org_code": code, "org_name": name}
    for g in SUMMARY_GROUPS:
        row[g] = _trio(0, "0.00", "0.00")
    # 在建 = 接转 + 新注册 − 竣工 holds: only 新注册 and 在建 carry figures.
    row["registered"] = registered
    row["under_construction"] = dict(registered)
    row["filing_rate"] = {"count_pct": None, "area_pct": None}
    row["satisfaction_pct"] = None
    row["accidents"] = {"count": 0, "deaths": 0, "loss_10k_yuan": "0.00"}
    return row


def _county(period: str, registered: dict[str, Any]) -> dict[str, Any]:
    """A county's 附表5: its own row, and a 合计 with the same figures."""
    return {
        "table": 5,
        "org": "410102",
        "period": period,
        "rows": [_row("410102", "中原区（本级）", registered)],
        "total": _row("410102", "合计", registered),
    }


def _jumps(now: dict[str, Any], then: dict[str, Any], rule: JumpRule | None = None) -> list:
    checks = run_checks(
        _county("2026Q3", now), previous=_county("2026Q2", then), jump=rule or JumpRule()
    )
    return [c for c in checks if c["id"].startswith("jump.")]


def test_one_to_none_is_noise_not_a_warning():
    """'1 → 0, 100 %' is noise: large in share, small in size (1 project, 0.10 万㎡, 100 万元)."""
    assert _jumps(_trio(0, "0.00", "0.00"), _trio(1)) == []
    # +300 % in every measure, still under 5 projects, 1 万㎡ and 1,000 万元.
    assert _jumps(_trio(4, "0.40", "400.00"), _trio(1)) == []


def test_large_in_share_and_in_projects_warns():
    """10 → 16 projects: +60 % (over 50 %) and +6 projects (at least 5)."""
    (jump,) = _jumps(_trio(16, "0.16", "160.00"), _trio(10, "0.10", "100.00"))
    assert jump["severity"] == WARNING and jump["id"] == "jump.registered"
    assert "项数+60.0%（+6项）" in jump["message"]


def test_large_in_size_but_not_in_share_is_no_warning():
    """20 → 26 projects (+6) is only +30 %: not large in share."""
    assert _jumps(_trio(26, "0.26", "260.00"), _trio(20, "0.20", "200.00")) == []


def test_a_few_large_projects_warn_by_area_or_cost():
    """2 → 3 projects is small in count, but 0.50 → 2.00 万㎡ (+1.5 万㎡) and 600 → 2,400 万元
    (+1,800 万元) are large in share and in size: the area and the cost warn."""
    (jump,) = _jumps(_trio(3, "2.00", "2400.00"), _trio(2, "0.50", "600.00"))
    assert "面积+300.0%（+1.50万㎡）" in jump["message"]
    assert "造价+300.0%（+1800.00万元）" in jump["message"]
    assert "项数" not in jump["message"].split("，", 1)[1]


def test_a_drop_warns_like_a_rise():
    (jump,) = _jumps(_trio(2, "0.02", "20.00"), _trio(12, "0.12", "120.00"))
    assert "项数−83.3%（−10项）" in jump["message"]


def test_the_thresholds_are_settings(app, monkeypatch):
    """Share and sizes are settings (STATS_JUMP_*): with 2 projects as the size, 1 → 3 warns."""
    monkeypatch.setitem(app.config, "STATS_JUMP_MIN_PROJECTS", "2")
    monkeypatch.setitem(app.config, "STATS_JUMP_SHARE", "0.3")
    rule = jump_rule()
    assert rule == JumpRule(share=Decimal("0.3"), min_count=Decimal(2))
    (jump,) = _jumps(_trio(3, "0.30", "300.00"), _trio(1), rule)
    assert "变化超过 30% 且达到 2项或1万㎡或1000万元" in jump["message"]
    assert _jumps(_trio(3, "0.30", "300.00"), _trio(1)) == []  # the defaults: noise


def test_own_row_and_total_with_the_same_figures_are_one_warning():
    """A county's own row and its 合计 carry the same figures: one warning, naming both rows,
    so one explanation (the page shows one field for it)."""
    (jump,) = _jumps(_trio(16, "0.16", "160.00"), _trio(10, "0.10", "100.00"))
    assert jump["rows"] == ["410102", "total"]
    assert jump["message"].startswith("中原区（本级）（即合计）：新注册由上期 10项")


def test_different_figures_on_a_row_and_the_total_stay_two_warnings():
    """A city: its own row jumps, and the 合计 (with a county's figures added) jumps
    differently: two warnings."""

    def city(period: str, own: dict[str, Any], county: dict[str, Any]) -> dict[str, Any]:
        rows = [_row("410100", "郑州市（本级）", own), _row("410102", "中原区", county)]
        total = {k: (int(own[k]) + int(county[k])) if k == "count" else own[k] for k in ("count",)}
        summed = _trio(
            total["count"],
            str(Decimal(own["area_10k_m2"]) + Decimal(county["area_10k_m2"])),
            str(Decimal(own["cost_10k_yuan"]) + Decimal(county["cost_10k_yuan"])),
        )
        return {
            "table": 5,
            "org": "410100",
            "period": period,
            "rows": rows,
            "total": _row("410100", "合计", summed),
        }

    checks = run_checks(
        city("2026Q3", _trio(16, "0.16", "160.00"), _trio(10, "0.10", "100.00")),
        previous=city("2026Q2", _trio(10, "0.10", "100.00"), _trio(5, "0.05", "50.00")),
        jump=JumpRule(),
    )
    jumps = {tuple(c["rows"]) for c in checks if c["id"] == "jump.registered"}
    assert jumps == {("410100",), ("410102",), ("total",)}
