"""The rules of accident reporting that read no table: the level (建质〔2010〕111号), the chain of
units a report goes up, the two-hour limit per level, who investigates.

The level is computed from the record (deaths with missing persons, serious injuries, direct
loss), never entered; below the 一般 floor the event is a 质量问题, kept in the ledger but not
reported up.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from webapp.accidents.models import Accident
from webapp.core.models import Org
from webapp.ledger.models import QUALITY_PROBLEM, AccidentLevel, accident_level

#: Casualty changes within this many days of the accident re-level it (111号: 30 日内).
RELEVEL_DAYS = 30
#: Each level forwards within two calendar hours of receipt.
STEP_HOURS = 2
LEVEL_ORDER = [QUALITY_PROBLEM, *(lvl.value for lvl in AccidentLevel)]


def within_relevel_days(accident: Accident, now: datetime) -> bool:
    """Whether a casualty change still re-levels the accident (111号: 30 日内)."""
    return now - accident.occurred_at <= timedelta(days=RELEVEL_DAYS)


def classify(deaths: int, serious_injuries: int, missing: int, loss_10k_yuan: Decimal) -> str:
    """The level per 111号; 下落不明 counts toward deaths; below the floor: 质量问题."""
    dead = deaths + missing
    if dead == 0 and serious_injuries == 0 and loss_10k_yuan < 100:
        return QUALITY_PROBLEM
    return accident_level(dead, serious_injuries, loss_10k_yuan).value


def rank(level: str) -> int:
    return LEVEL_ORDER.index(level)


def chain_of(org: Org) -> list[Org]:
    """The reporting unit and every unit above it up to the province."""
    chain = [org]
    while chain[-1].parent is not None:
        chain.append(chain[-1].parent)
    return chain


def investigating_org(accident: Accident) -> Org:
    """Whose government investigates and records the conclusion (domain.md §2): 一般 the county
    level, 较大 the city level, 重大 and 特别重大 (from the Ministry's) the province."""
    chain = chain_of(accident.org)
    if accident.level in (QUALITY_PROBLEM, AccidentLevel.ORDINARY.value):
        return chain[0]
    if accident.level == AccidentLevel.LARGER.value:
        return chain[-2] if len(chain) >= 2 else chain[0]
    return chain[-1]
