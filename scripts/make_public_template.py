"""Build docs_templates/public_report.docx (the published half-year overall-status report).

    .venv/bin/python scripts/make_public_template.py

GB/T 9704 layout as the reports' templates (A4; margins 37/35/28/26 mm; title 二号小标宋, body
三号仿宋 on a 22-line grid), using the helpers of scripts/make_templates.py.  The context is
documented in docs/publication.md and built by ``webapp.publication.document.document_context``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_templates import (  # noqa: E402
    BODY_FONT,
    HEADING_FONT,
    OUT,
    TABLE_FONT,
    condense,
    official_print,
    para,
    portrait,
    set_font,
    signature_lines,
    table,
    title_block,
)


def heading(doc, text: str) -> None:
    para(doc, text, font=HEADING_FONT, size=16, indent_chars=2)


def build() -> Document:
    doc = Document()
    normal = doc.styles["Normal"]
    set_font(normal, BODY_FONT, 16)
    condense(normal)
    portrait(doc.sections[0])
    title_block(doc)
    para(doc, "{{ unit }}　{{ publication_date }}", size=16, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc)
    para(doc, "{%p for s in sections %}")
    heading(doc, "{{ s.number }}、{{ s.heading }}")
    para(doc, "{%p for text in s.paragraphs %}")
    para(doc, "{{ text }}", indent_chars=2)
    para(doc, "{%p endfor %}")
    para(doc, "{%p endfor %}")

    heading(doc, "附表一　半年度主要统计数据")
    table(
        doc,
        [[("项目", 1, 1), ("项数", 1, 1), ("面积（万㎡）", 1, 1), ("造价（万元）", 1, 1)]],
        ["{{ r.label }}", "{{ r.count }}", "{{ r.area }}", "{{ r.cost }}"],
        "groups",
        size=10.5,
        first_col_mm=60,
        width_mm=156,
    )
    para(
        doc,
        "质量备案率（项）{{ filing_rate }}%，（面积）{{ filing_rate_area }}%；用户满意率"
        "{{ satisfaction }}%；工程质量事故{{ accidents.count }}起，死亡{{ accidents.deaths }}人，"
        "直接经济损失{{ accidents.loss_10k_yuan }}万元；不良行为记录{{ bad_records }}条，"
        "行政处罚{{ penalties }}起。",
        font=TABLE_FONT,
        size=10.5,
        space_after=6,
    )
    para(doc, "{%p if has_units %}")
    heading(doc, "附表二　所辖单位情况")
    table(
        doc,
        [
            [
                (h, 1, 1)
                for h in (
                    "单位",
                    "新注册（项）",
                    "竣工（项）",
                    "备案（项）",
                    "备案率%",
                    "满意率%",
                    "事故（起）",
                )
            ]
        ],
        [
            "{{ r.name }}",
            "{{ r.registered }}",
            "{{ r.completed }}",
            "{{ r.filed }}",
            "{{ r.filing_rate }}",
            "{{ r.satisfaction }}",
            "{{ r.accidents }}",
        ],
        "units",
        size=9,
        first_col_mm=36,
        width_mm=156,
    )
    para(doc, "{%p endif %}")
    para(doc, "{%p if filing_note %}")
    para(doc, "{{ filing_note }}", font=TABLE_FONT, size=9, space_after=6)
    para(doc, "{%p endif %}")

    heading(doc, "附表三　工程质量指数（{{ index_value }}）")
    table(
        doc,
        [[(h, 1, 1) for h in ("分项", "指标", "指标值", "系数K", "得分", "权重")]],
        [
            "{{ r.label }}",
            "{{ r.indicator_label }}",
            "{{ r.indicator }} {{ r.unit }}",
            "{{ r.factor }}",
            "{{ r.score }}",
            "{{ r.weight }}",
        ],
        "index_parts",
        size=9,
        first_col_mm=26,
        width_mm=156,
    )
    para(
        doc,
        "计算方法：只反映质量结果。竣工验收合格率（合格 ÷ 本期全部竣工验收）、"
        "用户满意率得分为指标值；事故、死亡（每百万㎡在建面积）得分 = max(0, 100 − K × 指标值)；"
        "指数 = Σ(权重 × 得分) ÷ "
        "Σ权重（不适用的分项不计入）。不良行为记录、行政处罚和备案率不计入指数。",
        font=TABLE_FONT,
        size=9,
        space_after=3,
    )
    para(doc, "{%p for line in index_example %}")
    para(doc, "{{ line }}", font=TABLE_FONT, size=9)
    para(doc, "{%p endfor %}")
    para(doc, "{%p if index_units %}")
    table(
        doc,
        [[(h, 1, 1) for h in ("所辖单位（供比较）", "质量指数")]],
        ["{{ r.name }}", "{{ r.value }}"],
        "index_units",
        size=9,
        first_col_mm=60,
        width_mm=100,
    )
    para(doc, "{%p endif %}")

    para(doc, "{%p if has_records %}")
    heading(doc, "附表四　建设工程质量责任主体不良行为记录")
    table(
        doc,
        [
            [
                (h, 1, 1)
                for h in (
                    "序号",
                    "记录编号",
                    "责任单位",
                    "类型",
                    "责任人（职务）",
                    "工程名称",
                    "不良行为事实",
                    "条款",
                    "记录日期",
                )
            ]
        ],
        [
            "{{ r.seq }}",
            "{{ r.record_no }}",
            "{{ r.enterprise }}",
            "{{ r.unit_type }}",
            "{{ r.person_name }}{% if r.person_title %}（{{ r.person_title }}）{% endif %}",
            "{{ r.project_name }}",
            "{{ r.fact }}",
            "{{ r.clause }}",
            "{{ r.recorded_on }}",
        ],
        "bad",
        size=8,
        widths_mm=[8, 22, 22, 10, 16, 20, 28, 12, 18],
        width_mm=156,
        cell_margin_mm=1,
    )
    heading(doc, "附表五　企业良好行为记录")
    table(
        doc,
        [[(h, 1, 1) for h in ("序号", "企业名称", "良好行为事实", "记录日期", "记录机关")]],
        [
            "{{ r.seq }}",
            "{{ r.enterprise }}",
            "{{ r.fact }}",
            "{{ r.recorded_on }}",
            "{{ r.authority }}",
        ],
        "good",
        size=8,
        widths_mm=[8, 36, 60, 20, 32],
        width_mm=156,
        cell_margin_mm=1,
    )
    para(doc, "{%p endif %}")
    para(doc)
    signature_lines(doc, ["发布单位：{{ unit }}", "发布日期：{{ publication_date }}"])
    official_print(doc)
    props = doc.core_properties
    props.title = "建设工程质量总体状况报告"
    props.author = "河南省建设工程质量分析报告系统"
    return doc


def main() -> None:
    OUT.mkdir(exist_ok=True)
    path = OUT / "public_report.docx"
    build().save(path)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
