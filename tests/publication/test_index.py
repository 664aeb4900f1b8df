"""The quality index recomputed by hand for the oracle ledger (tests/stats/oracle.py) with the
records of tests/publication/conftest.py, 2026 second half year (Q3 + Q4 accepted).

domain.md §6 Decision (quality index): "it measures quality outcomes, never enforcement
activity: records and penalties found by supervisors must not lower it … the acceptance input is
the period's 竣工验收合格率 (合格 ÷ all acceptances concluded in the period) … 备案率 measures
filing lag and is not an input … weights are settings"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.ledger.models import AdministrativePenalty, BadBehaviourRecord
from webapp.publication.figures import half_year_figures
from webapp.publication.index import Outcomes, quality_index, worked_example
from webapp.reports.models import Report

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
    # 附表4 of Q3: three 合格 (二七 08-20, 中原 09-01, 中原 09-30) and 郑州市本级's 不合格 09-15.
    assert index["inputs"]["acceptances"] == 4 and index["inputs"]["passed"] == 3
    assert parts(index) == {
        "acceptance": ("75.00", "75.00", "30"),  # 3 ÷ 4
        "satisfaction": ("50.00", "50.00", "30"),  # 2 ÷ 4
        "accidents": ("10.0806", "0.00", "20"),  # 1 × 100 ÷ 9.92 per 100 万㎡; 100 − 10 × 10.08 < 0
        "deaths": ("0.0000", "100.00", "20"),
    }
    # (30×75 + 30×50 + 20×0 + 20×100) / 100 = 5750 / 100
    assert index["value"] == "57.50"
    # Each lower unit's figure for comparison (中原区: 2 of 2 passed, 1 of 2 satisfied…).
    units = {u["org_name"]: u["value"] for u in fig["unit_indexes"]}
    assert units["中原区"] == "80.00" and units["二七区"] == "70.00" and units["金水区"] is None
    assert "郑州市" not in units


def test_province_2026h2_by_hand():
    fig = half_year_figures(get_org("410000"), "2026H2")
    total = fig["total"]
    assert total["supervised"]["count"] == 11 and total["supervised"]["area_10k_m2"] == "13.32"
    assert total["completed"]["count"] == 5 and total["filed"]["count"] == 5
    assert total["accidents"] == {"count": 2, "deaths": 3, "loss_10k_yuan": "170.50"}
    assert parts(fig["index"]) == {
        "acceptance": ("83.33", "83.33", "30"),  # 5 ÷ 6
        "satisfaction": ("60.00", "60.00", "30"),  # 3 ÷ 5
        "accidents": ("15.0150", "0.00", "20"),  # 2 × 100 ÷ 13.32
        "deaths": ("22.5225", "0.00", "20"),  # 3 × 100 ÷ 13.32
    }
    # (30×83.33 + 30×60) / 100 = 42.999 → 43.00 (half up)
    assert fig["index"]["value"] == "43.00"
    cities = {u["org_name"]: u["value"] for u in fig["unit_indexes"]}
    assert cities["郑州市"] == "57.50" and cities["开封市"] == "100.00"


def _refreeze(code: str) -> None:
    """Freeze and accept the unit's 2026Q3 again from the ledger as it now stands."""
    from webapp.reports.document import freeze

    for report in db.session.query(Report).filter_by(org_id=get_org(code).id, period="2026Q3"):
        report.snapshot = report.accepted_snapshot = freeze(report, None)
    db.session.commit()


def test_enforcement_records_never_lower_the_index():
    """ "records and penalties found by supervisors must not lower it" (domain.md §6)."""
    before = half_year_figures(get_org("410100"), "2026H2")
    for i in range(5):
        db.session.add(
            BadBehaviourRecord(
                org=get_org("410100"),
                record_no=f"MORE-{i}",
                project_name="工程ZZ-1",
                responsible_unit="某施工企业",
                unit_type="施工",
                fact="检查发现问题",
                recorded_on=date(2026, 8, 1),
                approver="王批准",
                approved_on=date(2026, 8, 2),
            )
        )
        db.session.add(
            AdministrativePenalty(
                org=get_org("410100"),
                record_no=f"MORE-P-{i}",
                project_name="工程ZZ-1",
                responsible_unit="某施工企业",
                decided_on=date(2026, 8, 3),
                violation="违规",
                penalty="罚款",
            )
        )
    db.session.commit()
    _refreeze("410100")
    after = half_year_figures(get_org("410100"), "2026H2")
    assert after["bad_records"] == before["bad_records"] + 5
    assert after["penalties"] == before["penalties"] + 5
    assert after["index"]["value"] == before["index"]["value"] == "57.50"
    assert {p["key"] for p in after["index"]["parts"]} == {
        "acceptance",
        "satisfaction",
        "accidents",
        "deaths",
    }  # neither records, penalties nor 备案率


def test_half_year_identity_and_missing_quarters():
    fig = half_year_figures(get_org("410100"), "2026H2")
    for row in [fig["total"], *fig["rows"]]:
        assert row["under_construction"]["count"] == (
            row["carried_over"]["count"] + row["registered"]["count"] - row["completed"]["count"]
        ), row["org_name"]
    kaifeng = half_year_figures(get_org("410200"), "2026H2")
    assert not kaifeng["complete"] and kaifeng["total"] is None and kaifeng["index"] is None


def outcomes(**values) -> Outcomes:
    base = {
        "acceptances": 0,
        "passed": 0,
        "filed": 0,
        "satisfied": 0,
        "area_10k_m2": Decimal(0),
        "accidents": 0,
        "deaths": 0,
    }
    return Outcomes(**(base | values))


def test_parts_without_a_base_leave_the_mean():
    index = quality_index(outcomes())
    assert index["value"] is None
    assert all(not p["applicable"] for p in index["parts"])
    assert worked_example(index)[-1] == "各分项均不适用，本期不计算指数。"
    index = quality_index(outcomes(area_10k_m2=Decimal("200.00"), accidents=1))
    applicable = {p["key"] for p in index["parts"] if p["applicable"]}
    assert applicable == {"accidents", "deaths"}
    # 1 × 100 ÷ 200 = 0.5 per 100 万㎡ → 100 − 10 × 0.5 = 95; (20×95 + 20×100) / 40
    assert index["value"] == "97.50"


def test_worked_example_recomputes_the_value():
    """ "the formula and a worked example are published beside it" (domain.md §6)."""
    index = half_year_figures(get_org("410100"), "2026H2")["index"]
    assert worked_example(index) == [
        "竣工验收合格率（权重 30）：3 ÷ 4 × 100 = 75.00%，得分 75.00。",
        "用户满意率（权重 30）：2 ÷ 4 × 100 = 50.00%，得分 50.00。",
        "质量事故（权重 20）：1 × 100 ÷ 9.92万㎡ = 10.0806起/百万㎡，"
        "得分 100 − 10 × 10.0806（最低为0）= 0.00。",
        "事故死亡（权重 20）：0 × 100 ÷ 9.92万㎡ = 0.0000人/百万㎡，"
        "得分 100 − 10 × 0.0000（最低为0）= 100.00。",
        "指数 = (30×75.00 + 30×50.00 + 20×0.00 + 20×100.00) ÷ (30 + 30 + 20 + 20) = 57.50。",
    ]


def test_weights_and_factors_are_settings(app, monkeypatch):
    """ "weights are settings" (domain.md §6)."""
    from webapp.publication.index import settings_from_env

    monkeypatch.setenv("HQR_QI_WEIGHT_SATISFACTION", "0")
    monkeypatch.setenv("HQR_QI_FACTOR_ACCIDENTS", "1")
    settings = settings_from_env()
    monkeypatch.setitem(app.config, "QUALITY_INDEX_WEIGHTS", settings["QUALITY_INDEX_WEIGHTS"])
    monkeypatch.setitem(app.config, "QUALITY_INDEX_FACTORS", settings["QUALITY_INDEX_FACTORS"])
    index = half_year_figures(get_org("410100"), "2026H2")["index"]
    assert parts(index)["accidents"] == ("10.0806", "89.92", "20")
    # (30×75 + 0×50 + 20×89.92 + 20×100) / 70 = 6048.4 / 70 = 86.405… → 86.41
    assert index["value"] == str((Decimal("6048.4") / 70).quantize(Decimal("0.01")))
    monkeypatch.setenv("HQR_QI_WEIGHT_ACCEPTANCE", "-1")
    with pytest.raises(ValueError):
        settings_from_env()


GROUPS = ("carried_over", "registered", "under_construction", "completed", "filed")


def _rows_add_up(fig: dict) -> None:
    for group in GROUPS:
        for measure in ("count", "area_10k_m2", "cost_10k_yuan"):
            rows = sum(Decimal(str(r[group][measure])) for r in fig["rows"])
            assert rows == Decimal(str(fig["total"][group][measure])), (group, measure)


def test_the_rows_add_up_to_the_total_when_the_unit_tree_changed_between_quarters():
    """A unit in one quarter's 附表5 only (a county set up in Q4, one merged away after Q3) is
    a row of the half year too: the public report's units add up to its 合计."""
    import copy

    zhengzhou = get_org("410100")
    _rows_add_up(half_year_figures(zhengzhou, "2026H2"))  # the usual case

    def change(period: str, edit) -> None:
        report = db.session.query(Report).filter_by(org_id=zhengzhou.id, period=period).one()
        snap = copy.deepcopy(report.accepted_snapshot)
        edit(snap["tables"]["table5"])
        report.accepted_snapshot = snap
        db.session.commit()

    def new_county(table: dict) -> None:  # Q4: 郑东新区 reports for the first time
        row = copy.deepcopy(table["rows"][-1])
        row.update(org_code="410199", org_name="郑东新区")
        table["rows"].append(row)
        for group in GROUPS:
            for measure in ("count", "area_10k_m2", "cost_10k_yuan"):
                both = Decimal(str(table["total"][group][measure])) + Decimal(
                    str(row[group][measure])
                )
                table["total"][group][measure] = int(both) if measure == "count" else str(both)

    change("2026Q4", new_county)
    fig = half_year_figures(zhengzhou, "2026H2")
    assert "郑东新区" in [r["org_name"] for r in fig["rows"]]
    _rows_add_up(fig)
