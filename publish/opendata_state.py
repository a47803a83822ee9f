"""Open-data history: which records were added, corrected or removed on which day.

The daily delta files (``data/delta/<date>.json``) are history, so they need state.
The publisher keeps it beside the ledger, in ``content/opendata/state.json``
(written by gongshi only, after a successful build, exactly when the ledger is):

* ``base``: the date and the record keys (记录编号) of the first full file;
* ``days``: per day with a change, the keys added, corrected and removed since the
  previous recorded day;
* ``rows``: key -> sha256 of each row of the latest full file, so the next build
  can tell which rows changed (whatever the cause: a correction, a renamed
  执法事项, a moved 公示截止期, a new column);
* ``undo``: the previous hashes of the keys the latest day corrected or removed, so a
  second build on the same day recomputes that day against the day before.

The state holds keys and hashes only, never row text.  The published history is
rendered from today's rows: a key that is public today appears everywhere with
its current row, a key that is not (withdrawn, expired, held back) appears only as
an empty stub carrying its 记录编号.  Withdrawn and expired records thus vanish from
every export (R-WITHDRAW, R-RET5/R-RET2; SPEC §3) while the deltas still chain:
every key's last operation is "added"/"corrected" with today's row if it is public,
or "removed" if it is not, so applying the deltas in order to the first full file
gives today's full file exactly (docs/opendata.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pipeline.errors import GongshiError
from pipeline.opendata import KEY, RESULT_FIELDS

STATE_PATH = "opendata/state.json"  # relative to the content dir
VERSION = 1
T = TypeVar("T")
STUB_NOTE = "该记录已撤下，内容不再公开"
_FIX = ("content/opendata/state.json is written only by gongshi: restore it from the last "
        "release's content or from version control, never edit it by hand")


class OpendataStateError(GongshiError):
    """content/opendata/state.json is unreadable, inconsistent, or newer than --as-of."""


@dataclass(frozen=True)
class Day:
    """One day's changes to the full file, as record keys."""

    date: dt.date
    previous: dt.date  # the previous recorded day, or the base date
    added: tuple[str, ...] = ()
    corrected: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class History:
    """The open-data state: base keys, the recorded days, the latest row hashes."""

    base_date: dt.date
    base_keys: tuple[str, ...]
    days: tuple[Day, ...] = ()
    rows: dict[str, str] = field(default_factory=dict)  # key -> row hash, latest full file
    undo: dict[str, str] = field(default_factory=dict)  # key -> hash before the latest day

    @property
    def latest(self) -> dt.date:
        """The date of the latest recorded day (the base date if none)."""
        return self.days[-1].date if self.days else self.base_date


def row_hash(row: Mapping[str, str]) -> str:
    """sha256 (hex) of a row's canonical JSON (sorted keys): equal rows, equal hashes."""
    text = json.dumps(dict(row), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _diff(prev: Mapping[str, str], cur: Mapping[str, str]) -> tuple[list, list, list]:
    added = [k for k in cur if k not in prev]
    corrected = [k for k in cur if k in prev and prev[k] != cur[k]]
    removed = sorted(k for k in prev if k not in cur)
    return added, corrected, removed


def _before_latest(history: History) -> dict[str, str]:
    """The row hashes as they were before the latest recorded day."""
    last = history.days[-1]
    before = {k: h for k, h in history.rows.items() if k not in set(last.added)}
    before.update(history.undo)
    return before


def advance(history: History | None, rows: Iterable[Mapping[str, str]], as_of: dt.date) -> History:
    """The state after publishing ``rows`` (today's full file) on ``as_of``: see advance_to."""
    return advance_to(history, {row[KEY]: row_hash(row) for row in rows}, as_of)


def advance_to(history: History | None, cur: dict[str, str], as_of: dt.date) -> History:
    """The state after publishing today's full file on ``as_of``, given as
    {记录编号: row_hash of its row} in the file's order.

    No state, or a state whose base is ``as_of`` with no later day: ``rows`` become
    the base.  A build on the latest recorded day redoes that day against the day
    before (same content + same --as-of ⇒ same state).  A new day with no change is
    not recorded.  Raises OpendataStateError when ``as_of`` is before the latest
    recorded day: history cannot be rewritten.  A redone day that nets to no
    change is kept as an empty day, since its first version may have been published.
    """
    if history is None or (history.base_date == as_of and not history.days):
        return History(as_of, tuple(cur), (), cur, {})
    if as_of < history.latest:
        raise OpendataStateError(
            f"{STATE_PATH}: the open-data history already has {history.latest}, after --as-of "
            f"{as_of}\n    修改方法 / fix: build with --as-of {history.latest} or later")
    days, prev = history.days, history.rows
    redo = bool(days) and days[-1].date == as_of
    if redo:
        days, prev = days[:-1], _before_latest(history)
    added, corrected, removed = _diff(prev, cur)
    if not (added or corrected or removed or redo):
        return history
    # A redone day that nets to nothing stays recorded (empty): it may have been published.
    previous = days[-1].date if days else history.base_date
    day = Day(as_of, previous, tuple(added), tuple(corrected), tuple(removed))
    undo = {k: prev[k] for k in corrected + removed}
    return History(history.base_date, history.base_keys, days + (day,), cur, undo)


# ---------------------------------------------------------------- state file


def dump_state(history: History) -> str:
    """The state file's text: JSON, deterministic, UTF-8 characters unescaped."""
    data = {
        "version": VERSION,
        "key": KEY,
        "base": {"date": history.base_date.isoformat(), "keys": list(history.base_keys)},
        "days": [{"date": d.date.isoformat(), "previous": d.previous.isoformat(),
                  "added": list(d.added), "corrected": list(d.corrected), "removed": list(d.removed)}
                 for d in history.days],
        "rows": history.rows,
        "undo": history.undo,
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def _broken(what: str) -> OpendataStateError:
    return OpendataStateError(f"{STATE_PATH}: {what}\n    修改方法 / fix: {_FIX}")


def _date(value: object, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _broken(f"{where}: {value!r} is not a YYYY-MM-DD date") from None


def _keys(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise _broken(f"{where} must be a list of record keys")
    return tuple(value)


def _hashes(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _broken(f"{where} must map record keys to hashes")
    return dict(value)


def parse_state(text: str) -> History:
    """Parse and check the state file; raises OpendataStateError naming what is wrong.

    Checked: JSON, version, field types, days in increasing date order each naming
    the day before, and that replaying the days over the base keys gives exactly
    the keys of ``rows`` (a hand edit almost always breaks this).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _broken(f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or data.get("key") != KEY:
        raise _broken(f"not an open-data state of version {VERSION}")
    base = data.get("base") if isinstance(data.get("base"), dict) else {}
    history = History(_date(base.get("date"), "base.date"), _keys(base.get("keys"), "base.keys"),
                      tuple(_parse_day(d, i) for i, d in enumerate(data.get("days") or [])),
                      _hashes(data.get("rows"), "rows"), _hashes(data.get("undo") or {}, "undo"))
    _check_chain(history)
    return history


def _parse_day(d: object, i: int) -> Day:
    if not isinstance(d, dict):
        raise _broken(f"days[{i}] is not an object")
    return Day(_date(d.get("date"), f"days[{i}].date"), _date(d.get("previous"), f"days[{i}].previous"),
               *(_keys(d.get(n, []), f"days[{i}].{n}") for n in ("added", "corrected", "removed")))


def _check_chain(history: History) -> None:
    keys = set(history.base_keys)
    previous = history.base_date
    for day in history.days:
        if day.previous != previous or day.date <= previous:
            raise _broken(f"day {day.date} does not follow {previous}")
        if set(day.added) & keys or not set(day.corrected + day.removed) <= keys:
            raise _broken(f"day {day.date} does not apply to the keys before it")
        keys = (keys - set(day.removed)) | set(day.added)
        previous = day.date
    if keys != set(history.rows):
        raise _broken("the recorded days do not lead to the latest full file")


def read_state(content_dir: Path | None) -> History | None:
    """The state in ``content_dir`` (None if there is none); raises OpendataStateError."""
    if content_dir is None:
        return None
    path = Path(content_dir) / STATE_PATH
    if not path.exists():
        return None
    return parse_state(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- published history


def stub(key: str) -> dict[str, str]:
    """The row shown for a record that is no longer public: its key and a note only."""
    row = dict.fromkeys((name for name, _ in RESULT_FIELDS), "")
    row[KEY], row["备注"] = key, STUB_NOTE
    return row


def _order(row: Mapping[str, str]) -> tuple[str, str]:
    return (row.get("决定日期", ""), row[KEY])  # pipeline.opendata.open_rows order


def published_history(history: History, rows: Iterable[Mapping[str, str]]) -> tuple[list, list]:
    """(base rows, delta dicts) to publish, rendered from today's ``rows``.

    Each delta is {"date", "previous", "added": [rows], "corrected": [rows],
    "removed": [keys]} in the shape ``pipeline.opendata.apply_delta`` takes.
    Rows are sorted like ``open_rows``; a key not in ``rows`` shows as ``stub``.
    """
    today = {row[KEY]: row for row in rows}
    return history_of(history, today, stub, _order)


def history_of(history: History, today: Mapping[str, T], stub_of: Callable[[str], T],
               order: Callable[[T], tuple]) -> tuple[list[T], list[dict]]:
    """``published_history`` for any form of a row: ``today`` maps each public key to
    its row's form, ``stub_of(key)`` is the form of ``stub(key)``, ``order`` sorts forms
    as rows are sorted."""
    def show(keys: Iterable[str]) -> list[T]:
        return sorted((today.get(k) or stub_of(k) for k in keys), key=order)

    deltas = [{"date": d.date.isoformat(), "previous": d.previous.isoformat(),
               "added": show(d.added), "corrected": show(d.corrected), "removed": list(d.removed)}
              for d in history.days]
    return show(history.base_keys), deltas
