"""``gongshi export``: the current lists and results as one workbook in the template format.

The workbook is built from the content files' own values (through the same
canonical forms the import compares), so importing it again into the same
content directory changes no file: import(export(x)) == x.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ContentInvalid, Problem
from pipeline.load import load_content
from pipeline.validate import validate_content

from .cells import CELL_LIMIT, CellError, from_yaml, to_cell
from .columns import BODY, CASE_SHEETS, LIST_SHEETS, SheetSpec, children_of
from .records import canonical_list_row, get_path
from .template import build_workbook, options_of


@dataclass
class ExportReport:
    """Rows written per sheet, and what could not go into a cell."""

    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _cells(spec: SheetSpec, values: dict, source: str, problems: list[Problem]) -> dict:
    out = {}
    for column in spec.columns:
        try:
            out[column.field] = to_cell(column, values.get(column.field))
        except CellError as exc:
            problems.append(Problem(source, column.field, exc.message, exc.fix))
    return out


def _list_rows(raw, problems: list[Problem]) -> dict[str, list[dict]]:
    sheets: dict[str, list[dict]] = {}
    for spec in LIST_SHEETS:
        doc = raw.lists.get(spec.target)
        if doc is None:
            continue
        rows = [canonical_list_row(spec, r) for r in doc.data.get("rows") or []]
        sheets[spec.name] = [_cells(spec, r, doc.source, problems) for r in rows]
        for child in children_of(spec):
            entries = [{"_parent": r[spec.key], **e} for r in rows for e in r[child.nested]]
            sheets[child.name] = [_cells(child, e, doc.source, problems) for e in entries]
    return sheets


def _case_rows(raw, report: ExportReport, problems: list[Problem]) -> dict[str, list[dict]]:
    sheets: dict[str, list[dict]] = {}
    for spec in CASE_SHEETS:
        files = [f for f in raw.cases if f.data.get("type") == spec.target]
        files.sort(key=lambda f: (str(f.data.get("decided_on")), str(f.data.get("id"))))
        rows = []
        for f in files:
            values = {c.field: from_yaml(c, f.body if c.kind == BODY else get_path(f.data, c.field))
                      for c in spec.columns}
            if len(values["body"]) > CELL_LIMIT:
                # A cell holds 32,767 characters; an empty cell keeps the file's text on import.
                values["body"] = ""
                report.notes.append(f"{f.source}: full text longer than a cell holds; "
                                    "left empty (the import keeps the file's text)")
            rows.append(_cells(spec, values, f.source, problems))
        sheets[spec.name] = rows
    return sheets


def export_workbook(content_dir: Path, out: Path) -> ExportReport:
    """Write every list and result of ``content_dir`` to the workbook ``out`` (.xlsx).

    Raises ContentInvalid when the content does not validate (export only what a
    build would accept) or a value cannot be written so that it reads back the same.
    """
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise ContentInvalid([Problem(str(out), "", "export writes an .xlsx workbook",
                                      "name the output file ….xlsx")])
    raw = load_content(Path(content_dir))
    # Dates after "today" are checked by build and import; export shows what is there.
    validate_content(raw, dt.date.max)
    report, problems = ExportReport(), []
    sheets = _list_rows(raw, problems) | _case_rows(raw, report, problems)
    if problems:
        raise ContentInvalid(problems)
    specs = [s for spec in LIST_SHEETS for s in (spec, *children_of(spec))] + list(CASE_SHEETS)
    report.rows = {s.name: len(sheets.get(s.name, [])) for s in specs}
    out.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(specs, sheets, options_of(raw)).save(out)
    return report


def format_export(report: ExportReport, out: Path) -> str:
    """The export summary as lines for the terminal."""
    lines = [f"wrote {out}"] + [f"  {name}: {n} row(s)" for name, n in report.rows.items() if n]
    return "\n".join(lines + [f"note: {n}" for n in report.notes])
