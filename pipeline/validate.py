"""Turn raw dicts into model objects, or report every problem at once.

``validate_content`` is pure: it takes what ``pipeline.load`` read and the
``--as-of`` date and returns a :class:`Content`, or raises
:class:`ContentInvalid` listing every problem of every file (never just the first).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, MutableMapping

from .catalogue import (
    COMMON_CASE_FIELDS,
    OTHER_CATEGORIES,
    PARTY_FIELDS,
    RESULT_FIELDS,
    TYPE_FIELDS,
    TYPE_REQUIRED,
)
from .errors import ContentInvalid, Problem
from .load import CASE_ID_RE, RawContent, RawFile
from .model import (
    CASE_TYPES,
    DISCLOSE_MODES,
    PARTY_KINDS,
    PENALTY_CATEGORIES,
    RANDOM_OUTCOMES,
    STATUSES,
    Bureau,
    Case,
    Content,
    Correction,
    Party,
    Result,
)
from .validate_fields import Checker, credit_field
from .validate_lists import validate_list
from .values import check_link, controls_in, parse_amount, parse_date

BUREAU_REQUIRED = ("name", "credit_code", "duties", "units", "jurisdiction", "region",
                   "address", "phone", "report", "site")
BUREAU_FIELDS = frozenset(BUREAU_REQUIRED) | {"postcode", "email", "office_hours", "approval"}
SITE_REQUIRED = ("title", "identifier", "icp", "psb", "host")
CORRECTION_FIELDS = frozenset({"id", "case", "received_on", "applicant", "contact", "claim",
                               "evidence", "decision", "decided_on", "changes", "reply_on", "reply"})


def validate_content(raw: RawContent, as_of: dt.date,
                     known: MutableMapping[bytes, Case] | None = None) -> Content:
    """Validate everything; return Content or raise ContentInvalid with all problems.

    ``known`` (optional, {RawFile.key: Case}) remembers the case files that passed every
    check of their own, so an unchanged file is only re-checked against ``as_of`` and the
    cross-record checks; it is consulted and filled here.  Pass the mapping that
    :func:`pipeline.load.load_content` was given (it skips parsing those files).
    """
    problems = list(raw.problems)
    for f in [raw.bureau, *raw.lists.values(), *raw.cases, *raw.corrections, *raw.calendar]:
        if f is not None and not _is_known(f, known):
            _controls(f, problems)
    bureau = _bureau(raw.bureau, problems) if raw.bureau else Bureau({})
    lists = {kind: validate_list(kind, f, problems) for kind, f in raw.lists.items()}
    lists = {k: v for k, v in lists.items() if v is not None}
    cases = [c for c in (_known_case(f, as_of, problems, known) for f in raw.cases) if c is not None]
    corrections = [c for c in (_correction(f, problems) for f in raw.corrections) if c]
    calendar = _calendar(raw.calendar, problems)
    _cross_check(cases, lists, corrections, problems)
    if problems:
        raise ContentInvalid(problems)
    cases.sort(key=lambda c: (c.decided_on, c.id))
    return Content(bureau, lists, tuple(cases), tuple(corrections), calendar)


def _is_known(f: RawFile, known: Mapping[bytes, Case] | None) -> bool:
    return known is not None and bool(f.digest) and f.key in known


def _known_case(f: RawFile, as_of: dt.date, problems: list[Problem],
                known: MutableMapping[bytes, Case] | None) -> Case | None:
    """``_case``, or the remembered Case of the same file checked against ``as_of`` only.

    Only a file with no problem at all is remembered: then the date checks are the only
    ones that could fail, and they report what ``_case`` would.
    """
    if _is_known(f, known):
        case = known[f.key]
        _case_dates(Checker(f.source, problems, case.id), case, as_of)
        return case
    before = len(problems)
    case = _case(f, as_of, problems)
    if known is not None and f.digest and case is not None and len(problems) == before:
        controls: list[Problem] = []
        _controls(f, controls)  # reported above with every file's; a file with any is not kept
        if not controls:
            known[f.key] = case
    return case


def _controls(f: RawFile, problems: list[Problem]) -> None:
    """Issue 11: no control character in any field or body (invisible; breaks XML feeds)."""
    for where, char in [*controls_in(f.data), *controls_in({"body": f.body})]:
        problems.append(Problem(f.source, where, f"contains the invisible control character {char}",
                                "delete it (it often comes from copying out of another program)"))


def _bureau(f: RawFile, problems: list[Problem]) -> Bureau:
    ck = Checker(f.source, problems)
    ck.unknown(f.data, BUREAU_FIELDS)
    for key in BUREAU_REQUIRED:
        if not f.data.get(key):
            ck.add(key, "required field is missing or empty", "see docs/content-format.md")
    if f.data.get("credit_code"):
        credit_field(ck, f.data, "credit_code")
    # Shapes the templates, the feed and the sitemap rely on (issue 11: a site or report
    # that was not a mapping crashed the build with an AttributeError).
    for key in ("site", "report"):
        if not isinstance(f.data.get(key, {}), dict):
            ck.add(key, "expected a mapping of field: value", "see docs/content-format.md")
    units = f.data.get("units") or []
    if not isinstance(units, list) or not all(isinstance(u, dict) for u in units):
        ck.add("units", "expected a list of units, each with name and duties", "see docs/content-format.md")
    site = f.data.get("site") if isinstance(f.data.get("site"), dict) else {}
    for key in SITE_REQUIRED:
        if not site.get(key):
            ck.add(f"site.{key}", "required for the government-site footer", "see docs/content-format.md")
    if site.get("url"):
        try:
            check_link(site["url"])
        except ValueError as exc:
            ck.add("site.url", str(exc), "the address the site is published at, https://…")
    return Bureau(dict(f.data), f.source)

def _party(ck: Checker, data) -> Party:
    if not isinstance(data, dict):
        ck.add("party", "required mapping is missing", "add party: with kind and name")
        return Party("organisation", "")
    ck.unknown(data, PARTY_FIELDS, "party.")
    kind = ck.choice(data, "kind", PARTY_KINDS, prefix="party.")
    name = ck.text(data, "name", True, "party.")
    code = ck.text(data, "credit_code", prefix="party.")
    if kind == "natural_person":
        if code or data.get("legal_rep"):
            ck.add("party.credit_code", "a natural person has no 统一社会信用代码 or legal representative",
                   "remove it, or set party.kind to organisation / individual_business")
    elif code:
        code = credit_field(ck, data, "credit_code", "party.")
        if kind == "individual_business" and not code.startswith("92"):
            ck.add("party.credit_code", "a 个体工商户's code starts with 92",
                   "check the code or set party.kind to organisation")
    elif not data.get("registration_no"):
        ck.add("party.credit_code", "an organisation needs credit_code (or registration_no if it has none)",
               "copy it from the business licence")
    return Party(kind, name, code, ck.text(data, "registration_no", prefix="party."),
                 ck.text(data, "legal_rep", prefix="party."), ck.text(data, "operator", prefix="party."))


def _result(ck: Checker, data) -> Result:
    if not isinstance(data, dict):
        ck.add("result", "required mapping is missing", "add result: with category and summary")
        return Result()
    ck.unknown(data, RESULT_FIELDS, "result.")
    cats = data.get("category")
    cats = [cats] if isinstance(cats, str) else (cats or [])
    if not isinstance(cats, list):  # a number or a mapping (issue 11: was a TypeError)
        ck.add("result.category", "expected a 处罚类别 or a list of them", "write category: [罚款]")
        cats = []
    elif not cats:
        ck.add("result.category", "required field is missing", "name at least one 处罚类别")
    for cat in cats:
        if cat not in PENALTY_CATEGORIES:
            ck.add("result.category", f"{cat!r} is not a 处罚类别", f"use: {', '.join(PENALTY_CATEGORIES)}")
    amounts = {}
    for key in ("fine", "confiscated", "refund"):
        try:
            amounts[key] = parse_amount(data.get(key) or 0)
        except ValueError as exc:
            ck.add(f"result.{key}", str(exc), "write a number of 元")
            amounts[key] = parse_amount(0)
    return Result(tuple(cats), summary=ck.text(data, "summary", True, "result."), **amounts)


def _case(f: RawFile, as_of: dt.date, problems: list[Problem]) -> Case | None:
    data = f.data
    stem = f.source.rsplit("/", 1)[-1][:-3]
    ck = Checker(f.source, problems, str(data.get("id", stem)))
    ctype = ck.choice(data, "type", CASE_TYPES)
    ck.unknown(data, COMMON_CASE_FIELDS | TYPE_FIELDS[ctype])
    case_id = ck.text(data, "id", True)
    if case_id and not CASE_ID_RE.match(case_id):
        ck.add("id", f"{case_id!r} is not a valid id", "use letters, digits and '-' only, e.g. 2026-0012")
    elif case_id and case_id != stem:
        ck.add("id", f"id {case_id!r} differs from the file name {stem!r}", f"rename the file to {case_id}.md")
    decided = ck.date(data, "decided_on", True)
    if decided and f.source.split("/")[1] != str(decided.year):
        ck.add("decided_on", f"file is in cases/{f.source.split('/')[1]}/ but decided in {decided.year}",
               f"move it to cases/{decided.year}/")
    for key in TYPE_REQUIRED[ctype]:
        if data.get(key) in (None, "", [], {}):
            ck.add(key, f"required for type {ctype}", "fill it in (see docs/content-format.md)")
    persons = data.get("persons") or []
    if not isinstance(persons, list) or not all(isinstance(p, str) for p in persons):
        ck.add("persons", "expected a list of names", "write persons: [张三, 李四]")
        persons = []
    status = ck.choice(data, "status", STATUSES, "active")
    disclose = ck.choice(data, "disclose", DISCLOSE_MODES, "summary")
    case = Case(
        id=case_id or stem, type=ctype, doc_no=ck.text(data, "doc_no", True),
        item=ck.text(data, "item", True), agency=ck.text(data, "agency", True),
        decided_on=decided or dt.date.min, party=_party(ck, data.get("party")), source=f.source,
        persons=tuple(p.strip() for p in persons), facts=ck.text(data, "facts"),
        basis=ck.text(data, "basis"),
        result=_result(ck, data.get("result")) if ctype == "penalty" else Result(),
        **{k: ck.text(data, k) for k in ("method", "check_items", "problems", "rectification",
                                          "task", "follow_up", "conclusion", "status_note",
                                          "replaced_by", "disclose_reason")},
        outcome=ck.choice(data, "outcome", RANDOM_OUTCOMES, "正常") if ctype == "random_check" else "",
        category=ck.choice(data, "category", OTHER_CATEGORIES, "其他") if ctype == "other" else "",
        disclose=disclose, approval=ck.approval(data), status=status,
        status_changed_on=ck.date(data, "status_changed_on"),
        published_on=ck.date(data, "published_on"), body=f.body,
    )
    _case_rules(ck, case)
    _case_dates(ck, case, as_of)
    return case


def _case_dates(ck: Checker, case: Case, as_of: dt.date) -> None:
    """The only checks of a case that depend on the build date (so a valid case can be
    cached by its file's content and re-checked against each build's date alone)."""
    if case.decided_on > as_of:
        ck.add("decided_on", f"{case.decided_on} is after the build date {as_of}",
               "check the date, or build with a later --as-of")
    for key in ("status_changed_on", "published_on"):
        value = getattr(case, key)
        if value and value > as_of:
            ck.add(key, f"{value} is after the build date {as_of}", "check the date")


def _case_rules(ck: Checker, case: Case) -> None:
    if case.disclose == "none" and not case.disclose_reason:
        ck.add("disclose_reason", "disclose: none needs the reason (R-NOPUB)", "add disclose_reason: …")
    if case.status != "active":
        if not case.status_changed_on:
            ck.add("status_changed_on", f"status {case.status} needs the date it changed (R-WITHDRAW)",
                   "add status_changed_on: YYYY-MM-DD")
        if not case.status_note:
            ck.add("status_note", "a withdrawal needs a public explanation (R-WITHDRAW)", "add status_note: …")
    if case.status == "remade" and not case.replaced_by:
        ck.add("replaced_by", "a remade decision names its replacement", "add replaced_by: <case id>")
    if case.published_on and case.published_on < case.decided_on:
        ck.add("published_on", "published before it was decided", "check both dates")


def _correction(f: RawFile, problems: list[Problem]) -> Correction | None:
    ck = Checker(f.source, problems, str(f.data.get("id", "")))
    ck.unknown(f.data, CORRECTION_FIELDS)
    changes = f.data.get("changes") or []
    if not isinstance(changes, list) or not all(isinstance(c, dict) and "field" in c for c in changes):
        ck.add("changes", "expected a list of {field, old, new}", "see docs/content-format.md")
        changes = []
    return Correction(
        id=ck.text(f.data, "id", True), case=ck.text(f.data, "case", True),
        received_on=ck.date(f.data, "received_on", True) or dt.date.min, source=f.source,
        **{k: ck.text(f.data, k) for k in ("applicant", "contact", "claim", "evidence", "reply")},
        decision=ck.choice(f.data, "decision", ("pending", "accepted", "rejected"), "pending"),
        decided_on=ck.date(f.data, "decided_on"), reply_on=ck.date(f.data, "reply_on"),
        changes=tuple({k: str(v) for k, v in c.items()} for c in changes),
    )


def _calendar(files: list[RawFile], problems: list[Problem]) -> dict:
    out = {}
    for f in files:
        ck = Checker(f.source, problems)
        ck.unknown(f.data, frozenset({"year", "source", "holidays", "workdays"}))
        year = f.data.get("year")
        if not isinstance(year, int):
            ck.add("year", "required: the year this schedule covers", "add year: 2027")
            continue
        days = {}
        for key in ("holidays", "workdays"):
            values = f.data.get(key) or []
            days[key] = set()
            for value in values if isinstance(values, list) else []:
                try:
                    days[key].add(parse_date(value))
                except ValueError as exc:
                    ck.add(key, str(exc), "write dates as YYYY-MM-DD")
        out[year] = {**days, "source": str(f.data.get("source", f.source))}
    return out


def _cross_check(cases, lists, corrections, problems: list[Problem]) -> None:
    codes = {str(r.get("code")) for kind in ("items", "random") if kind in lists
             for r in lists[kind].rows}
    ids = Counter(c.id for c in cases)
    doc_nos = Counter(c.doc_no for c in cases if c.doc_no)
    for case in cases:
        add = lambda field, msg, fix, c=case: problems.append(Problem(c.source, field, msg, fix, c.id))  # noqa: E731
        if ids[case.id] > 1:
            add("id", f"id {case.id} is used by {ids[case.id]} files", "give each record its own id")
        if doc_nos[case.doc_no] > 1:
            add("doc_no", f"文号 {case.doc_no} is used by {doc_nos[case.doc_no]} records", "each decision has its own 文号")
        if case.item and case.item not in codes:
            add("item", f"unknown 执法事项 {case.item!r}", "use a code from lists/items.yaml (or lists/random.yaml)")
        if case.replaced_by and case.replaced_by not in ids:
            add("replaced_by", f"no case with id {case.replaced_by!r}", "name the id of the re-made decision")
    guides = lists.get("guides")
    for i, row in enumerate(guides.rows if guides else (), 1):  # its page links to the item
        if str(row.get("item")) not in codes:
            problems.append(Problem(guides.source, f"rows[{i}].item", f"unknown 执法事项 {row.get('item')!r}",
                                    "use a code from lists/items.yaml (or lists/random.yaml)"))
    case_ids = set(ids)
    for corr in corrections:
        if corr.case and corr.case not in case_ids:
            problems.append(Problem(corr.source, "case", f"no case with id {corr.case!r}",
                                    "name the id of the case to correct", corr.id))


def validate_case_file(raw: RawFile, as_of: dt.date) -> Case:
    """One case file on its own (no cross-checks against lists or other cases).

    Returns the Case or raises ContentInvalid listing every problem of the file.
    Used by the review preview, which looks at one record before approval.
    """
    problems: list[Problem] = []
    case = _case(raw, as_of, problems)
    if problems or case is None:
        raise ContentInvalid(problems)
    return case
