"""A plausible demo ledger for the demo province (``flask demo seed`` loads it once).

Deterministic (seeded) so that every newcomer sees the same figures: for every unit, projects
registered over the last two years, most accepted and filed some months later, a few behaviour
records, penalties and an accident; figures that pass the ledger's own validation.
"""

from __future__ import annotations

import enum
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from webapp.core import audit, clock
from webapp.core.models import Org, Tier
from webapp.extensions import db
from webapp.ledger.models import (
    AcceptanceResult,
    AdministrativePenalty,
    BadBehaviourRecord,
    ComplainantType,
    Complaint,
    FilingResult,
    GoodBehaviourRecord,
    Project,
    QualityAccident,
    ReviewOutcome,
    StructureType,
    UnitType,
    UserRating,
    accident_level,
)

KINDS = [
    ("住宅小区", StructureType.SHEAR_WALL, (8000, 60000), (2200, 3800), "R"),
    ("保障性安居工程", StructureType.SHEAR_WALL, (10000, 50000), (1800, 2800), "RA"),
    ("中学教学楼", StructureType.FRAME, (6000, 18000), (2500, 4000), "P"),
    ("人民医院门诊楼", StructureType.FRAME_SHEAR_WALL, (15000, 45000), (4000, 6500), "P"),
    ("体育中心", StructureType.STEEL, (20000, 60000), (5000, 9000), "P"),
    ("产业园厂房", StructureType.STEEL, (5000, 30000), (1500, 2500), ""),
    ("商业综合体", StructureType.FRAME_CORE_TUBE, (30000, 90000), (5000, 8000), ""),
    ("安置房", StructureType.MASONRY, (5000, 20000), (1500, 2200), "RA"),
]
CONTRACTORS = [
    "河南省第一建筑工程集团有限责任公司",
    "中建七局第二建筑有限公司",
    "河南五建建设集团有限公司",
    "郑州一建集团有限公司",
    "河南国基建设集团有限公司",
    "林州建总建筑工程有限公司",
]
SUPERVISORS = [
    "河南建达工程咨询有限公司",
    "郑州中兴工程监理有限公司",
    "河南省育兴建设管理有限公司",
    "河南长城铁路工程建设咨询有限公司",
]
PROGRESS = ["基础施工", "主体三层", "主体十层", "主体封顶", "装饰装修", "室外配套"]


def _mostly(rng: random.Random, usual: enum.Enum, rare: enum.Enum, rare_share: float) -> str:
    """``usual``, or ``rare`` about ``rare_share`` of the time (the code stored)."""
    return (usual if rng.random() > rare_share else rare).value


def _case(rng: random.Random, org: Org, record_no: str) -> dict[str, Any]:
    """The columns of a demo case record (不良行为, 行政处罚) against a contractor."""
    return {
        "org_id": org.id,
        "record_no": record_no,
        "project_name": f"{org.name}住宅小区一期",
        "responsible_unit": rng.choice(CONTRACTORS),
    }


def _quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


COMPLAINT_SUBJECTS = (
    ("卫生间渗漏", "责令施工单位返修，已修复并经业主确认"),
    ("外墙空鼓开裂", "组织参建单位现场核查，责令限期整改，已整改"),
    ("入户门窗密封不严", "责令施工单位更换密封条，已处理"),
    ("地下室墙面渗水", "委托检测并督促返修，已办结"),
)


def _seed_complaints(rng: random.Random, orgs: Any, first: date, today: date) -> None:
    """A few complaints (质量投诉) per city and county, from their own random stream so that the
    other demo rows stay as they were: most closed, some open, one in a while overturned."""
    for org in orgs:
        if org.tier == Tier.PROVINCE:
            continue
        for i in range(rng.randrange(0, 4)):
            received = first + timedelta(days=rng.randrange(0, (today - first).days))
            subject, result = rng.choice(COMPLAINT_SUBJECTS)
            closed = received + timedelta(days=rng.randrange(5, 60))
            done = closed < today and rng.random() < 0.85
            db.session.add(
                Complaint(
                    org_id=org.id,
                    complaint_no=f"TS-{org.code}-{received:%Y%m%d}-{i + 1}",
                    received_on=received,
                    complainant_type=rng.choice(
                        [ComplainantType.OWNER.value] * 6 + [ComplainantType.REFERRED.value]
                    ),
                    project_name=f"{org.name}安置房{'一二三'[i % 3]}期",
                    subject=subject,
                    handling_unit=f"{org.name}建设工程质量监督站",
                    result=result if done else "",
                    closed_on=closed if done else None,
                    review_outcome=(
                        rng.choice([ReviewOutcome.UPHELD.value] * 3 + [ReviewOutcome.CHANGED.value])
                        if done and rng.random() < 0.1
                        else ReviewOutcome.NONE.value
                    ),
                )
            )


def seed_demo_ledger(seed: int = 2026) -> int:
    """Load the demo ledger unless projects exist already; returns the projects created."""
    if db.session.execute(select(func.count(Project.id))).scalar_one():
        return 0
    rng = random.Random(seed)
    today = clock.today_local()
    first = _quarter_start(today) - timedelta(days=730)
    orgs = db.session.execute(select(Org).order_by(Org.path)).scalars().all()
    created = 0
    for org in orgs:
        count = {Tier.PROVINCE: 4, Tier.CITY: 8}.get(Tier(org.tier), 12)
        for i in range(1, count + 1):
            label, structure, (a_lo, a_hi), (c_lo, c_hi), flags = rng.choice(KINDS)
            area = Decimal(rng.randrange(a_lo, a_hi, 10))
            cost = (area * rng.randrange(c_lo, c_hi) / 10000).quantize(Decimal("0.01"))
            registered = first + timedelta(days=rng.randrange(0, (today - first).days))
            accepted = filed = None
            acceptance = filing = None
            rating = UserRating.UNRATED.value
            built = registered + timedelta(days=rng.randrange(200, 700))
            if built < today:
                accepted = built
                acceptance = _mostly(rng, AcceptanceResult.PASSED, AcceptanceResult.FAILED, 0.04)
                if acceptance == AcceptanceResult.PASSED.value:
                    lag = built + timedelta(days=rng.randrange(5, 80))
                    if lag < today:
                        filed = lag
                        filing = _mostly(rng, FilingResult.GRANTED, FilingResult.REFUSED, 0.05)
                        rating = rng.choice(
                            [UserRating.SATISFIED.value] * 8
                            + [UserRating.UNSATISFIED.value, UserRating.UNRATED.value]
                        )
            db.session.add(
                Project(
                    org_id=org.id,
                    registration_no=f"{org.code}-{registered.year}-{i:03d}",
                    name=f"{org.name}{label}{'一二三四五六七八九十'[i % 10]}期",
                    structure_type=structure.value,
                    area_m2=area,
                    cost_10k_yuan=cost,
                    contractor=rng.choice(CONTRACTORS),
                    supervisor=rng.choice(SUPERVISORS),
                    progress="" if accepted else rng.choice(PROGRESS),
                    registered_on=registered,
                    accepted_on=accepted,
                    acceptance_result=acceptance,
                    filed_on=filed,
                    filing_result=filing,
                    user_rating=rating,
                    is_residential="R" in flags,
                    is_affordable_housing="A" in flags,
                    is_public="P" in flags,
                    remarks="",
                )
            )
            created += 1
        if org.tier != Tier.PROVINCE and rng.random() < 0.5:
            when = today - timedelta(days=rng.randrange(10, 300))
            db.session.add(
                BadBehaviourRecord(
                    **_case(rng, org, f"BL-{org.code}-{when:%Y%m%d}"),
                    unit_type=UnitType.CONSTRUCTION.value,
                    person_name="张某",
                    person_title="项目经理",
                    fact="未按照工程设计图纸施工，擅自变更钢筋规格",
                    clause="第十二条第（三）项",
                    recorder="李监督",
                    recorded_on=when,
                    approver="王站长",
                    approved_on=when + timedelta(days=2),
                )
            )
            db.session.add(
                AdministrativePenalty(
                    **_case(rng, org, f"CF-{org.code}-{when:%Y%m%d}"),
                    decided_on=when + timedelta(days=20),
                    violation="施工单位偷工减料",
                    legal_basis="《建设工程质量管理条例》第六十四条",
                    penalty="罚款人民币二十万元",
                    penalty_status="已缴纳",
                    handling_status="已整改到位",
                )
            )
        if org.tier == Tier.CITY and rng.random() < 0.3:
            when = today - timedelta(days=rng.randrange(10, 200))
            deaths, injuries, loss = 0, rng.randrange(0, 3), Decimal(rng.randrange(5, 80))
            db.session.add(
                QualityAccident(
                    org_id=org.id,
                    occurred_on=when,
                    project_name=f"{org.name}商业综合体一期",
                    deaths=deaths,
                    serious_injuries=injuries,
                    loss_10k_yuan=loss,
                    level=accident_level(deaths, injuries, loss).value,
                    description="模板支撑体系局部失稳",
                )
            )
        if org.tier == Tier.CITY:
            db.session.add(
                GoodBehaviourRecord(
                    org_id=org.id,
                    enterprise=rng.choice(CONTRACTORS),
                    fact="工程获评河南省建设工程“中州杯”",
                    recorded_on=today - timedelta(days=60),
                    approver="省质监总站",
                )
            )
    _seed_complaints(random.Random(seed + 1), orgs, first, today)
    db.session.flush()
    audit.record(
        "ledger.demo_seed",
        actor_name="system",
        object_type="ledger",
        after={"projects": created, "seed": seed},
    )
    return created
