"""Spreadsheet exports (CSV and Excel) that a spreadsheet cannot be made to run.

Names and notes come from users and imported files; a cell that starts with = + - @ (or a
tab or carriage return before one) is read as a formula by Excel and its kin, which can
fetch URLs or run commands. Every export writes its cells through safe_cell().
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as a cell: text a spreadsheet would take for a formula gets a leading
    apostrophe (shown as text, OWASP's advice); numbers and other values stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Sequence]) -> str:
    """UTF-8 CSV with a byte-order mark, so that Excel reads Chinese names; cells made safe."""
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue()


def xlsx_bytes(sheets: Iterable[tuple[str, Iterable[Sequence]]]) -> bytes:
    """An Excel workbook with a sheet per (title, rows); cells made safe, none a formula."""
    from openpyxl import Workbook  # only exports need it
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            cells = []
            for value in row:
                if isinstance(value, str):
                    # Control characters (in a name typed or imported) have no place in the
                    # file format: openpyxl refuses the whole workbook for one of them.
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell = WriteOnlyCell(sheet, value=safe_cell(value))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, even if openpyxl would guess a formula
                cells.append(cell)
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def attachment(body: str | bytes, mimetype: str, filename: str):
    """An HTTP answer the browser saves as this file."""
    from flask import Response  # exports stay usable without a request

    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
