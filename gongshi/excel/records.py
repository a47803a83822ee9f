"""Turn recognised sheets into the content files they stand for (pure).

Rules of the import (docs/excel.md):

* A column the sheet has is authoritative (an empty cell clears the field); a
  column it lacks keeps the existing record's value.  The full text (决定书全文)
  is kept when its cell is empty.
* List rows that have a key (执法证件编号, 事项编码, 编号 …) are matched by it; a list's
  rows are replaced by the sheet's rows, in the sheet's order.
* A record whose canonical values did not change is not rewritten, so re-importing
  the same sheet changes no byte.
* A list whose rows changed needs the update date from the user (R-LIST): it is
  never taken from the clock.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field

from pipeline.errors import Problem
from pipeline.load import CASE_ID_RE, RawFile, parse_yaml, split_front_matter
from pipeline.values import parse_date

from .cells import empty_value, from_yaml, to_yaml
from .columns import BODY, Column, SheetSpec, children_of
from .sheets import ParsedSheet, SheetRow, cell_problem
from .yamlout import render_case, render_list


@dataclass
class Planned:
    """One content file to write, with what is needed to point errors at the sheet."""

    source: str  # content-relative path
    text: str
    raw: RawFile | None  # the text parsed back exactly as pipeline.load would read it
    sheet: ParsedSheet
    rows: list[SheetRow]  # list: row i of the file ↔ rows[i - 1]; case: [its row]
    created: bool
    replaces: str = ""  # case moved to another year folder: the old file to delete
    skip: set[str] = field(default_factory=set)  # (dotted) fields already reported at cell level


@dataclass
class ListChange:
    """Update date and optional history entry for lists whose rows changed (R-LIST)."""

    updated_on: dt.date | None = None
    note: str = ""
    cause: str = "other"
    effective_on: dt.date | None = None

    def history_entry(self) -> dict | None:
        """The entry to add to ``history``, or None when no note was given."""
        if not self.note or self.updated_on is None:
            return None
        entry = {"date": self.updated_on, "summary": self.note, "cause": self.cause}
        return entry | ({"effective_on": self.effective_on} if self.effective_on else {})


# ---------------------------------------------------------------- list rows

def canonical_list_row(spec: SheetSpec, row: dict) -> dict:
    """A list row of a content file in canonical form (every column, nested rows too)."""
    out = {c.field: from_yaml(c, row.get(c.field)) for c in spec.columns}
    for child in children_of(spec):
        entries = row.get(child.nested) or []
        out[child.nested] = tuple(
            {c.field: from_yaml(c, e.get(c.field)) for c in child.columns[1:]}
            for e in (entries if isinstance(entries, list) else []) if isinstance(e, dict))
    return out


def list_row_yaml(spec: SheetSpec, row: dict) -> dict:
    """The row as written in lists/<kind>.yaml: empty fields left out."""
    out = {c.field: to_yaml(c, row.get(c.field)) for c in spec.columns}
    for child in children_of(spec):
        entries = [{c.field: to_yaml(c, e.get(c.field)) for c in child.columns[1:]}
                   for e in row.get(child.nested, ())]
        out[child.nested] = [{k: v for k, v in e.items() if v is not None} for e in entries]
    return {k: v for k, v in out.items() if v not in (None, [])}


def _empty_row(spec: SheetSpec) -> dict:
    row = {c.field: empty_value(c) for c in spec.columns}
    return row | {child.nested: () for child in children_of(spec)}


def _sheet_rows(sheet: ParsedSheet, old: list[dict], problems: list[Problem]) -> list[dict]:
    key = sheet.spec.key
    by_key = {r[key]: r for r in old if key and r.get(key)}
    seen: dict[object, int] = {}
    rows = []
    for sr in sheet.rows:
        value = sr.values.get(key) if key else None
        if value and value in seen:
            problems.append(cell_problem(sheet.label, sr.row, sheet.header(key),
                                         f"{value} appears again (first in row {seen[value]})",
                                         "each row needs its own value: delete or correct one of them"))
        seen.setdefault(value, sr.row)
        row = dict(by_key.get(value) or _empty_row(sheet.spec))
        row.update({f: v for f, v in sr.values.items() if f in sheet.headers and f not in sr.failed})
        rows.append(row)
    return rows


def _apply_children(sheet: ParsedSheet, child: ParsedSheet, rows: list[dict],
                    problems: list[Problem]) -> None:
    key = sheet.spec.key
    groups: dict[str, list[dict]] = {r[key]: [] for r in rows if r.get(key)}
    for sr in child.rows:
        parent = sr.values.get("_parent")
        if parent not in groups:
            if "_parent" not in sr.failed:
                problems.append(cell_problem(
                    child.label, sr.row, child.header("_parent"),
                    f"no row with {sheet.header(key)} 「{parent or ''}」 in sheet {sheet.spec.name}",
                    f"use a {sheet.header(key)} of sheet {sheet.spec.name}"))
            continue
        groups[parent].append({c.field: sr.values.get(c.field, empty_value(c))
                               for c in child.spec.columns[1:]})
    for row in rows:
        if row.get(key) in groups:
            row[child.spec.nested] = tuple(groups[row[key]])


def plan_list(sheet: ParsedSheet, children: list[ParsedSheet], old: RawFile | None,
              old_text: str | None, change: ListChange,
              problems: list[Problem]) -> Planned | None:
    """The new lists/<kind>.yaml for ``sheet``, or None when its rows are unchanged."""
    spec = sheet.spec
    old_rows = old.data.get("rows") if old else None
    old_canon = [canonical_list_row(spec, r) for r in old_rows or [] if isinstance(r, dict)]
    rows = _sheet_rows(sheet, old_canon, problems)
    for child in children:
        _apply_children(sheet, child, rows, problems)
    if old is not None and rows == old_canon and len(old_canon) == len(old_rows or []):
        return None
    updated_on = change.updated_on
    current = _date_or_none(old.data.get("updated_on")) if old else None
    if updated_on is None:
        what = "changed" if old else f"make a new lists/{spec.target}.yaml"
        problems.append(cell_problem(
            sheet.label, None, "", f"the rows of {spec.name} {what} but no update date was given",
            "add --updated-on YYYY-MM-DD: the date of this version of the list, shown as 最近更新 "
            "(R-LIST); gongshi never takes it from the clock"))
        updated_on = dt.date.min
    elif current and updated_on < current:
        problems.append(cell_problem(
            sheet.label, None, "", f"--updated-on {updated_on} is before the list's current "
            f"最近更新 {current}", "give the date of this change"))
    source = old.source if old else f"lists/{spec.target}.yaml"
    text = render_list(old_text, {"title": spec.name, "updated_on": updated_on},
                       [list_row_yaml(spec, r) for r in rows], change.history_entry())
    data, problem = parse_yaml(text, source)
    if problem:  # pragma: no cover - our own YAML always parses
        problems.append(problem)
    skip = {f"rows[{i}].{f}" for i, sr in enumerate(sheet.rows, 1) for f in sr.failed}
    raw = RawFile(source, data) if isinstance(data, dict) else None
    return Planned(source, text, raw, sheet, list(sheet.rows), old is None, skip=skip)


def _date_or_none(value) -> dt.date | None:
    try:
        return parse_date(value) if value not in (None, "") else None
    except ValueError:
        return None


# ---------------------------------------------------------------- cases

def get_path(data: dict, path: str) -> object:
    """The value at a dotted path ("party.name"), or None."""
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _set(data: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for part in parents:
        if not isinstance(data.get(part), dict):
            data[part] = {}
        data = data[part]
    if value is None:
        data.pop(last, None)
    else:
        data[last] = value


def _case_changes(sheet: ParsedSheet, sr: SheetRow, data: dict, body: str) -> tuple[bool, str]:
    """Apply the row's present columns to ``data``; returns (changed, new body)."""
    changed = False
    for name in sheet.headers:
        column: Column = sheet.spec.column(name)
        if name in sr.failed or name == "id":
            continue
        new = sr.values[name]
        if column.kind == BODY:
            if new and new != body:
                body, changed = new, True
            continue
        if from_yaml(column, get_path(data, name)) != new:
            _set(data, name, to_yaml(column, new))
            changed = True
    return changed, body


def plan_case(sheet: ParsedSheet, sr: SheetRow, old: RawFile | None, year_hint: str,
              problems: list[Problem]) -> Planned | None:
    """The case file for one row, or None when it is unchanged or cannot be named."""
    case_id = sr.values.get("id") or ""
    header = sheet.header("id")
    if not case_id or not CASE_ID_RE.match(case_id):
        if "id" not in sr.failed:
            problems.append(cell_problem(
                sheet.label, sr.row, header, f"「{case_id}」 is not a record id" if case_id else
                "required: the record id names the file cases/<year>/<id>.md",
                "use letters, digits and '-' only, e.g. 2026-0012; keep it when re-importing"))
        return None
    ctype = sheet.spec.target
    if old and old.data.get("type") != ctype:
        problems.append(cell_problem(
            sheet.label, sr.row, header, f"record {case_id} is a {old.data.get('type')} in "
            f"{old.source}, not a {ctype}", "put the row on the sheet of its type", case_id))
        return None
    data = copy.deepcopy(old.data) if old else {"id": case_id, "type": ctype}
    changed, body = _case_changes(sheet, sr, data, old.body if old else "")
    if old and not changed:
        return None
    decided = _date_or_none(data.get("decided_on"))
    year = str(decided.year) if decided else (old.source.split("/")[1] if old else year_hint)
    source = f"cases/{year}/{case_id}.md"
    text = render_case(data, body)
    front, parsed_body, problem = split_front_matter(text, source)
    if problem:  # pragma: no cover - our own YAML always parses
        problems.append(problem)
    replaces = old.source if old and old.source != source else ""
    return Planned(source, text, RawFile(source, front or {}, parsed_body), sheet, [sr],
                   old is None, replaces, skip=set(sr.failed))
