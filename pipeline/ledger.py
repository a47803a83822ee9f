"""The publication ledger (SPEC §5): append-only, hash-chained, one JSON event per line.

The ledger is the source of first-publication dates (R-RET5 / R-RET2 count from
them) and of the public changelog.  Each line is one :class:`Event`, written in
canonical JSON (sorted keys, UTF-8, no spaces) so a person can read it::

  {"content_hash":"…","date":"2026-03-05","doc_no":"春医保罚〔2026〕12号","hash":"…",
   "kind":"published","prev":"000…","record":"2026-0012","seq":1,"summary":"公示 …"}

``hash = sha256(prev + canonical JSON of seq, date, kind, record, doc_no, summary,
content_hash)``; the first line's ``prev`` is 64 zeros.  Editing, deleting,
inserting or moving any past line breaks the chain at that line, and
:func:`parse_ledger` raises :class:`LedgerBroken` naming it; publishing stops.

Dates never go backwards, with one documented exception: the "published" event of
a case imported from an older site carries its original first-publication date
(``Case.published_on``, SPEC §3) although it is appended now, after later-dated
lines.  A backdated "published" line does not move the ledger's clock.

Summaries are public: they name the 文号, never a party or applicant (R-PII, R-CORR).
Everything here is pure; ``publish`` reads and writes the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from .corrections import corrections_for, field_label
from .errors import LedgerBroken

# The file format and its verification live in ledger_chain; re-exported here.
from .ledger_chain import (  # noqa: F401
    EVENT_KINDS,
    GENESIS,
    Event,
    Verified,
    _event_hash,
    parse_ledger,
    public_hash,
    serialise_event,
    verified_text,
)
from .model import STATUS_LABELS, Case, Correction, ListDoc

_RESULT_NOUN = {
    "penalty": "行政处罚决定",
    "inspection": "行政检查结果",
    "random_check": "双随机抽查结果",
    "other": "行政执法决定",
}
# The record's state after its latest event.
_STATE_OF_KIND = {"withdrawn": "withdrawn", "expired": "expired"}


def first_publication(events: Iterable[Event]) -> dict[str, dt.date]:
    """Record id → date of its first "published" event (for imports: the original date)."""
    first: dict[str, dt.date] = {}
    for event in events:
        if event.kind == "published":
            first.setdefault(event.record, event.date)
    return first


def history_of(events: Iterable[Event], record_id: str) -> list[Event]:
    """The events of one record (case id or ``list:<kind>``), in ledger order."""
    return [e for e in events if e.record == record_id]


def append_events(previous_text: str, new: list[Event],
                  previous: list[Event] | None = None) -> str:
    """The full new ledger text: ``previous_text`` unchanged, then one line per event.

    ``new == []`` returns ``previous_text`` as it is.  Raises :class:`LedgerBroken`
    if the previous text does not verify or ``new`` does not chain onto it.
    ``previous``, when given, must be ``parse_ledger(previous_text)`` (just computed by
    the caller): then only the new lines are verified.
    """
    if not new:
        return previous_text
    head = previous_text if not previous_text or previous_text.endswith("\n") else previous_text + "\n"
    text = head + "".join(serialise_event(e) + "\n" for e in new)
    parse_ledger(text, verified=verified_text(head, previous) if previous is not None else None)
    return text


# ---------------------------------------------------------------- planning


class _Draft(NamedTuple):
    kind: str
    record: str
    date: dt.date
    doc_no: str
    summary: str
    content_hash: str


@dataclass
class _RecordState:
    state: str  # live | withdrawn | expired
    content_hash: str
    published: bool  # has ever had a "published" event
    first_clock: dt.date  # the ledger's clock when the record first appeared
    clock: dt.date  # the ledger's clock at its latest event
    corrected_clock: dt.date | None  # … at its latest "corrected" event


def _states(events: Iterable[Event]) -> tuple[dict[str, _RecordState], dt.date | None]:
    states: dict[str, _RecordState] = {}
    clock: dt.date | None = None
    for e in events:
        clock = max(clock, e.date) if clock else e.date
        old = states.get(e.record)
        states[e.record] = _RecordState(
            state=_STATE_OF_KIND.get(e.kind, "live"),
            content_hash=e.content_hash,
            published=e.kind == "published" or bool(old and old.published),
            first_clock=old.first_clock if old else clock,
            clock=clock,
            corrected_clock=clock if e.kind == "corrected" else (old.corrected_clock if old else None),
        )
    return states, clock


def _withdrawn_summary(case: Case, doc_nos: Mapping[str, str]) -> str:
    # R-WITHDRAW: 文号 and the reason category only, never the party.
    text = f"撤下 {case.doc_no}（{STATUS_LABELS.get(case.status, case.status)}）"
    if case.status == "remade" and case.replaced_by:
        text += f"（已由 {doc_nos.get(case.replaced_by, case.replaced_by)} 替代）"
    return text


def _pending_labels(case: Case, corrections: Iterable[Correction], as_of: dt.date,
                    rec: _RecordState) -> list[str] | None:
    """Labels of the fields changed by accepted corrections not yet in the ledger, or None.

    A correction counts as recorded once the record has a "corrected" event at or
    after its decision date; before the first one, corrections decided on or
    before the day the record first appeared were already in the published text.
    """
    since = rec.corrected_clock or rec.first_clock
    pending = [c for c in corrections_for(case.id, corrections, as_of) if c.decided_on > since]
    if not pending:
        return None
    labels: list[str] = []
    for corr in pending:
        for change in corr.changes:
            label = field_label(str(change.get("field", "")))
            if change.get("field") != "persons" and label not in labels:
                labels.append(label)
    return labels


def _case_draft(case: Case, rec: _RecordState | None, corrections: Iterable[Correction],
                as_of: dt.date, live: bool, expired: bool,
                doc_nos: Mapping[str, str], digest: str) -> _Draft | None:
    state = rec.state if rec else None
    draft = lambda kind, summary, date=as_of: _Draft(  # noqa: E731
        kind, case.id, date, case.doc_no, summary, digest)
    if case.withdrawn:
        return None if state == "withdrawn" else draft("withdrawn", _withdrawn_summary(case, doc_nos))
    if expired:
        return draft("expired", f"公示期满撤下 {case.doc_no}") if state == "live" else None
    if not live:
        return None
    if state != "live":
        date = as_of
        if case.published_on and not (rec and rec.published):
            date = min(case.published_on, as_of)  # an import keeps its original date
        return draft("published", f"公示 {case.doc_no} {_RESULT_NOUN.get(case.type, '')}", date)
    if digest == rec.content_hash:
        return None
    labels = _pending_labels(case, corrections, as_of, rec)
    if labels is None:
        return draft("updated", f"更新 {case.doc_no} 公示内容")
    return draft("corrected", f"更正 {case.doc_no}" + ("：" + "、".join(labels) if labels else ""))


def _list_draft(kind: str, doc: ListDoc, rec: _RecordState | None, as_of: dt.date) -> _Draft | None:
    digest = public_hash(doc)
    record = f"list:{kind}"
    if rec is None:
        return _Draft("list-updated", record, as_of, "", f"公布 {doc.title}", digest)
    if rec.content_hash == digest:
        return None
    notes = [h.summary for h in sorted(doc.history, key=lambda h: h.date)
             if rec.clock < h.date <= as_of and h.summary]
    summary = f"更新 {doc.title}" + ("：" + "；".join(notes) if notes else "")
    return _Draft("list-updated", record, as_of, "", summary, digest)


def plan_events(
    cases: Iterable[Case],
    lists: Mapping[str, ListDoc],
    corrections: Iterable[Correction],
    previous: list[Event],
    as_of: dt.date,
    live_ids: set[str] | None = None,
    expired_ids: set[str] | frozenset[str] = frozenset(),
    content_hash: Callable[[Case], str] = public_hash,
) -> list[Event]:
    """The new events this build implies, chained onto ``previous`` ([] if nothing changed).

    ``cases`` are the PUBLIC cases (approved and redacted); ``live_ids`` the ids
    retention keeps live (None: every active case not in ``expired_ids``).  Per
    case at most one event: "withdrawn" once when status ≠ active; "expired" once
    when in ``expired_ids`` and live in the ledger; "published" when live now but
    not in the ledger (dated ``published_on`` for an import, else ``as_of``);
    "corrected" when its public hash changed and an accepted correction decided
    since its last correction is not yet recorded, else "updated".  Per list
    ("list:<kind>"): "list-updated" when first seen or its hash changed.  Events are
    ordered by (EVENT_KINDS order, record id).  Raises :class:`LedgerBroken` if
    ``as_of`` is before the ledger's latest date and something would be recorded.
    ``content_hash`` must equal :func:`public_hash` (a caller may have it cached).
    """
    states, clock = _states(previous)
    cases = sorted(cases, key=lambda c: c.id)
    corrections = list(corrections)
    doc_nos = {c.id: c.doc_no for c in cases}
    drafts = []
    for case in cases:
        live = live_ids is None or case.id in live_ids
        drafts.append(_case_draft(case, states.get(case.id), corrections, as_of, live,
                                  case.id in expired_ids, doc_nos, content_hash(case)))
    for kind in sorted(lists):
        drafts.append(_list_draft(kind, lists[kind], states.get(f"list:{kind}"), as_of))
    drafts = sorted((d for d in drafts if d), key=lambda d: (EVENT_KINDS.index(d.kind), d.record))
    if drafts and clock and as_of < clock:
        raise LedgerBroken(f"the build date {as_of} is before the ledger's latest event ({clock})\n"
                           f"    修改方法 / fix: build with --as-of {clock} or later")
    return _chain(drafts, previous)


def _chain(drafts: list[_Draft], previous: list[Event]) -> list[Event]:
    prev = previous[-1].hash if previous else GENESIS
    seq = previous[-1].seq if previous else 0
    events = []
    for d in drafts:
        seq += 1
        body = {"seq": seq, "date": d.date, "kind": d.kind, "record": d.record,
                "doc_no": d.doc_no, "summary": d.summary, "content_hash": d.content_hash}
        event = Event(**body, prev=prev, hash=_event_hash(prev, body))
        events.append(event)
        prev = event.hash
    return events
