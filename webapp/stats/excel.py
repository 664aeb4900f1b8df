"""附表1–7 to Excel, laid out as the printed forms (title, 填表单位, multi-level headers,
统计员/批准人/报送日期).

Every cell is written through ``webapp.core.spreadsheet.set_cell``: a project or unit name that
starts like a formula stays text."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from webapp.core.spreadsheet import set_cell
from webapp.stats import registry
from webapp.stats.figures import CategoryTable, Heading, ListTable, SummaryTable
from webapp.stats.tables import CATEGORIES, GROUP_LABELS, GROUPS, TABLE6_GROUPS

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
METRIC_LABELS = ("项数", "面积（万㎡）", "造价（万元）")
TABLE6_LABELS = {
    "registered": "本季/年新注册项目",
    "completed": "本季/年竣工工程",
    "filed": "本季/年质量备案工程",
    "under_construction": "本季/年在建工程",
}


def _dash(value: object) -> object:
    return "—" if value is None else value


def _num(value: object) -> object:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _header(
    sheet: Worksheet, row: int, col: int, text: str, rowspan: int = 1, colspan: int = 1
) -> None:
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


def _title(sheet: Worksheet, heading: Heading, width: int) -> int:
    title = registry.table(heading.table).title
    set_cell(sheet, 1, 1, title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(row=1, column=1).alignment = CENTER
    set_cell(sheet, 2, 1, f"填表单位（盖章）：{heading.org_name}")
    set_cell(sheet, 2, max(width - 3, 2), heading.period_label)
    return 3


def _footer(sheet: Worksheet, row: int, heading: Heading) -> None:
    who = registry.table(heading.table).clerk_label
    set_cell(sheet, row + 1, 1, f"{who}：")
    set_cell(sheet, row + 1, 4, "批准人：")
    set_cell(sheet, row + 1, 8, "报送日期：")


def _body_row(sheet: Worksheet, row: int, values: Sequence[object]) -> None:
    for col, value in enumerate(values, start=1):
        set_cell(sheet, row, col, _num(_dash(value))).border = BOX


def _summary(sheet: Worksheet, table: SummaryTable) -> None:
    labels = GROUP_LABELS[not registry.table(table.heading.table).quarterly]
    width = 2 + 3 * len(GROUPS) + 2 + 1 + 3
    top = _title(sheet, table.heading, width)
    _header(sheet, top, 1, "序号", 2)
    _header(sheet, top, 2, "市、县（市）", 2)
    col = 3
    for g in GROUPS:
        _header(sheet, top, col, labels[g], 1, 3)
        for i, m in enumerate(METRIC_LABELS):
            _header(sheet, top + 1, col + i, m)
        col += 3
    _header(sheet, top, col, "质量备案率（%）", 1, 2)
    _header(sheet, top + 1, col, "项数")
    _header(sheet, top + 1, col + 1, "面积")
    _header(sheet, top, col + 2, "用户满意率（%）", 2)
    _header(sheet, top, col + 3, "发生工程质量事故", 1, 3)
    for i, m in enumerate(("项数", "死亡人数", "经济损失（万元）")):
        _header(sheet, top + 1, col + 3 + i, m)
    row = top + 2
    for seq, r in enumerate((row.to_json() for row in (*table.rows, table.total)), start=1):
        values: list[object] = [seq if r["org_name"] != "合计" else "", r["org_name"]]
        for g in GROUPS:
            values += [r[g]["count"], r[g]["area_10k_m2"], r[g]["cost_10k_yuan"]]
        values += [r["filing_rate"]["count_pct"], r["filing_rate"]["area_pct"]]
        values += [r["satisfaction_pct"]]
        values += [
            r["accidents"]["count"],
            r["accidents"]["deaths"],
            r["accidents"]["loss_10k_yuan"],
        ]
        _body_row(sheet, row, values)
        row += 1
    _footer(sheet, row, table.heading)
    sheet.column_dimensions["B"].width = 18


def _categories(sheet: Worksheet, table: CategoryTable) -> None:
    width = 1 + 3 * 4 + 1
    top = _title(sheet, table.heading, width)
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
    for r in (row.to_json() for row in table.rows):
        values: list[object] = [labels[r["key"]]]
        for g in TABLE6_GROUPS:
            values += [r[g]["count"], r[g]["area_10k_m2"], r[g]["cost_10k_yuan"]]
            if g == "filed":
                values.append(r["filing_rate_count_pct"])
        _body_row(sheet, row, values)
        row += 1
    _footer(sheet, row, table.heading)
    sheet.column_dimensions["A"].width = 30


def _list(sheet: Worksheet, table: ListTable) -> None:
    top = _title(sheet, table.heading, len(table.columns) + 1)
    _header(sheet, top, 1, "序号")
    for i, (_key, label) in enumerate(table.columns, start=2):
        _header(sheet, top, i, label)
        sheet.column_dimensions[get_column_letter(i)].width = 16
    row = top + 1
    for r in table.rows:
        _body_row(sheet, row, [r["seq"], *[r[key] for key, _label in table.columns]])
        row += 1
    _footer(sheet, row, table.heading)


def table_workbook(table: registry.Table) -> bytes:
    """The form as a workbook of one sheet (附表n), from the typed figures of
    :func:`webapp.stats.compute.compute`."""
    workbook = Workbook()
    sheet: Worksheet = workbook.active
    sheet.title = f"附表{table.heading.table}"
    if isinstance(table, SummaryTable):
        _summary(sheet, table)
    elif isinstance(table, CategoryTable):
        _categories(sheet, table)
    else:
        _list(sheet, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
