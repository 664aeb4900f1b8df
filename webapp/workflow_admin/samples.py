"""Sample contexts the Word templates are validated against before a version becomes active.

A copy of the documented report context (docs/documents.md; tests/documents/sample_context.py)
and of the assessment notice's context, so production code never imports tests.  Another
feature adds the sample of its own template with :func:`register_template_sample`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TemplateSample:
    name: str
    label: str
    factory: Callable[[], dict[str, Any]]


#: Template name (file name without .docx) → its sample.
SAMPLES: dict[str, TemplateSample] = {}


def register_template_sample(
    name: str, factory: Callable[[], dict[str, Any]], *, label: str
) -> None:
    """Declare a template that administrators may upload, with the context to test it with."""
    SAMPLES[name] = TemplateSample(name, label, factory)


SECTIONS = [
    "企业总体情况",
    "本季度工程质量监督管理总体情况",
    "对工程参建各方质量行为的监督情况及存在的主要问题",
    "对实体工程质量监督采取的具体措施",
    "当地治理工程质量通病的阶段性目标及取得的效果",
    "企业不良行为记录及行政处罚的情况",
    "工程质量监督管理工作中存在的突出问题",
    "工程质量新技术、新工艺推广应用情况",
    "工程质量事故及投诉情况",
    "工程质量监督执法情况",
    "进一步做好工程质量监督管理工作的对策建议",
]
NUMBERS = "一二三四五六七八九十"


def cn_number(i: int) -> str:
    if i <= 10:
        return NUMBERS[i - 1]
    return "十" + NUMBERS[i - 11]


def trio(count: int, area: str, cost: str) -> dict[str, Any]:
    return {"count": count, "area_10k_m2": area, "cost_10k_yuan": cost}


def summary_row(name: str, base: int) -> dict[str, Any]:
    return {
        "org_name": name,
        "carried_over": trio(base, f"{base * 1.25:.2f}", f"{base * 3100:.2f}"),
        "registered": trio(base + 1, "1.20", "3600.00"),
        "under_construction": trio(base + 2, "2.45", "6700.00"),
        "completed": trio(base - 1, "0.80", "2100.50"),
        "filed": trio(base - 2, "0.60", "1800.00"),
        "filing_rate": {"count_pct": "66.67", "area_pct": "75.00"},
        "satisfaction_pct": "—",
        "accidents": {"count": 0, "deaths": 0, "loss_10k_yuan": "0.00"},
    }


def sample_context(kind: str = "quarterly") -> dict[str, Any]:
    sections = SECTIONS + (
        ["质量分析工作机制建立、政策制定及活动开展情况"] if kind == "annual" else []
    )
    return {
        "title": "郑州市2026年第三季度工程质量运行态势分析报告",
        "unit": "郑州市住房和城乡建设局",
        "period_label": "2026年第三季度",
        "clerk": "王统计",
        "approver": "李审核",
        "report_date": "2026年9月30日",
        "narrative": [
            {
                "number": cn_number(i),
                "heading": h,
                "paragraphs": [f'{h}：本季度共监督工程 R&D <部门> "x" 项。', "第二段。"],
            }
            for i, h in enumerate(sections, 1)
        ],
        "t1": {
            "rows": [
                {
                    "record_no": "BL-001",
                    "project_name": "中原区安置房一期",
                    "responsible_unit": "某建设集团",
                    "person_name": "张三",
                    "person_title": "项目经理",
                    "fact": "未按图施工",
                    "clause": "第十条",
                    "recorder": "赵记录",
                    "record_date": "2026-08-01",
                    "approver": "钱批准",
                    "approval_date": "2026-08-03",
                }
            ]
        },
        "t2": {
            "rows": [
                {
                    "record_no": "CF-001",
                    "project_name": "中原区安置房一期",
                    "responsible_unit": "某建设集团",
                    "date": "2026-08-10",
                    "fact": "擅自降低标准",
                    "basis": "《建设工程质量管理条例》第六十四条",
                    "content": "罚款",
                    "status": "已执行",
                    "handling": "已整改",
                }
            ]
        },
        "t3": {
            "rows": [
                {
                    "seq": 1,
                    "registration_no": "410102-2026-001",
                    "project_name": "中原区安置房一期",
                    "structure_type": "框架-剪力墙",
                    "area_m2": "20000.00",
                    "cost_10k_yuan": "6000.00",
                    "constructor": "某建设集团",
                    "supervisor": "某监理公司",
                    "progress": "主体十层",
                    "remarks": "",
                }
            ]
        },
        "t4": {
            "rows": [
                {
                    "seq": 1,
                    "registration_no": "410102-2025-009",
                    "project_name": "二七区学校",
                    "structure_type": "框架",
                    "area_m2": "8000.00",
                    "cost_10k_yuan": "2100.50",
                    "constructor": "某建筑公司",
                    "supervisor": "某监理公司",
                    "completion_date": "2026-09-30",
                    "completion_conclusion": "合格",
                    "filing_date": "2026-10-10",
                    "filing_conclusion": "准予备案",
                    "remarks": "",
                }
            ]
        },
        "t5": {
            "rows": [summary_row("中原区", 4), summary_row("二七区", 6)],
            "total": summary_row("合计", 10),
        },
        "t6": {
            "span": "本季",
            "rows": [
                {
                    "label": label,
                    "registered": trio(1, "0.50", "1000.00"),
                    "completed": trio(1, "0.80", "2100.50"),
                    "filed": trio(0, "0.00", "0.00"),
                    "filing_rate_count_pct": "0.00",
                    "under_construction": trio(2, "2.00", "6000.00"),
                }
                for label in (
                    "住宅工程",
                    "保障性安居工程",
                    "公共建筑工程",
                    "大型公共建筑工程（2万平方米以上）",
                    "钢结构工程",
                    "县（区）工程",
                )
            ],
        },
        "t7": {
            "rows": [summary_row("中原区", 14)],
            "total": summary_row("合计", 14),
            "as_of": "2026年12月15日 10:30",
        },
    }


def assessment_sample() -> dict[str, Any]:
    """The context of the 考核结果通报 (webapp.assessment.documents.notice_context)."""
    return {
        "year": 2026,
        "title": "保障性安居工程质量监督工作考核",
        "basis": "《河南省保障性安居工程质量监督工作考核办法》",
        "sheet_name": "2026年度考核评分表",
        "rows": [
            {"rank": 1, "org_name": "郑州市", "total": "95.5", "result": "先进单位"},
            {"rank": 2, "org_name": "开封市", "total": "88", "result": ""},
            {"rank": 3, "org_name": 'R&D <部门> "x"', "total": "59", "result": "通报批评"},
        ],
        "result_lines": ["河南省保障性安居工程质量监督工作先进单位：郑州市。"],
        "opinion": "同意。",
        "approved_date": "2026年12月31日",
    }


register_template_sample(
    "quarterly_report", lambda: sample_context("quarterly"), label="季度工程质量分析报告"
)
register_template_sample(
    "annual_report", lambda: sample_context("annual"), label="年度工程质量分析报告"
)
register_template_sample("assessment_results", assessment_sample, label="考核结果通报")
