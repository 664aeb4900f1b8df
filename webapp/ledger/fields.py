"""What each ledger holds, field by field: Chinese label, type, required, choices.

One description serves the pages (forms), the API, Excel templates, import and export, so a
column is defined once.  :func:`parse_value` turns a raw value (form text, JSON value, Excel
cell) into the stored Python value or raises :class:`FieldError` with a Chinese reason;
:func:`validate_record` adds the rules across fields (domain.md §2, §4 rule 5).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from webapp.core import clock, dates, numbers
from webapp.core.text import bidi_problem
from webapp.ledger.models import (
    AcceptanceResult,
    AdministrativePenalty,
    BadBehaviourRecord,
    ComplainantType,
    Complaint,
    Decimal2,
    FilingResult,
    GoodBehaviourRecord,
    Project,
    QualityAccident,
    ReviewOutcome,
    StructureType,
    UnitType,
    UserRating,
)

#: Cost per ㎡ (元) outside this range is a warning (domain.md §4 rule 5).
UNIT_COST_RANGE = (Decimal(500), Decimal(50000))
#: Area, cost and loss are NUMERIC(14, 2) (``Decimal2``): at most 999,999,999,999.99.
PRECISION, SCALE = numbers.column_bounds(Decimal2)
EXCEL_EPOCH = date(1899, 12, 30)
YES, NO = "是", "否"


class FieldError(ValueError):
    """A value that cannot be stored; ``str()`` is the Chinese reason."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    #: str | text | date | decimal | int | bool | choice
    kind: str = "str"
    required: bool = False
    choices: tuple[str, ...] = ()
    max_len: int = 200
    #: Value stored when the input is blank.
    default: Any = None
    #: Shown in list pages.
    listed: bool = False


def _choices(enum_cls: Any) -> tuple[str, ...]:
    return tuple(m.value for m in enum_cls)


@dataclass(frozen=True)
class Kind:
    """One ledger: its model, fields, natural key and the date that places a row in a period."""

    name: str
    label: str
    model: Any
    fields: tuple[Field, ...]
    #: Field names identifying a row within the province (re-import updates by it).
    key: tuple[str, ...]
    date_field: str
    #: Rules across fields: values → (errors {field label: reason}, warnings).
    cross_check: Callable[[dict[str, Any]], tuple[dict[str, str], list[str]]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def labels(self) -> dict[str, Field]:
        return {f.label: f for f in self.fields}


# Parsing ----------------------------------------------------------------------------------------
def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def parse_date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        # An Excel serial number in a cell not formatted as a date.
        if 1 <= raw < 2958466:
            return EXCEL_EPOCH + timedelta(days=int(raw))
        raise FieldError(dates.NO_SUCH_DAY)
    if isinstance(raw, str):
        try:
            return dates.parse_date_text(raw)
        except dates.DateTextError as exc:
            raise FieldError(str(exc)) from exc
    raise FieldError(dates.DATE_HINT)


def parse_decimal(raw: Any) -> Decimal:
    """Area, cost, loss: what NUMERIC(14, 2) holds, rounded to cents (the shared rule)."""
    try:
        return numbers.parse_decimal(raw, precision=PRECISION, scale=SCALE)
    except numbers.NumberError as err:
        raise FieldError(str(err)) from err


def parse_int(raw: Any) -> int:
    """Deaths, injuries: a non-negative whole number an ``integer`` column holds."""
    try:
        value = numbers.parse_int(raw)
    except numbers.NumberError as err:
        raise FieldError(str(err)) from err  # 数值过大, or 须为整数 ("1e3", "2.5")
    if value < 0:
        raise FieldError("不能为负数")
    return value


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    if text == YES:
        return True
    if text == NO:
        return False
    raise FieldError("应填写“是”或“否”")


def parse_value(f: Field, raw: Any) -> Any:
    """The stored value of ``raw`` for field ``f``; raises FieldError with a Chinese reason."""
    if _blank(raw):
        if f.required:
            raise FieldError("不能为空")
        if f.kind == "bool":
            return False
        if f.kind in ("str", "text"):
            return f.default if f.default is not None else ""
        return f.default
    if f.kind == "date":  # every ledger date is of something that has happened
        day = parse_date(raw)
        problem = dates.bound_problem(day, latest=clock.today_local(), today=True)
        if problem:
            raise FieldError(problem)
        return day
    if f.kind == "decimal":
        return parse_decimal(raw)
    if f.kind == "int":
        return parse_int(raw)
    if f.kind == "bool":
        return parse_bool(raw)
    if not isinstance(raw, str | int | float | Decimal) or isinstance(raw, bool):
        raise FieldError("应为文字")  # a list, object or true/false sent through the API
    text = raw.strip() if isinstance(raw, str) else str(raw).strip()
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))  # a registration number typed as a number in Excel
    problem = bidi_problem(text)  # the rule of every text input (an Excel cell here)
    if problem:
        raise FieldError(problem)
    if f.kind == "choice":
        if text not in f.choices:
            raise FieldError("应为" + "、".join(f.choices) + "之一")
        return text
    if len(text) > (f.max_len if f.kind == "str" else 20000):
        raise FieldError(f"不能超过 {f.max_len} 个字符")
    return text


def display(f: Field, value: Any) -> str:
    """How a stored value is shown (pages, Excel export)."""
    if value is None:
        return ""
    if f.kind == "bool":
        return YES if value else NO
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# Rules across fields ------------------------------------------------------------------------------
def check_project(v: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    errors: dict[str, str] = {}
    warnings: list[str] = []
    area, cost = v.get("area_m2"), v.get("cost_10k_yuan")
    if area is not None and area <= 0:
        errors["建筑面积（平方米）"] = "建筑面积必须大于0"
    if cost is not None and cost <= 0:
        errors["工程造价（万元）"] = "工程造价必须大于0"
    reg, acc, filed = v.get("registered_on"), v.get("accepted_on"), v.get("filed_on")
    if (acc is None) != (v.get("acceptance_result") is None):
        errors["竣工验收结论"] = "竣工验收日期与竣工验收结论须同时填写"
    if (filed is None) != (v.get("filing_result") is None):
        errors["备案结论"] = "备案日期与备案结论须同时填写"
    if reg and acc and acc < reg:
        errors["竣工验收日期"] = "竣工验收日期不能早于监督注册日期"
    if filed and acc is None:
        errors["备案日期"] = "未竣工验收的工程不能备案"
    elif filed and acc and filed < acc:
        errors["备案日期"] = "备案日期不能早于竣工验收日期"
    if (
        v.get("filing_result") == FilingResult.GRANTED
        and v.get("acceptance_result") == AcceptanceResult.FAILED
    ):
        errors["备案结论"] = "竣工验收不合格的工程不能准予备案"
    if area and cost and area > 0 and cost > 0:
        per_m2 = (cost * 10000 / area).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        low, high = UNIT_COST_RANGE
        if not low <= per_m2 <= high:
            warnings.append(
                f"每平方米造价 {per_m2} 元，超出 {low}–{high:,} 元的常见范围，请核实面积和造价"
            )
    return errors, warnings


def check_accident(v: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    errors: dict[str, str] = {}
    loss = v.get("loss_10k_yuan")
    if loss is not None and loss < 0:
        errors["直接经济损失（万元）"] = "直接经济损失不能为负数"
    return errors, []


def check_bad_record(v: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    rec, appr = v.get("recorded_on"), v.get("approved_on")
    if rec and appr and appr < rec:
        return {"批准日期": "批准日期不能早于记录日期"}, []
    return {}, []


#: Personal data a complaint's texts must not carry (domain.md §2: "no personal data published"):
#: an ID-card number, a mobile or a landline number.
PERSONAL_DATA_RE = re.compile(r"(?<!\d)(\d{17}[\dXx]|1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?![\dXx])")


def check_complaint(v: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """A complaint is closed with a date and a result; a review comes after the closing; its
    texts carry no ID or telephone number (the complainant is recorded only by type)."""
    errors: dict[str, str] = {}
    received, closed = v.get("received_on"), v.get("closed_on")
    if received and closed and closed < received:
        errors["办结日期"] = "办结日期不能早于受理日期"
    if closed and not v.get("result"):
        errors["处理结果"] = "已办结的投诉须填写处理结果"
    if v.get("result") and not closed:
        errors["办结日期"] = "填写了处理结果的投诉须填写办结日期"
    if v.get("review_outcome") not in (None, ReviewOutcome.NONE.value) and not closed:
        errors["复议或诉讼结果"] = "未办结的投诉不能有复议或诉讼结果"
    for name, label in (
        ("subject", "投诉事项"),
        ("result", "处理结果"),
        ("project_name", "工程名称"),
        ("handling_unit", "处理单位"),
    ):
        if PERSONAL_DATA_RE.search(v.get(name) or ""):
            errors[label] = f"{label}不得包含身份证号、电话号码等个人信息（投诉人只记录类型）"
    return errors, []


S, T = "str", "text"
PROJECT_FIELDS = (
    Field("registration_no", "监督注册号", required=True, max_len=64, listed=True),
    Field("name", "工程名称", required=True, listed=True),
    Field("structure_type", "结构类型", "choice", True, _choices(StructureType), listed=True),
    Field("area_m2", "建筑面积（平方米）", "decimal", True, listed=True),
    Field("cost_10k_yuan", "工程造价（万元）", "decimal", True, listed=True),
    Field("contractor", "施工单位"),
    Field("supervisor", "监理单位"),
    Field("progress", "形象进度"),
    Field("registered_on", "监督注册日期", "date", True, listed=True),
    Field("accepted_on", "竣工验收日期", "date", listed=True),
    Field("acceptance_result", "竣工验收结论", "choice", choices=_choices(AcceptanceResult)),
    Field("filed_on", "备案日期", "date", listed=True),
    Field("filing_result", "备案结论", "choice", choices=_choices(FilingResult)),
    Field(
        "user_rating",
        "用户评价",
        "choice",
        choices=_choices(UserRating),
        default=UserRating.UNRATED.value,
    ),
    Field("is_residential", "住宅", "bool"),
    Field("is_affordable_housing", "保障性安居", "bool"),
    Field("is_public", "公共建筑", "bool"),
    Field("remarks", "备注", T),
)

#: The numbered record against the unit responsible on a project (不良行为, 行政处罚).
CASE_FIELDS = (
    Field("record_no", "记录编号", required=True, max_len=64, listed=True),
    Field("project_name", "工程名称", required=True, listed=True),
    Field("responsible_unit", "责任单位", required=True, listed=True),
)

KINDS: dict[str, Kind] = {
    "projects": Kind(
        "projects",
        "工程项目",
        Project,
        PROJECT_FIELDS,
        key=("registration_no",),
        date_field="registered_on",
        cross_check=check_project,
    ),
    "bad_records": Kind(
        "bad_records",
        "不良行为记录",
        BadBehaviourRecord,
        (
            *CASE_FIELDS,
            Field("unit_type", "责任单位类型", "choice", True, _choices(UnitType), listed=True),
            Field("person_name", "责任人姓名", max_len=64),
            Field("person_title", "责任人职务", max_len=64),
            Field("fact", "不良行为事实", T, True),
            Field("clause", "对应省不良记录管理办法条款"),
            Field("recorder", "记录人", max_len=64),
            Field("recorded_on", "记录日期", "date", True, listed=True),
            Field("approver", "批准人", max_len=64),
            Field("approved_on", "批准日期", "date"),
        ),
        key=("record_no",),
        date_field="recorded_on",
        cross_check=check_bad_record,
    ),
    "good_records": Kind(
        "good_records",
        "良好行为记录",
        GoodBehaviourRecord,
        (
            Field("enterprise", "企业名称", required=True, listed=True),
            Field("fact", "良好行为事实", T, True, listed=True),
            Field("recorded_on", "记录日期", "date", True, listed=True),
            Field("approver", "批准人", max_len=64, listed=True),
        ),
        key=("enterprise", "recorded_on"),
        date_field="recorded_on",
    ),
    "penalties": Kind(
        "penalties",
        "行政处罚记录",
        AdministrativePenalty,
        (
            *CASE_FIELDS,
            Field("decided_on", "时间", "date", True, listed=True),
            Field("violation", "违法违规事实", T, True),
            Field("legal_basis", "处罚依据", T),
            Field("penalty", "处罚内容", T, listed=True),
            Field("penalty_status", "处罚情况"),
            Field("handling_status", "处理情况"),
        ),
        key=("record_no",),
        date_field="decided_on",
    ),
    "accidents": Kind(
        "accidents",
        "质量事故",
        QualityAccident,
        (
            Field("occurred_on", "事故日期", "date", True, listed=True),
            Field("registration_no", "监督注册号", max_len=64, listed=True),
            Field("project_name", "工程名称", required=True, listed=True),
            Field("deaths", "死亡人数", "int", default=0, listed=True),
            Field("serious_injuries", "重伤人数", "int", default=0, listed=True),
            Field("loss_10k_yuan", "直接经济损失（万元）", "decimal", True, listed=True),
            Field("description", "事故概况", T),
        ),
        key=("occurred_on", "project_name"),
        date_field="occurred_on",
        cross_check=check_accident,
    ),
    "complaints": Kind(
        "complaints",
        "质量投诉",
        Complaint,
        (
            Field("complaint_no", "投诉编号", required=True, max_len=64, listed=True),
            Field("received_on", "受理日期", "date", True, listed=True),
            Field(
                "complainant_type",
                "投诉人类型",
                "choice",
                True,
                _choices(ComplainantType),
                listed=True,
            ),
            Field("registration_no", "监督注册号", max_len=64),
            Field("project_name", "工程名称", required=True, listed=True),
            Field("subject", "投诉事项", T, True),
            Field("handling_unit", "处理单位", required=True, listed=True),
            Field("result", "处理结果", T),
            Field("closed_on", "办结日期", "date", listed=True),
            Field(
                "review_outcome",
                "复议或诉讼结果",
                "choice",
                choices=_choices(ReviewOutcome),
                default=ReviewOutcome.NONE.value,
                listed=True,
            ),
        ),
        key=("complaint_no",),
        date_field="received_on",
        cross_check=check_complaint,
    ),
}

#: Header of the optional supervising-org column in imports and exports.
ORG_LABEL = "监督机构代码"


def parse_record(kind: Kind, raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse every field of ``raw`` (keyed by field name); errors keyed by field label."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in kind.fields:
        try:
            values[f.name] = parse_value(f, raw.get(f.name))
        except FieldError as err:
            errors[f.label] = f"{f.label}{err}"
    return values, errors


def validate_record(kind: Kind, raw: dict[str, Any]) -> tuple[dict[str, Any], dict, list[str]]:
    """Parse and check one record: (values, errors {label: reason}, warnings)."""
    values, errors = parse_record(kind, raw)
    warnings: list[str] = []
    if kind.cross_check is not None and not errors:
        more, warnings = kind.cross_check(values)
        errors.update(more)
    return values, errors, warnings
