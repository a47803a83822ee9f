"""Recognise what a grid holds and read its rows into canonical values (pure).

A sheet is recognised by its name (执法人员清单, 行政处罚, …) or, failing that, by
its header row.  The header row may sit below a title row, and a merged group
header (当事人 over 名称 | 统一社会信用代码) is combined with the header below it.
Every problem names the sheet, the row as Excel numbers it, the column and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.errors import Problem

from .cells import CellError, is_blank, parse_cell
from .columns import (
    ALL_SHEETS,
    CHILD_SHEETS,
    HELP_SHEET,
    OPTIONS_SHEET,
    Column,
    SheetSpec,
    header_index,
    normalise_header,
    sheet_by_name,
)
from .grid import Grid

HEADER_SEARCH_ROWS = 10  # title rows a provincial template may put above the headers


@dataclass
class SheetRow:
    """One data row: canonical values of the cells that could be read."""

    row: int  # as Excel numbers it
    values: dict[str, object]
    failed: set[str] = field(default_factory=set)  # fields whose cell was reported as an error


@dataclass
class ParsedSheet:
    """A recognised sheet: which spec, which columns it has, and its data rows."""

    spec: SheetSpec
    label: str
    headers: dict[str, str]  # field → header as written in the sheet
    rows: list[SheetRow]

    def header(self, field_name: str) -> str:
        """The header of ``field_name`` as written, or the template's header."""
        if field_name in self.headers:
            return self.headers[field_name]
        column = self.spec.column(field_name)
        if column:
            return column.header
        child = next((c for c in CHILD_SHEETS if c.target == self.spec.target
                      and c.nested == field_name and self.spec.kind == "list"), None)
        return f"工作表 {child.name}" if child else field_name


def cell_problem(label: str, row: int | None, header: str, message: str, fix: str = "",
                 record_id: str = "") -> Problem:
    """A Problem naming the sheet, the Excel row and the column."""
    where = (f"第{row}行" if row else "") + (f"「{header}」" if header else "")
    return Problem(label, where, message, fix, record_id)


@dataclass
class _Match:
    spec: SheetSpec
    header_row: int  # index into grid.rows
    columns: list[tuple[Column, int, str] | None]  # per grid column: (column, scale, header text)
    texts: list[str]  # header text per grid column (for unknown columns)

    @property
    def score(self) -> int:
        return len({c[0].field for c in self.columns if c})


def _resolve(spec: SheetSpec, upper: list, lower: list) -> _Match:
    index = header_index(spec)
    columns, texts = [], []
    for j, child in enumerate(lower):
        parent = upper[j] if j < len(upper) else None
        child_text = "" if is_blank(child) else str(child).strip()
        parent_text = "" if is_blank(parent) else str(parent).strip()
        candidates = [parent_text + child_text, child_text] if parent_text and child_text else \
            [child_text or parent_text]
        found = next(((index[normalise_header(c)], c) for c in candidates
                      if normalise_header(c) in index), None)
        columns.append((found[0][0], found[0][1], found[1]) if found else None)
        texts.append(child_text or parent_text)
    return _Match(spec, -1, columns, texts)


def _best_match(grid: Grid, specs: tuple[SheetSpec, ...]) -> list[_Match]:
    """The best (spec, header row) per spec, best first."""
    best: dict[str, _Match] = {}
    for i, (_, lower) in enumerate(grid.rows[:HEADER_SEARCH_ROWS]):
        upper = grid.rows[i - 1][1] if i else []
        for spec in specs:
            match = _resolve(spec, upper, lower)
            match.header_row = i
            if match.score > (best[spec.name].score if spec.name in best else 0):
                best[spec.name] = match
    return sorted(best.values(), key=lambda m: -m.score)


def _has_data(grid: Grid) -> bool:
    return any(not is_blank(v) for _, values in grid.rows for v in values)


def recognise(grid: Grid) -> tuple[_Match | None, list[Problem]]:
    """Which spec the grid holds, from its name or else its headers; problems if unclear.

    Help and option sheets, hidden sheets and empty sheets that are not recognised
    are skipped without a problem; any other unrecognised sheet with data is an error.
    """
    if normalise_header(grid.name) in (HELP_SHEET, OPTIONS_SHEET) or not _has_data(grid):
        return None, []
    named = sheet_by_name(grid.name)
    matches = _best_match(grid, (named,) if named else ALL_SHEETS)
    good = [m for m in matches if m.score >= min(2, len(m.spec.columns))]
    names = "、".join(s.name for s in ALL_SHEETS)
    if not good:
        if grid.hidden and not named:
            return None, []
        what = f"no header row of {named.name} found" if named else "not a sheet gongshi knows"
        return None, [cell_problem(grid.label, None, "", what,
                                  f"name the sheet one of: {names}; keep the template's header row")]
    if not named and len(good) > 1 and good[1].score == good[0].score:
        tied = "、".join(m.spec.name for m in good if m.score == good[0].score)
        return None, [cell_problem(grid.label, None, "", f"the headers fit more than one sheet: {tied}",
                                  "rename the sheet (or the CSV file) after what it holds, e.g. 行政处罚")]
    return good[0], []


def parse_grid(grid: Grid) -> tuple[ParsedSheet | None, list[Problem]]:
    """Recognise ``grid`` and read every data row; returns the sheet and all problems."""
    match, problems = recognise(grid)
    if match is None:
        return None, problems
    headers: dict[str, str] = {}
    for j, entry in enumerate(match.columns):
        if entry is None:
            continue
        column, _, text = entry
        if column.field in headers:
            problems.append(cell_problem(grid.label, None, text,
                                         f"a second column for {column.header}",
                                         "keep one of the two columns"))
            match.columns[j] = None
        else:
            headers[column.field] = text
    data = grid.rows[match.header_row + 1:]
    problems += _unknown_columns(grid, match, data)
    rows = []
    for number, values in data:
        if all(is_blank(v) for v in values):
            continue  # empty rows, trailing or not, carry nothing
        rows.append(_read_row(grid, match, number, values, problems))
    return ParsedSheet(match.spec, grid.label, headers, rows), problems


def _unknown_columns(grid: Grid, match: _Match, data) -> list[Problem]:
    problems = []
    known = "、".join(c.header for c in match.spec.columns)
    for j, entry in enumerate(match.columns):
        if entry is not None or not any(j < len(v) and not is_blank(v[j]) for _, v in data):
            continue
        header = match.texts[j]
        message = f"unknown column 「{header}」" if header else f"column {j + 1} has data but no header"
        problems.append(cell_problem(grid.label, None, header, message,
                                     f"rename it to one of: {known}; or delete the column"))
    return problems


def _read_row(grid: Grid, match: _Match, number: int, values: list, problems: list) -> SheetRow:
    row = SheetRow(number, {})
    for j, entry in enumerate(match.columns):
        if entry is None:
            continue
        column, scale, header = entry
        if (number, j + 1) in grid.formulas:
            problems.append(cell_problem(grid.label, number, header, "a formula without a computed value",
                                         "open the file in Excel or WPS and save it again, or type the value"))
            row.failed.add(column.field)
            continue
        try:
            row.values[column.field] = parse_cell(column, values[j] if j < len(values) else None, scale)
        except CellError as exc:
            problems.append(cell_problem(grid.label, number, header, exc.message, exc.fix))
            row.failed.add(column.field)
    return row
