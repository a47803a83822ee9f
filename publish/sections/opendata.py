"""开放数据: the current public results as CSV and JSON, with daily deltas (SPEC §6).

002 第十一条 asks for the results in the 双公示 format for the provincial platform;
the same files serve the public.  Output, all under ``data/``:

* ``results.csv`` / ``results.json`` — every public result, flat schema
  (``pipeline.opendata.RESULT_FIELDS``); CSV is UTF-8 with BOM and CRLF (Excel);
* ``penalties.csv`` / ``penalties.json`` — 行政处罚 only, 双公示 column names;
* ``delta/base.json``, ``delta/<date>.json``, ``delta/index.json`` — the history
  (publish/opendata_state.py; docs/opendata.md): applying the deltas in order to
  the base gives ``results.json``.

Rows come from ``SiteData.cases`` — live, approved, redacted (R-PII, R-APPROVAL,
R-RET5/R-RET2, R-WITHDRAW) — and the verifier scans every file written here.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.opendata import (
    KEY,
    PENALTY_FIELDS,
    RESULT_FIELDS,
    open_rows,
    penalty_rows,
    to_csv,
    to_json,
)
from pipeline.values import _FORMULA_START, spreadsheet_text

from ..opendata_state import STATE_PATH, History, advance, dump_state, published_history, read_state
from ..pages import Page, SiteData

NAV = [("开放数据", "data/")]
ORDER = 60
# pages() and postbuild need only the prepared site; postbuild writes only data/ and
# report.state_files: both may run in a child beside the rendering (publish.apart).
APART = True
RECENT_DELTAS = 31  # delta files listed on the page (all are in delta/index.json)


@dataclass(frozen=True)
class Export:
    """Everything the open-data page and files are made of, for one build."""

    rows: list[dict]  # flat schema, today's full file
    penalties: list[dict]  # 双公示 行政处罚 schema
    history: History  # the state after this build


def _item_names(site: SiteData) -> dict[str, str]:
    return {str(r["code"]): str(r.get("name", "")) for kind in ("items", "random")
            if kind in site.lists for r in site.lists[kind].rows}


def _credit_codes(site: SiteData) -> dict[str, str]:
    # The site's own bureau is the only body whose code the content records (bureau.yaml).
    name, code = site.bureau.get("name"), site.bureau.get("credit_code")
    return {str(name): str(code)} if name and code else {}


def _content_dir(settings: dict):
    prepared = (settings or {}).get("GONGSHI_PREPARED")
    return getattr(prepared, "content_dir", None)


# The latest export, for the same site and content dir: pages() and postbuild() of one
# build both need it (issue 9: 100,000 rows were built and hashed twice).
_last_export: tuple[SiteData, Path | None, Export] | None = None


def export(site: SiteData, content_dir: Path | None) -> Export:
    """Today's rows and the open-data history advanced to ``site.as_of``.

    Reads ``content_dir/opendata/state.json`` when there is one (never writes);
    raises OpendataStateError if it is broken or dated after ``site.as_of``.  Called
    again for the same ``site`` object and ``content_dir``, returns the same Export
    (state.json is only written after the build, so it cannot have changed).
    """
    global _last_export
    if _last_export and _last_export[0] is site and _last_export[1] == content_dir:
        return _last_export[2]
    rows = open_rows(site.cases, site.ends, _credit_codes(site), _item_names(site))
    history = advance(read_state(content_dir), rows, site.as_of)
    result = Export(rows, penalty_rows(rows), history)
    _last_export = (site, content_dir, result)
    return result


def pages(site: SiteData, settings: dict) -> list[Page]:
    """The /data/ page: the files, every field, the delta history."""
    data = export(site, _content_dir(settings))
    days = [{"date": d.date, "added": len(d.added), "corrected": len(d.corrected),
             "removed": len(d.removed)} for d in reversed(data.history.days)]
    return [Page("data/index.html", "data", {
        "result_fields": RESULT_FIELDS, "penalty_fields": PENALTY_FIELDS, "key": KEY,
        "count": len(data.rows), "penalty_count": len(data.penalties),
        "base_date": data.history.base_date, "days": days[:RECENT_DELTAS],
        "day_count": len(days),
    })]


def files(data: Export, as_of) -> Iterator[tuple[str, bytes]]:
    """(output path relative to the site root, bytes) of every open-data file.

    One file at a time (issue 9: at 100,000 results the five exports held at once, as
    text and again as bytes, were the build's largest allocation).
    """
    base, deltas = published_history(data.history, data.rows)
    memo: dict = {}  # the base holds today's row objects: each is encoded once
    results_json = to_json(data.rows, RESULT_FIELDS, memo).encode("utf-8")
    full_sha256 = hashlib.sha256(results_json).hexdigest()
    yield "data/results.json", results_json
    del results_json
    yield "data/delta/base.json", to_json(base, RESULT_FIELDS, memo).encode("utf-8")
    del memo
    yield "data/results.csv", to_csv(_cells(data.rows), RESULT_FIELDS).encode("utf-8")
    yield "data/penalties.csv", to_csv(_cells(data.penalties), PENALTY_FIELDS).encode("utf-8")
    yield "data/penalties.json", to_json(data.penalties, PENALTY_FIELDS).encode("utf-8")
    for delta in deltas:
        yield f"data/delta/{delta['date']}.json", _dump(delta).encode("utf-8")
    yield "data/delta/index.json", _dump({
        "key": KEY,
        "as_of": as_of.isoformat(),
        "base": {"date": data.history.base_date.isoformat(), "file": "base.json", "rows": len(base)},
        "deltas": [{"date": d["date"], "previous": d["previous"], "file": f"{d['date']}.json",
                    "added": len(d["added"]), "corrected": len(d["corrected"]),
                    "removed": len(d["removed"])} for d in deltas],
        "full": {"file": "../results.json", "rows": len(data.rows), "sha256": full_sha256},
    }).encode("utf-8")


def _cells(rows: list[dict]) -> list[dict]:
    """Rows for a CSV file: no value can start a spreadsheet formula (issue 11).

    JSON keeps the values as they are: its consumers are programs, not spreadsheets.
    """
    return [row if _plain_cells(row) else {k: spreadsheet_text(v) for k, v in row.items()}
            for row in rows]


# A value that could start a formula: at the start of the joined row, or after a separator.
_FORMULA_AT_START = re.compile(r"(?:\A|\x00)[" + re.escape("".join(_FORMULA_START)) + "]")


def _plain_cells(row: dict) -> bool:
    """True when no value of ``row`` would change under spreadsheet_text: all are text
    without NULs (so they can be joined and scanned at once) and none starts a formula."""
    try:
        joined = "\x00".join(row.values())
    except TypeError:  # a value that is not text
        return False
    return joined.count("\x00") == len(row) - 1 and not _FORMULA_AT_START.search(joined)


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1) + "\n"


def postbuild(prepared, out: Path, settings: dict) -> None:
    """Write the data files; hand the advanced state to the build (written with the ledger)."""
    data = export(prepared.site, prepared.content_dir)
    for rel, blob in files(data, prepared.site.as_of):
        path = Path(out) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
        del blob  # before the next file is made
    prepared.report.state_files[STATE_PATH] = dump_state(data.history)
    global _last_export
    _last_export = None  # the rows are not needed after this (memory during search and verify)
