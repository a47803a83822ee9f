"""The publication ledger: pipeline/ledger.py (SPEC §5; R-RET5, R-RET2, R-WITHDRAW, R-CORR, R-LIST)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import LedgerBroken
from pipeline.ledger import (
    EVENT_KINDS,
    GENESIS,
    Event,
    append_events,
    first_publication,
    history_of,
    parse_ledger,
    plan_events,
    public_hash,
    serialise_event,
)
from pipeline.model import Approval, Case, Correction, ListChange, ListDoc, Party, Result

D = dt.date
PARTY = "春城仁和医院有限公司"
PERSON = "张建国"


def make_case(n: int = 12, **changes) -> Case:
    """A minimal penalty case number ``n`` of 2026; keyword arguments replace fields."""
    case = Case(
        id=f"2026-{n:04d}", type="penalty", doc_no=f"春医保罚〔2026〕{n}号", item="XZCF-003",
        agency="春城市医疗保障局", decided_on=D(2026, 3, 2), party=Party("organisation", PARTY),
        source=f"cases/2026/2026-{n:04d}.md", facts="经查，该院串换药品……",
        result=Result(("罚款",), fine=Decimal(52000), summary="罚款52000元"),
    )
    return dataclasses.replace(case, **changes)


def make_list(**changes) -> ListDoc:
    """A one-row officer list."""
    doc = ListDoc(kind="officers", title="执法人员清单", source="lists/officers.yaml",
                  updated_on=D(2026, 1, 10), rows=({"name": "李明", "cert_no": "22010001"},))
    return dataclasses.replace(doc, **changes)


def make_correction(**changes) -> Correction:
    """An accepted correction of case 2026-0012's 处罚内容, decided 2026-04-08."""
    corr = Correction(id="GZ-2026-001", case="2026-0012", received_on=D(2026, 4, 1),
                      source="corrections/GZ-2026-001.yaml", applicant="赵丽华",
                      contact="13912345678", decision="accepted", decided_on=D(2026, 4, 8),
                      changes=({"field": "result.summary", "old": "罚款52000元", "new": "罚款50000元"},))
    return dataclasses.replace(corr, **changes)


def build(cases, as_of, previous=(), lists=None, corrections=(), **kw) -> list[Event]:
    """Plan a build and return the whole ledger after it (previous + new)."""
    previous = list(previous)
    return previous + plan_events(cases, lists or {}, corrections, previous, as_of, **kw)


def text_of(events) -> str:
    return append_events("", list(events))


def forge(events: list[Event]) -> list[Event]:
    """Re-chain events with the documented formula, as a forger who knows it would."""
    out, prev = [], GENESIS
    for n, e in enumerate(events, start=1):
        body = {"seq": n, "date": e.date.isoformat(), "kind": e.kind, "record": e.record,
                "doc_no": e.doc_no, "summary": e.summary, "content_hash": e.content_hash}
        canon = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256((prev + canon).encode("utf-8")).hexdigest()
        out.append(dataclasses.replace(e, seq=n, prev=prev, hash=digest))
        prev = digest
    return out


@pytest.fixture
def ledger() -> list[Event]:
    """Three cases and a list published on 2026-03-05, one more case on 2026-03-06."""
    first = build([make_case(12), make_case(13), make_case(14)], D(2026, 3, 5), lists={"officers": make_list()})
    return build([make_case(n) for n in (12, 13, 14, 15)], D(2026, 3, 6), first)


# ---------------------------------------------------------------- format and chain


def test_round_trip(ledger):
    """SPEC §5: serialise then parse gives the same events; lines are canonical, readable JSON."""
    text = text_of(ledger)
    assert parse_ledger(text) == ledger
    for event, line in zip(ledger, text.splitlines(), strict=True):
        assert serialise_event(event) == line
        assert "\n" not in line and ", " not in line and "\\u" not in line
        assert event.summary in line  # Chinese stays readable, not \\u-escaped
        assert list(json.loads(line)) == sorted(json.loads(line))


def test_chain_verifies_with_documented_formula(ledger):
    """SPEC §5: hash = sha256(prev + canonical JSON of the other fields); first prev is 64 zeros."""
    assert ledger[0].prev == GENESIS
    assert forge(ledger) == ledger
    assert [e.seq for e in ledger] == list(range(1, len(ledger) + 1))


def test_edited_past_line_names_the_line(ledger):
    """SPEC §5: changing one character of a past summary breaks the chain at that line."""
    lines = text_of(ledger).splitlines()
    lines[1] = lines[1].replace("公示", "公布", 1)
    with pytest.raises(LedgerBroken, match=r"ledger.jsonl line 2: hash does not match") as info:
        parse_ledger("\n".join(lines) + "\n")
    assert info.value.line == 2 and info.value.record_id == ledger[1].record


def test_edited_and_rehashed_line_breaks_the_next(ledger):
    """SPEC §5: recomputing the edited line's own hash still breaks the line after it."""
    edited = dataclasses.replace(ledger[1], summary=ledger[1].summary + "。")
    body = {k: v for k, v in dataclasses.asdict(edited).items() if k not in ("prev", "hash")}
    canon = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    edited = dataclasses.replace(edited, hash=hashlib.sha256((edited.prev + canon).encode()).hexdigest())
    lines = text_of(ledger).splitlines()
    lines[1] = serialise_event(edited)
    with pytest.raises(LedgerBroken, match=r"line 3: prev does not match"):
        parse_ledger("\n".join(lines))


def test_deleted_line(ledger):
    """SPEC §5: a deleted line is a seq gap at the line that follows it."""
    lines = text_of(ledger).splitlines()
    del lines[2]
    with pytest.raises(LedgerBroken, match=r"line 3: seq is 4, expected 3"):
        parse_ledger("\n".join(lines))


def test_deleted_first_line(ledger):
    """SPEC §5: deleting the first lines is detected too."""
    with pytest.raises(LedgerBroken, match=r"line 1: seq is 2"):
        parse_ledger("\n".join(text_of(ledger).splitlines()[1:]))


def test_reordered_lines(ledger):
    """SPEC §5: two swapped lines break the chain at the first of them."""
    lines = text_of(ledger).splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    with pytest.raises(LedgerBroken, match=r"line 2: seq is 3, expected 2"):
        parse_ledger("\n".join(lines))


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: "{not json", r"line 2: not valid JSON"),
    (lambda d: json.dumps([1, 2]), r"line 2: not a JSON object"),
    (lambda d: json.dumps({**d, "party": PARTY}, ensure_ascii=False), r"line 2: unknown field\(s\): party"),
    (lambda d: json.dumps({k: v for k, v in d.items() if k != "summary"}), r"line 2: missing field\(s\): summary"),
    (lambda d: json.dumps({**d, "kind": "deleted"}), r"line 2: unknown kind 'deleted'"),
    (lambda d: json.dumps({**d, "date": "2026/03/05"}), r"line 2: date must be YYYY-MM-DD"),
    (lambda d: json.dumps({**d, "date": "2026-02-30"}), r"line 2: 2026-02-30 is not a real date"),
    (lambda d: json.dumps({**d, "seq": "2"}), r"line 2: seq must be a whole number"),
    (lambda d: json.dumps({**d, "hash": "abc"}), r"line 2: hash must be 64 lowercase hex"),
    (lambda d: "", r"line 2: empty line"),
])
def test_malformed_lines(ledger, mutate, message):
    """SPEC §5: every kind of damage is a LedgerBroken naming the line and the fix."""
    lines = text_of(ledger).splitlines()
    lines[1] = mutate(json.loads(lines[1]))
    with pytest.raises(LedgerBroken, match=message) as info:
        parse_ledger("\n".join(lines), source="content/ledger.jsonl")
    assert str(info.value).startswith("content/ledger.jsonl line 2")
    assert "fix" in str(info.value)


def test_dates_going_backwards(ledger):
    """SPEC §5: an event dated before an earlier line breaks the ledger, even if correctly hashed."""
    moved = ledger[:-1] + [dataclasses.replace(ledger[-1], kind="updated", date=D(2026, 3, 1))]
    with pytest.raises(LedgerBroken, match=rf"line {len(ledger)}: date 2026-03-01 is before 2026-03-05"):
        parse_ledger(text_of_unchecked(forge(moved)))


def text_of_unchecked(events) -> str:
    return "".join(serialise_event(e) + "\n" for e in events)


def test_empty_ledger():
    """SPEC §5: a missing or empty ledger is an empty history."""
    assert parse_ledger("") == []
    assert first_publication([]) == {}


# ---------------------------------------------------------------- planning


def test_no_change_rebuild_appends_nothing(ledger):
    """SPEC §5: rebuilding the same content (any later day) adds no line, byte for byte."""
    cases = [make_case(n) for n in (12, 13, 14, 15)]
    text = text_of(ledger)
    for as_of in (D(2026, 3, 6), D(2026, 3, 20)):
        new = plan_events(cases, {"officers": make_list()}, [], ledger, as_of)
        assert new == []
        assert append_events(text, new) == text


def test_bookkeeping_fields_do_not_count_as_changes():
    """SPEC §5: a new source path, new approval or reformatted amount is not an update."""
    case = make_case()
    same = dataclasses.replace(case, source="cases/2026/moved.md",
                               approval=Approval("法规科", "办公室", "局长", D(2026, 3, 5)),
                               result=dataclasses.replace(case.result, fine=Decimal("52000.00")))
    assert public_hash(same) == public_hash(case)
    assert public_hash(dataclasses.replace(case, facts="经查，另有事实")) != public_hash(case)
    with pytest.raises(TypeError):
        public_hash({"facts": "x"})


def test_first_publication_dates(ledger):
    """R-RET5: the ledger gives each record the date of its first "published" event."""
    first = first_publication(ledger)
    assert first == {"2026-0012": D(2026, 3, 5), "2026-0013": D(2026, 3, 5),
                     "2026-0014": D(2026, 3, 5), "2026-0015": D(2026, 3, 6)}
    # A later update does not move it.
    later = build([make_case(12, facts="经查，补充"), make_case(13), make_case(14), make_case(15)],
                  D(2026, 4, 1), ledger)
    assert later[-1].kind == "updated"
    assert first_publication(later) == first


def test_published_event_summary_and_hash():
    """SPEC §5: a new case is "published" with its 文号 and type, and the hash of its public content."""
    case = make_case()
    (event,) = plan_events([case], {}, [], [], D(2026, 3, 5))
    assert (event.kind, event.record, event.date, event.doc_no) == ("published", "2026-0012", D(2026, 3, 5), case.doc_no)
    assert event.summary == "公示 春医保罚〔2026〕12号 行政处罚决定"
    assert event.content_hash == public_hash(case)


def test_import_keeps_its_original_publication_date(ledger):
    """R-RET5 / SPEC §3: an imported case's "published" event carries published_on, appended in order."""
    old = make_case(3, decided_on=D(2021, 2, 20), published_on=D(2021, 3, 2),
                    doc_no="春医保罚〔2021〕3号", id="2021-0003")
    cases = [make_case(n) for n in (12, 13, 14, 15)] + [old]
    after = build(cases, D(2026, 3, 7), ledger)
    imported = after[-1]
    assert (imported.kind, imported.record, imported.date) == ("published", "2021-0003", D(2021, 3, 2))
    assert imported.seq == ledger[-1].seq + 1
    assert parse_ledger(text_of(after)) == after  # a backdated "published" line verifies
    assert first_publication(after)["2021-0003"] == D(2021, 3, 2)


def test_correction_versus_update(ledger):
    """R-CORR: a change backed by an accepted correction is "corrected" with the field labels; the next is "updated"."""
    others = [make_case(n) for n in (13, 14, 15)]
    corr = make_correction()
    fixed = make_case(12, result=Result(("罚款",), fine=Decimal(50000), summary="罚款50000元"))
    # Decided but not yet applied to the case: nothing to record.
    assert plan_events([make_case(12), *others], {}, [corr], ledger, D(2026, 4, 8)) == []
    after = build([fixed, *others], D(2026, 4, 9), ledger, corrections=[corr])
    (event,) = after[len(ledger):]
    assert event.kind == "corrected"
    assert event.summary == "更正 春医保罚〔2026〕12号：处罚内容"
    assert "赵丽华" not in serialise_event(event) and "13912345678" not in serialise_event(event)
    # A further edit with no new correction is an ordinary update.
    edited = dataclasses.replace(fixed, facts="经查，该院串换药品，现已整改")
    (update,) = plan_events([edited, *others], {}, [corr], after, D(2026, 4, 20))
    assert (update.kind, update.summary) == ("updated", "更新 春医保罚〔2026〕12号 公示内容")


def test_rejected_or_future_corrections_do_not_make_a_correction(ledger):
    """R-CORR: only accepted corrections decided by the build date count."""
    others = [make_case(n) for n in (13, 14, 15)]
    changed = make_case(12, facts="经查，新的事实")
    for corr in (make_correction(decision="rejected"), make_correction(decided_on=D(2026, 5, 1))):
        (event,) = plan_events([changed, *others], {}, [corr], ledger, D(2026, 4, 9))
        assert event.kind == "updated"


def test_withdrawal_once_without_party(ledger):
    """R-WITHDRAW: a revoked case is "withdrawn" once, by 文号 and reason, never the party name."""
    revoked = make_case(13, status="revoked", status_changed_on=D(2026, 4, 1), status_note="经行政复议撤销")
    cases = [make_case(12), revoked, make_case(14), make_case(15)]
    after = build(cases, D(2026, 4, 2), ledger)
    (event,) = after[len(ledger):]
    assert (event.kind, event.record) == ("withdrawn", "2026-0013")
    assert event.summary == "撤下 春医保罚〔2026〕13号（已撤销）"
    assert PARTY not in event.summary
    assert plan_events(cases, {}, [], after, D(2026, 4, 3)) == []
    # Even a later edit of a withdrawn case records nothing more.
    edited = dataclasses.replace(revoked, status_note="经行政复议撤销，另行处理")
    assert plan_events([make_case(12), edited, make_case(14), make_case(15)], {}, [], after, D(2026, 4, 9)) == []


def test_remade_names_its_replacement(ledger):
    """R-WITHDRAW: a re-made decision's withdrawal names the replacement's 文号."""
    remade = make_case(14, status="remade", status_changed_on=D(2026, 4, 1),
                       status_note="责令重新作出", replaced_by="2026-0020")
    cases = [make_case(12), make_case(13), remade, make_case(15), make_case(20)]
    new = plan_events(cases, {}, [], ledger, D(2026, 4, 2))
    assert [(e.kind, e.record) for e in new] == [("published", "2026-0020"), ("withdrawn", "2026-0014")]
    assert new[1].summary == "撤下 春医保罚〔2026〕14号（已责令重作）（已由 春医保罚〔2026〕20号 替代）"


def test_expiry_by_doc_no_only(ledger):
    """R-RET2 / R-PII: an expired case is recorded once, by 文号 only — no party or person name."""
    person = make_case(15, party=Party("natural_person", PERSON))
    cases = [make_case(12), make_case(13), make_case(14), person]
    after = build(cases, D(2028, 3, 7), ledger, expired_ids={"2026-0015"},
                  live_ids={"2026-0012", "2026-0013", "2026-0014"})
    expired = [e for e in after[len(ledger):] if e.kind == "expired"]
    assert [(e.record, e.summary) for e in expired] == [("2026-0015", "公示期满撤下 春医保罚〔2026〕15号")]
    assert PERSON not in text_of(after) and "张" not in expired[0].summary
    again = plan_events(cases, {}, [], after, D(2028, 3, 8), expired_ids={"2026-0015"})
    assert [e for e in again if e.kind == "expired"] == []


def test_never_published_expired_case_records_nothing():
    """R-RET5: an import already past its retention never went up here, so nothing is taken down."""
    old = make_case(3, published_on=D(2015, 1, 5))
    assert plan_events([old], {}, [], [], D(2026, 3, 5), expired_ids={old.id}) == []


def test_cases_outside_live_ids_are_not_published():
    """R-APPROVAL / R-RET5: only cases the caller says are live get "published"."""
    new = plan_events([make_case(12), make_case(13)], {}, [], [], D(2026, 3, 5), live_ids={"2026-0013"})
    assert [e.record for e in new] == ["2026-0013"]


def test_list_updated(ledger):
    """R-LIST: a list is recorded when first seen and when its content changes, with new history notes."""
    assert [e.summary for e in ledger if e.record == "list:officers"] == ["公布 执法人员清单"]
    cases = [make_case(n) for n in (12, 13, 14, 15)]
    changed = make_list(updated_on=D(2026, 4, 1), rows=make_list().rows + ({"name": "王芳"},),
                        history=(ListChange(D(2026, 1, 10), "初次公布"), ListChange(D(2026, 4, 1), "新增执法人员1名")))
    (event,) = plan_events(cases, {"officers": changed}, [], ledger, D(2026, 4, 2))
    assert (event.kind, event.record, event.doc_no) == ("list-updated", "list:officers", "")
    assert event.summary == "更新 执法人员清单：新增执法人员1名"
    assert history_of(ledger + [event], "list:officers")[-1] == event


def test_events_are_ordered_by_kind_then_record():
    """SPEC §5 / §7: same content, same date ⇒ the same events in the same order."""
    cases = [make_case(n) for n in (30, 21, 25)]
    lists = {"officers": make_list(), "bases": make_list(kind="bases", title="执法依据")}
    new = plan_events(cases, lists, [], [], D(2026, 3, 5))
    assert [(e.kind, e.record) for e in new] == [
        ("published", "2026-0021"), ("published", "2026-0025"), ("published", "2026-0030"),
        ("list-updated", "list:bases"), ("list-updated", "list:officers")]
    assert plan_events(list(reversed(cases)), dict(reversed(lists.items())), [], [], D(2026, 3, 5)) == new
    assert [EVENT_KINDS.index(e.kind) for e in new] == sorted(EVENT_KINDS.index(e.kind) for e in new)


def test_build_date_before_the_ledger_is_refused(ledger):
    """SPEC §5: events dated before the ledger's last day would break it, so planning refuses."""
    with pytest.raises(LedgerBroken, match="--as-of 2026-03-06"):
        plan_events([make_case(99)], {}, [], ledger, D(2026, 3, 1))


def test_append_refuses_events_that_do_not_chain(ledger):
    """SPEC §5: append_events never writes a ledger that fails to verify."""
    text = text_of(ledger[:2])
    with pytest.raises(LedgerBroken):
        append_events(text, [ledger[3]])


def test_history_of_a_case(ledger):
    """R-CORR: a case page's history lists its own events in order."""
    after = build([make_case(12, facts="新")] + [make_case(n) for n in (13, 14, 15)], D(2026, 4, 1), ledger)
    assert [e.kind for e in history_of(after, "2026-0012")] == ["published", "updated"]
    assert history_of(after, "2026-0099") == []


# ---------------------------------------------------------------- property

_steps = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from(["add", "edit", "revoke", "expire", "list"])),
    min_size=1, max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(steps=_steps)
def test_append_only_chain_stays_valid(steps):
    """SPEC §5 (property): any sequence of builds keeps the chain valid and never changes earlier text."""
    cases: dict[int, Case] = {}
    expired: set[str] = set()
    officers = make_list()
    text, events = "", []
    day = D(2026, 1, 1)
    for n, action in steps:
        day += dt.timedelta(days=1)
        if action == "add" or n not in cases:
            cases.setdefault(n, make_case(n))
        elif action == "edit":
            cases[n] = dataclasses.replace(cases[n], facts=cases[n].facts + "。")
        elif action == "revoke":
            cases[n] = dataclasses.replace(cases[n], status="revoked", status_note="撤销")
        elif action == "expire":
            expired.add(cases[n].id)
        else:
            officers = dataclasses.replace(officers, rows=officers.rows + ({"name": f"员{n}"},))
        new = plan_events(cases.values(), {"officers": officers}, [], events, day, expired_ids=expired)
        new_text = append_events(text, new)
        assert new_text.startswith(text)
        events = parse_ledger(new_text)
        assert events[: len(events) - len(new)] == parse_ledger(text)
        text = new_text
        assert plan_events(cases.values(), {"officers": officers}, [], events, day, expired_ids=expired) == []
