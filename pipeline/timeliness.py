"""Timeliness of publication (R-7WD, R-20WD, R-LIST), counted in working days (R-WD).

Counting convention: the decision day itself is not counted and the publication day
is, i.e. working days in (decided_on, published_on].  A penalty decided on Friday
2026-03-06 and published on Monday 2026-03-09 took 1 working day.  The deadline is
the ``limit``-th working day after the decision; publishing on it is on time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline.model import CASE_TYPE_LABELS, Case, ListDoc
from pipeline.workdays import WorkCalendar

# R-7WD: 行政处罚 within 7 working days of the decision (003 三(三)1; 004 (三)).
# R-20WD: other decisions within 20; a normal 双随机 result within 20 working days of
# the end of the check, which is what random_check.decided_on records (002 第十三条).
# 002 第十三条 itself asks for 7 working days for "各类行政执法决定" in general; the spec
# follows 003/004, which give 20 to everything but penalties.
LIMITS = {"penalty": 7, "inspection": 20, "random_check": 20, "other": 20}
RULES = {"penalty": "R-7WD", "inspection": "R-20WD", "random_check": "R-20WD", "other": "R-20WD"}
LIST_LIMIT = 20  # R-LIST: 002 第十二条, from the day the law or the change of function took effect
DUE_SOON = 2  # working days left before the deadline at which the nightly build warns

STATUSES = ("on_time", "late", "pending", "due_soon", "pending_overdue")
STATUS_LABELS = {
    "on_time": "按期公示",
    "late": "逾期公示",
    "pending": "待公示",
    "due_soon": "即将到期",
    "pending_overdue": "逾期未公示",
}


@dataclass(frozen=True)
class Timeliness:
    """One result's publication timeliness as of a given day."""

    id: str
    doc_no: str
    type: str
    decided_on: dt.date
    published_on: dt.date | None  # first publication, None if not published by as_of
    workdays: int | None  # working days in (decided_on, published_on]; None if unpublished
    limit: int
    deadline: dt.date  # the limit-th working day after decided_on
    status: str  # on_time | late | pending | due_soon | pending_overdue

    @property
    def on_time(self) -> bool | None:
        """True/False once decided (published, or unpublished past the deadline); else None."""
        if self.status == "on_time":
            return True
        if self.status in ("late", "pending_overdue"):
            return False
        return None

    @property
    def rule(self) -> str:
        return RULES.get(self.type, "R-20WD")


def _first_publication(case: Case, first_pub: Mapping[str, dt.date], as_of: dt.date) -> dt.date | None:
    """The earliest known publication on or before as_of (ledger or imported record)."""
    # An imported record's original date (case.published_on) predates the ledger's entry.
    known = [d for d in (case.published_on, first_pub.get(case.id)) if d is not None]
    first = min(known) if known else None
    # Events after as_of have not happened yet as of as_of: same inputs, same report.
    return first if first is not None and first <= as_of else None


def _assess_one(case: Case, published: dt.date | None, as_of: dt.date, cal: WorkCalendar) -> Timeliness:
    limit = LIMITS.get(case.type, 20)
    deadline = cal.add_workdays(case.decided_on, limit)
    if published is not None:
        days = cal.workdays_between(case.decided_on, published)
        status = "on_time" if days <= limit else "late"
    else:
        days = None
        if as_of > deadline:
            status = "pending_overdue"
        elif cal.workdays_between(as_of, deadline) <= DUE_SOON:
            status = "due_soon"
        else:
            status = "pending"
    return Timeliness(case.id, case.doc_no, case.type, case.decided_on, published, days,
                      limit, deadline, status)


def assess(cases: Iterable[Case], first_pub: Mapping[str, dt.date], as_of: dt.date,
           cal: WorkCalendar) -> list[Timeliness]:
    """Timeliness of every result as of ``as_of``, sorted by (decided_on, id).

    ``first_pub`` maps a case id to its first publication (from the ledger); a
    record imported from an older site may carry its own ``published_on``.  Left
    out: records with ``disclose: none`` (R-NOPUB: never to be published) and
    withdrawn records that were never published (nothing remains to publish).
    Raises CalendarMissing when a deadline falls in a year with no schedule (R-WD).
    """
    rows = []
    for case in cases:
        if case.disclose == "none":
            continue
        published = _first_publication(case, first_pub, as_of)
        if published is None and case.withdrawn:
            continue
        rows.append(_assess_one(case, published, as_of, cal))
    rows.sort(key=lambda r: (r.decided_on, r.id))
    return rows


def as_json(rows: Iterable[Timeliness]) -> list[dict]:
    """Plain dicts for ``gongshi report timeliness --json``: dates ISO, None as null."""
    out = []
    for r in rows:
        out.append({
            "id": r.id,
            "doc_no": r.doc_no,
            "type": r.type,
            "decided_on": r.decided_on.isoformat(),
            "published_on": r.published_on.isoformat() if r.published_on else None,
            "workdays": r.workdays,
            "limit": r.limit,
            "deadline": r.deadline.isoformat(),
            "status": r.status,
            "on_time": r.on_time,
            "rule": r.rule,
        })
    return out


def warnings(rows: Iterable[Timeliness]) -> list[str]:
    """Plain Chinese lines for the nightly build: overdue results first, then due soon.

    Other statuses produce no line; an empty list means nothing needs doing.
    """
    overdue, soon = [], []
    for r in rows:
        what = f"{CASE_TYPE_LABELS.get(r.type, r.type)} {r.doc_no}（{r.id}，{r.decided_on}作出）"
        if r.status == "pending_overdue":
            overdue.append(f"逾期未公示：{what}应于{r.deadline}前公示（{r.limit}个工作日，{r.rule}），至今未公示。")
        elif r.status == "due_soon":
            soon.append(f"即将到期：{what}尚未公示，须于{r.deadline}前公示（{r.limit}个工作日，{r.rule}）。")
    return overdue + soon


def _docs(lists: Mapping[str, ListDoc] | Iterable[ListDoc]) -> list[ListDoc]:
    return list(lists.values()) if isinstance(lists, Mapping) else list(lists)


def list_timeliness(lists: Mapping[str, ListDoc] | Iterable[ListDoc], cal: WorkCalendar) -> list[dict]:
    """R-LIST: for each change caused by law or function, was the list updated in time?

    Returns one dict per such history entry, sorted by (kind, date): kind, title,
    source, date, summary, cause, effective_on, workdays (in (effective_on, date]),
    limit (20), deadline, on_time and status (on_time | late | missing_effective_on),
    dates ISO.  An entry without effective_on is reported with status
    ``missing_effective_on`` rather than skipped.  Raises CalendarMissing (R-WD).
    """
    out = []
    for doc in _docs(lists):
        for change in doc.history:
            if change.cause not in ("law", "function"):
                continue
            row = {"kind": doc.kind, "title": doc.title, "source": doc.source,
                   "date": change.date.isoformat(), "summary": change.summary,
                   "cause": change.cause, "effective_on": None, "workdays": None,
                   "limit": LIST_LIMIT, "deadline": None, "on_time": None,
                   "status": "missing_effective_on"}
            if change.effective_on is not None:
                days = cal.workdays_between(change.effective_on, change.date)
                row.update(effective_on=change.effective_on.isoformat(), workdays=days,
                           deadline=cal.add_workdays(change.effective_on, LIST_LIMIT).isoformat(),
                           on_time=days <= LIST_LIMIT,
                           status="on_time" if days <= LIST_LIMIT else "late")
            out.append(row)
    out.sort(key=lambda r: (r["kind"], r["date"], r["effective_on"] or ""))
    return out
