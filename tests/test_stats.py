"""Annual enforcement statistics, 年报 (R-ANNUAL), against a hand-computed fixture.

Fixture (year 2025 unless said):
  P1 penalty  2025-03-10 XZCF-001 [罚款, 责令退回] fine 52000 refund 26000   timeliness on_time
  P2 penalty  2025-06-01 XZCF-001 [警告], revoked 2025-08-01              late
  P3 penalty  2025-11-20 XZCF-002 [罚款, 没收违法所得, 罚款] fine 1234.5 confiscated 800.25
                                                                       pending_overdue
  I1 inspection 2025-04-01 XZJC-001                                      on_time
  R1 random_check 2025-05-05 SJCC-001                                    on_time
  O1 other    2025-07-07 XZQZ-001 (not in the items list)                pending
  P4 penalty  2025-12-01 UNAPPROVED fine 99999                           on_time (ignored)
  P5 penalty  2024-12-15 [罚款] fine 10000, remade 2025-02-01              late
  P6 penalty  2026-01-05 fine 5000
Hand totals for 2025: 6 results; 3 penalties; 罚款 2, 警告 1, 没收违法所得 1, 责令退回 1;
fines 53234.5, confiscated 800.25, refunds 26000; withdrawals 2 (P2, P5); accepted
corrections decided in 2025: 1; on time 3 of 5 settled (60.0 %).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from pipeline.model import Approval, Case, Correction, Party, Result
from pipeline.stats import (
    YearStats,
    annual_report_due,
    annual_stats,
    finished_years,
    stats_csv_rows,
)
from pipeline.timeliness import Timeliness

D = dt.date.fromisoformat
APPROVED = Approval("法规科", "办公室", "局长办公会", D("2025-01-02"))
ITEMS = {"XZCF-001": "串换药品行政处罚", "XZCF-002": "超量开药行政处罚",
         "XZJC-001": "定点医药机构行政检查", "SJCC-001": "医保基金双随机抽查"}


def case(id, type, decided, item, categories=(), fine=0, confiscated=0, refund=0, **kw) -> Case:
    result = Result(tuple(categories), Decimal(str(fine)), Decimal(str(confiscated)), Decimal(str(refund)))
    kw.setdefault("approval", APPROVED)
    return Case(id=id, type=type, doc_no=f"文号{id}", item=item, agency="春城市医疗保障局",
                decided_on=D(decided), party=Party("organisation", "某医院"), source=f"cases/{id}.md",
                result=result, **kw)


CASES = [
    case("P1", "penalty", "2025-03-10", "XZCF-001", ["罚款", "责令退回"], fine=52000, refund=26000),
    case("P2", "penalty", "2025-06-01", "XZCF-001", ["警告"], status="revoked",
         status_changed_on=D("2025-08-01")),
    case("P3", "penalty", "2025-11-20", "XZCF-002", ["罚款", "没收违法所得", "罚款"], fine=1234.5,
         confiscated=800.25),
    case("I1", "inspection", "2025-04-01", "XZJC-001"),
    case("R1", "random_check", "2025-05-05", "SJCC-001"),
    case("O1", "other", "2025-07-07", "XZQZ-001"),
    case("P4", "penalty", "2025-12-01", "XZCF-001", ["罚款"], fine=99999, approval=Approval()),
    case("P5", "penalty", "2024-12-15", "XZCF-001", ["罚款"], fine=10000, status="remade",
         status_changed_on=D("2025-02-01"), replaced_by="P1"),
    case("P6", "penalty", "2026-01-05", "XZCF-001", ["罚款"], fine=5000),
]
STATUS = {"P1": "on_time", "P2": "late", "P3": "pending_overdue", "I1": "on_time", "R1": "on_time",
          "O1": "pending", "P4": "on_time", "P5": "late", "P6": "pending"}
ROWS = [Timeliness(c.id, c.doc_no, c.type, c.decided_on, None, None, 7, c.decided_on, STATUS[c.id])
        for c in CASES]


def corr(id, decision, decided):
    return Correction(id=id, case="P1", received_on=D("2025-01-01"), source=f"corrections/{id}.yaml",
                      decision=decision, decided_on=D(decided) if decided else None)


CORRECTIONS = [corr("C1", "accepted", "2025-09-01"), corr("C2", "rejected", "2025-09-02"),
               corr("C3", "accepted", "2026-01-10"), corr("C4", "pending", None)]


def stats_2025() -> YearStats:
    return annual_stats(CASES, CORRECTIONS, ROWS, ITEMS, 2025)


def test_counts_by_type_category_item():
    """R-ANNUAL: counts by type, by penalty category (once per decision), by 执法事项."""
    s = stats_2025()
    assert s.total == 6
    assert s.by_type == {"penalty": 3, "inspection": 1, "random_check": 1, "other": 1}
    assert s.by_category == {"警告": 1, "罚款": 2, "没收违法所得": 1, "责令退回": 1}
    assert list(s.by_category) == ["警告", "罚款", "没收违法所得", "责令退回"]  # canonical order
    assert s.by_item == {"SJCC-001": 1, "XZCF-001": 2, "XZCF-002": 1, "XZJC-001": 1, "XZQZ-001": 1}
    assert s.item_names["XZCF-001"] == "串换药品行政处罚"
    assert s.item_names["XZQZ-001"] == ""


def test_amounts_corrections_withdrawals():
    """R-ANNUAL, R-CORR, R-WITHDRAW: money totals, accepted corrections and withdrawals of the year."""
    s = stats_2025()
    assert (s.fines, s.confiscated, s.refunds) == (Decimal("53234.5"), Decimal("800.25"), Decimal("26000"))
    assert s.corrections == 1
    assert s.withdrawals == 2  # P2 decided 2025; P5 decided 2024 but withdrawn in 2025


def test_on_time_rate_counts_settled_results_only():
    """R-ANNUAL, R-7WD, R-20WD: overdue-unpublished counts as late; still-pending is not counted."""
    s = stats_2025()
    assert (s.on_time, s.assessed) == (3, 5)
    assert s.on_time_rate == 0.6


def test_withdrawn_results_still_counted_and_unapproved_never():
    """R-ANNUAL, R-APPROVAL: a revoked decision stays in the figures; an unapproved one is absent."""
    s = stats_2025()
    assert s.by_item["XZCF-001"] == 2  # P1 and revoked P2, not unapproved P4
    assert s.fines == Decimal("53234.5")  # P4's 99999 is not in it
    assert s.total == 6 and s.by_type["penalty"] == 3
    s24 = annual_stats(CASES, CORRECTIONS, ROWS, ITEMS, 2024)
    assert (s24.total, s24.fines, s24.withdrawals, s24.on_time, s24.assessed) == (1, Decimal(10000), 0, 0, 1)


def test_empty_year_gives_zeros():
    s = annual_stats(CASES, CORRECTIONS, ROWS, ITEMS, 2023)
    assert s.total == 0 and s.by_type == {"penalty": 0, "inspection": 0, "random_check": 0, "other": 0}
    assert s.on_time_rate is None and s.by_category == {} and s.fines == Decimal(0)


def test_finished_years():
    """R-ANNUAL: only years before as_of's year, newest first."""
    assert finished_years(CASES, D("2026-01-10")) == [2025, 2024]
    assert finished_years(CASES, D("2025-06-30")) == [2024]


def test_csv_rows():
    """R-ANNUAL: the CSV download carries every figure; amounts in 元 with two decimals."""
    rows = stats_csv_rows(stats_2025())
    assert rows[0] == ["指标", "分类", "数值"]
    assert ["年度", "", "2025"] in rows
    assert ["执法决定（结果）总数", "合计", "6"] in rows
    assert ["按执法类别", "双随机抽查", "1"] in rows
    assert ["按处罚类别", "罚款", "2"] in rows
    assert ["按执法事项", "XZCF-001 串换药品行政处罚", "2"] in rows
    assert ["按执法事项", "XZQZ-001", "1"] in rows
    assert ["罚款金额（元）", "合计", "53234.50"] in rows
    assert ["没收违法所得、没收非法财物金额（元）", "合计", "800.25"] in rows
    assert ["责令退回金额（元）", "合计", "26000.00"] in rows
    assert ["按期公示", "按期公示率", "60.0%"] in rows
    assert all(len(r) == 3 and all(isinstance(v, str) for v in r) for r in rows)
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    assert list(csv.reader(io.StringIO(buf.getvalue()))) == rows


def test_csv_rate_dash_when_nothing_assessed():
    rows = stats_csv_rows(annual_stats([], [], [], {}, 2025))
    assert ["按期公示", "按期公示率", "—"] in rows


def test_annual_report_due():
    """R-ANNUAL: from 1 January the previous year's report is due by 31 January."""
    jan1 = annual_report_due(D("2026-01-01"), set())
    assert jan1 and "2025年度" in jan1 and "2026-01-31" in jan1 and "R-ANNUAL" in jan1
    late = annual_report_due(D("2026-02-01"), {2024})
    assert late and "2025年度" in late and "已超过" in late
    assert annual_report_due(D("2026-01-15"), {2025}) is None
    assert annual_report_due(D("2025-12-31"), {2024}) is None
