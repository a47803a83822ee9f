"""Correction requests: pipeline/corrections.py (R-CORR, 002 第十七条)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from pipeline.corrections import (
    FIELD_LABELS,
    corrections_for,
    public_correction_entries,
    reply_letter_context,
    validate_corrections,
)
from pipeline.model import Bureau, Case, Correction, Party

D = dt.date
APPLICANT = "赵丽华"
CONTACT = "13912345678"
CLAIM = "罚款金额写错了，应为五万元"
EVIDENCE = "缴款凭证复印件（赵丽华提交）"


def make_case(case_id: str = "2026-0012", **changes) -> Case:
    """A minimal penalty case; keyword arguments replace fields."""
    case = Case(
        id=case_id, type="penalty", doc_no="春医保罚〔2026〕12号", item="XZCF-003",
        agency="春城市医疗保障局", decided_on=D(2026, 3, 2),
        party=Party("organisation", "春城仁和医院有限公司"), source=f"cases/2026/{case_id}.md",
    )
    return dataclasses.replace(case, **changes)


def make_correction(corr_id: str = "GZ-2026-001", **changes) -> Correction:
    """An accepted correction of case 2026-0012 by a private applicant."""
    corr = Correction(
        id=corr_id, case="2026-0012", received_on=D(2026, 4, 1),
        source=f"corrections/{corr_id}.yaml", applicant=APPLICANT, contact=CONTACT,
        claim=CLAIM, evidence=EVIDENCE, decision="accepted", decided_on=D(2026, 4, 8),
        changes=({"field": "result.summary", "old": "罚款52000元", "new": "罚款50000元"},),
        reply_on=D(2026, 4, 9), reply="经核实，原公示处罚内容有误，已予更正。",
    )
    return dataclasses.replace(corr, **changes)


def test_corrections_for_filters_and_sorts():
    """R-CORR: only accepted corrections of the case, decided by as_of, oldest first."""
    later = make_correction("GZ-2026-003", decided_on=D(2026, 5, 2))
    earlier = make_correction("GZ-2026-002", decided_on=D(2026, 4, 20))
    rejected = make_correction("GZ-2026-004", decision="rejected")
    pending = make_correction("GZ-2026-005", decision="pending", decided_on=None)
    other_case = make_correction("GZ-2026-006", case="2026-0099")
    everything = [later, rejected, earlier, pending, other_case]
    assert corrections_for("2026-0012", everything) == [earlier, later]
    assert corrections_for("2026-0012", everything, as_of=D(2026, 4, 30)) == [earlier]
    assert corrections_for("2026-0012", everything, as_of=D(2026, 4, 19)) == []


def test_public_entries_show_when_and_what_never_who():
    """R-CORR: the page shows the date and the changed fields, never applicant, contact, claim or evidence."""
    entries = public_correction_entries("2026-0012", [make_correction()], as_of=D(2026, 4, 8))
    assert entries == [{
        "date": D(2026, 4, 8),
        "fields": [{"field": "result.summary", "field_label": "处罚内容",
                    "old": "罚款52000元", "new": "罚款50000元"}],
    }]
    text = json.dumps(entries, ensure_ascii=False, default=str)
    for private in (APPLICANT, CONTACT, CLAIM, EVIDENCE, "经核实"):
        assert private not in text


def test_public_entries_wait_for_the_decision_date():
    """R-CORR: a correction decided after the build date is not shown yet."""
    assert public_correction_entries("2026-0012", [make_correction()], as_of=D(2026, 4, 7)) == []


def test_public_entries_are_redacted_and_skip_private_fields():
    """R-PII / R-CORR: old and new values go through the redactor; `persons` changes are not shown."""
    corr = make_correction(changes=(
        {"field": "facts", "old": "参保人刘秀英住院", "new": "参保人刘秀芳住院"},
        {"field": "persons", "old": "刘秀英", "new": "刘秀芳"},
    ))

    def redact(text: str) -> str:
        return text.replace("刘秀英", "刘某某").replace("刘秀芳", "刘某某")

    entries = public_correction_entries("2026-0012", [corr], D(2026, 5, 1), redact=redact)
    fields = entries[0]["fields"]
    assert [f["field"] for f in fields] == ["facts"]
    assert fields[0]["field_label"] == "主要违法事实"
    text = json.dumps(entries, ensure_ascii=False, default=str)
    assert "刘秀英" not in text and "刘秀芳" not in text


def test_valid_correction_has_no_problems():
    """R-CORR: a complete accepted correction passes validation."""
    assert validate_corrections([make_correction()], {"2026-0012"}) == []


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"case": "2026-0099"}, "case", "no case"),
    ({"changes": ()}, "changes", "no changes"),
    ({"decided_on": D(2026, 3, 31)}, "decided_on", "before the request was received"),
    ({"reply_on": D(2026, 4, 7)}, "reply_on", "before the decision"),
    ({"decided_on": None}, "decided_on", "no decision date"),
    ({"decision": "pending", "decided_on": None}, "reply_on", "no decision yet"),
    ({"changes": ({"field": "applicant", "old": "a", "new": "b"},)}, "changes[0].field",
     "not a correctable"),
    ({"changes": ({"field": "facts", "old": "a", "new": ""},)}, "changes[0].new", "missing"),
    ({"changes": ({"field": "facts", "old": "a", "new": "a"},)}, "changes[0]", "the same"),
])
def test_validation_problems(changes, field, words):
    """R-CORR: each inconsistency is a Problem naming the file, the field and a fix."""
    corr = make_correction(**changes)
    problems = validate_corrections([corr], {"2026-0012"})
    matching = [p for p in problems if p.field == field and words in p.message]
    assert matching, problems
    assert all(p.source == "corrections/GZ-2026-001.yaml" and p.fix for p in matching)
    assert matching[0].record_id == "GZ-2026-001"


def test_duplicate_ids_are_reported():
    """R-CORR: two correction files with one id are a problem."""
    problems = validate_corrections([make_correction(), make_correction()], {"2026-0012"})
    assert [p.field for p in problems] == ["id", "id"]


def test_field_labels_are_chinese_and_cover_penalty_fields():
    """R-CORR: every public penalty field a correction can touch has a Chinese label."""
    for name in ("result.summary", "facts", "party.name", "basis", "result.fine", "doc_no"):
        assert FIELD_LABELS[name] and not FIELD_LABELS[name].isascii()
    assert FIELD_LABELS["result.summary"] == "处罚内容"
    assert FIELD_LABELS["facts"] == "主要违法事实"


def test_reply_letter_context_is_complete():
    """R-CORR: the written reply names the applicant, the case, the decision, the changes and the bureau."""
    bureau = Bureau({"name": "春城市医疗保障局", "address": "春城市人民大街1000号",
                     "postcode": "130000", "phone": "0431-88880000"})
    ctx = reply_letter_context(make_correction(), make_case(), bureau)
    assert ctx["applicant"] == APPLICANT and ctx["contact"] == CONTACT
    assert ctx["received_on"] == D(2026, 4, 1) and ctx["reply_on"] == D(2026, 4, 9)
    assert ctx["doc_no"] == "春医保罚〔2026〕12号"
    assert ctx["decision"] == "accepted" and ctx["decision_label"] == "予以更正"
    assert ctx["reasons"].startswith("经核实")
    assert ctx["changes"] == [{"field_label": "处罚内容", "old": "罚款52000元", "new": "罚款50000元"}]
    assert ctx["bureau"]["name"] == "春城市医疗保障局"
    assert ctx["bureau"]["phone"] == "0431-88880000"
    assert ctx["bureau"]["email"] == ""


def test_reply_letter_refuses_the_wrong_case():
    """R-CORR: a reply letter must be about the case the request names."""
    with pytest.raises(ValueError, match="2026-0099"):
        reply_letter_context(make_correction(), make_case("2026-0099"), Bureau({}))
