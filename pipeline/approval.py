"""The approval gate (R-APPROVAL, R-NOPUB).

002 第十五–十六条 and 003 三(四)2: nothing is published without internal review,
secrecy review (保密审查) and head-of-unit approval recorded on the record.
002 第九条: a record marked ``disclose: none`` is never published.
Held-back records are returned as :class:`Hold` entries for the build report.
"""

from __future__ import annotations

from .model import Case, Hold, ListDoc

APPROVAL_LABELS = {
    "reviewed_by": "内部审核 (approval.reviewed_by)",
    "secrecy_review": "保密审查 (approval.secrecy_review)",
    "approved_by": "负责人批准 (approval.approved_by)",
    "approved_on": "批准日期 (approval.approved_on)",
}


def check_approval(case: Case) -> Hold | None:
    """A Hold if ``case`` must not be published; None if it may go on."""
    if case.disclose == "none":
        return Hold(case.id, case.source, "R-NOPUB", f"不予公开 (disclose: none): {case.disclose_reason}")
    missing = case.approval.missing()
    if missing:
        labels = "、".join(APPROVAL_LABELS[m] for m in missing)
        return Hold(case.id, case.source, "R-APPROVAL", f"缺少审批: {labels}")
    return None


def gate_cases(cases) -> tuple[list[Case], list[Hold]]:
    """Split cases into (publishable, held back). Order is preserved."""
    passed, held = [], []
    for case in cases:
        hold = check_approval(case)
        if hold:
            held.append(hold)
        else:
            passed.append(case)
    return passed, held


def gate_lists(lists: dict[str, ListDoc]) -> tuple[dict[str, ListDoc], list[Hold]]:
    """Lists need the same approval; an unapproved list is held back whole."""
    passed, held = {}, []
    for kind, doc in lists.items():
        missing = doc.approval.missing()
        if missing:
            labels = "、".join(APPROVAL_LABELS[m] for m in missing)
            held.append(Hold(f"list:{kind}", doc.source, "R-APPROVAL", f"缺少审批: {labels}"))
        else:
            passed[kind] = doc
    return passed, held
