"""Excel in and out for the ledgers (openpyxl), hardened against hostile files.

Reading: the size is limited, the ZIP container's member count and total uncompressed size are
checked *before* openpyxl opens it (zip bombs), and openpyxl parses its XML with defusedxml
(installed and pinned: it refuses entity expansion and external entities).  Anything that is not
a readable workbook gives "不是有效的 Excel 文件".

Writing: every cell goes through ``webapp.core.spreadsheet``, so text typed by a user (a project
named ``=HYPERLINK(...)``) is exported as text, never as a live formula.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from webapp.core.errors import InvalidInput, UploadRefused
from webapp.core.spreadsheet import append_row, set_cell
from webapp.ledger.fields import ORG_LABEL, Kind, display

#: Limits of one uploaded workbook.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 2000
#: Data rows of one import (``HQR_LEDGER_IMPORT_MAX_ROWS`` sets the application's limit).
MAX_ROWS = 50_000
#: Rows between two progress reports while reading.
PROGRESS_EVERY = 5000
NOT_EXCEL = "不是有效的 Excel 文件（.xlsx）。"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _normalise(header: Any) -> str:
    text = "" if header is None else str(header).strip()
    return text.replace("(", "（").replace(")", "）").replace(" ", "")


def check_container(data: bytes, *, max_bytes: int = MAX_FILE_BYTES) -> None:
    """Refuse oversize files, non-ZIP data and zip bombs before any XML is parsed."""
    if len(data) > max_bytes:
        raise UploadRefused(f"文件超过大小限制（{max_bytes // (1024 * 1024)} MB）。")
    if not data or not zipfile.is_zipfile(io.BytesIO(data)):
        raise UploadRefused(NOT_EXCEL)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UploadRefused(NOT_EXCEL) from exc
    if len(members) > MAX_MEMBERS:
        raise UploadRefused(f"{NOT_EXCEL}文件内部条目过多（{len(members)}）。")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UploadRefused(f"{NOT_EXCEL}解压后体积过大（疑似压缩炸弹）。")
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise UploadRefused(NOT_EXCEL)


def too_many_rows(count: int | None, max_rows: int) -> UploadRefused:
    """The refusal of a file over the row limit (``count`` None: not known, only that it is)."""
    found = f"文件有 {count} 行数据" if count is not None else "文件的数据行"
    return UploadRefused(f"{found}，超过单次导入上限 {max_rows} 行，请拆分为多个文件分批导入。")


def read_sheet(
    data: bytes,
    kind: Kind,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """The rows of the first sheet as (row number, {header: cell value}), blank rows skipped.

    A sheet declaring more than ``max_rows`` data rows is refused before any row is read; one
    whose declaration is missing or too small is read and refused as soon as it passes the limit
    (every row present is read: a wrong declaration never drops rows silently).
    """
    check_container(data, max_bytes=max_bytes)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on malformed files  # noqa: BLE001
        raise UploadRefused(NOT_EXCEL) from exc
    try:
        sheet = workbook.worksheets[0]
        declared = sheet.max_row
        if declared is not None and declared - 1 > max_rows:
            raise too_many_rows(declared - 1, max_rows)
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            raise InvalidInput("工作表为空：第一行应为列标题。")
        headers = [_normalise(h) for h in header_row]
        wanted = {f.label for f in kind.fields} | {ORG_LABEL}
        missing = [f.label for f in kind.fields if f.required and f.label not in headers]
        if missing:
            raise InvalidInput(
                "缺少必需的列：" + "、".join(missing),
                details=[{"row": 1, "column": m, "reason": "缺少该列"} for m in missing],
            )
        positions = {h: i for i, h in enumerate(headers) if h in wanted}
        out: list[tuple[int, dict[str, Any]]] = []
        for number, values in enumerate(rows, start=2):
            if number > max_rows + 1:
                raise too_many_rows(None, max_rows)
            if progress is not None and number % PROGRESS_EVERY == 0:
                known = declared is not None and declared >= number
                progress("read", number - 1, declared - 1 if known else 0)
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            cells = {h: values[i] if i < len(values) else None for h, i in positions.items()}
            out.append((number, cells))
        return out
    except InvalidInput:
        raise
    except Exception as exc:  # noqa: BLE001
        raise UploadRefused(NOT_EXCEL) from exc
    finally:
        workbook.close()


def _style_header(sheet: Any, row: int, count: int) -> None:
    for col in range(1, count + 1):
        cell = sheet.cell(row=row, column=col)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template(kind: Kind) -> bytes:
    """A blank import template: the header row and a sheet explaining each column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = kind.label
    headers = [f.label for f in kind.fields] + [ORG_LABEL]
    for col, label in enumerate(headers, start=1):
        set_cell(sheet, 1, col, label)
    _style_header(sheet, 1, len(headers))
    for i, label in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, len(label) * 2 + 2)
    help_sheet = workbook.create_sheet("填写说明")
    rows = [["列", "必填", "说明"]]
    rows += [[f.label, "是" if f.required else "否", _explain(f)] for f in kind.fields]
    rows.append([ORG_LABEL, "否", "6位行政区划代码，默认为导入单位；须为导入单位或其下级单位"])
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            set_cell(help_sheet, r, c, value)
    _style_header(help_sheet, 1, 3)
    help_sheet.column_dimensions["A"].width = 24
    help_sheet.column_dimensions["C"].width = 60
    return _to_bytes(workbook)


def _explain(f: Any) -> str:
    if f.kind == "date":
        return "日期：Excel 日期或 YYYY-MM-DD"
    if f.kind == "decimal":
        return "数字，保留两位小数"
    if f.kind == "int":
        return "非负整数"
    if f.kind == "bool":
        return "填写“是”或“否”"
    if f.kind == "choice":
        return "可选：" + "、".join(f.choices)
    return "文字"


def _cell(f: Any, value: Any) -> Any:
    if value is None:
        return None
    if f.kind in ("date", "int", "decimal") and isinstance(value, date | datetime | int):
        return value
    if f.kind == "decimal":
        return float(value)
    return display(f, value)


def export_records(kind: Kind, records: Any) -> bytes:
    """Every record given, one row each, in the import layout (re-importable as is)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind.label)
    append_row(sheet, [f.label for f in kind.fields] + [ORG_LABEL])
    for record in records:
        row = [_cell(f, getattr(record, f.name)) for f in kind.fields]
        append_row(sheet, [*row, record.org.code])
    return _to_bytes(workbook)
