"""Validation of the list files (lists/<kind>.yaml): rows, nested items, history (R-LIST).

Split from :mod:`pipeline.validate` (pure, like it).
"""

from __future__ import annotations

import datetime as dt

from .catalogue import LIST_SCHEMAS
from .errors import Problem
from .load import RawFile
from .model import ListChange, ListDoc
from .validate_fields import Checker
from .values import check_link, check_slug

LIST_ENVELOPE = frozenset({"title", "updated_on", "intro", "history", "approval", "rows", "rules"})


def validate_list(kind: str, f: RawFile, problems: list[Problem]) -> ListDoc | None:
    """The ListDoc of list file ``f`` (lists/<kind>.yaml); None for an unknown kind.

    Every problem is appended to ``problems`` (the ListDoc is then not to be used).
    """
    ck = Checker(f.source, problems)
    schema = LIST_SCHEMAS.get(kind)
    if schema is None:
        ck.add("", f"unknown list file {kind}.yaml",
               f"name it one of: {', '.join(sorted(LIST_SCHEMAS))}")
        return None
    ck.unknown(f.data, LIST_ENVELOPE)
    rows = f.data.get("rows")
    if not isinstance(rows, list) or not rows:
        ck.add("rows", "a list needs at least one row", "add entries under rows:")
        rows = []
    clean_rows = []
    for i, row in enumerate(rows, 1):
        prefix = f"rows[{i}]."
        if not isinstance(row, dict):
            ck.add(f"rows[{i}]", "expected a mapping of field: value", "see docs/content-format.md")
            continue
        ck.unknown(row, schema.fields, prefix)
        for key in schema.required:
            if row.get(key) in (None, "", []):
                ck.add(prefix + key, "required field is missing or empty", "fill it in")
        _row_values(ck, kind, row, prefix)
        clean_rows.append(row)
    history = tuple(_history(ck, f.data.get("history") or []))
    return ListDoc(
        kind=kind, title=ck.text(f.data, "title") or schema.title, source=f.source,
        updated_on=ck.date(f.data, "updated_on", required=True) or dt.date.min,
        rows=tuple(clean_rows), intro=ck.text(f.data, "intro"), rules=ck.text(f.data, "rules"),
        history=history, approval=ck.approval(f.data),
    )


# List fields that name a page of the site (items/<code>/ …) or are links, and the
# nested lists the templates loop over (issue 11: a number there was a TypeError).
PAGE_KEYS = {"items": "code", "random": "code", "guides": "id", "flows": "id"}
NESTED_ITEMS = {"discretion": "mappings", "steps": "mappings", "materials": "texts", "process": "texts"}


def _row_values(ck: Checker, kind: str, row: dict, prefix: str) -> None:
    for key, shape in NESTED_ITEMS.items():
        value = row.get(key)
        if value is not None and not (isinstance(value, list) and all(
                isinstance(v, dict) == (shape == "mappings") and not isinstance(v, list) for v in value)):
            ck.add(prefix + key, f"expected a list of {shape}", "see docs/content-format.md")
    checks = [(PAGE_KEYS.get(kind), check_slug, "use letters, digits and '-', e.g. XZCF-001")]
    if kind == "bases":
        checks.append(("link", check_link, "write the full address, https://…"))
    for key, check, fix in checks:
        if key and row.get(key) not in (None, ""):
            try:
                check(row[key])
            except ValueError as exc:
                ck.add(prefix + key, str(exc), fix)


def _history(ck: Checker, entries) -> list[ListChange]:
    out = []
    for i, entry in enumerate(entries if isinstance(entries, list) else [], 1):
        prefix = f"history[{i}]."
        if not isinstance(entry, dict):
            ck.add(prefix[:-1], "expected a mapping", "see docs/content-format.md")
            continue
        ck.unknown(entry, frozenset({"date", "summary", "cause", "effective_on"}), prefix)
        cause = ck.choice(entry, "cause", ("law", "function", "other"), "other", prefix)
        effective = ck.date(entry, "effective_on", prefix=prefix)
        if cause != "other" and effective is None:
            ck.add(prefix + "effective_on", "a change of law or function needs its effective date (R-LIST)",
                   "add effective_on: YYYY-MM-DD")
        out.append(ListChange(ck.date(entry, "date", True, prefix) or dt.date.min,
                              ck.text(entry, "summary", True, prefix), cause, effective))
    return out
