"""The one registry of the statistical forms 附表1–7: every page, export, roll-up, snapshot and
Word context reads the tables from here.

A report's tables (第十条, 第十一条; domain.md §5 **Decision** (annual report)):

- quarterly: 附表1–6 of the quarter;
- annual: 附表1–4 of the year, the annual 附表6 and 附表7 (which takes the place of 附表5).

Adding a 附表8: a ``TableSpec`` here with its compute function, its Word builder in
``scripts/make_templates.py`` and its sample in ``webapp/workflow_admin/samples.py``; pages,
exports, snapshots and report documents pick it up from the registry (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from webapp.core.errors import InvalidInput
from webapp.core.models import Org
from webapp.stats.figures import CategoryTable, ListTable, SummaryTable
from webapp.stats.lists import records
from webapp.stats.periods import Period
from webapp.stats.tables import categories, summary

#: A computed table, typed; ``to_json()`` is its shape in API bodies and snapshots.
Table = SummaryTable | CategoryTable | ListTable

LIST, SUMMARY, CATEGORY = "list", "summary", "category"


@dataclass(frozen=True)
class TableSpec:
    number: int
    #: The printed form's title
    title: str
    #: Short name shown on pages (附表5 季度统计表)
    short: str
    #: list (附表1–4), summary (附表5/7: a row per unit and 合计), category (附表6)
    shape: str
    compute: Callable[[Org, Period], Table]
    #: In the quarterly report / in the annual report
    quarterly: bool
    annual: bool
    #: The signature label on the printed form (填表人 on 附表1–2, 统计员 on the others)
    clerk_label: str = "统计员"
    #: The date on the printed form: 填表日期 on 附表1–2, 报送日期 on the others
    date_label: str = "报送日期"
    #: 填表单位（公章） on 附表1–4, 填表单位（盖章） on 附表5–7, as printed
    seal: str = "盖章"
    #: 附表1 prints its signatures on the 填表单位 line above the table; the others below it
    signed_above: bool = False
    #: The note printed under the table (备注 of 附表1, 注 of 附表2, 填表说明 of 附表5/7)
    note: str = ""
    #: Word template context: ledger field → template field (list tables only)
    word_fields: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The table's key in snapshots and API bodies."""
        return f"table{self.number}"

    @property
    def word_key(self) -> str:
        """The table's name in Word template contexts."""
        return f"t{self.number}"

    @property
    def unit_label(self) -> str:
        return f"填表单位（{self.seal}）"

    @property
    def signatures(self) -> tuple[str, str, str]:
        """The printed signature fields: (统计员 or 填表人, 批准人, 报送日期 or 填表日期)."""
        return (self.clerk_label, "批准人", self.date_label)

    @property
    def label(self) -> str:
        return f"附表{self.number} {self.short}"

    def accepts(self, period: Period) -> bool:
        """附表5 is quarterly only, 附表7 yearly only; the others take either."""
        if self.number == 5:
            return not period.is_year
        if self.number == 7:
            return period.is_year
        return True


def _list(n: int) -> Callable[[Org, Period], Table]:
    return lambda org, period: records(n, org, period)


_T1_WORD = {
    "record_no": "record_no",
    "project_name": "project_name",
    "responsible_unit": "responsible_unit",
    "person_name": "person_name",
    "person_title": "person_title",
    "fact": "fact",
    "clause": "clause",
    "recorder": "recorder",
    "recorded_on": "record_date",
    "approver": "approver",
    "approved_on": "approval_date",
}
_T2_WORD = {
    "record_no": "record_no",
    "project_name": "project_name",
    "responsible_unit": "responsible_unit",
    "decided_on": "date",
    "violation": "fact",
    "legal_basis": "basis",
    "penalty": "content",
    "penalty_status": "status",
    "handling_status": "handling",
}
_PROJECT_WORD = {
    "registration_no": "registration_no",
    "name": "project_name",
    "structure_type": "structure_type",
    "area_m2": "area_m2",
    "cost_10k_yuan": "cost_10k_yuan",
    "contractor": "constructor",
    "supervisor": "supervisor",
}
_T3_WORD = {**_PROJECT_WORD, "progress": "progress", "remarks": "remarks"}
_T4_WORD = {
    **_PROJECT_WORD,
    "accepted_on": "completion_date",
    "acceptance_result": "completion_conclusion",
    "filed_on": "filing_date",
    "filing_result": "filing_conclusion",
    "remarks": "remarks",
}
#: The notes printed under the forms (regulation.zh.txt, 附表1, 附表2, 附表5 and 附表7).
T1_NOTE = (
    "备注：责任单位指建设单位、勘察单位、设计单位、施工单位、监理单位、检测机构、"
    "施工图审查机构及其它有关单位。"
)
T2_NOTE = (
    "注：责任单位指建设单位、勘察单位、设计单位、施工单位、监理单位、检测单位、"
    "施工图审查机构及其它有关单位。"
)
SUMMARY_NOTE = (
    "填表说明：1、在建工程：已办理监督注册手续，尚未完工或已完工，但未进行竣工验收的工程；"
    "2、竣工工程：已办理监督注册手续，已通过竣工验收的工程；3、质量备案率：已办理质量备案"
    "手续的工程/竣工工程；4、用户满意率：用户评价为满意的工程（项数）/已办理质量备案手续的"
    "工程；5、接转工程：上一季（年）度在建工程。"
)


def _list_table(
    number: int, title: str, short: str, word_fields: dict[str, str], **printed: Any
) -> TableSpec:
    """附表1–4: a ledger list, in the quarterly and the annual report, under 填表单位（公章）."""
    return TableSpec(
        number,
        title,
        short,
        LIST,
        _list(number),
        quarterly=True,
        annual=True,
        seal="公章",
        word_fields=word_fields,
        **printed,
    )


#: 附表1–2 are signed by 填表人 on 填表日期 (the others by 统计员 on 报送日期).
_FILLED_BY = {"clerk_label": "填表人", "date_label": "填表日期"}

TABLES: dict[int, TableSpec] = {
    spec.number: spec
    for spec in (
        _list_table(
            1,
            "河南省建设工程有关责任主体及相关责任人员不良行为记录统计表",
            "不良行为记录统计表",
            _T1_WORD,
            **_FILLED_BY,
            signed_above=True,
            note=T1_NOTE,
        ),
        _list_table(
            2,
            "河南省建设工程质量责任主体行政处罚记录表",
            "行政处罚记录表",
            _T2_WORD,
            **_FILLED_BY,
            note=T2_NOTE,
        ),
        _list_table(3, "河南省建设工程质量监督在建工程明细表", "在建工程明细表", _T3_WORD),
        _list_table(4, "河南省建设工程质量监督竣工工程明细表", "竣工工程明细表", _T4_WORD),
        TableSpec(
            5,
            "河南省建设工程质量监督季度统计表",
            "季度统计表",
            SUMMARY,
            summary,
            quarterly=True,
            annual=False,
            note=SUMMARY_NOTE,
        ),
        TableSpec(
            6,
            "河南省建设工程质量监督季（年）度分类统计表",
            "分类统计表",
            CATEGORY,
            categories,
            quarterly=True,
            annual=True,
        ),
        TableSpec(
            7,
            "河南省建设工程质量监督年度统计表",
            "年度统计表",
            SUMMARY,
            summary,
            quarterly=False,
            annual=True,
            note=SUMMARY_NOTE,
        ),
    )
}

#: Report kinds (webapp.reports.models.ReportKind values) → which flag of a spec applies.
_KINDS = {"quarterly": "quarterly", "annual": "annual"}


def table_name(key: str) -> str:
    """How people name the table of JSON key ``key`` (``table5`` → 附表5 季度统计表): a check or a
    problem never shows the key itself; a key no table has is returned as it is."""
    for spec in TABLES.values():
        if spec.key == key:
            return spec.label
    return key


def table(number: int) -> TableSpec:
    """The spec of 附表``number`` (InvalidInput for an unknown number)."""
    try:
        return TABLES[int(number)]
    except (KeyError, ValueError):
        raise InvalidInput(f"附表编号应为 {min(TABLES)}–{max(TABLES)}。") from None


def report_tables(kind: str) -> tuple[TableSpec, ...]:
    """The tables of a quarterly or an annual report, in the printed order."""
    if kind not in _KINDS:
        raise InvalidInput("报告类型应为 quarterly 或 annual。")
    return tuple(spec for spec in TABLES.values() if getattr(spec, _KINDS[kind]))


def summary_spec(kind_or_period: str | Period) -> TableSpec:
    """附表5 for a quarter (quarterly report), 附表7 for a year (annual report)."""
    if isinstance(kind_or_period, Period):
        yearly = kind_or_period.is_year
    else:
        yearly = kind_or_period == "annual"
    return TABLES[7 if yearly else 5]


def word_rows(spec: TableSpec, table: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a list table as its Word template names them (text, numbered)."""
    return [
        {"seq": i, **{target: str(row.get(src) or "") for src, target in spec.word_fields.items()}}
        for i, row in enumerate(table.get("rows", []), 1)
    ]
