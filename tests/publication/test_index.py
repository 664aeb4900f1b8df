"""The quality index recomputed by hand for the oracle ledger (tests/stats/oracle.py) with the
records of tests/publication/conftest.py, 2026 second half year (Q3 + Q4 accepted)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from webapp.core.operations import get_org
from webapp.publication.figures import half_year_figures
from webapp.publication.index import quality_index
from webapp.stats.figures import SummaryRow

pytestmark = pytest.mark.usefixtures("h2_data")


def parts(index: dict) -> dict[str, tuple]:
    return {p["key"]: (p["indicator"], p["score"], p["weight"]) for p in index["parts"]}


def test_zhengzhou_2026h2_by_hand():
    fig = half_year_figures(get_org("410100"), "2026H2")
    total = fig["total"]
    # Q3 (oracle ZHENGZHOU_TOTAL_Q3) + Q4 (ZY-5 registered 10-01, ZY-1 filed 10-15, 满意):
    assert total["carried_over"]["count"] == 4 and total["carried_over"]["area_10k_m2"] == "7.20"
    assert total["registered"] == {"count": 4, "area_10k_m2": "2.72", "cost_10k_yuan": "11170.37"}
    assert total["under_construction"]["count"] == 5
    assert total["under_construction"]["area_10k_m2"] == "6.52"
    assert total["completed"]["count"] == 3 and total["filed"]["count"] == 4
    assert total["filing_rate"]["count_pct"] == "133.33"  # 4 / 3
    assert total["satisfaction_pct"] == "50.00"  # ZY-2 and ZY-1 of 4 filed
    assert total["supervised"] == {"count": 8, "area_10k_m2": "9.92", "cost_10k_yuan": "47770.37"}
    assert fig["bad_records"] == 2 and fig["penalties"] == 1  # approved or not, as in 附表1
    index = fig["index"]
    assert parts(index) == {
        "filing": ("133.33", "100.00", "25"),  # capped at 100
        "satisfaction": ("50.00", "50.00", "25"),
        "accidents": ("0.1008", "89.92", "15"),  # 1 / 9.92 = 0.100806…; 100 − 100 × 0.1008
        "deaths": ("0.0000", "100.00", "15"),
        "bad_records": ("25.0000", "50.00", "10"),  # 2 × 100 / 8; 100 − 2 × 25
        "penalties": ("12.5000", "75.00", "10"),  # 1 × 100 / 8; 100 − 2 × 12.5
    }
    # (25×100 + 25×50 + 15×89.92 + 15×100 + 10×50 + 10×75) / 100 = 7848.8 / 100
    assert index["value"] == "78.49"


def test_province_2026h2_by_hand():
    fig = half_year_figures(get_org("410000"), "2026H2")
    total = fig["total"]
    assert total["supervised"]["count"] == 11 and total["supervised"]["area_10k_m2"] == "13.32"
    assert total["completed"]["count"] == 5 and total["filed"]["count"] == 5
    assert total["satisfaction_pct"] == "60.00"  # ZY-2, GY-1 (Q3) and ZY-1 (Q4) of 5
    assert total["accidents"] == {"count": 2, "deaths": 3, "loss_10k_yuan": "170.50"}
    assert parts(fig["index"]) == {
        "filing": ("100.00", "100.00", "25"),
        "satisfaction": ("60.00", "60.00", "25"),
        "accidents": ("0.1502", "84.98", "15"),  # 2 / 13.32
        "deaths": ("0.2252", "77.48", "15"),  # 3 / 13.32
        "bad_records": ("18.1818", "63.64", "10"),  # 200 / 11; 100 − 36.3636
        "penalties": ("9.0909", "81.82", "10"),  # 100 / 11; 100 − 18.1818
    }
    # (2500 + 1500 + 1274.70 + 1162.20 + 636.40 + 818.20) / 100 = 78.915 → 78.92 (half up)
    assert fig["index"]["value"] == "78.92"


def test_half_year_identity_and_missing_quarters():
    fig = half_year_figures(get_org("410100"), "2026H2")
    for row in [fig["total"], *fig["rows"]]:
        assert row["under_construction"]["count"] == (
            row["carried_over"]["count"] + row["registered"]["count"] - row["completed"]["count"]
        ), row["org_name"]
    kaifeng = half_year_figures(get_org("410200"), "2026H2")
    assert not kaifeng["complete"] and kaifeng["total"] is None and kaifeng["index"] is None


def half_year(first: dict, second: dict) -> SummaryRow:
    """Two quarters' 附表5 rows as snapshots store them → the half year's row."""
    return SummaryRow.half_year(SummaryRow.from_json(first), SummaryRow.from_json(second))


def test_parts_without_a_base_leave_the_mean():
    zero = {"count": 0, "area_10k_m2": "0.00", "cost_10k_yuan": "0.00"}
    quarter = {
        "carried_over": zero,
        "registered": zero,
        "under_construction": zero,
        "completed": zero,
        "filed": zero,
        "satisfied_count": 0,
        "accidents": {"count": 0, "deaths": 0, "loss_10k_yuan": "0.00"},
    }
    index = quality_index(half_year(quarter, quarter), 0, 0)
    assert index["value"] is None
    assert all(not p["applicable"] for p in index["parts"])
    one = {"count": 1, "area_10k_m2": "2.00", "cost_10k_yuan": "600.00"}
    registered_only = {**quarter, "registered": one, "under_construction": one}
    index = quality_index(half_year(registered_only, quarter), 1, 0)
    applicable = {p["key"] for p in index["parts"] if p["applicable"]}
    assert applicable == {"accidents", "deaths", "bad_records", "penalties"}
    # (15×100 + 15×100 + 10×max(0, 100 − 2×100) + 10×100) / 50 = 4000 / 50
    assert index["value"] == "80.00"


def test_weights_and_factors_are_settings(app, monkeypatch):
    from webapp.publication.index import settings_from_env

    monkeypatch.setenv("HQR_QI_WEIGHT_SATISFACTION", "0")
    monkeypatch.setenv("HQR_QI_FACTOR_BAD_RECORDS", "1")
    settings = settings_from_env()
    monkeypatch.setitem(app.config, "QUALITY_INDEX_WEIGHTS", settings["QUALITY_INDEX_WEIGHTS"])
    monkeypatch.setitem(app.config, "QUALITY_INDEX_FACTORS", settings["QUALITY_INDEX_FACTORS"])
    index = half_year_figures(get_org("410100"), "2026H2")["index"]
    assert parts(index)["bad_records"] == ("25.0000", "75.00", "10")
    # (25×100 + 15×89.92 + 15×100 + 10×75 + 10×75) / 75 = 6848.8 / 75 = 91.3173…
    assert index["value"] == str((Decimal("6848.8") / 75).quantize(Decimal("0.01")))
    monkeypatch.setenv("HQR_QI_WEIGHT_FILING", "-1")
    with pytest.raises(ValueError):
        settings_from_env()
