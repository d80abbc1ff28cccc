"""Tables out to CSV and XLSX, with cells that a spreadsheet will never run as formulas.

A cell that starts with =, +, -, @, a tab or a carriage return can be read as a formula (and a
formula can fetch URLs or run commands). Such text is written with a leading apostrophe, the
spreadsheet convention for "this is text", and in XLSX it is also stored as a string cell.

Control characters are taken out of every cell, header and sheet name first (XLSX cannot hold
them, and one would make the whole workbook fail), so none can hide a formula's first character.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from earful.kit.text import printable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
Cell = str | int | float | bool | datetime | None


@dataclass(slots=True)
class Sheet:
    """A named table: its header and rows."""

    name: str
    header: Sequence[str]
    rows: list[Sequence[Cell]] = field(default_factory=list)


def neutralise(value: Any) -> str | int | float | None:
    """Return `value` safe for a spreadsheet cell: numbers stay numbers, risky text gets a leading '."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    text = printable(str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(sheets: Sequence[Sheet]) -> str:
    """Return every sheet as one CSV: a "table" column first names the sheet each row belongs to."""
    out = io.StringIO()
    writer = csv.writer(out)
    for sheet in sheets:
        name = neutralise(sheet.name)
        writer.writerow(["table", *(neutralise(h) for h in sheet.header)])
        for row in sheet.rows:
            writer.writerow([name, *(neutralise(v) for v in row)])
        writer.writerow([])
    return out.getvalue()


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """Return the sheets as an XLSX workbook, one worksheet each, text cells stored as text."""
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.name))
        ws.append([neutralise(h) for h in sheet.header])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r, row in enumerate(sheet.rows, start=2):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c, value=neutralise(value))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never "f": openpyxl would store text starting with = as a formula
        for c, title in enumerate(sheet.header, start=1):
            longest = max([len(str(title)), *(len(str(row[c - 1] or "")) for row in sheet.rows[:200])])
            ws.column_dimensions[get_column_letter(c)].width = min(60, max(8, longest + 2))
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(name: str) -> str:
    # Excel forbids []:*?/\ in sheet names and allows 31 characters.
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in printable(name, one_line=True))[:31] or "Sheet"
