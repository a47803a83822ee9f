"""The ledger's file format: events, canonical JSON, the hash chain, and verifying it.

Split from :mod:`pipeline.ledger` (which re-exports everything public here and
documents the format, SPEC §5).  Pure: text in, events out, or :class:`LedgerBroken`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from .errors import LedgerBroken

EVENT_KINDS = ("published", "updated", "corrected", "withdrawn", "expired", "list-updated")
GENESIS = "0" * 64
_FIELDS = ("seq", "date", "kind", "record", "doc_no", "summary", "content_hash", "prev", "hash")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIX = ("the ledger is append-only and written only by gongshi: restore ledger.jsonl from the "
        "last release or from version control, never edit it by hand")


@dataclass(frozen=True)
class Event:
    """One line of the ledger.  ``record`` is a case id or ``list:<kind>``."""

    seq: int
    date: dt.date
    kind: str
    record: str
    doc_no: str
    summary: str
    content_hash: str
    prev: str
    hash: str


# ---------------------------------------------------------------- canonical form


def _json_default(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Field by field, as dataclasses.asdict would, but without its deep copy: the
        # encoder recurses into the values itself (public_hash of 100,000 cases, issue 9).
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # By value, so 52000 and 52000.0 hash alike and a reformatted amount is no "update".
        return format(value.normalize(), "f")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot put {type(value).__name__} into the ledger")


def _canonical(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=_json_default)


def public_hash(obj: object) -> str:
    """sha256 (hex) of the canonical JSON of a dataclass, minus ``source`` and ``approval``.

    Those two are bookkeeping, not public content.  Dates are ISO strings, Decimals
    their plain value.  Stable across runs and machines.  Raises TypeError for a
    non-dataclass or a value JSON cannot express.
    """
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"public_hash needs a dataclass instance, not {type(obj).__name__}")
    data = _json_default(obj)
    data.pop("source", None)
    data.pop("approval", None)
    return hashlib.sha256(_canonical(data).encode("utf-8")).hexdigest()


def _event_hash(prev: str, body: Mapping[str, object]) -> str:
    return hashlib.sha256((prev + _canonical(body)).encode("utf-8")).hexdigest()


def _body(event: Event) -> dict:
    data = dataclasses.asdict(event)
    del data["prev"], data["hash"]
    return data


def serialise_event(event: Event) -> str:
    """One canonical ledger line for ``event``, without a trailing newline."""
    return _canonical(dataclasses.asdict(event))


# ---------------------------------------------------------------- reading


def _broken(source: str, line: int, what: str, record: str = "") -> LedgerBroken:
    exc = LedgerBroken(f"{source} line {line}: {what}\n    修改方法 / fix: {_FIX}")
    exc.source, exc.line, exc.record_id = source, line, record
    return exc


def _parse_line(line: str, number: int, source: str) -> Event:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _broken(source, number, f"not valid JSON ({exc.msg}, column {exc.colno})") from None
    if not isinstance(data, dict):
        raise _broken(source, number, "not a JSON object")
    unknown = sorted(set(data) - set(_FIELDS))
    missing = [f for f in _FIELDS if f not in data]
    if unknown:
        raise _broken(source, number, f"unknown field(s): {', '.join(unknown)}")
    if missing:
        raise _broken(source, number, f"missing field(s): {', '.join(missing)}")
    record = data["record"] if isinstance(data["record"], str) else ""
    seq = data["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise _broken(source, number, f"seq must be a whole number, not {seq!r}", record)
    if not isinstance(data["date"], str) or not _ISO_DATE.match(data["date"]):
        raise _broken(source, number, f"date must be YYYY-MM-DD, not {data['date']!r}", record)
    try:
        date = dt.date.fromisoformat(data["date"])
    except ValueError:
        raise _broken(source, number, f"{data['date']} is not a real date", record) from None
    if data["kind"] not in EVENT_KINDS:
        raise _broken(source, number, f"unknown kind {data['kind']!r}", record)
    for name in ("record", "doc_no", "summary"):
        if not isinstance(data[name], str):
            raise _broken(source, number, f"{name} must be text", record)
    if not record:
        raise _broken(source, number, "record is empty")
    for name in ("content_hash", "prev", "hash"):
        if not isinstance(data[name], str) or not _HEX64.match(data[name]):
            raise _broken(source, number, f"{name} must be 64 lowercase hex digits", record)
    return Event(**{**data, "date": date})


def _check_link(event: Event, before: list[Event], clock: dt.date | None,
                number: int, source: str) -> None:
    """Raise if ``event`` does not follow ``before`` in the chain."""
    expected_seq = len(before) + 1
    if event.seq != expected_seq:
        raise _broken(source, number, f"seq is {event.seq}, expected {expected_seq} "
                      "(a line was deleted, inserted or moved)", event.record)
    expected_prev = before[-1].hash if before else GENESIS
    if event.prev != expected_prev:
        what = ("prev does not match the hash of the line before "
                "(a line was edited, deleted, inserted or moved)") if before else \
            "the first line's prev must be 64 zeros (lines before it were deleted)"
        raise _broken(source, number, what, event.record)
    if _event_hash(event.prev, _body(event)) != event.hash:
        raise _broken(source, number, "hash does not match the line's content "
                      "(this line was edited)", event.record)
    if clock and event.date < clock and event.kind != "published":
        raise _broken(source, number, f"date {event.date} is before {clock} on an earlier line "
                      "(dates go backwards)", event.record)


@dataclass(frozen=True)
class Verified:
    """A ledger text that :func:`parse_ledger` verified: its length, sha256 and events.

    Handed back to :func:`parse_ledger`, it spares re-verifying those lines when the
    ledger only grew: one hash of the old text proves that not a byte of it changed
    (an edited, deleted, inserted or moved old line changes that hash), and only
    the lines after it are parsed and chained (issue 9: 100,000 lines took seconds).
    """

    length: int  # characters of text, ending with a newline
    digest: str  # sha256 (hex) of text[:length], UTF-8
    events: tuple[Event, ...]


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verified_text(text: str, events: Iterable[Event]) -> Verified | None:
    """The :class:`Verified` record of ``text`` whose parsed events are ``events``.

    Only for ``events == parse_ledger(text)``.  None when the text does not end with a
    newline (a later line would extend its last line, not follow it).
    """
    if not text.endswith("\n"):
        return None
    return Verified(len(text), _text_digest(text), tuple(events))


def _known_prefix(text: str, verified: Verified | None) -> tuple[list[Event], int]:
    """(events, length) of the verified prefix of ``text``; ([], 0) if it does not match."""
    if (verified is None or len(text) < verified.length
            or _text_digest(text[:verified.length]) != verified.digest):
        return [], 0
    return list(verified.events), verified.length


def parse_ledger(text: str, source: str = "ledger.jsonl",
                 verified: Verified | None = None) -> list[Event]:
    """Parse and verify a whole ledger; returns its events in order ("" → []).

    Raises :class:`LedgerBroken` at the first bad line, naming ``source``, the
    line number and what is wrong: bad JSON, unknown or missing field, bad value,
    seq gap, prev mismatch, hash mismatch (an edited line), or a date going
    backwards (other than an import's backdated "published" line).  The exception
    has attributes ``source``, ``line`` and ``record_id``.  ``verified`` (from
    :func:`verified_text` of an earlier, verified text) is trusted only when the
    text still starts with exactly those characters; only the rest is checked.
    """
    events, start = _known_prefix(text, verified)
    lines = text[start:].split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline
    clock: dt.date | None = max((e.date for e in events), default=None)
    for number, line in enumerate(lines, start=len(events) + 1):
        if not line.strip():
            raise _broken(source, number, "empty line")
        event = _parse_line(line, number, source)
        _check_link(event, events, clock, number, source)
        events.append(event)
        clock = max(clock, event.date) if clock else event.date
    return events
