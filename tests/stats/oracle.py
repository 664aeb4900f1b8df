"""The oracle: a small ledger written by hand and the figures of 附表5/6/7 worked out on paper.

Period of reference 2026Q3 (07-01..09-30) and the year 2026.  The cases issue 4 asks for:
- ZY-1 accepted on the quarter's last day (09-30): 竣工 in Q3, no longer 在建 at Q3's end;
- ZY-2 registered and accepted within Q3, exactly 20,000 ㎡ and public → 大型公共建筑;
- EQ-1 accepted in Q2 and filed in Q3 → 二七区 files 2 with 1 completion: rate 200 % (warning);
- ZY-3 a steel structure; KF-2 a public building of 19,999.99 ㎡ (not large);
- county-supervised projects (中原区, 二七区, 龙亭区) and the directly administered 巩义 (410181),
  which is a row of the province and absent from 郑州's table;
- EQ-1 has no satisfaction rating (blank = 未评价, counted in the denominator);
- ZZ-2 accepted 不合格 (stays 在建), KF-1 filing refused (不予备案: not 备案).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.ledger.models import Project, QualityAccident, accident_level

D = date.fromisoformat
#: (reg no, org, structure, ㎡, 万元, registered, accepted, result, filed, filing, rating, flags)
PROJECTS = [
    (
        "ZY-1",
        "410102",
        "框架",
        "10000",
        "3000",
        "2026-02-10",
        "2026-09-30",
        "合格",
        "2026-10-15",
        "准予备案",
        "满意",
        "R",
    ),
    (
        "ZY-2",
        "410102",
        "剪力墙",
        "20000.00",
        "8000",
        "2026-07-05",
        "2026-09-01",
        "合格",
        "2026-09-20",
        "准予备案",
        "满意",
        "P",
    ),
    ("ZY-3", "410102", "钢结构", "5000", "2500", "2026-08-01", None, None, None, None, "", "RA"),
    ("ZY-4", "410102", "框架", "1234.56", "370.37", "2026-09-30", None, None, None, None, "", ""),
    ("ZY-5", "410102", "框架", "1000", "300", "2026-10-01", None, None, None, None, "", ""),
    (
        "EQ-1",
        "410103",
        "砖混",
        "3000",
        "600",
        "2025-11-01",
        "2026-06-15",
        "合格",
        "2026-07-10",
        "准予备案",
        "",
        "",
    ),
    (
        "EQ-2",
        "410103",
        "框架",
        "4000",
        "1200",
        "2026-01-20",
        "2026-08-20",
        "合格",
        "2026-09-10",
        "准予备案",
        "不满意",
        "A",
    ),
    (
        "ZZ-1",
        "410100",
        "框架-核心筒",
        "50000",
        "30000",
        "2026-03-01",
        None,
        None,
        None,
        None,
        "",
        "P",
    ),
    (
        "ZZ-2",
        "410100",
        "框架",
        "8000",
        "2400",
        "2026-04-10",
        "2026-09-15",
        "不合格",
        None,
        None,
        "",
        "",
    ),
    (
        "GY-1",
        "410181",
        "框架",
        "12000",
        "3600",
        "2026-07-15",
        "2026-09-25",
        "合格",
        "2026-09-28",
        "准予备案",
        "满意",
        "R",
    ),
    (
        "KF-1",
        "410202",
        "砖混",
        "2000",
        "400",
        "2026-05-05",
        "2026-07-20",
        "合格",
        "2026-08-01",
        "不予备案",
        "",
        "",
    ),
    ("KF-2", "410202", "框架", "19999.99", "6000", "2026-08-15", None, None, None, None, "", "P"),
    (
        "SJ-1",
        "410000",
        "钢结构",
        "30000",
        "15000",
        "2025-12-01",
        "2026-03-31",
        "合格",
        "2026-04-10",
        "准予备案",
        "满意",
        "P",
    ),
]
#: (org, date, reg no, project, deaths, serious injuries, loss 万元)
ACCIDENTS = [
    ("410102", "2026-08-10", "ZY-3", "中原钢结构厂房", 0, 1, "50.00"),
    ("410181", "2026-09-30", "GY-1", "巩义住宅楼", 3, 0, "120.50"),
    ("410100", "2026-06-30", "ZZ-2", "郑州市本级项目", 1, 0, "10.00"),
]


def load_oracle() -> None:
    orgs = {}
    for reg, code, struct, area, cost, reg_on, acc, res, filed, fres, rating, flags in PROJECTS:
        org = orgs.setdefault(code, get_org(code))
        db.session.add(
            Project(
                org=org,
                registration_no=reg,
                name=f"工程{reg}",
                structure_type=struct,
                area_m2=Decimal(area),
                cost_10k_yuan=Decimal(cost),
                registered_on=D(reg_on),
                accepted_on=D(acc) if acc else None,
                acceptance_result=res,
                filed_on=D(filed) if filed else None,
                filing_result=fres,
                user_rating=rating or "未评价",
                is_residential="R" in flags,
                is_affordable_housing="A" in flags,
                is_public="P" in flags,
            )
        )
    for code, on, reg, name, deaths, injuries, loss in ACCIDENTS:
        db.session.add(
            QualityAccident(
                org=orgs.get(code) or get_org(code),
                occurred_on=D(on),
                registration_no=reg,
                project_name=name,
                deaths=deaths,
                serious_injuries=injuries,
                loss_10k_yuan=Decimal(loss),
                level=accident_level(deaths, injuries, Decimal(loss)).value,
            )
        )
    db.session.commit()


def g(count: int, area: str, cost: str) -> dict:
    return {"count": count, "area_10k_m2": area, "cost_10k_yuan": cost}


Z = g(0, "0.00", "0.00")


def row(code, name, co, reg, uc, comp, filed, rate, sat, acc=(0, 0, "0.00")) -> dict:
    return {
        "org_code": code,
        "org_name": name,
        "carried_over": co,
        "registered": reg,
        "under_construction": uc,
        "completed": comp,
        "filed": filed,
        "filing_rate": {"count_pct": rate[0], "area_pct": rate[1]},
        "satisfaction_pct": sat,
        # Satisfied projects, implied by the hand-computed rate and the filed count.
        "satisfied_count": int(
            (Decimal(sat) * filed["count"] / 100).to_integral_value() if sat else 0
        ),
        "accidents": {"count": acc[0], "deaths": acc[1], "loss_10k_yuan": acc[2]},
    }


def zero_row(code: str, name: str) -> dict:
    return row(code, name, Z, Z, Z, Z, Z, (None, None), None)


# 附表5, 2026Q3 ---------------------------------------------------------------------------------
ZHONGYUAN_Q3 = row(
    "410102",
    "中原区",
    g(1, "1.00", "3000.00"),
    g(3, "2.62", "10870.37"),
    g(2, "0.62", "2870.37"),
    g(2, "3.00", "11000.00"),
    g(1, "2.00", "8000.00"),
    ("50.00", "66.67"),
    "100.00",
    (1, 0, "50.00"),
)
ERQI_Q3 = row(
    "410103",
    "二七区",
    g(1, "0.40", "1200.00"),
    Z,
    Z,
    g(1, "0.40", "1200.00"),
    g(2, "0.70", "1800.00"),
    ("200.00", "175.00"),
    "0.00",
)
ZHENGZHOU_OWN_Q3 = row(
    "410100",
    "郑州市（本级）",
    g(2, "5.80", "32400.00"),
    Z,
    g(2, "5.80", "32400.00"),
    Z,
    Z,
    (None, None),
    None,
)
ZHENGZHOU_TOTAL_Q3 = row(
    "410100",
    "合计",
    g(4, "7.20", "36600.00"),
    g(3, "2.62", "10870.37"),
    g(4, "6.42", "35270.37"),
    g(3, "3.40", "12200.00"),
    g(3, "2.70", "9800.00"),
    ("100.00", "79.41"),
    "33.33",
    (1, 0, "50.00"),
)
GONGYI_Q3 = row(
    "410181",
    "巩义市",
    Z,
    g(1, "1.20", "3600.00"),
    Z,
    g(1, "1.20", "3600.00"),
    g(1, "1.20", "3600.00"),
    ("100.00", "100.00"),
    "100.00",
    (1, 3, "120.50"),
)
KAIFENG_Q3 = row(
    "410200",
    "开封市",
    g(1, "0.20", "400.00"),
    g(1, "2.00", "6000.00"),
    g(1, "2.00", "6000.00"),
    g(1, "0.20", "400.00"),
    Z,
    ("0.00", "0.00"),
    None,
)
PROVINCE_TOTAL_Q3 = row(
    "410000",
    "合计",
    g(5, "7.40", "37000.00"),
    g(5, "5.82", "20470.37"),
    g(5, "8.42", "41270.37"),
    g(5, "4.80", "16200.00"),
    g(4, "3.90", "13400.00"),
    ("80.00", "81.25"),
    "50.00",
    (2, 3, "170.50"),
)
ZHENGZHOU_AS_CHILD_Q3 = {**ZHENGZHOU_TOTAL_Q3, "org_name": "郑州市"}


# 附表7, 2026 ------------------------------------------------------------------------------------
ZHONGYUAN_2026 = row(
    "410102",
    "中原区",
    Z,
    g(5, "3.72", "14170.37"),
    g(3, "0.72", "3170.37"),
    g(2, "3.00", "11000.00"),
    g(2, "3.00", "11000.00"),
    ("100.00", "100.00"),
    "100.00",
    (1, 0, "50.00"),
)
ERQI_2026 = row(
    "410103",
    "二七区",
    g(1, "0.30", "600.00"),
    g(1, "0.40", "1200.00"),
    Z,
    g(2, "0.70", "1800.00"),
    g(2, "0.70", "1800.00"),
    ("100.00", "100.00"),
    "0.00",
)
ZHENGZHOU_OWN_2026 = row(
    "410100",
    "郑州市（本级）",
    Z,
    g(2, "5.80", "32400.00"),
    g(2, "5.80", "32400.00"),
    Z,
    Z,
    (None, None),
    None,
    (1, 1, "10.00"),
)
ZHENGZHOU_TOTAL_2026 = row(
    "410100",
    "合计",
    g(1, "0.30", "600.00"),
    g(8, "9.92", "47770.37"),
    g(5, "6.52", "35570.37"),
    g(4, "3.70", "12800.00"),
    g(4, "3.70", "12800.00"),
    ("100.00", "100.00"),
    "50.00",
    (2, 1, "60.00"),
)
PROVINCE_OWN_2026 = row(
    "410000",
    "河南省（本级）",
    g(1, "3.00", "15000.00"),
    Z,
    Z,
    g(1, "3.00", "15000.00"),
    g(1, "3.00", "15000.00"),
    ("100.00", "100.00"),
    "100.00",
)
GONGYI_2026 = {**GONGYI_Q3}
KAIFENG_2026 = row(
    "410200",
    "开封市",
    Z,
    g(2, "2.20", "6400.00"),
    g(1, "2.00", "6000.00"),
    g(1, "0.20", "400.00"),
    Z,
    ("0.00", "0.00"),
    None,
)
PROVINCE_TOTAL_2026 = row(
    "410000",
    "合计",
    g(2, "3.30", "15600.00"),
    g(11, "13.32", "57770.37"),
    g(6, "8.52", "41570.37"),
    g(7, "8.10", "31800.00"),
    g(6, "7.90", "31400.00"),
    ("85.71", "97.53"),
    "66.67",
    (3, 4, "180.50"),
)


# 附表6, 2026Q3 ---------------------------------------------------------------------------------
def cat(key, reg, comp, filed, uc, rate) -> dict:
    return {
        "key": key,
        "registered": reg,
        "completed": comp,
        "filed": filed,
        "under_construction": uc,
        "filing_rate_count_pct": rate,
    }


STEEL_ZY3 = g(1, "0.50", "2500.00")
TABLE6_Q3 = {
    "410102": [
        cat("residential", STEEL_ZY3, g(1, "1.00", "3000.00"), Z, STEEL_ZY3, "0.00"),
        cat("affordable_housing", STEEL_ZY3, Z, Z, STEEL_ZY3, None),
        cat(
            "public",
            g(1, "2.00", "8000.00"),
            g(1, "2.00", "8000.00"),
            g(1, "2.00", "8000.00"),
            Z,
            "100.00",
        ),
        cat(
            "large_public",
            g(1, "2.00", "8000.00"),
            g(1, "2.00", "8000.00"),
            g(1, "2.00", "8000.00"),
            Z,
            "100.00",
        ),
        cat("steel_structure", STEEL_ZY3, Z, Z, STEEL_ZY3, None),
        cat(
            "county",
            g(3, "2.62", "10870.37"),
            g(2, "3.00", "11000.00"),
            g(1, "2.00", "8000.00"),
            g(2, "0.62", "2870.37"),
            "50.00",
        ),
    ],
    "410100": [
        cat("residential", STEEL_ZY3, g(1, "1.00", "3000.00"), Z, STEEL_ZY3, "0.00"),
        cat(
            "affordable_housing",
            STEEL_ZY3,
            g(1, "0.40", "1200.00"),
            g(1, "0.40", "1200.00"),
            STEEL_ZY3,
            "100.00",
        ),
        cat(
            "public",
            g(1, "2.00", "8000.00"),
            g(1, "2.00", "8000.00"),
            g(1, "2.00", "8000.00"),
            g(1, "5.00", "30000.00"),
            "100.00",
        ),
        cat(
            "large_public",
            g(1, "2.00", "8000.00"),
            g(1, "2.00", "8000.00"),
            g(1, "2.00", "8000.00"),
            g(1, "5.00", "30000.00"),
            "100.00",
        ),
        cat("steel_structure", STEEL_ZY3, Z, Z, STEEL_ZY3, None),
        cat(
            "county",
            g(3, "2.62", "10870.37"),
            g(3, "3.40", "12200.00"),
            g(3, "2.70", "9800.00"),
            g(2, "0.62", "2870.37"),
            "100.00",
        ),
    ],
    "410000": [
        cat(
            "residential",
            g(2, "1.70", "6100.00"),
            g(2, "2.20", "6600.00"),
            g(1, "1.20", "3600.00"),
            STEEL_ZY3,
            "50.00",
        ),
        cat(
            "affordable_housing",
            STEEL_ZY3,
            g(1, "0.40", "1200.00"),
            g(1, "0.40", "1200.00"),
            STEEL_ZY3,
            "100.00",
        ),
        cat(
            "public",
            g(2, "4.00", "14000.00"),
            g(1, "2.00", "8000.00"),
            g(1, "2.00", "8000.00"),
            g(2, "7.00", "36000.00"),
            "100.00",
        ),
        cat(
            "large_public",
            g(1, "2.00", "8000.00"),
            g(1, "2.00", "8000.00"),
            g(1, "2.00", "8000.00"),
            g(1, "5.00", "30000.00"),
            "100.00",
        ),
        cat("steel_structure", STEEL_ZY3, Z, Z, STEEL_ZY3, None),
        cat(
            "county",
            g(5, "5.82", "20470.37"),
            g(5, "4.80", "16200.00"),
            g(4, "3.90", "13400.00"),
            g(3, "2.62", "8870.37"),
            "80.00",
        ),
    ],
}
