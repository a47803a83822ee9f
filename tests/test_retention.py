"""Retention and withdrawal: pipeline/retention.py (R-RET5, R-RET2, R-WITHDRAW; 002 第十四条).

Counting rule under test (民法典第二百零一、二百零二条): the publication day is not
counted; the last day shown is the same month/day N years later (29 Feb → 28 Feb);
the record comes down the day after.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.model import PARTY_KINDS, STATUSES, Case, Party
from pipeline.retention import (
    apply_retention,
    first_published_on,
    retention_end,
    retention_years,
    takedown_date,
)

D = dt.date


def make_case(case_id: str = "2021-0003", kind: str = "organisation", **changes) -> Case:
    """A minimal valid penalty case; keyword arguments replace fields."""
    case = Case(
        id=case_id, type="penalty", doc_no=f"春医保罚〔2021〕{case_id[-2:]}号", item="XZCF-003",
        agency="春城市医疗保障局", decided_on=D(2021, 3, 1),
        party=Party(kind, "春城仁和医院有限公司" if kind == "organisation" else "张三"),
        source=f"cases/2021/{case_id}.md",
    )
    return dataclasses.replace(case, **changes)


# (party kind, first published, last day shown, first day down)
EDGES = [
    ("organisation", D(2021, 3, 2), D(2026, 3, 2), D(2026, 3, 3)),
    ("natural_person", D(2021, 3, 2), D(2023, 3, 2), D(2023, 3, 3)),
    ("individual_business", D(2021, 3, 2), D(2023, 3, 2), D(2023, 3, 3)),
    ("natural_person", D(2024, 2, 29), D(2026, 2, 28), D(2026, 3, 1)),
    ("individual_business", D(2024, 2, 29), D(2026, 2, 28), D(2026, 3, 1)),
    ("organisation", D(2024, 2, 29), D(2029, 2, 28), D(2029, 3, 1)),
    ("organisation", D(2020, 2, 29), D(2025, 2, 28), D(2025, 3, 1)),
    ("individual_business", D(2028, 2, 29), D(2030, 2, 28), D(2030, 3, 1)),
    ("organisation", D(2023, 12, 31), D(2028, 12, 31), D(2029, 1, 1)),
]


@pytest.mark.parametrize(("kind", "published", "last_day", "down"), EDGES)
def test_retention_end_and_takedown(kind, published, last_day, down):
    """R-RET5 / R-RET2: last day shown and first day down, per party kind, incl. 29 February."""
    case = make_case(kind=kind)
    assert retention_end(case, published) == last_day
    assert takedown_date(case, published) == down


@pytest.mark.parametrize(("kind", "published", "last_day", "down"), EDGES)
def test_live_on_last_day_expired_on_takedown_day(kind, published, last_day, down):
    """R-RET5 / R-RET2: the day before the edge the case is live, on the edge it is gone."""
    case = make_case(kind=kind)
    first = {case.id: published}
    before = apply_retention([case], first, last_day)
    assert before.live == (case,) and before.expired == ()
    assert before.ends == {case.id: last_day}
    on = apply_retention([case], first, down)
    assert on.live == () and on.expired == (case,)
    assert case.id not in on.ends


def test_individual_business_counts_as_natural_person():
    """R-RET2: a 个体工商户 gets 2 years, an organisation 5 (民法典第五十四条)."""
    assert retention_years(make_case(kind="individual_business")) == 2
    assert retention_years(make_case(kind="natural_person")) == 2
    assert retention_years(make_case(kind="organisation")) == 5


@pytest.mark.parametrize("status", [s for s in STATUSES if s != "active"])
def test_withdrawn_cases_are_withdrawn_whatever_the_date(status):
    """R-WITHDRAW: a revoked / confirmed-illegal / remade case is withdrawn, even if long expired or brand new."""
    case = make_case(status=status, status_changed_on=D(2021, 6, 1), status_note="已依法撤销")
    for as_of, published in ((D(2021, 6, 2), D(2021, 3, 5)), (D(2030, 1, 1), D(2021, 3, 5))):
        result = apply_retention([case], {case.id: published}, as_of)
        assert result.withdrawn == (case,)
        assert result.live == () and result.expired == () and result.ends == {}


def test_case_without_ledger_entry_is_published_as_of_today():
    """R-RET5: a case with no ledger entry counts as first published on as_of."""
    case = make_case(kind="natural_person")
    as_of = D(2026, 3, 5)
    result = apply_retention([case], {}, as_of)
    assert result.live == (case,)
    assert result.ends[case.id] == D(2028, 3, 5)


def test_import_counts_from_its_original_publication_date():
    """R-RET5 / SPEC §3: an imported record counts from published_on, not from the build date."""
    case = make_case(kind="organisation", published_on=D(2021, 3, 2))
    assert apply_retention([case], {}, D(2026, 3, 2)).live == (case,)
    assert apply_retention([case], {}, D(2026, 3, 3)).expired == (case,)
    # The ledger cannot make it younger: the earliest known publication wins.
    assert first_published_on(case, {case.id: D(2026, 1, 1)}, D(2026, 3, 1)) == D(2021, 3, 2)


def test_order_is_kept_and_every_case_lands_somewhere():
    """R-RET5: the split keeps input order and loses no case."""
    cases = [make_case(f"2021-00{n:02d}", kind=PARTY_KINDS[n % 3]) for n in range(10)]
    first = {c.id: D(2021, 1, 1) + dt.timedelta(days=100 * n) for n, c in enumerate(cases)}
    result = apply_retention(cases, first, D(2023, 6, 1))
    assert sorted(result.live + result.expired, key=cases.index) == cases
    assert list(result.live) == [c for c in cases if c in result.live]


@given(
    kind=st.sampled_from(PARTY_KINDS),
    status=st.sampled_from(STATUSES),
    published=st.dates(D(2000, 1, 1), D(2040, 12, 31)),
    as_of=st.dates(D(2000, 1, 1), D(2045, 12, 31)),
    in_ledger=st.booleans(),
)
def test_never_live_after_takedown(kind, status, published, as_of, in_ledger):
    """R-RET5 / R-RET2 (property): no live case has takedown_date <= as_of; withdrawn never live."""
    case = make_case(kind=kind, status=status)
    first = {case.id: published} if in_ledger else {}
    result = apply_retention([case], first, as_of)
    for live in result.live:
        assert takedown_date(live, first_published_on(live, first, as_of)) > as_of
        assert result.ends[live.id] < takedown_date(live, first_published_on(live, first, as_of))
    assert (case in result.withdrawn) == (status != "active")
    assert len(result.live) + len(result.expired) + len(result.withdrawn) == 1


@given(published=st.dates(D(2000, 1, 1), D(2090, 12, 31)), kind=st.sampled_from(PARTY_KINDS))
def test_shown_at_least_full_years(published, kind):
    """R-RET5 / R-RET2 (property): a record is never taken down before N full years have passed."""
    case = make_case(kind=kind)
    years = retention_years(case)
    end = retention_end(case, published)
    assert end.year == published.year + years
    # At least 365*N days counted from the day after publication, at most one leap day more.
    assert 365 * years - 1 <= (end - published).days <= 366 * years
