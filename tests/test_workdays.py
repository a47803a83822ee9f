"""Working days per the State Council schedule (R-WD).

Expected numbers below are counted by hand from the State Council notices
(国办发明电〔2023〕7号 for 2024, 〔2024〕12号 for 2025, 〔2025〕7号 for 2026); the first
test checks that the installed chinese_calendar agrees with those notices on the days
the hand counts rely on, so a wrong library fails there and not in a confusing place.
"""

from __future__ import annotations

import datetime as dt
import time

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import CalendarMissing, ContentInvalid
from pipeline.workdays import WorkCalendar, calendar_problems

D = dt.date.fromisoformat
CAL = WorkCalendar()

# A fictional 2028 schedule used only as test data (not the real one).
FAKE_2028 = {
    2028: {
        "holidays": {D("2028-01-03"), D("2028-01-04")},  # Mon, Tue off
        "workdays": {D("2028-01-08")},  # Saturday worked
        "source": "测试用虚构安排",
    }
}


@pytest.mark.parametrize(
    ("day", "works"),
    [
        ("2024-02-04", True),  # Sun, 春节调休上班
        ("2024-02-09", True),  # 除夕 Fri was a working day in 2024
        ("2024-02-12", False),
        ("2024-02-18", True),  # Sun, 调休上班
        ("2024-09-29", True),  # Sun, 国庆调休上班
        ("2024-10-07", False),
        ("2024-10-12", True),  # Sat, 国庆调休上班
        ("2025-01-26", True),  # Sun, 春节调休上班
        ("2025-01-28", False),  # 除夕
        ("2025-02-04", False),
        ("2025-02-08", True),  # Sat, 春节调休上班
        ("2025-10-08", False),
        ("2025-10-11", True),  # Sat, 国庆调休上班
        ("2026-02-14", True),  # Sat, 春节调休上班
        ("2026-02-23", False),
        ("2026-02-28", True),  # Sat, 春节调休上班
        ("2026-09-20", True),  # Sun, 国庆调休上班
        ("2026-09-25", False),  # 中秋
        ("2026-10-07", False),
        ("2026-10-10", True),  # Sat, 国庆调休上班
    ],
)
def test_library_and_calendar_follow_the_notices(day, works):
    """R-WD: 调休 weekends are working days, holidays on weekdays are not (library and ours)."""
    assert chinese_calendar.is_workday(D(day)) is works
    assert CAL.is_workday(D(day)) is works


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-03-06", "2026-03-09", 1),  # Fri -> Mon: decision day not counted, publication day counted
        ("2026-03-06", "2026-03-06", 0),
        ("2026-03-09", "2026-03-06", 0),  # end before start
        ("2024-02-08", "2024-02-19", 3),  # 2/9, 2/18 (Sun, 调休), 2/19
        ("2024-09-27", "2024-10-12", 7),  # 9/29 (Sun), 9/30, 10/8-10/11, 10/12 (Sat)
        ("2025-01-24", "2025-02-07", 5),  # 1/26 (Sun), 1/27, 2/5-2/7
        ("2025-01-24", "2025-02-08", 6),  # + 2/8 (Sat, 调休)
        ("2026-09-30", "2026-10-10", 3),  # 10/8, 10/9, 10/10 (Sat)
        ("2026-09-18", "2026-10-22", 20),  # across 中秋 and 国庆 2026
        ("2025-12-30", "2026-01-05", 3),  # 12/31, 1/4 (Sun, 调休), 1/5: across a year end
    ],
)
def test_workdays_between_hand_counted(start, end, expected):
    """R-WD: working days in (start, end] across 春节 and 国庆 with 调休 weekends."""
    assert CAL.workdays_between(D(start), D(end)) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-03-06", 7, "2026-03-17"),  # Fri + 7 working days
        ("2024-09-27", 7, "2024-10-12"),  # the 7th working day is a 调休 Saturday
        ("2025-01-24", 7, "2025-02-10"),  # 1/26, 1/27, 2/5, 2/6, 2/7, 2/8, 2/10
        ("2026-02-13", 7, "2026-03-02"),  # 2/14 (Sat), 2/24-2/27, 2/28 (Sat), 3/2
        ("2026-09-18", 20, "2026-10-22"),
        ("2026-02-15", 0, "2026-02-15"),  # n = 0 is the start itself
    ],
)
def test_add_workdays_hand_counted(start, n, expected):
    """R-WD, R-7WD, R-20WD: the n-th working day after a decision is its deadline."""
    assert CAL.add_workdays(D(start), n) == D(expected)


def test_add_workdays_rejects_negative():
    with pytest.raises(ValueError):
        CAL.add_workdays(D("2026-01-05"), -1)


@pytest.mark.parametrize("day", ["2027-01-04", "2003-12-31"])
def test_unknown_year_is_an_error_naming_year_and_file(day):
    """R-WD: a year with no schedule raises CalendarMissing naming the year, the file and its format."""
    year = D(day).year
    with pytest.raises(CalendarMissing) as info:
        CAL.is_workday(D(day))
    text = str(info.value)
    assert str(year) in text
    assert f"content/calendar/{year}.yaml" in text
    for key in ("holidays:", "workdays:", "source:"):
        assert key in text
    assert info.value.year == year


def test_counting_into_an_unknown_year_raises_not_guesses():
    """R-WD: a deadline running into an unknown year is an error, never a weekday guess."""
    with pytest.raises(CalendarMissing, match="2027"):
        CAL.add_workdays(D("2026-12-28"), 7)
    with pytest.raises(CalendarMissing, match="2027"):
        CAL.workdays_between(D("2026-12-28"), D("2027-01-05"))


def test_supplied_year_makes_it_work():
    """R-WD: content/calendar/<year>.yaml supplies a year the library lacks."""
    cal = WorkCalendar({2027: {"holidays": {D("2027-01-01")}, "workdays": set(), "source": "x"},
                        **FAKE_2028})
    assert cal.is_workday(D("2028-01-03")) is False
    assert cal.is_workday(D("2028-01-08")) is True  # a Saturday listed as workday
    assert cal.is_workday(D("2028-01-09")) is False  # an ordinary Sunday
    # 1/5, 1/6, 1/7, 1/8 (Sat): Mon 1/3 and Tue 1/4 are off.
    assert cal.workdays_between(D("2028-01-02"), D("2028-01-08")) == 4
    assert cal.add_workdays(D("2028-01-01"), 1) == D("2028-01-05")
    assert {2004, 2026, 2027, 2028} <= cal.known_years()
    assert 2029 not in cal.known_years()


def test_supplied_year_overrides_library_year():
    """R-WD: a supplied year replaces the library's schedule (a late State Council amendment)."""
    cal = WorkCalendar({2026: {"holidays": {D("2026-03-09")}, "workdays": set(), "source": "x"}})
    assert cal.is_workday(D("2026-03-09")) is False
    # The library's 调休 Saturday is not in the file, so under the file it is a day off.
    assert cal.is_workday(D("2026-02-14")) is False
    assert CAL.is_workday(D("2026-02-14")) is True


def test_calendar_problems_finds_each_fault():
    """R-WD: weekday in workdays, weekend in holidays, wrong year, both, no holidays, no source."""
    extra = {
        2027: {
            "holidays": {D("2027-01-01"), D("2027-01-02"), D("2026-12-31"), D("2027-02-08")},
            "workdays": {D("2027-01-05"), D("2027-02-08")},
            "source": "",
        },
        2029: {"holidays": set(), "workdays": set(), "source": "x"},
    }
    problems = calendar_problems(extra)
    text = "\n".join(str(p) for p in problems)
    assert "2027-01-02" in text and "周末" in text  # Saturday listed as holiday
    assert "2027-01-05" in text and "周一至周五" in text  # Tuesday listed as workday
    assert "2026-12-31" in text  # wrong year
    assert "同时" in text  # 2027-02-08 in both lists
    assert any(p.field == "source" and p.source == "content/calendar/2027.yaml" for p in problems)
    assert any(p.field == "holidays" and p.source == "content/calendar/2029.yaml" for p in problems)
    assert all(p.fix for p in problems)


def test_good_calendar_has_no_problems():
    assert calendar_problems(FAKE_2028) == []
    assert calendar_problems({}) == []


def test_bad_calendar_data_is_refused():
    """R-WD: a calendar with faults is not used to compute deadlines."""
    bad = {2027: {"holidays": {D("2027-01-02")}, "workdays": set(), "source": "x"}}
    with pytest.raises(ContentInvalid, match="2027-01-02"):
        WorkCalendar(bad)


def test_not_a_date_is_a_problem():
    problems = calendar_problems({2027: {"holidays": ["2027-01-01"], "workdays": [], "source": "x"}})
    assert len(problems) == 1 and "不是日期" in problems[0].message


days_2024_2026 = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 9, 30))


@settings(max_examples=200, deadline=None)
@given(days_2024_2026, st.integers(min_value=0, max_value=60))
def test_counts_match_library_day_by_day(start, span):
    """R-WD: the cached tables agree with chinese_calendar.is_workday counted day by day."""
    end = start + dt.timedelta(days=span)
    brute = sum(chinese_calendar.is_workday(start + dt.timedelta(days=i)) for i in range(1, span + 1))
    assert CAL.workdays_between(start, end) == brute


@settings(max_examples=200, deadline=None)
@given(days_2024_2026, st.integers(min_value=1, max_value=40))
def test_add_workdays_lands_on_the_nth_working_day(start, n):
    """R-WD: the deadline is a working day and exactly n working days after the start."""
    deadline = CAL.add_workdays(start, n)
    assert chinese_calendar.is_workday(deadline)
    brute = sum(chinese_calendar.is_workday(start + dt.timedelta(days=i))
                for i in range(1, (deadline - start).days + 1))
    assert brute == n


def test_hundred_thousand_cases_are_fast():
    """Counting and deadlines for 100,000 cases stay well under two seconds."""
    cal = WorkCalendar()
    base = dt.date(2024, 1, 1)
    starts = [base + dt.timedelta(days=(i * 7919) % 980) for i in range(100_000)]
    t0 = time.perf_counter()
    for s in starts:
        cal.add_workdays(s, 7)
        cal.workdays_between(s, s + dt.timedelta(days=20))
    assert time.perf_counter() - t0 < 2.0
