"""附表1–7 to Excel, laid out as the printed forms (title, 填表单位, multi-level headers, the
printed notes, 统计员/批准人/报送日期 or 填表人/批准人/填表日期; 附表7's columns and headings as
printed: no 造价 under 本年度备案工程).

Every cell is written through ``webapp.core.spreadsheet.set_cell``: a project or unit name that
starts like a formula stays text.  Figures are numbers a clerk can sum in Excel: counts as
integers (format ``0``), areas, costs and rates as decimals with the places the table prints
(``0.00``); a dash, a date or a code with a leading zero stays text."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from webapp.core.spreadsheet import set_cell
from webapp.stats import registry
from webapp.stats.tables import (
    ACCIDENT_LABELS,
    CATEGORIES,
    RATE_LABELS,
    TABLE6_GROUPS,
    summary_layout,
)

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
METRIC_LABELS = ("项数", "面积（万㎡）", "造价（万元）")
METRIC_LABEL = dict(zip(("count", "area_10k_m2", "cost_10k_yuan"), METRIC_LABELS, strict=True))
TABLE6_LABELS = {
    "registered": "本季/年新注册项目",
    "completed": "本季/年竣工工程",
    "filed": "本季/年质量备案工程",
    "under_construction": "本季/年在建工程",
}


def _dash(value: Any) -> Any:
    return "—" if value is None else value


#: A figure as the tables serialize it: "12", "-3", "1234.56" (no leading zero but "0" / "0.x",
#: at most 15 digits: longer digit strings are identifiers, not amounts).
_FIGURE = re.compile(r"^-?(?:0|[1-9]\d{0,14})(?:\.(\d{1,6}))?$")


def _typed(value: Any) -> tuple[Any, str | None]:
    """``value`` as Excel should hold it, and its number format (None: leave the cell's)."""
    if isinstance(value, bool):
        return value, None
    if isinstance(value, int):
        return value, "0"
    if isinstance(value, Decimal):
        places = max(0, -int(value.as_tuple().exponent))
        return value, "0." + "0" * places if places else "0"
    if isinstance(value, str) and (match := _FIGURE.match(value.strip())):
        places = len(match.group(1) or "")
        if places:
            return Decimal(value.strip()), "0." + "0" * places
        return int(value), "0"
    return value, None


def _header(sheet: Any, row: int, col: int, text: str, rowspan: int = 1, colspan: int = 1) -> None:
    set_cell(sheet, row, col, text)
    if rowspan > 1 or colspan > 1:
        sheet.merge_cells(
            start_row=row, start_column=col, end_row=row + rowspan - 1, end_column=col + colspan - 1
        )
    for r in range(row, row + rowspan):
        for c in range(col, col + colspan):
            cell = sheet.cell(row=r, column=c)
            cell.alignment = CENTER
            cell.border = BOX
            cell.font = Font(bold=True)


def _title(sheet: Any, table: dict[str, Any], width: int) -> int:
    spec = registry.table(table["table"])
    set_cell(sheet, 1, 1, spec.title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(row=1, column=1).alignment = CENTER
    set_cell(sheet, 2, 1, f"{spec.unit_label}：{table['org_name']}")
    if spec.signed_above:  # 附表1: 填表人, 批准人, 填表日期 on the 填表单位 line, as printed
        for col, label in zip((4, 7, 10), spec.signatures, strict=True):
            set_cell(sheet, 2, col, f"{label}：")
    set_cell(sheet, 2, max(width - 1, 2), table["period_label"])
    return 3


def _footer(sheet: Any, row: int, table: dict[str, Any]) -> None:
    spec = registry.table(table["table"])
    if spec.note:
        set_cell(sheet, row + 1, 1, spec.note).alignment = Alignment(wrap_text=False)
        row += 1
    if not spec.signed_above:
        for col, label in zip((1, 4, 8), spec.signatures, strict=True):
            set_cell(sheet, row + 1, col, f"{label}：")


def _body_row(sheet: Any, row: int, values: list[Any]) -> None:
    for col, value in enumerate(values, start=1):
        typed, number_format = _typed(_dash(value))
        cell = set_cell(sheet, row, col, typed)
        cell.border = BOX
        if number_format:
            cell.number_format = number_format


def _summary(sheet: Any, table: dict[str, Any]) -> None:
    yearly = not registry.table(table["table"]).quarterly
    layout = summary_layout(yearly)
    width = 2 + sum(len(g["metrics"]) for g in layout) + 2 + 1 + 3
    top = _title(sheet, table, width)
    _header(sheet, top, 1, "序号", 2)
    _header(sheet, top, 2, "市、县（市）", 2)
    col = 3
    for g in layout:
        _header(sheet, top, col, g["label"], 1, len(g["metrics"]))
        for i, m in enumerate(g["metrics"]):
            _header(sheet, top + 1, col + i, METRIC_LABEL[m])
        col += len(g["metrics"])
    _header(sheet, top, col, RATE_LABELS[yearly], 1, 2)
    _header(sheet, top + 1, col, "项数")
    _header(sheet, top + 1, col + 1, "面积")
    _header(sheet, top, col + 2, "用户满意率（%）", 2)
    _header(sheet, top, col + 3, ACCIDENT_LABELS[yearly], 1, 3)
    for i, m in enumerate(("项数", "死亡人数", "经济损失（万元）")):
        _header(sheet, top + 1, col + 3 + i, m)
    row = top + 2
    for seq, r in enumerate([*table["rows"], table["total"]], start=1):
        values: list[Any] = [seq if r["org_name"] != "合计" else "", r["org_name"]]
        for g in layout:
            values += [r[g["key"]][m] for m in g["metrics"]]
        values += [r["filing_rate"]["count_pct"], r["filing_rate"]["area_pct"]]
        values += [r["satisfaction_pct"]]
        values += [
            r["accidents"]["count"],
            r["accidents"]["deaths"],
            r["accidents"]["loss_10k_yuan"],
        ]
        _body_row(sheet, row, values)
        row += 1
    _footer(sheet, row, table)
    sheet.column_dimensions["B"].width = 18


def _categories(sheet: Any, table: dict[str, Any]) -> None:
    width = 1 + 3 * 4 + 1
    top = _title(sheet, table, width)
    _header(sheet, top, 1, "项目", 2)
    col = 2
    for g in TABLE6_GROUPS:
        span = 4 if g == "filed" else 3
        _header(sheet, top, col, TABLE6_LABELS[g], 1, span)
        for i, m in enumerate(METRIC_LABELS):
            _header(sheet, top + 1, col + i, m)
        if g == "filed":
            _header(sheet, top + 1, col + 3, "备案率（项%）")
        col += span
    row = top + 2
    labels = dict(CATEGORIES)
    for r in table["rows"]:
        values: list[Any] = [labels[r["key"]]]
        for g in TABLE6_GROUPS:
            values += [r[g]["count"], r[g]["area_10k_m2"], r[g]["cost_10k_yuan"]]
            if g == "filed":
                values.append(r["filing_rate_count_pct"])
        _body_row(sheet, row, values)
        row += 1
    _footer(sheet, row, table)
    sheet.column_dimensions["A"].width = 30


def _list(sheet: Any, table: dict[str, Any]) -> None:
    columns = table["columns"]
    top = _title(sheet, table, len(columns) + 1)
    _header(sheet, top, 1, "序号")
    for i, c in enumerate(columns, start=2):
        _header(sheet, top, i, c["label"])
        sheet.column_dimensions[get_column_letter(i)].width = 16
    row = top + 1
    for r in table["rows"]:
        _body_row(sheet, row, [r["seq"], *[r[c["key"]] for c in columns]])
        row += 1
    _footer(sheet, row, table)


def table_workbook(table: dict[str, Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    spec = registry.table(table["table"])
    sheet.title = f"附表{spec.number}"
    {registry.SUMMARY: _summary, registry.CATEGORY: _categories, registry.LIST: _list}[spec.shape](
        sheet, table
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
