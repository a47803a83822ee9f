"""Correction requests (R-CORR, 002 第十七条).

"公民、法人或者其他组织有证据证明医疗保障部门公示的行政执法信息不准确的，可以申请更正，
医疗保障部门应当及时予以更正并书面答复申请人。"

The public sees *that* and *when* a case was corrected and *what* changed (the
"更正记录" on the case page); never who asked, their contact, claim or evidence.
The applicant gets a private written reply (书面答复), for which
:func:`reply_letter_context` gathers the data.  Everything here is pure.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable

from .catalogue import CASE_FIELD_LABELS
from .errors import Problem
from .model import Bureau, Case, Correction

# Public case fields a correction may change, with the label the case page uses.
# Dotted names follow the content format (docs/content-format.md).
# The catalogue's public labels, plus the fields a correction may touch that no page
# labels on its own; a few read better in a "what changed" list.
FIELD_LABELS: dict[str, str] = {
    **CASE_FIELD_LABELS,
    "doc_no": "决定书文号",
    "agency": "作出决定机关",
    "party.kind": "当事人类型",
    "party.registration_no": "注册号",
    "party.operator": "经营者",
    "result.category": "处罚类别",
    "result.confiscated": "没收金额",
    "result.refund": "退回金额",
    "status_note": "撤销说明",
}

# Fields a correction may legitimately change that are not shown as such on the site:
# `persons` only tells the redactor which names to mask (R-PII); its values are names.
PRIVATE_CHANGE_FIELDS = frozenset({"persons"})

DECISION_LABELS = {"accepted": "予以更正", "rejected": "不予更正", "pending": "正在核实"}


def corrections_for(
    case_id: str, corrections: Iterable[Correction], as_of: dt.date | None = None
) -> list[Correction]:
    """The accepted corrections of ``case_id`` decided on or before ``as_of``.

    Sorted by (decided_on, id).  ``as_of=None`` means no date limit.  Pending and
    rejected requests, and accepted ones without a decision date (a validation
    problem, see :func:`validate_corrections`), are left out.
    """
    chosen = [
        c
        for c in corrections
        if c.case == case_id
        and c.decision == "accepted"
        and c.decided_on is not None
        and (as_of is None or c.decided_on <= as_of)
    ]
    return sorted(chosen, key=lambda c: (c.decided_on, c.id))


def field_label(name: str) -> str:
    """The Chinese label of a correctable field; the dotted name itself if unknown."""
    return FIELD_LABELS.get(name, name)


def public_correction_entries(
    case_id: str,
    corrections: Iterable[Correction],
    as_of: dt.date,
    redact: Callable[[str], str] = lambda s: s,
) -> list[dict]:
    """The "更正记录" of a case page: ``[{date, fields: [{field, field_label, old, new}]}]``.

    One entry per accepted correction decided on or before ``as_of``, oldest first.
    R-CORR: only the decision date and the changed public fields are returned —
    never applicant, contact, claim, evidence or reply.  ``old``/``new`` pass
    through ``redact`` (give it the case's redactor, R-PII); changes to fields in
    PRIVATE_CHANGE_FIELDS are left out.  Missing old/new values become "".
    """
    entries = []
    for corr in corrections_for(case_id, corrections, as_of):
        fields = [
            {
                "field": str(change.get("field", "")),
                "field_label": field_label(str(change.get("field", ""))),
                "old": redact(str(change.get("old", "") or "")),
                "new": redact(str(change.get("new", "") or "")),
            }
            for change in corr.changes
            if change.get("field") not in PRIVATE_CHANGE_FIELDS
        ]
        entries.append({"date": corr.decided_on, "fields": fields})
    return entries


def validate_corrections(corrections: Iterable[Correction], case_ids: set[str]) -> list[Problem]:
    """Every problem of every correction request, as :class:`Problem` (empty list: all fine).

    Checks: unknown case; duplicate id; a decision without decided_on; an accepted
    request without changes; a change to an unknown field, without ``new`` or with
    old == new; decided_on before received_on; reply_on before decided_on or
    without a decision.
    """
    corrections = list(corrections)
    problems: list[Problem] = []
    ids = Counter(c.id for c in corrections)
    for corr in corrections:
        add = _adder(corr, problems)
        if corr.case not in case_ids:
            add("case", f"no case with id {corr.case!r}", "name the id of the case to correct")
        if ids[corr.id] > 1:
            add("id", f"id {corr.id} is used by {ids[corr.id]} correction files",
                "give each correction request its own id")
        _check_dates(corr, add)
        if corr.decision == "accepted":
            _check_changes(corr, add)
    return problems


def _adder(corr: Correction, problems: list[Problem]) -> Callable[[str, str, str], None]:
    def add(field: str, message: str, fix: str) -> None:
        problems.append(Problem(corr.source, field, message, fix, corr.id))

    return add


def _check_dates(corr: Correction, add: Callable[[str, str, str], None]) -> None:
    if corr.decision != "pending" and corr.decided_on is None:
        add("decided_on", f"decision is {corr.decision} but there is no decision date",
            "add decided_on: YYYY-MM-DD")
    if corr.decided_on and corr.decided_on < corr.received_on:
        add("decided_on", f"decided on {corr.decided_on}, before the request was received "
            f"({corr.received_on})", "check received_on and decided_on")
    if corr.reply_on and corr.decided_on is None:
        add("reply_on", "a written reply is dated but the request has no decision yet",
            "add decision and decided_on, or remove reply_on")
    if corr.reply_on and corr.decided_on and corr.reply_on < corr.decided_on:
        add("reply_on", f"replied on {corr.reply_on}, before the decision ({corr.decided_on})",
            "check decided_on and reply_on")


def _check_changes(corr: Correction, add: Callable[[str, str, str], None]) -> None:
    if not corr.changes:
        add("changes", "an accepted correction lists no changes (R-CORR: the page shows what changed)",
            "add changes: - {field: result.summary, old: …, new: …}")
    for n, change in enumerate(corr.changes):
        name = change.get("field", "")
        where = f"changes[{n}]"
        if name not in FIELD_LABELS and name not in PRIVATE_CHANGE_FIELDS:
            add(f"{where}.field", f"{name!r} is not a correctable case field",
                "use one of: " + ", ".join(sorted(FIELD_LABELS)))
        if not str(change.get("new", "") or "").strip():
            add(f"{where}.new", "the corrected value is missing", "add new: <the corrected value>")
        elif str(change.get("old", "")) == str(change.get("new", "")):
            add(f"{where}", "old and new are the same", "write the value before and after the correction")


def reply_letter_context(
    correction: Correction,
    case: Case,
    bureau: Bureau,
    redact: Callable[[str], str] = lambda s: s,
) -> dict:
    """Data for the written reply (书面答复, 002 第十七条) to the applicant.

    This is a PRIVATE letter: it names the applicant and their contact and must
    never be written under the site output.  ``changes`` values pass through ``redact`` because the
    applicant may be a third party (R-PII); the CLI should pass the case's
    redactor.  ``reply_on`` is None when the request has no reply date yet
    (the caller decides what date to print).  Raises ValueError if ``case`` is
    not the case the correction names.
    """
    if correction.case != case.id:
        raise ValueError(f"correction {correction.id} is for case {correction.case}, not {case.id}")
    return {
        "correction_id": correction.id,
        "applicant": correction.applicant,
        "contact": correction.contact,  # the letter goes to the applicant (002 第十七条 书面答复)
        "received_on": correction.received_on,
        "claim": correction.claim,
        "case_id": case.id,
        "doc_no": case.doc_no,
        "agency": case.agency,
        "decision": correction.decision,
        "decision_label": DECISION_LABELS.get(correction.decision, correction.decision),
        "decided_on": correction.decided_on,
        "reasons": correction.reply,
        "changes": [
            {
                "field_label": field_label(str(c.get("field", ""))),
                "old": redact(str(c.get("old", "") or "")),
                "new": redact(str(c.get("new", "") or "")),
            }
            for c in correction.changes
        ],
        "reply_on": correction.reply_on,
        "bureau": {
            key: bureau.get(key, "") for key in ("name", "address", "postcode", "phone", "email")
        },
    }
