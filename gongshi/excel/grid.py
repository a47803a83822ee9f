"""Read a workbook or CSV file into plain grids of cell values (the only disk access
of the import besides writing the result).

Merged cells are filled with their top-left value, so a merged group header or a
category merged down several rows reads as if it were typed in every cell.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ContentInvalid, Problem
from pipeline.load import decode_text


@dataclass
class Grid:
    """One sheet (or one CSV file) as rows of values."""

    name: str  # sheet name, or the CSV file's stem
    label: str  # how errors name it: 'book.xlsx 工作表「执法人员清单」' or 'officers.csv'
    rows: list[tuple[int, list[object]]]  # (row number as Excel shows it, values)
    hidden: bool = False
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, column) without a computed value


def read_grids(path: Path) -> list[Grid]:
    """Every sheet of an .xlsx workbook, or the one grid of a .csv file (UTF-8 or GBK).

    Raises ContentInvalid naming the file when it is neither, or cannot be read.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ContentInvalid([Problem(str(path), "", "file not found", "check the path")])
    if suffix == ".csv":
        return [_read_csv(path)]
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    fix = "save it as Excel 工作簿 (.xlsx) or CSV UTF-8 (.csv)"
    if suffix in (".xls", ".et", ".ods", ".wps"):
        fix = "open it in Excel, WPS or LibreOffice and " + fix
    raise ContentInvalid([Problem(path.name, "", f"cannot read {suffix or 'this'} files", fix)])


def _read_csv(path: Path) -> Grid:
    text, problem = decode_text(path.read_bytes(), path.name)
    if problem:  # pragma: no cover - gb18030 decodes nearly everything
        raise ContentInvalid([problem])
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ContentInvalid([Problem(path.name, "", f"not a CSV file: {exc}",
                                      "save it as CSV UTF-8 (comma separated)")]) from None
    return Grid(path.stem, path.name, [(i, list(r)) for i, r in enumerate(records, 1)])


def _read_xlsx(path: Path) -> list[Grid]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        values = openpyxl.load_workbook(path, data_only=True)
        # The formulas are read only when a sheet has one (loading twice doubles the time).
        formulas = openpyxl.load_workbook(path, data_only=False) if _has_formulas(path) else None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ContentInvalid([Problem(path.name, "", f"not a readable .xlsx workbook ({exc})",
                                      "open it in Excel, WPS or LibreOffice and save it as .xlsx")]) from None
    return [_sheet_grid(ws, formulas[ws.title] if formulas else None, path.name)
            for ws in values.worksheets]


def _has_formulas(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any(re.search(rb"<(\w+:)?f[ >]", archive.read(name))
                   for name in archive.namelist() if name.startswith("xl/worksheets/"))


def _sheet_grid(ws, formula_ws, file_name: str) -> Grid:
    width = ws.max_column or 0
    rows = {r: list(values) + [None] * (width - len(values))
            for r, values in enumerate(ws.iter_rows(min_row=1, max_row=ws.max_row, values_only=True), 1)}
    for merged in ws.merged_cells.ranges:
        top = rows.get(merged.min_row, [None] * width)[merged.min_col - 1]
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                if r in rows and c <= width:
                    rows[r][c - 1] = top
    # A formula saved without its computed value (files written by scripts) reads as
    # empty; report it instead of importing a blank (never skip disclosure data silently).
    formulas = {(cell.row, cell.column) for row in (formula_ws.iter_rows() if formula_ws else ())
                for cell in row
                if cell.data_type == "f" and rows.get(cell.row, [None] * width)[cell.column - 1] is None}
    return Grid(ws.title, f"{file_name} 工作表「{ws.title}」", sorted(rows.items()),
                hidden=ws.sheet_state != "visible", formulas=formulas)
