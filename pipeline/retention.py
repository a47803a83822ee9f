"""Retention and withdrawal (R-RET5, R-RET2, R-WITHDRAW; 002 第十四条).

002 第十四条: "行政执法决定（结果）信息公开满5年的，可以从公示载体上撤下。行政相对人是
自然人的，公开满2年的，可以从公示载体上撤下。" A 个体工商户 counts as a natural person
(R-RET2; 民法典第五十四条), see ``Party.is_natural``.

How "公开满N年" is counted — the rule this module implements
---------------------------------------------------------------
The regulation does not define the count, so we use the Civil Code's general
rules for periods counted in years (民法典第二百零一条、第二百零二条):

* 第二百零一条: "按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算。"
  The day of first publication is not counted (the record went up part-way
  through that day).
* 第二百零二条: "按照年、月计算期间的，到期月的对应日为期间的最后一日；没有对应日的，
  月末日为期间的最后一日。"

So with first publication on day P and N years (5, or 2 for a natural person):

* ``retention_end`` — the last day the record is shown (公示截止日期) — is the
  same month and day N years later; if that day does not exist (P is 29 February
  and the target year is not a leap year), it is the last day of February.
* ``takedown_date`` — the first day it is not shown — is the day after that.

Examples: published 2021-03-02, organisation → shown through 2026-03-02, down
from 2026-03-03.  Published 2024-02-29, natural person → shown through
2026-02-28, down from 2026-03-01.  Published 2024-02-29, organisation →
shown through 2029-02-28, down from 2029-03-01.

This is the earliest day taking it down is allowed ("可以撤下"); one day later
than "anniversary minus one" errs on the side of disclosure, never early.
第二百零三条 (a period ending on a public holiday runs to the next working day)
is NOT applied: it extends time limits for doing an act, and a web page is
shown on holidays as on any other day.

Withdrawn decisions (R-WITHDRAW, status ≠ active) leave every list, search
index, feed, sitemap and export whatever their date; only their notice page
stays.  Expired ones disappear entirely.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .model import Case

YEARS_ORGANISATION = 5  # R-RET5
YEARS_NATURAL = 2  # R-RET2 (natural_person and individual_business)


def retention_years(case: Case) -> int:
    """5, or 2 when the party is a natural person or 个体工商户 (R-RET5 / R-RET2)."""
    return YEARS_NATURAL if case.party.is_natural else YEARS_ORGANISATION


def _add_years(day: dt.date, years: int) -> dt.date:
    """Same month and day ``years`` later; 29 February → 28 February (民法典第二百零二条)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap target year: 月末日 is the 28th
        return day.replace(year=day.year + years, day=28)


def retention_end(case: Case, first_published: dt.date) -> dt.date:
    """The last day ``case`` is shown (公示截止日期): see the module docstring.

    ``first_published`` is the date of first publication (ledger, or the
    ``published_on`` of an import).  Never raises for a real date.
    """
    return _add_years(first_published, retention_years(case))


def takedown_date(case: Case, first_published: dt.date) -> dt.date:
    """The first day ``case`` is no longer shown: the day after :func:`retention_end`."""
    return retention_end(case, first_published) + dt.timedelta(days=1)


def first_published_on(case: Case, first_pub: Mapping[str, dt.date], as_of: dt.date) -> dt.date:
    """When ``case`` was first published: the earliest of its ledger date and its
    ``published_on`` (an import from an older site, SPEC §3); if neither is known
    it is being published now, so ``as_of``.
    """
    known = [d for d in (first_pub.get(case.id), case.published_on) if d is not None]
    return min(known) if known else as_of


@dataclass(frozen=True)
class RetentionResult:
    """The cases split by what the site does with them on ``as_of``.

    ``live``: shown everywhere; ``expired``: shown nowhere (URL answers 410);
    ``withdrawn``: only a notice page; ``ends``: id → retention_end for live cases.
    """

    live: tuple[Case, ...] = ()
    expired: tuple[Case, ...] = ()
    withdrawn: tuple[Case, ...] = ()
    ends: dict[str, dt.date] = field(default_factory=dict)


def apply_retention(
    cases: Iterable[Case], first_pub: Mapping[str, dt.date], as_of: dt.date
) -> RetentionResult:
    """Split ``cases`` into live, expired and withdrawn as of ``as_of`` (input order kept).

    A withdrawn case (status ≠ active) is ``withdrawn`` whatever its dates
    (R-WITHDRAW).  An active case is ``expired`` when ``takedown_date <= as_of``
    (R-RET5 / R-RET2), else ``live``.  A case without a ``first_pub`` entry is
    treated as first published on its ``published_on``, or else on ``as_of``.
    """
    live, expired, withdrawn, ends = [], [], [], {}
    for case in cases:
        if case.withdrawn:
            withdrawn.append(case)
            continue
        first = first_published_on(case, first_pub, as_of)
        if takedown_date(case, first) <= as_of:
            expired.append(case)
        else:
            live.append(case)
            ends[case.id] = retention_end(case, first)
    return RetentionResult(tuple(live), tuple(expired), tuple(withdrawn), ends)
