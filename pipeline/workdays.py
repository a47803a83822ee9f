"""Working days (R-WD): the State Council holiday schedule, 调休 make-up days included.

The installed ``chinese_calendar`` package knows the schedules it was released with
(2004–2026 at version 1.11).  A later (or earlier) year is supplied by the bureau as
``content/calendar/<year>.yaml`` (docs/content-format.md); the loader passes those
files in as ``extra``.  A date in a year known to neither raises ``CalendarMissing``:
R-WD forbids guessing "Monday to Friday", because a guessed deadline over 春节 or
国庆 would be wrong by up to a week.

Working days are counted per year as a cumulative table, so counting between two
dates and finding the n-th working day are a few list look-ups (100,000 cases in a
fraction of a second).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import chinese_calendar

from pipeline.errors import CalendarMissing, ContentInvalid, Problem

CALENDAR_DIR = "content/calendar"

# Shown in the CalendarMissing message so the fix can be typed in without opening the docs.
CALENDAR_FORMAT = """\
year: {year}
source: 国办发明电〔…〕…号   # 国务院办公厅关于{year}年部分节假日安排的通知
holidays:                   # 放假的工作日（法定节假日及调休放假），逐日列出
  - {year}-01-01
workdays:                   # 调休上班的周六、周日
  - {year}-…"""


def _library_years() -> range:
    """The years the installed chinese_calendar has a schedule for."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


class _Year:
    """One year's working days: a sorted list and a cumulative count per day of year."""

    __slots__ = ("year", "days", "cum", "start")

    def __init__(self, year: int, is_workday) -> None:
        self.year = year
        self.start = dt.date(year, 1, 1).toordinal()
        end = dt.date(year, 12, 31).toordinal()
        self.days: list[dt.date] = []
        self.cum: list[int] = [0]  # cum[i]: working days among the first i days of the year
        for ordinal in range(self.start, end + 1):
            day = dt.date.fromordinal(ordinal)
            if is_workday(day):
                self.days.append(day)
            self.cum.append(len(self.days))

    def rank(self, d: dt.date) -> int:
        """Working days from 1 January up to and including ``d``."""
        return self.cum[d.toordinal() - self.start + 1]


class WorkCalendar:
    """Working days per the State Council schedule (R-WD), extendable per year.

    ``extra`` maps a year to ``{"holidays": set[date], "workdays": set[date],
    "source": str}`` as read from ``content/calendar/<year>.yaml``; a supplied year
    replaces the library's schedule for that year (so a late amendment by the State
    Council can be applied without waiting for a library release).  Invalid ``extra``
    data raises ``ContentInvalid`` listing every problem (see ``calendar_problems``):
    a wrong schedule would silently move every deadline.
    """

    def __init__(self, extra: dict[int, dict] | None = None, source_dir: str = CALENDAR_DIR):
        self._extra = dict(extra or {})
        self._source_dir = source_dir
        problems = calendar_problems(self._extra, source_dir)
        if problems:
            raise ContentInvalid(problems)
        self._library = _library_years()
        self._years: dict[int, _Year] = {}
        self._spans: dict[tuple[int, int], int] = {}  # working days of the years in range(a, b)

    def known_years(self) -> set[int]:
        """Every year with a schedule: the library's years plus the supplied ones."""
        return set(self._library) | set(self._extra)

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        if year in self._extra:
            data = self._extra[year]
            off, on = set(data.get("holidays", ())), set(data.get("workdays", ()))
            table = _Year(year, lambda d: d in on or (d.weekday() < 5 and d not in off))
        elif year in self._library:
            # Read the library's tables directly: same rule as chinese_calendar.is_workday,
            # without its per-call validation.
            off, on = chinese_calendar.holidays, chinese_calendar.workdays
            table = _Year(year, lambda d: d in on or (d.weekday() < 5 and d not in off))
        else:
            raise self._missing(year)
        self._years[year] = table
        return table

    def _missing(self, year: int) -> CalendarMissing:
        path = f"{self._source_dir}/{year}.yaml"
        lib = f"{self._library.start}–{self._library.stop - 1}"
        extra = "、".join(str(y) for y in sorted(self._extra)) or "无"
        message = (
            f"R-WD: 没有 {year} 年的节假日安排，无法计算工作日（不按周一至周五推算）。\n"
            f"no holiday schedule for {year}: working days cannot be counted.\n"
            f"已知年份 / known years: chinese_calendar {lib}; {self._source_dir}: {extra}.\n"
            f"修改方法 / fix: 升级 chinesecalendar，或按国务院办公厅通知新增文件 {path}：\n"
            + CALENDAR_FORMAT.format(year=year)
        )
        error = CalendarMissing(message)
        error.year = year
        error.path = path
        return error

    def is_workday(self, d: dt.date) -> bool:
        """True if ``d`` is a working day; raises CalendarMissing for an unknown year."""
        table = self._year(d.year)
        i = d.toordinal() - table.start
        return table.cum[i + 1] != table.cum[i]

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: ``start`` not counted, ``end`` counted.

        Returns 0 if ``end <= start``.  Raises CalendarMissing if any year from
        start.year to end.year has no schedule.
        """
        if end <= start:
            return 0
        span = (start.year, end.year)
        total = self._spans.get(span)
        if total is None:  # once per pair of years (100,000 results: seconds otherwise)
            total = self._spans[span] = sum(len(self._year(y).days) for y in range(*span))
        return total + self._year(end.year).rank(end) - self._year(start.year).rank(start)

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (a deadline); ``start`` itself if n == 0.

        ``workdays_between(start, result) == n`` always holds.  Raises ValueError for
        n < 0 and CalendarMissing when the count runs into a year with no schedule.
        """
        if n < 0:
            raise ValueError(f"add_workdays: n must be >= 0, got {n}")
        if n == 0:
            return start
        year = start.year
        target = self._year(year).rank(start) + n
        while True:
            table = self._year(year)
            if target <= len(table.days):
                return table.days[target - 1]
            target -= len(table.days)
            year += 1


def _as_dates(values: object) -> Iterable[object]:
    """Entries of a holidays/workdays collection in a stable order (bad types last)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        return [values]
    return sorted(values, key=lambda v: (not isinstance(v, dt.date), str(v)))


def _check_days(year: int, key: str, values: object, src: str) -> list[Problem]:
    """Problems in one holidays/workdays list of a supplied year."""
    problems = []
    for value in _as_dates(values):
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            problems.append(Problem(src, key, f"{value!r} 不是日期 / is not a date",
                                    "写成 YYYY-MM-DD / write dates as YYYY-MM-DD"))
        elif value.year != year:
            problems.append(Problem(src, key, f"{value} 不在 {year} 年 / is not in {year}",
                                    f"只列 {year} 年的日期；其他年份写在各自的文件里"))
        elif key == "holidays" and value.weekday() >= 5:
            problems.append(Problem(src, key, f"{value} 是周末，本来就放假 / is a weekend day",
                                    "holidays 只列本应上班的日子（周一至周五）；删除该日期或检查是否写错"))
        elif key == "workdays" and value.weekday() < 5:
            problems.append(Problem(src, key, f"{value} 是周一至周五，本来就上班 / is a weekday",
                                    "workdays 只列调休上班的周六、周日；删除该日期或检查是否写错"))
    return problems


def _check_year(year: object, data: object, source_dir: str) -> list[Problem]:
    """Problems in one supplied year's schedule."""
    src = f"{source_dir}/{year}.yaml"
    if not isinstance(year, int) or isinstance(year, bool):
        return [Problem(src, "year", f"年份 {year!r} 不是整数 / year is not a number", "year: 2027")]
    if not isinstance(data, Mapping):
        return [Problem(src, "", "日程不是 holidays/workdays 表 / not a schedule mapping",
                        "按 docs/content-format.md 的 calendar 格式书写")]
    problems = []
    if not str(data.get("source") or "").strip():
        problems.append(Problem(src, "source", "缺少通知文号 / source is empty",
                                f"写明国务院办公厅关于{year}年部分节假日安排的通知文号"))
    holidays, workdays = data.get("holidays") or (), data.get("workdays") or ()
    if not holidays:
        # Every year has weekday days off (元旦, 春节 …); an empty list is an unfinished file.
        problems.append(Problem(src, "holidays", "没有列出放假日期 / no holidays listed",
                                "逐日列出通知中的放假日期（周一至周五的部分）"))
    for key, values in (("holidays", holidays), ("workdays", workdays)):
        problems += _check_days(year, key, values, src)
    both = set(_dates_only(holidays)) & set(_dates_only(workdays))
    for day in sorted(both):
        problems.append(Problem(src, "workdays", f"{day} 同时列在 holidays 和 workdays",
                                "一天只能是放假或上班，删去其中一处"))
    return problems


def _dates_only(values: object) -> list[dt.date]:
    return [v for v in _as_dates(values) if isinstance(v, dt.date)]


def calendar_problems(extra: dict, source_dir: str = CALENDAR_DIR) -> list[Problem]:
    """Check supplied calendar years (content/calendar/<year>.yaml) for R-WD.

    Returns one Problem per fault, in year order: a weekday listed as a 调休 workday,
    a weekend listed as a holiday (both are almost always a mistyped date), a date
    outside the file's year, a day listed as both, no holidays at all, an empty
    source, or a value that is not a date.  Returns [] for good or empty input.
    """
    problems: list[Problem] = []
    for year in sorted(extra, key=str):
        problems += _check_year(year, extra[year], source_dir)
    return problems
