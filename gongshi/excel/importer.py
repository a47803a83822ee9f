"""``gongshi import``: a filled template (.xlsx or .csv) → list and case files.

Everything is computed in memory first: the sheets are read, the new files are
rendered and parsed back exactly as ``pipeline.load`` reads them, and the whole
content directory as it would be afterwards goes through ``pipeline.validate``.
Only when no row has a problem is anything written (each file atomically).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.approval import gate_cases, gate_lists
from pipeline.errors import ContentInvalid, Problem
from pipeline.load import RawContent, decode_text, load_content
from pipeline.validate import validate_content

from .columns import LIST_SHEETS
from .grid import read_grids
from .records import ListChange, Planned, plan_case, plan_list
from .sheets import ParsedSheet, cell_problem, parse_grid


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # case files moved to another year folder
    unchanged: int = 0  # rows whose record did not change
    notes: list[str] = field(default_factory=list)  # e.g. records held back until approved


def import_file(path: Path, content_dir: Path, as_of: dt.date,
                change: ListChange | None = None, dry_run: bool = False) -> ImportReport:
    """Import ``path`` into ``content_dir``; returns the report.

    Raises ContentInvalid listing every problem (sheet, Excel row, column, fix)
    and writes nothing when any row or the resulting content is invalid.
    ``as_of`` is the date validation treats as today (no decision after it);
    ``change.updated_on`` is the update date of lists whose rows changed.
    """
    change = change or ListChange()
    content_dir = Path(content_dir)
    problems: list[Problem] = []
    sheets = []
    for grid in read_grids(path):
        sheet, found = parse_grid(grid)
        problems += found
        if sheet is not None and sheet.rows:
            sheets.append(sheet)
    if not sheets and not problems:
        problems.append(Problem(Path(path).name, "", "no data rows found in any sheet gongshi knows",
                                "fill in a template from `gongshi template` (rows below the header)"))
    raw = load_content(content_dir)
    plans = _plan_lists(sheets, raw, content_dir, change, problems)
    plans += _plan_cases(sheets, raw, problems)
    merged = _merged(raw, plans)
    try:
        content = validate_content(merged, as_of)
    except ContentInvalid as exc:
        problems += map_problems(exc.problems, plans)
        content = None
    if problems:
        raise ContentInvalid(problems)
    report = _report(plans, sum(len(s.rows) for s in sheets if s.spec.kind != "child"))
    report.notes = _approval_notes(content, plans)
    if not dry_run:
        _write(content_dir, plans)
    return report


def _plan_lists(sheets: list[ParsedSheet], raw: RawContent, content_dir: Path,
                change: ListChange, problems: list[Problem]) -> list[Planned]:
    lists: dict[str, ParsedSheet] = {}
    for sheet in (s for s in sheets if s.spec.kind == "list"):
        if _duplicate(sheet, lists, problems):
            continue
        lists[sheet.spec.target] = sheet
    children: dict[str, ParsedSheet] = {}
    for child in (s for s in sheets if s.spec.kind == "child"):
        if _duplicate(child, children, problems, key=child.spec.name):
            continue
        children[child.spec.name] = child
        if child.spec.target not in lists:
            parent = next(s.name for s in LIST_SHEETS if s.target == child.spec.target)
            problems.append(cell_problem(child.label, None, "", f"sheet {child.spec.name} needs the "
                                         f"sheet {parent} with its rows in the same file",
                                         f"add the {parent} sheet"))
    plans = []
    for kind, sheet in lists.items():
        old = raw.lists.get(kind)
        old_text = None
        if old is not None:
            old_text, _ = decode_text((content_dir / old.source).read_bytes(), old.source)
        kids = [c for c in children.values() if c.spec.target == kind]
        plan = plan_list(sheet, kids, old, old_text, change, problems)
        if plan:
            plans.append(plan)
    return plans


def _duplicate(sheet: ParsedSheet, seen: dict, problems: list[Problem], key: str = "") -> bool:
    key = key or sheet.spec.target
    if key in seen:
        problems.append(cell_problem(sheet.label, None, "", f"{seen[key].label} already holds "
                                     f"{sheet.spec.name}", "merge the two sheets into one"))
        return True
    return False


def _plan_cases(sheets: list[ParsedSheet], raw: RawContent, problems: list[Problem]) -> list[Planned]:
    existing = {}
    for f in raw.cases:
        existing.setdefault(str(f.data.get("id") or f.source.rsplit("/", 1)[-1][:-3]), f)
    seen: dict[str, str] = {}
    plans = []
    for sheet in (s for s in sheets if s.spec.kind == "case"):
        for sr in sheet.rows:
            case_id = sr.values.get("id")
            if case_id and case_id in seen:
                problems.append(cell_problem(sheet.label, sr.row, sheet.header("id"),
                                             f"record {case_id} appears again (first at {seen[case_id]})",
                                             "give each record its own id", case_id))
                continue
            if case_id:
                seen[case_id] = f"{sheet.label} 第{sr.row}行"
            plan = plan_case(sheet, sr, existing.get(case_id), "0000", problems)
            if plan:
                plans.append(plan)
    return plans


def _merged(raw: RawContent, plans: list[Planned]) -> RawContent:
    """The content as it will be after the import (what validation must accept)."""
    lists = dict(raw.lists)
    gone = {p.source for p in plans} | {p.replaces for p in plans if p.replaces}
    cases = [f for f in raw.cases if f.source not in gone]
    for plan in plans:
        if plan.raw is None:
            continue
        if plan.source.startswith("lists/"):
            lists[plan.source[len("lists/"):-len(".yaml")]] = plan.raw
        else:
            cases.append(plan.raw)
    return RawContent(raw.bureau, lists, cases, list(raw.corrections), list(raw.calendar),
                      raw.ledger_text, list(raw.problems))


_ROW_FIELD_RE = re.compile(r"^rows\[(\d+)\](?:\.(.+))?$")


def map_problems(problems: list[Problem], plans: list[Planned]) -> list[Problem]:
    """Point validation problems of imported records at their sheet, row and column.

    Problems of files the import does not touch are returned unchanged; problems
    already reported for an unreadable cell are dropped.
    """
    by_source = {p.source: p for p in plans}
    out = []
    for problem in problems:
        plan = by_source.get(problem.source)
        if plan is None:  # a file the import leaves alone, invalid with the imported records
            out.append(dataclasses.replace(problem, message=f"{problem.message} (after this import)"))
        elif problem.field not in plan.skip:
            out.append(_mapped(problem, plan))
    return out


def _mapped(problem: Problem, plan: Planned) -> Problem:
    sheet = plan.sheet
    if plan.source.startswith("cases/"):
        row, name = plan.rows[0], problem.field
    else:
        match = _ROW_FIELD_RE.match(problem.field)
        if not match:
            return cell_problem(sheet.label, None, "", f"{plan.source} [{problem.field}]: "
                                f"{problem.message}", problem.fix)
        row, name = plan.rows[int(match.group(1)) - 1], match.group(2) or ""
    message = problem.message
    if name and name not in sheet.headers and sheet.spec.column(name):
        message += f" (the sheet has no column 「{sheet.header(name)}」: the value comes from {plan.source})"
    return cell_problem(sheet.label, row.row, sheet.header(name) if name else "", message,
                        problem.fix, problem.record_id)


def _report(plans: list[Planned], rows: int) -> ImportReport:
    report = ImportReport()
    for plan in sorted(plans, key=lambda p: p.source):
        (report.created if plan.created else report.updated).append(plan.source)
        if plan.replaces:
            report.removed.append(plan.replaces)
    changed_rows = sum(1 for p in plans if p.source.startswith("cases/"))
    changed_rows += sum(len(p.rows) for p in plans if p.source.startswith("lists/"))
    report.unchanged = max(rows - changed_rows, 0)
    return report


def _approval_notes(content, plans: list[Planned]) -> list[str]:
    """R-APPROVAL: imported records that the build will hold back, and why."""
    sources = {p.source for p in plans}
    _, held_cases = gate_cases(c for c in content.cases if c.source in sources)
    _, held_lists = gate_lists({k: d for k, d in content.lists.items() if d.source in sources})
    return [f"{h.source}: the build will hold it back ({h.rule}: {h.reason})"
            for h in [*held_lists, *held_cases]]


def _write(content_dir: Path, plans: list[Planned]) -> None:
    for plan in plans:
        target = content_dir / plan.source
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.import-tmp")
        temp.write_text(plan.text, encoding="utf-8", newline="\n")
        os.replace(temp, target)
    for plan in plans:
        if plan.replaces:
            (content_dir / plan.replaces).unlink(missing_ok=True)


def format_report(report: ImportReport, dry_run: bool = False) -> str:
    """The import report as lines for the terminal."""
    verb = "would " if dry_run else ""
    lines = [f"{verb}create {s}" for s in report.created]
    lines += [f"{verb}update {s}" for s in report.updated]
    lines += [f"{verb}remove {s} (moved to another year folder)" for s in report.removed]
    if not (report.created or report.updated):
        lines.append("nothing changed: every record already matches the sheet")
    lines.append(f"{report.unchanged} row(s) unchanged")
    lines += [f"note: {n}" for n in report.notes]
    return "\n".join(lines)
