"""Annual enforcement statistics, 行政执法统计年报 (R-ANNUAL).

003 三(三)3 and 004 (三): by 31 January each year the bureau publishes the previous
year's overall enforcement figures.  The figures are aggregates with no personal
data, so they count every approved result decided in the year, including results
since withdrawn or past their retention period: taking a decision off the site does
not undo the enforcement action.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from pipeline.model import CASE_TYPE_LABELS, CASE_TYPES, PENALTY_CATEGORIES, Case, Correction
from pipeline.timeliness import Timeliness

ANNUAL_DEADLINE = (1, 31)  # R-ANNUAL: month, day of the year after the reported one
CENT = Decimal("0.01")


@dataclass(frozen=True)
class YearStats:
    """One year's figures for the 年报 page and its CSV download."""

    year: int
    by_type: dict[str, int]  # every case type, zero included, in CASE_TYPES order
    by_category: dict[str, int]  # penalty categories with a count, canonical order first
    by_item: dict[str, int]  # 执法事项 code -> count, by code
    item_names: dict[str, str]  # code -> name ("" if the code is not in the items list)
    fines: Decimal  # 罚款, 元
    confiscated: Decimal  # 没收违法所得、没收非法财物, 元
    refunds: Decimal  # 责令退回, 元
    corrections: int  # accepted correction requests decided in the year (R-CORR)
    withdrawals: int  # results withdrawn in the year, whatever year they were decided (R-WITHDRAW)
    on_time: int  # results of the year published within the limit (R-7WD, R-20WD)
    assessed: int  # results of the year whose timeliness is settled
    total: int  # results decided in the year

    @property
    def on_time_rate(self) -> float | None:
        """on_time / assessed, or None when nothing could be assessed."""
        return self.on_time / self.assessed if self.assessed else None


def _approved(cases: Iterable[Case]) -> list[Case]:
    # R-APPROVAL: an unapproved record reaches no output file, aggregate figures included.
    return [c for c in cases if not c.approval.missing()]


def _category_counts(cases: list[Case]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for case in cases:
        if case.type == "penalty":
            # A decision combining 罚款 and 责令退回 counts once under each category.
            counts.update(set(case.result.categories))
    known = [c for c in PENALTY_CATEGORIES if counts[c]]
    others = sorted(c for c in counts if c not in PENALTY_CATEGORIES)
    return {c: counts[c] for c in known + others}


def _timeliness_counts(rows: Iterable[Timeliness], ids: set[str]) -> tuple[int, int]:
    """(on_time, assessed) over the rows of the year's results.

    A result still unpublished after its deadline is settled as not on time; one
    still within its limit is not counted either way.
    """
    on_time = assessed = 0
    for row in rows:
        if row.id not in ids or row.on_time is None:
            continue
        assessed += 1
        on_time += row.on_time
    return on_time, assessed


def annual_stats(cases: Iterable[Case], corrections: Iterable[Correction],
                 timeliness_rows: Iterable[Timeliness], items: Mapping[str, str],
                 year: int) -> YearStats:
    """The figures for ``year`` (R-ANNUAL).

    Counts every approved case decided in ``year`` (withdrawn and expired included);
    unapproved cases are ignored (R-APPROVAL).  ``items`` maps 执法事项 codes to names;
    a code missing from it gets the name "".  Withdrawals count approved cases whose
    status changed in ``year``.  A year with no results gives zero counts, not an error.
    """
    approved = _approved(cases)
    mine = [c for c in approved if c.decided_on.year == year]
    type_counts = Counter(c.type for c in mine)
    item_counts = Counter(c.item for c in mine)
    on_time, assessed = _timeliness_counts(timeliness_rows, {c.id for c in mine})
    return YearStats(
        year=year,
        by_type={t: type_counts[t] for t in CASE_TYPES}
        | {t: n for t, n in sorted(type_counts.items()) if t not in CASE_TYPES},
        by_category=_category_counts(mine),
        by_item={code: item_counts[code] for code in sorted(item_counts)},
        item_names={code: items.get(code, "") for code in sorted(item_counts)},
        fines=sum((c.result.fine for c in mine), Decimal(0)),
        confiscated=sum((c.result.confiscated for c in mine), Decimal(0)),
        refunds=sum((c.result.refund for c in mine), Decimal(0)),
        corrections=sum(1 for k in corrections if k.decision == "accepted"
                        and k.decided_on is not None and k.decided_on.year == year),
        withdrawals=sum(1 for c in approved if c.withdrawn and c.status_changed_on is not None
                        and c.status_changed_on.year == year),
        on_time=on_time,
        assessed=assessed,
        total=len(mine),
    )


def finished_years(cases: Iterable[Case], as_of: dt.date) -> list[int]:
    """Years with at least one approved result, strictly before as_of's year, newest first."""
    return sorted({c.decided_on.year for c in _approved(cases) if c.decided_on.year < as_of.year},
                  reverse=True)


def _yuan(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


def stats_csv_rows(stats: YearStats) -> list[list[str]]:
    """Rows for the 年报 CSV: a header (指标, 分类, 数值), then one row per figure.

    Amounts are in 元 with two decimals; the on-time rate is a percentage with one
    decimal, or "—" when nothing was assessed.
    """
    rows = [["指标", "分类", "数值"], ["年度", "", str(stats.year)],
            ["执法决定（结果）总数", "合计", str(stats.total)]]
    rows += [["按执法类别", CASE_TYPE_LABELS.get(t, t), str(n)] for t, n in stats.by_type.items()]
    rows += [["按处罚类别", c, str(n)] for c, n in stats.by_category.items()]
    rows += [["按执法事项", f"{code} {stats.item_names.get(code, '')}".strip(), str(n)]
             for code, n in stats.by_item.items()]
    rate = stats.on_time_rate
    rows += [
        ["罚款金额（元）", "合计", _yuan(stats.fines)],
        ["没收违法所得、没收非法财物金额（元）", "合计", _yuan(stats.confiscated)],
        ["责令退回金额（元）", "合计", _yuan(stats.refunds)],
        ["信息更正", "已核实更正", str(stats.corrections)],
        ["撤下的执法决定", "撤销、确认违法、责令重作", str(stats.withdrawals)],
        ["按期公示", "按期公示数", str(stats.on_time)],
        ["按期公示", "已到期数", str(stats.assessed)],
        ["按期公示", "按期公示率", "—" if rate is None else f"{rate * 100:.1f}%"],
    ]
    return rows


def annual_report_due(as_of: dt.date, report_years_published: set[int]) -> str | None:
    """A warning when the previous year's 年报 is not yet published (R-ANNUAL).

    From 1 January of ``as_of``'s year, if ``as_of.year - 1`` is not in
    ``report_years_published`` (published and approved reports), returns one
    Chinese line saying so and by when (31 January), or that the date has passed.
    Returns None when the report is there.
    """
    year = as_of.year - 1
    if year in report_years_published:
        return None
    deadline = dt.date(as_of.year, *ANNUAL_DEADLINE)
    if as_of <= deadline:
        return f"{year}年度行政执法统计年报尚未公开，须于{deadline}前公开（R-ANNUAL，003 三（三）3；004）。"
    return f"{year}年度行政执法统计年报尚未公开，已超过{deadline}的公开期限（R-ANNUAL，003 三（三）3；004）。"
