"""The quality index (质量指数, 第七条 "定期发布质量指数，量化质量水平"), domain.md §6 Decision.

The index measures quality **outcomes**, never enforcement activity: behaviour records and
penalties found by supervisors are not inputs (finding more must not lower it), and neither is
备案率 (it measures filing lag).  Per unit and half year, from the accepted quarterly figures
(``webapp.publication.figures``), four parts each scored 0–100, then a weighted mean:

============  ================================================  ===============================
part          indicator (rounded half up)                       score (2 decimals)
============  ================================================  ===============================
acceptance    竣工验收合格率 % = 合格 ÷ 本期验收（合格+不合格）× 100    indicator
satisfaction  用户满意率 % = 满意 ÷ 备案 × 100                      indicator
accidents     质量事故起数 ÷ 在建面积（百万㎡）, 4 decimals          max(0, 100 − K × indicator)
deaths        事故死亡人数 ÷ 在建面积（百万㎡）, 4 decimals          max(0, 100 − K × indicator)
============  ================================================  ===============================

The ledger keeps one acceptance conclusion per project, so the acceptance part is the period's
合格率 over every acceptance concluded in the half year, not a first-time pass rate.  在建面积 =
本期监督 = 上期接转 + 本期新注册 (every project in construction at some time in the half year);
per 100 万㎡ = count × 100 ÷ area in 万㎡.  A part whose base is zero is "不适用" and leaves the
mean.  Index = Σ(weight × score) ÷ Σ weight over the applicable parts, from the scores as shown,
rounded half up to two decimals.  Weights and factors K are settings (``HQR_QI_WEIGHT_<PART>``,
``HQR_QI_FACTOR_<PART>``); the values in force are stored with every computed index, whose
``method`` names this formula (:data:`METHOD`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict

from flask import current_app, has_app_context

from webapp.core.numbers import CENT, round_half_up
from webapp.stats.figures import HUNDRED, SummaryRow, text

RATE = Decimal("0.0001")
#: The formula's name, stored with every index computed by it (older snapshots have none).
METHOD = "outcomes-2026"

#: (key, label, indicator label, unit)
PARTS = (
    ("acceptance", "竣工验收合格率", "合格 ÷ 本期竣工验收", "%"),
    ("satisfaction", "用户满意率", "满意 ÷ 质量备案", "%"),
    ("accidents", "质量事故", "事故起数 / 百万㎡在建面积", "起/百万㎡"),
    ("deaths", "事故死亡", "死亡人数 / 百万㎡在建面积", "人/百万㎡"),
)
DEFAULT_WEIGHTS = {"acceptance": "30", "satisfaction": "30", "accidents": "20", "deaths": "20"}
#: Points lost per unit of the indicator (the parts that are rates of bad events).
DEFAULT_FACTORS = {"accidents": "10", "deaths": "10"}
FORMULA = "指数 = Σ(权重 × 得分) ÷ Σ权重（不适用的分项不计入）"


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


@dataclass(frozen=True)
class Outcomes:
    """The outcome figures of a unit's half year: everything the index reads."""

    acceptances: int  #: acceptances concluded in the half year (合格 + 不合格)
    passed: int  #: of which 合格
    filed: int  #: 质量备案
    satisfied: int  #: 满意 (of the filed)
    area_10k_m2: Decimal  #: 在建面积 (本期监督), 万㎡
    accidents: int
    deaths: int

    @classmethod
    def of(cls, total: SummaryRow, acceptances: int, passed: int) -> Outcomes:
        supervised = total.supervised or total.carried_over + total.registered
        return cls(
            acceptances=acceptances,
            passed=passed,
            filed=total.filed.count,
            satisfied=total.satisfied,
            area_10k_m2=supervised.area,
            accidents=total.accidents.count,
            deaths=total.accidents.deaths,
        )


class WeightedPart(TypedDict):
    """A part of the index with the weight and factor it is computed with (the formula box)."""

    key: str
    label: str
    indicator_label: str
    unit: str
    weight: str
    factor: str | None


class IndexPart(WeightedPart):
    indicator: str | None
    score: str | None
    applicable: bool
    note: str


class IndexInputs(TypedDict):
    acceptances: int
    passed: int
    filed: int
    satisfied: int
    area_10k_m2: str
    accidents: int
    deaths: int


class QualityIndex(TypedDict):
    """The index as half-year figures and publication snapshots carry it (JSON)."""

    method: str
    value: str | None
    parts: list[IndexPart]
    inputs: IndexInputs
    formula: str


def weighted_parts(weights: dict[str, Decimal], factors: dict[str, Decimal]) -> list[WeightedPart]:
    """The parts of the index (``PARTS``) with these weights and factors."""
    return [
        {
            "key": key,
            "label": label,
            "indicator_label": indicator_label,
            "unit": unit,
            "weight": str(weights[key]),
            "factor": str(factors[key]) if key in factors else None,
        }
        for key, label, indicator_label, unit in PARTS
    ]


def quality_index(
    outcomes: Outcomes,
    weights: dict[str, Decimal] | None = None,
    factors: dict[str, Decimal] | None = None,
) -> QualityIndex:
    """The index of a unit's half year, with every part, input and setting shown."""
    if weights is None or factors is None:
        w, f = current_settings()
        weights, factors = weights or w, factors or f
    o = outcomes
    per_million = HUNDRED / o.area_10k_m2 if o.area_10k_m2 else None
    bases: dict[str, tuple[Decimal | None, str]] = {
        "acceptance": (
            Decimal(o.passed) * HUNDRED / o.acceptances if o.acceptances else None,
            "本期无竣工验收，不适用",
        ),
        "satisfaction": (
            Decimal(o.satisfied) * HUNDRED / o.filed if o.filed else None,
            "无备案工程，不适用",
        ),
        "accidents": (
            Decimal(o.accidents) * per_million if per_million else None,
            "无在建面积，不适用",
        ),
        "deaths": (
            Decimal(o.deaths) * per_million if per_million else None,
            "无在建面积，不适用",
        ),
    }
    parts = []
    weighted = Decimal(0)
    weight_sum = Decimal(0)
    for head in weighted_parts(weights, factors):
        key = head["key"]
        raw, why_not = bases[key]
        part: IndexPart = {
            **head,
            "indicator": None,
            "score": None,
            "applicable": raw is not None,
            "note": "" if raw is not None else why_not,
        }
        if raw is not None:
            if key in factors:
                indicator = round_half_up(raw, RATE)
                score = max(Decimal(0), HUNDRED - factors[key] * indicator)
            else:
                indicator = round_half_up(raw, CENT)  # a rate, as the tables print it
                score = indicator
            score = round_half_up(score, CENT)
            part["indicator"], part["score"] = str(indicator), str(score)
            weighted += weights[key] * score
            weight_sum += weights[key]
        parts.append(part)
    value = round_half_up(weighted / weight_sum, CENT) if weight_sum else None
    return {
        "method": METHOD,
        "value": str(value) if value is not None else None,
        "parts": parts,
        "inputs": {
            "acceptances": o.acceptances,
            "passed": o.passed,
            "filed": o.filed,
            "satisfied": o.satisfied,
            "area_10k_m2": text(o.area_10k_m2),
            "accidents": o.accidents,
            "deaths": o.deaths,
        },
        "formula": FORMULA,
    }


def is_current(index: Any) -> bool:
    """Whether a stored index was computed by this formula (older ones are retired)."""
    return isinstance(index, dict) and index.get("method") == METHOD


def worked_example(index: QualityIndex) -> list[str]:
    """The computation of a stored index, step by step, in words anyone can recompute."""
    i = index["inputs"]
    lines = []
    for p in index["parts"]:
        if not p["applicable"]:
            lines.append(f"{p['label']}：{p['note']}。")
            continue
        if p["key"] == "acceptance":
            how = f"{i['passed']} ÷ {i['acceptances']} × 100 = {p['indicator']}%，得分 {p['score']}"
        elif p["key"] == "satisfaction":
            how = f"{i['satisfied']} ÷ {i['filed']} × 100 = {p['indicator']}%，得分 {p['score']}"
        else:
            count = i["accidents"] if p["key"] == "accidents" else i["deaths"]
            how = (
                f"{count} × 100 ÷ {i['area_10k_m2']}万㎡ = {p['indicator']}{p['unit']}，"
                f"得分 100 − {p['factor']} × {p['indicator']}（最低为0）= {p['score']}"
            )
        lines.append(f"{p['label']}（权重 {p['weight']}）：{how}。")
    used = [p for p in index["parts"] if p["applicable"]]
    if used:
        terms = " + ".join(f"{p['weight']}×{p['score']}" for p in used)
        weights = " + ".join(p["weight"] for p in used)
        lines.append(f"指数 = ({terms}) ÷ ({weights}) = {index['value']}。")
    else:
        lines.append("各分项均不适用，本期不计算指数。")
    return lines
