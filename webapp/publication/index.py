"""The quality index (质量指数, 第七条 "定期发布质量指数，量化质量水平").

Per unit and half year, from the accepted figures (``webapp.publication.figures``), six parts
each scored 0–100, then a weighted mean.  Everything is shown, so anyone can recompute it:

============  ====================================================  =========================
part          indicator (rounded half up to 4 decimals)             score (2 decimals)
============  ====================================================  =========================
filing        备案率（项）% = 备案 ÷ 竣工 × 100                        min(100, indicator)
satisfaction  用户满意率 % = 满意 ÷ 备案 × 100                         indicator
accidents     质量事故起数 ÷ 本期监督面积（万㎡）                       max(0, 100 − K × indicator)
deaths        事故死亡人数 ÷ 本期监督面积（万㎡）                       max(0, 100 − K × indicator)
bad_records   不良行为记录条数 ÷ 本期监督工程项数 × 100（每百项）       max(0, 100 − K × indicator)
penalties     行政处罚起数 ÷ 本期监督工程项数 × 100（每百项）          max(0, 100 − K × indicator)
============  ====================================================  =========================

本期监督 = 上期接转 + 本期新注册 (= 期末在建 + 本期竣工): every project in construction at
some time in the half year.  A part whose base is zero (no completion, nothing filed, nothing
supervised) is "不适用" and leaves the mean.  Index = Σ(weight × score) ÷ Σ weight over the
applicable parts, from the scores as shown, rounded half up to two decimals.

Weights and factors K are settings (``HQR_QI_WEIGHT_<PART>``, ``HQR_QI_FACTOR_<PART>``); the
values in force are stored with every computed index.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import TypedDict

from flask import current_app, has_app_context

from webapp.core.numbers import CENT, round_half_up
from webapp.stats.figures import HUNDRED, SummaryRow, text

RATE = Decimal("0.0001")

#: (key, label, indicator label, unit)
PARTS = (
    ("filing", "质量备案率", "备案率（项）", "%"),
    ("satisfaction", "用户满意率", "用户满意率", "%"),
    ("accidents", "质量事故", "事故起数 / 万㎡", "起/万㎡"),
    ("deaths", "事故死亡", "死亡人数 / 万㎡", "人/万㎡"),
    ("bad_records", "不良行为记录", "记录条数 / 百项工程", "条/百项"),
    ("penalties", "行政处罚", "处罚起数 / 百项工程", "起/百项"),
)
DEFAULT_WEIGHTS = {
    "filing": "25",
    "satisfaction": "25",
    "accidents": "15",
    "deaths": "15",
    "bad_records": "10",
    "penalties": "10",
}
#: Points lost per unit of the indicator (parts that are rates of bad events).
DEFAULT_FACTORS = {"accidents": "100", "deaths": "100", "bad_records": "2", "penalties": "2"}


def settings_from_env() -> dict[str, dict[str, str]]:
    """``QUALITY_INDEX_WEIGHTS`` and ``QUALITY_INDEX_FACTORS`` from HQR_QI_* variables."""
    weights = {
        k: os.environ.get(f"HQR_QI_WEIGHT_{k.upper()}", v) or v for k, v in DEFAULT_WEIGHTS.items()
    }
    factors = {
        k: os.environ.get(f"HQR_QI_FACTOR_{k.upper()}", v) or v for k, v in DEFAULT_FACTORS.items()
    }
    for name, value in {**weights, **factors}.items():
        if Decimal(value) < 0:
            raise ValueError(f"quality index setting {name} must not be negative")
    return {"QUALITY_INDEX_WEIGHTS": weights, "QUALITY_INDEX_FACTORS": factors}


def current_settings() -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    if has_app_context():
        weights = current_app.config.get("QUALITY_INDEX_WEIGHTS", DEFAULT_WEIGHTS)
        factors = current_app.config.get("QUALITY_INDEX_FACTORS", DEFAULT_FACTORS)
    else:
        weights, factors = DEFAULT_WEIGHTS, DEFAULT_FACTORS
    return (
        {k: Decimal(str(weights.get(k, DEFAULT_WEIGHTS[k]))) for k in DEFAULT_WEIGHTS},
        {k: Decimal(str(factors.get(k, DEFAULT_FACTORS[k]))) for k in DEFAULT_FACTORS},
    )


class IndexPart(TypedDict):
    key: str
    label: str
    indicator_label: str
    unit: str
    weight: str
    factor: str | None
    indicator: str | None
    score: str | None
    applicable: bool
    note: str


class IndexInputs(TypedDict):
    supervised_count: int
    supervised_area_10k_m2: str
    accidents: int
    deaths: int
    bad_records: int
    penalties: int


class QualityIndex(TypedDict):
    """The index as half-year figures and publication snapshots carry it (JSON)."""

    value: str | None
    parts: list[IndexPart]
    inputs: IndexInputs
    formula: str


def quality_index(
    total: SummaryRow,
    bad_records: int,
    penalties: int,
    weights: dict[str, Decimal] | None = None,
    factors: dict[str, Decimal] | None = None,
) -> QualityIndex:
    """The index of a half-year 合计 row (``SummaryRow.half_year``), with every part shown."""
    if weights is None or factors is None:
        w, f = current_settings()
        weights, factors = weights or w, factors or f
    supervised = total.supervised or total.carried_over + total.registered
    area = supervised.area
    projects = Decimal(supervised.count)
    accidents = total.accidents
    bases: dict[str, tuple[Decimal | None, str]] = {
        "filing": (total.filing_count_pct, "竣工为0，不适用"),
        "satisfaction": (total.satisfaction_pct, "无备案工程，不适用"),
        "accidents": (
            Decimal(accidents.count) / area if area else None,
            "无监督面积，不适用",
        ),
        "deaths": (
            Decimal(accidents.deaths) / area if area else None,
            "无监督面积，不适用",
        ),
        "bad_records": (
            Decimal(bad_records) * HUNDRED / projects if projects else None,
            "无监督工程，不适用",
        ),
        "penalties": (
            Decimal(penalties) * HUNDRED / projects if projects else None,
            "无监督工程，不适用",
        ),
    }
    parts = []
    weighted = Decimal(0)
    weight_sum = Decimal(0)
    for key, label, indicator_label, unit in PARTS:
        raw, why_not = bases[key]
        part: IndexPart = {
            "key": key,
            "label": label,
            "indicator_label": indicator_label,
            "unit": unit,
            "weight": str(weights[key]),
            "factor": str(factors[key]) if key in factors else None,
            "indicator": None,
            "score": None,
            "applicable": raw is not None,
            "note": "" if raw is not None else why_not,
        }
        if raw is not None:
            if key in ("filing", "satisfaction"):
                indicator = round_half_up(raw, CENT)  # as printed in the tables
                score = min(HUNDRED, indicator)
            else:
                indicator = round_half_up(raw, RATE)
                score = max(Decimal(0), HUNDRED - factors[key] * indicator)
            score = round_half_up(score, CENT)
            part["indicator"], part["score"] = str(indicator), str(score)
            weighted += weights[key] * score
            weight_sum += weights[key]
        parts.append(part)
    value = round_half_up(weighted / weight_sum, CENT) if weight_sum else None
    return {
        "value": str(value) if value is not None else None,
        "parts": parts,
        "inputs": {
            "supervised_count": int(projects),
            "supervised_area_10k_m2": text(area),
            "accidents": accidents.count,
            "deaths": accidents.deaths,
            "bad_records": int(bad_records),
            "penalties": int(penalties),
        },
        "formula": "指数 = Σ(权重 × 得分) ÷ Σ权重（不适用的分项不计入）",
    }
