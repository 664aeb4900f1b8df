"""Reading an accident report's raw input (JSON or a page form) into typed values.

Every problem raises :class:`InvalidInput` with a Chinese message naming the field, before
anything is written.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from webapp.core import clock, dates, numbers
from webapp.core.errors import InvalidInput

#: Fields a report holds (beside occurred_at/received_at), with their labels.
TEXT_FIELDS = {
    "place": ("事故发生地点", True, 200),
    "project_name": ("工程名称", False, 200),
    "registration_no": ("监督注册号", False, 64),
    "description": ("事故简要经过", False, 4000),
    "cause": ("事故原因初步判断", False, 4000),
    "measures": ("已采取的措施", False, 4000),
    "reporting_unit": ("事故报告单位", True, 200),
    "contact": ("联系人", True, 64),
    "phone": ("联系电话", True, 32),
    "government_report": ("向本级人民政府报告情况", False, 200),
    "police_notice": ("通报公安、监察机关情况", False, 200),
    "reason": ("续报说明", False, 2000),
}
#: 参建单位: each name at most UNIT_NAME_MAX characters, at most MAX_UNITS of them.
UNIT_NAME_MAX = 200
MAX_UNITS = 100
COUNT_FIELDS = {"deaths": "死亡人数", "serious_injuries": "重伤人数", "missing": "下落不明人数"}


def parse_time(value: Any, label: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value or "").strip()
        if not text:
            raise InvalidInput(f"请填写{label}。", details={label: "必填"})
        if ":" not in dates.normalise(text):
            raise InvalidInput(f"{label}须包含时刻（时:分），如“2026-05-01 14:30”。")
        try:
            parsed = dates.parse_datetime_text(text)
        except dates.DateTextError as exc:
            raise InvalidInput(f"{label}{exc}。", details={label: text}) from exc
    if parsed.tzinfo is None:
        # A page's datetime-local field: the time in Henan.
        parsed = parsed.replace(tzinfo=clock.to_local(clock.now()).tzinfo)
    parsed = parsed.astimezone(clock.now().tzinfo)
    if parsed > clock.now():
        raise InvalidInput(f"{label}不能晚于当前时间。", details={label: "晚于当前时间"})
    problem = dates.bound_problem(parsed.astimezone(clock.LOCAL_TZ).date())  # 1900-01-01: a slip
    if problem:
        raise InvalidInput(f"{label}{problem}。", details={label: problem})
    return parsed


def parse_count(value: Any, label: str) -> int:
    if value in (None, ""):
        return 0
    try:  # the shared rule: a count past 100,000 is 数值过大, not an integer overflow
        number = numbers.parse_int(value, maximum=100_000)
    except numbers.NumberError as err:
        reason = str(err) if str(err) == numbers.TOO_LARGE else numbers.NOT_WHOLE
        raise InvalidInput(f"{label}{reason}。", details={label: str(value)[:60]}) from err
    if number < 0:
        raise InvalidInput(f"{label}不能为负数。", details={label: str(value)})
    return number


def parse_loss(value: Any) -> Decimal:
    label = "直接经济损失（万元）"
    try:  # the shared rule, with the column's precision and scale (Decimal2: NUMERIC(14, 2))
        loss = numbers.parse_decimal(value, precision=14, scale=2)
    except numbers.NumberError as err:
        message = f"{label}{err}。" if str(err) == numbers.TOO_LARGE else f"请填写{label}（数字）。"
        raise InvalidInput(message, details={label: str(value)[:60]}) from err
    if loss < 0:
        raise InvalidInput(f"{label}应为不小于0的数字。", details={label: str(value)})
    return loss


def parse_units(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.replace("，", "\n").replace(",", "\n").splitlines()
    if not isinstance(value, list):
        raise InvalidInput("参建单位应为单位名称列表。")
    if not all(isinstance(u, str) for u in value):
        raise InvalidInput("参建单位应为单位名称列表。")
    units = [u.strip() for u in value if u.strip()]
    if not units:
        raise InvalidInput("请填写参建单位（每行一个）。", details={"参建单位": "必填"})
    # a name past the bound was cut to 200 characters and kept: refused, as every text is
    if any(len(u) > UNIT_NAME_MAX for u in units):
        reason = f"每个单位名称不能超过{UNIT_NAME_MAX}字"
        raise InvalidInput(f"参建单位{reason}。", details={"参建单位": reason})
    if len(units) > MAX_UNITS:
        reason = f"不能超过{MAX_UNITS}个"
        raise InvalidInput(f"参建单位{reason}。", details={"参建单位": reason})
    return units


def parse_bool(value: Any) -> bool:
    return value in (True, 1, "1", "true", "on", "yes", "是")


def text_field(raw: dict[str, Any], name: str, *, required: bool | None = None) -> str:
    label, must, max_len = TEXT_FIELDS[name]
    value = str(raw.get(name) or "").strip()
    if (must if required is None else required) and not value:
        raise InvalidInput(f"请填写{label}。", details={label: "必填"})
    if len(value) > max_len:
        raise InvalidInput(f"{label}不能超过{max_len}字。", details={label: "过长"})
    return value


#: A page field → its label (the summary of a refused form names the field).
LABELS = {
    "occurred_at": "事故发生时间",
    "received_at": "接报时间",
    **{name: label for name, (label, _, _) in TEXT_FIELDS.items()},
    **COUNT_FIELDS,
    "loss_10k_yuan": "直接经济损失（万元）",
    "units": "参建单位",
    "conclusion": "调查结论",
    "behaviour_ids": "不良行为记录编号",
    "penalty_ids": "行政处罚记录编号",
}
_NAME_OF_LABEL = {label: name for name, label in LABELS.items()}


def field_problems(raw: dict[str, Any], *, partial: bool = False) -> dict[str, str]:
    """Every field of a report form that cannot be read, by field name, each with its Chinese
    reason (the operations stop at the first; a page shows them all at once).  ``partial``: a
    续报, where a field left empty means "unchanged"."""
    checks: dict[str, Any] = {
        "occurred_at": lambda v: parse_time(v, LABELS["occurred_at"]),
        "received_at": lambda v: parse_time(v, LABELS["received_at"]) if v else None,
        **{
            name: (lambda v, label=label: parse_count(v, label))
            for name, label in COUNT_FIELDS.items()
        },
        "loss_10k_yuan": parse_loss,
        "units": parse_units,
        **{name: (lambda v, name=name: text_field({name: v}, name)) for name in TEXT_FIELDS},
    }
    problems: dict[str, str] = {}
    for name, check in checks.items():
        if partial and (name not in raw or raw[name] in (None, "")):
            continue
        try:
            check(raw.get(name))
        except InvalidInput as err:
            problems[name] = err.message
    return problems


#: The form's field by the name a refusal's ``details`` give it: a field's own (the problems
#: :func:`field_problems` finds) or its label (the operations'), for ``refused_on``.
FIELD_NAMES = {name: name for name in LABELS} | _NAME_OF_LABEL


def refuse_problems(problems: dict[str, str]) -> None:
    """Refuse the form with every problem found (field name → reason), each under its field."""
    if problems:
        raise InvalidInput("；".join(problems.values()), details=problems)
