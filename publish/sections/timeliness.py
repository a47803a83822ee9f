"""Timeliness of publication (R-7WD, R-20WD): the nightly warnings and the report.

Every build adds to ``report.warnings`` one line per result that is overdue or due
within two working days (``pipeline.timeliness.warnings``).  The same rows feed
``gongshi report timeliness`` (gongshi/commands/report.py) and the 年报's on-time
rate (publish/sections/annual.py).

Which results: every case of the content except ``disclose: none`` (R-NOPUB) and
withdrawn ones never published — including cases held back for missing approval
or suspected personal data: R-7WD runs from the decision, and a missing signature
is the commonest reason a result is late.  First publication comes from the ledger
as this build leaves it (a result published by this build counts as published on
``--as-of``, SPEC §8), or from an import's ``published_on``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.errors import CalendarMissing
from pipeline.model import CASE_TYPE_LABELS
from pipeline.timeliness import STATUS_LABELS, Timeliness, assess, warnings
from pipeline.workdays import CALENDAR_DIR, WorkCalendar

ORDER = 20


def work_calendar(prepared) -> WorkCalendar:
    """The State Council schedule plus the content's ``calendar/<year>.yaml`` files (R-WD)."""
    where = CALENDAR_DIR
    if prepared.content_dir is not None:
        where = (Path(prepared.content_dir) / "calendar").as_posix()
    return WorkCalendar(prepared.content.calendar, source_dir=where)


def timeliness_rows(prepared, as_of: dt.date | None = None) -> list[Timeliness]:
    """Timeliness of every result (see the module docstring) as of ``as_of``.

    ``as_of`` defaults to the build's; an earlier one ignores publications after it.
    Raises CalendarMissing naming the year and the file to add (R-WD).
    """
    day = as_of or prepared.report.as_of
    return assess(prepared.content.cases, prepared.site.first_pub, day, work_calendar(prepared))


def postbuild(prepared, out: Path, settings: dict) -> None:
    """Add overdue and due-soon results to the build report's warnings.

    A missing holiday schedule does not stop the build (an urgent withdrawal must
    still go out), but it is reported in full, never replaced by a weekday guess.
    """
    try:
        rows = timeliness_rows(prepared)
    except CalendarMissing as exc:
        prepared.report.warnings.append(f"公示时限未能计算 / timeliness not checked: {exc}")
        return
    prepared.report.warnings += warnings(rows)


def timeliness_report(content_dir: Path, as_of: dt.date) -> list[Timeliness]:
    """``gongshi report timeliness``: load and prepare the content in memory, then assess.

    Writes nothing.  Raises ContentInvalid, LedgerBroken or CalendarMissing.
    """
    from publish.build import prepare  # late import: build imports every section

    return timeliness_rows(prepare(Path(content_dir), as_of))


_HEADER = ("文号", "类型", "决定日期", "首次公示", "工作日", "时限", "截止日期", "状态")


def format_table(rows: list[Timeliness], as_of: dt.date) -> str:
    """A plain-text table for a terminal: one line per result, then counts per status."""
    lines = [[r.doc_no, CASE_TYPE_LABELS.get(r.type, r.type), r.decided_on.isoformat(),
              r.published_on.isoformat() if r.published_on else "—",
              "—" if r.workdays is None else str(r.workdays), str(r.limit),
              r.deadline.isoformat(), STATUS_LABELS.get(r.status, r.status)] for r in rows]
    table = [list(_HEADER)] + lines
    widths = [max(_width(row[i]) for row in table) for i in range(len(_HEADER))]
    text = ["  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in table]
    counts = {s: sum(r.status == s for r in rows) for s in STATUS_LABELS}
    summary = "，".join(f"{label} {counts[s]}" for s, label in STATUS_LABELS.items())
    text.append(f"截至 {as_of}：共 {len(rows)} 件；{summary}")
    return "\n".join(text)


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
