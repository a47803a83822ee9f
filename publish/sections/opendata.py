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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from pipeline.opendata import (
    KEY,
    PENALTY_FIELDS,
    RESULT_FIELDS,
    csv_line,
    json_part,
    open_row,
    penalty_row,
    public_cases,
    to_csv,
)
from pipeline.values import _FORMULA_START, spreadsheet_text

from ..cache import SHARDS, Cache, TrackingDict, code_version
from ..opendata_state import (
    STATE_PATH,
    History,
    advance_to,
    dump_state,
    history_of,
    read_state,
    row_hash,
    stub,
)
from ..pages import Page, SiteData

NAV = [("开放数据", "data/")]
ORDER = 60
# pages() and postbuild need only the prepared site; postbuild writes only data/ and
# report.state_files: both may run in a child beside the rendering (publish.apart).
APART = True
RECENT_DELTAS = 31  # delta files listed on the page (all are in delta/index.json)


class Part(NamedTuple):
    """One public result as the exports write it, kept in the build cache by what it is
    made of (issue 9: making 100,000 rows, their text and hashes took ~15 s of CPU on
    every correction)."""

    order: tuple[str, str]  # (决定日期, 记录编号): the files' order
    hash: str  # opendata_state.row_hash of its flat row
    json: bytes  # its element of results.json (pipeline.opendata.json_part), UTF-8
    csv: bytes  # its line of results.csv (cells guarded: _cells)
    penalty_json: bytes  # the same for penalties.json / .csv; b"" if not a 行政处罚
    penalty_csv: bytes

    @property
    def key(self) -> str:
        return self.order[1]


def _part(row: dict) -> Part:
    penalty = penalty_row(row)
    return Part((row["决定日期"], row[KEY]), row_hash(row), json_part(row).encode(),
                csv_line(_cells([row])[0], RESULT_FIELDS).encode(),
                json_part(penalty).encode() if penalty else b"",
                csv_line(_cells([penalty])[0], PENALTY_FIELDS).encode() if penalty else b"")


# A change to any of these files changes what a kept Part would be.
EXPORT_CODE = ("pipeline/opendata.py", "pipeline/values.py", "pipeline/model.py",
               "publish/opendata_state.py", "publish/sections/opendata.py")


@dataclass(frozen=True)
class Export:
    """Everything the open-data page and files are made of, for one build."""

    parts: list[Part]  # today's full file, in order
    history: History  # the state after this build
    keep: Callable[[], None] = lambda: None  # saves the cache of parts (after the files)

    @property
    def penalties(self) -> list[Part]:
        """The 行政处罚 among the parts, in order."""
        return [part for part in self.parts if part.penalty_json]


def _item_names(site: SiteData) -> dict[str, str]:
    return {str(r["code"]): str(r.get("name", "")) for kind in ("items", "random")
            if kind in site.lists for r in site.lists[kind].rows}


def _credit_codes(site: SiteData) -> dict[str, str]:
    # The site's own bureau is the only body whose code the content records (bureau.yaml).
    name, code = site.bureau.get("name"), site.bureau.get("credit_code")
    return {str(name): str(code)} if name and code else {}


# The latest export, for the same site and content dir: pages() and postbuild() of one
# build both need it (issue 9: 100,000 rows were built and hashed twice).
_last_export: tuple[SiteData, Path | None, Export] | None = None


def export(site: SiteData, content_dir: Path | None, identities: Mapping | None = None,
           cache_dir: Path | None = None) -> Export:
    """Today's parts and the open-data history advanced to ``site.as_of``.

    Reads ``content_dir/opendata/state.json`` when there is one (never writes);
    raises OpendataStateError if it is broken or dated after ``site.as_of``.  Called
    again for the same ``site`` object and ``content_dir``, returns the same Export
    (state.json is only written after the build, so it cannot have changed).
    ``identities`` ({id(case): (case, a text naming it)}, publish.redaction) and
    ``cache_dir``: a case named there whose row depends on nothing else that changed
    takes its Part from the cache in ``cache_dir``.
    """
    global _last_export
    if _last_export and _last_export[0] is site and _last_export[1] == content_dir:
        return _last_export[2]
    parts, keep = _parts(site, identities or {}, cache_dir)
    history = advance_to(read_state(content_dir), {part.key: part.hash for part in parts}, site.as_of)
    result = Export(parts, history, keep)
    _last_export = (site, content_dir, result)
    return result


def _parts(site: SiteData, identities: Mapping, cache_dir: Path | None) -> tuple[list[Part], Callable]:
    codes, items = _credit_codes(site), _item_names(site)
    cache = Cache(cache_dir, "opendata", code_version(EXPORT_CODE), shards=SHARDS)
    kept = TrackingDict(cache.data)
    parts = []
    for case, end in public_cases(site.cases, site.ends):
        named = identities.get(id(case))
        if named is None or named[0] is not case:  # not named: made, never kept
            parts.append(_part(open_row(case, end, codes, items)))
            continue
        # A row is made of its case, its end, its item's name and its body's code.
        key = hashlib.sha256("\0".join((named[1], end.isoformat(), items.get(case.item, ""),
                                         codes.get(case.agency, ""))).encode()).digest()
        if key not in kept:
            kept[key] = _part(open_row(case, end, codes, items))
        parts.append(dict.__getitem__(kept, key))
    return parts, lambda: cache.save(kept.used_entries(), content_keyed=True)


def pages(site: SiteData, settings: dict) -> list[Page]:
    """The /data/ page: the files, every field, the delta history."""
    data = export(site, *_sources((settings or {}).get("GONGSHI_PREPARED")))
    days = [{"date": d.date, "added": len(d.added), "corrected": len(d.corrected),
             "removed": len(d.removed)} for d in reversed(data.history.days)]
    return [Page("data/index.html", "data", {
        "result_fields": RESULT_FIELDS, "penalty_fields": PENALTY_FIELDS, "key": KEY,
        "count": len(data.parts), "penalty_count": len(data.penalties),
        "base_date": data.history.base_date, "days": days[:RECENT_DELTAS],
        "day_count": len(days),
    })]


def _sources(prepared) -> tuple:
    """(content dir, identities, cache dir) of a prepared site (None: none of them)."""
    if prepared is None:
        return None, None, None
    return prepared.content_dir, prepared.identities, prepared.cache_dir


def _stub_part(key: str) -> Part:
    return _part(stub(key))


def _array(parts: list[bytes]) -> bytes:
    """pipeline.opendata.json_array of parts that are UTF-8 already."""
    return b"[\n" + b",\n".join(parts) + b"\n]" if parts else b"[]"


def _csv(fields, lines: list[bytes]) -> bytes:
    return to_csv([], fields).encode("utf-8") + b"".join(lines)


def _delta(delta: dict) -> bytes:
    """``json.dumps(delta, ensure_ascii=False, indent=1) + "\\n"`` with Parts for rows.

    A value one level down is its own indented text with every line after the first
    indented once more: JSON text holds no line break but the indent's (a line break in
    a string is written \\n)."""
    fields = []
    for name, value in delta.items():
        text = (_array([part.json for part in value]) if value and isinstance(value[0], Part)
                else json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8"))
        fields.append(json.dumps(name).encode() + b": " + text.replace(b"\n", b"\n "))
    return b"{\n " + b",\n ".join(fields) + b"\n}\n"


def files(data: Export, as_of) -> Iterator[tuple[str, bytes]]:
    """(output path relative to the site root, bytes) of every open-data file.

    One file at a time (issue 9: at 100,000 results the five exports held at once, as
    text and again as bytes, were the build's largest allocation).
    """
    today = {part.key: part for part in data.parts}
    base, deltas = history_of(data.history, today, _stub_part, lambda part: part.order)
    results_json = _array([part.json for part in data.parts]) + b"\n"
    full_sha256 = hashlib.sha256(results_json).hexdigest()
    yield "data/results.json", results_json
    del results_json
    yield "data/delta/base.json", _array([part.json for part in base]) + b"\n"
    yield "data/results.csv", _csv(RESULT_FIELDS, [part.csv for part in data.parts])
    penalties = data.penalties
    yield "data/penalties.csv", _csv(PENALTY_FIELDS, [part.penalty_csv for part in penalties])
    yield "data/penalties.json", _array([part.penalty_json for part in penalties]) + b"\n"
    for delta in deltas:
        yield f"data/delta/{delta['date']}.json", _delta(delta)
    yield "data/delta/index.json", _dump({
        "key": KEY,
        "as_of": as_of.isoformat(),
        "base": {"date": data.history.base_date.isoformat(), "file": "base.json", "rows": len(base)},
        "deltas": [{"date": d["date"], "previous": d["previous"], "file": f"{d['date']}.json",
                    "added": len(d["added"]), "corrected": len(d["corrected"]),
                    "removed": len(d["removed"])} for d in deltas],
        "full": {"file": "../results.json", "rows": len(data.parts), "sha256": full_sha256},
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
    data = export(prepared.site, *_sources(prepared))
    for rel, blob in files(data, prepared.site.as_of):
        path = Path(out) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
        del blob  # before the next file is made
    prepared.report.state_files[STATE_PATH] = dump_state(data.history)
    # The parts are kept for the next build: by the build's writers, or, in a child
    # (publish.apart), written before it ends; a cache only saves time, so a failed
    # write there is a warning.
    try:
        data.keep()
    except OSError as exc:
        prepared.report.warnings.append(str(exc))
    global _last_export
    _last_export = None  # the rows are not needed after this (memory during search and verify)
