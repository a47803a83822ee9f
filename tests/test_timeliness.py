"""Publication timeliness (R-7WD, R-20WD, R-LIST), counted in working days (R-WD).

Deadlines are counted by hand: a penalty decided Friday 2026-03-06 has working days
3/9 (1), 3/10, 3/11, 3/12, 3/13 (5), 3/16 (6), 3/17 (7), 3/18 (8).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipeline.errors import CalendarMissing
from pipeline.model import Approval, Case, ListChange, ListDoc, Party
from pipeline.timeliness import LIMITS, Timeliness, as_json, assess, list_timeliness, warnings
from pipeline.workdays import WorkCalendar

D = dt.date.fromisoformat
CAL = WorkCalendar()
APPROVED = Approval("法规科", "办公室", "局长办公会", D("2026-03-05"))


def case(id="2026-0001", type="penalty", decided="2026-03-06", **kw) -> Case:
    return Case(id=id, type=type, doc_no=f"春医保〔2026〕{id}号", item="XZCF-001",
                agency="春城市医疗保障局", decided_on=D(decided),
                party=Party("organisation", "春城仁和医院有限公司", credit_code="91220101XG612DD26T"),
                source=f"cases/2026/{id}.md", approval=APPROVED, **kw)


def one(c: Case, published: str | None, as_of: str) -> Timeliness:
    pubs = {c.id: D(published)} if published else {}
    (row,) = assess([c], pubs, D(as_of), CAL)
    return row


def test_limits_follow_the_rules():
    """R-7WD: penalties 7 working days; R-20WD: every other type 20."""
    assert LIMITS == {"penalty": 7, "inspection": 20, "random_check": 20, "other": 20}


def test_friday_to_monday_is_one_working_day():
    """R-7WD: decision day not counted, publication day counted."""
    row = one(case(), "2026-03-09", "2026-04-01")
    assert (row.workdays, row.status, row.published_on) == (1, "on_time", D("2026-03-09"))


def test_seventh_working_day_is_on_time_eighth_is_late():
    """R-7WD: published on the 7th working day is on time; on the 8th it is late."""
    on_time = one(case(), "2026-03-17", "2026-04-01")
    late = one(case(), "2026-03-18", "2026-04-01")
    assert (on_time.workdays, on_time.status, on_time.deadline) == (7, "on_time", D("2026-03-17"))
    assert (late.workdays, late.status, late.deadline) == (8, "late", D("2026-03-17"))
    assert (on_time.on_time, late.on_time) == (True, False)


def test_penalty_deadline_over_national_day_2024():
    """R-7WD, R-WD: decided Fri 2024-09-27, the 7th working day is the 调休 Saturday 2024-10-12."""
    row = one(case(decided="2024-09-27"), "2024-10-12", "2024-11-01")
    assert (row.deadline, row.workdays, row.status) == (D("2024-10-12"), 7, "on_time")
    assert one(case(decided="2024-09-27"), "2024-10-14", "2024-11-01").status == "late"


def test_random_check_counts_twenty_from_end_of_check():
    """R-20WD: a 双随机 result within 20 working days of the day the check ended (decided_on)."""
    # 2026-09-18 (Fri) + 20 working days over 中秋 and 国庆 = 2026-10-22 (hand count in test_workdays).
    rc = case(type="random_check", decided="2026-09-18")
    assert one(rc, "2026-10-22", "2026-11-30").status == "on_time"
    row = one(rc, "2026-10-23", "2026-11-30")
    assert (row.limit, row.workdays, row.status) == (20, 21, "late")


def test_inspection_and_other_have_twenty():
    """R-20WD: inspection and other decisions have 20 working days."""
    for t in ("inspection", "other"):
        row = one(case(type=t), "2026-04-03", "2026-05-01")  # 3/6 + 20 WD = 4/3 (清明 is 4/6)
        assert (row.limit, row.workdays, row.status) == (20, 20, "on_time")


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        ("2026-03-06", "pending"),  # decision day: 7 left
        ("2026-03-12", "pending"),  # 3 working days left (3/13, 3/16, 3/17)
        ("2026-03-13", "due_soon"),  # 2 left
        ("2026-03-14", "due_soon"),  # Saturday: still 2 left
        ("2026-03-17", "due_soon"),  # deadline day: publishing today is still on time
        ("2026-03-18", "pending_overdue"),
    ],
)
def test_unpublished_status_by_as_of(as_of, status):
    """R-7WD: pending, due_soon (within 2 working days of the limit) and pending_overdue."""
    row = one(case(), None, as_of)
    assert (row.status, row.workdays, row.published_on) == (status, None, None)


def test_publication_after_as_of_has_not_happened_yet():
    """R-7WD: a report as of an earlier day does not see later publications (reproducible)."""
    row = one(case(), "2026-03-20", "2026-03-18")
    assert (row.status, row.published_on) == ("pending_overdue", None)


def test_imported_record_uses_its_original_publication_date():
    """R-7WD: an imported record's recorded first publication counts, before the ledger's."""
    c = case(published_on=D("2026-03-10"))
    (row,) = assess([c], {c.id: D("2026-05-01")}, D("2026-06-01"), CAL)
    assert (row.published_on, row.workdays, row.status) == (D("2026-03-10"), 2, "on_time")


def test_not_to_be_published_records_are_left_out():
    """R-NOPUB, R-WITHDRAW: disclose none, and withdrawn-before-publication, have no deadline."""
    hidden = case("2026-0002", disclose="none", disclose_reason="涉及国家秘密")
    revoked = case("2026-0003", status="revoked", status_changed_on=D("2026-03-09"))
    revoked_published = case("2026-0004", status="revoked", status_changed_on=D("2026-04-09"))
    rows = assess([hidden, revoked, revoked_published], {"2026-0004": D("2026-03-10")},
                  D("2026-05-01"), CAL)
    assert [r.id for r in rows] == ["2026-0004"]


def test_sorted_by_decision_then_id():
    cases = [case("b", decided="2026-03-06"), case("a", decided="2026-03-09"), case("a0", decided="2026-03-06")]
    rows = assess(cases, {}, D("2026-03-09"), CAL)
    assert [r.id for r in rows] == ["a0", "b", "a"]


def test_as_json_is_iso_and_serialisable():
    """R-7WD: the --json report gives per result the working days, the limit and on-time."""
    rows = assess([case(), case("2026-0002")], {"2026-0001": D("2026-03-09")}, D("2026-03-20"), CAL)
    data = as_json(rows)
    assert data[0] == {"id": "2026-0001", "doc_no": "春医保〔2026〕2026-0001号", "type": "penalty",
                       "decided_on": "2026-03-06", "published_on": "2026-03-09", "workdays": 1,
                       "limit": 7, "deadline": "2026-03-17", "status": "on_time", "on_time": True,
                       "rule": "R-7WD"}
    assert data[1]["published_on"] is None and data[1]["status"] == "pending_overdue"
    assert data[1]["on_time"] is False
    json.dumps(data, ensure_ascii=False)


def test_warnings_name_overdue_and_due_soon_only():
    """R-7WD, R-20WD: the nightly build warns about overdue and due-soon results, overdue first."""
    cases = [case("2026-0001", decided="2026-03-11"),  # deadline 3/20: due soon on 3/19
             case("2026-0002"),  # deadline 3/17: overdue on 3/19
             case("2026-0003", decided="2026-03-19"),  # pending
             case("2026-0004")]  # published
    rows = assess(cases, {"2026-0004": D("2026-03-09")}, D("2026-03-19"), CAL)
    lines = warnings(rows)
    assert len(lines) == 2
    assert lines[0].startswith("逾期未公示") and "2026-0002" in lines[0] and "2026-03-17" in lines[0]
    assert lines[1].startswith("即将到期") and "2026-0001" in lines[1] and "2026-03-20" in lines[1]
    assert "R-7WD" in lines[0]


def test_deadline_in_unknown_year_raises():
    """R-WD: a deadline that needs next year's schedule raises, never guesses."""
    with pytest.raises(CalendarMissing, match="2027"):
        assess([case(decided="2026-12-28")], {}, D("2026-12-29"), CAL)


def _doc(history) -> ListDoc:
    return ListDoc(kind="bases", title="执法依据", source="lists/bases.yaml",
                   updated_on=D("2026-04-01"), rows=(), history=tuple(history))


def test_list_changes_twenty_working_days_from_effective_date():
    """R-LIST: a change caused by law or function goes live within 20 working days."""
    doc = _doc([
        # 2026-03-06 + 20 WD = 2026-04-03 (same count as the inspection test).
        ListChange(D("2026-04-03"), "新增依据", "law", D("2026-03-06")),
        ListChange(D("2026-04-07"), "职能调整", "function", D("2026-03-06")),  # 4/6 清明 off: 21
        ListChange(D("2026-03-01"), "新增人员", "other"),
        ListChange(D("2026-02-01"), "提前更新", "law", D("2026-03-01")),  # before effect: 0
        ListChange(D("2026-05-01"), "缺生效日", "law"),
    ])
    rows = list_timeliness({"bases": doc}, CAL)
    got = [(r["date"], r["workdays"], r["status"], r["on_time"]) for r in rows]
    assert got == [
        ("2026-02-01", 0, "on_time", True),
        ("2026-04-03", 20, "on_time", True),
        ("2026-04-07", 21, "late", False),
        ("2026-05-01", None, "missing_effective_on", None),
    ]
    assert rows[1]["deadline"] == "2026-04-03" and rows[1]["limit"] == 20
    assert list_timeliness([doc], CAL) == rows
