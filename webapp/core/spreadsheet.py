"""Spreadsheet output that never turns user text into a formula (CSV/formula injection).

A project name typed as ``=HYPERLINK("http://evil", "点击")`` must reach the reader of an
export as that text, never as a live formula.  OWASP's rule: a cell whose text starts with
``= + - @``, a tab or a carriage return is what a spreadsheet may evaluate.  Every export
(ledgers, 附表1–7, audit trail) writes its cells through this module:

- CSV: such text gets a leading apostrophe (the cell then shows the text as typed);
- Excel: the cell is stored as a string (``t="inlineStr"``, never ``<f>``) with the
  "quote prefix" style, so Excel keeps it text even when the user edits the cell.  The value
  itself is not changed, so a ledger export re-imports as it was.

Numbers, dates and booleans are written as they are: only text is ever neutralised.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: The media type of every .xlsx download.
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: What a spreadsheet may read as the start of a formula (or of a DDE payload).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    """True for text a spreadsheet could evaluate: the one rule every export applies."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_safe(value: Any) -> Any:
    """``value`` for a CSV cell: formula-like text prefixed with an apostrophe."""
    return "'" + value if looks_like_formula(value) else value


def _xlsx_text(value: str) -> str:
    # Control characters XML cannot carry would make openpyxl refuse the whole file.
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)


def _neutralise(cell: Any, value: Any) -> Any:
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
        if looks_like_formula(value):
            cell.quotePrefix = True
    return cell


def xlsx_cell(sheet: Any, value: Any) -> WriteOnlyCell:
    """A cell of a write-only worksheet holding ``value``, never a formula."""
    if isinstance(value, str):
        value = _xlsx_text(value)
    return _neutralise(WriteOnlyCell(sheet, value=value), value)


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append one row to a write-only worksheet, every text cell neutralised."""
    sheet.append([xlsx_cell(sheet, v) for v in values])


def set_cell(sheet: Any, row: int, column: int, value: Any) -> Any:
    """Write ``value`` at (row, column) of an ordinary worksheet, never as a formula."""
    if isinstance(value, str):
        value = _xlsx_text(value)
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    return _neutralise(cell, value)
