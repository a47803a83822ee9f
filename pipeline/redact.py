"""Redaction stage (R-PII, SPEC §4; 002 第九条; SPC 2016 = 法释〔2016〕19号).

``redact_cases`` takes approved cases and returns the publishable ones with every
published text masked, plus the cases HELD BACK because something personal may remain
(fail closed: a record is never published half-redacted).  Pure: no I/O.

* Names of natural persons keep the surname: 张三 → 张某, 张三丰 → 张某某, 欧阳娜娜 →
  欧阳某某 (SPC 2016 第九条(一)).  Minority and foreign names keep their FIRST CHARACTER:
  阿依古丽·买买提 → 阿某某 (SPC 2016 第九条(二)(三); keeping the whole first part would
  publish the person's own given name), John Smith → J某.  One person, one mask per record;
  two persons whose masks coincide become 张某甲 / 张某乙 (SPC practice).
* Numbers, contacts, addresses, birth dates: see the table in ``pipeline.pii_patterns``;
  removed values become ``MARK`` (【已删除】).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from .model import Case, Hold, Party
from .pii import (
    canonical,
    case_texts,
    declared_names,
    find_suspect_numbers,
    find_undeclared_names,
    normalise_text,
    pattern_hits,
    redact_patterns,
)
from .pii_patterns import (
    COMPOUND_SURNAMES,
    DETECT_SURNAMES,
    DISAMBIGUATORS,
    HAN,
    MARK,
    NAME_DOTS,
    NAME_MASK_CHARS,
    SURNAMES,
)

__all__ = ["MARK", "Replacement", "RedactionResult", "mask_name", "redact_case", "redact_cases"]


@dataclass(frozen=True)
class Replacement:
    """One change redaction made (internal: ``original`` is personal, never publish it)."""

    field: str
    kind: str
    original: str
    replacement: str


@dataclass(frozen=True)
class RedactionResult:
    case: Case
    replacements: tuple[Replacement, ...]
    hold_reasons: tuple[str, ...]  # empty: publishable


_COMPOUND_ALT = "|".join(sorted(COMPOUND_SURNAMES))
_MASKS = re.escape(NAME_MASK_CHARS + "＊")
# A name already in our style: 张某, 欧阳某某, 张某甲, 张某11 (kept as is: idempotence).
_NORMAL_MASK_RE = re.compile(rf"^(?:{_COMPOUND_ALT}|{HAN})某{{1,2}}(?:[{DISAMBIGUATORS}]|\d+)?$")
_LATIN_RE = re.compile(r"^[A-Za-z][A-Za-z .'\-]*$")
_DOTS_RE = re.compile(f"[{re.escape(NAME_DOTS)}]")


def mask_name(name: str) -> str:
    """The public form of a natural person's name (SPEC §4; SPC 2016 第九条).

    张三 → 张某, 张三丰 → 张某某, 欧阳修 → 欧阳某, 欧阳娜娜 → 欧阳某某, 王*梅 → 王某某
    (one 某 per hidden or given character, at most two), 阿依古丽·买买提 → 阿某某,
    John Smith → J某.  A name already masked in this style is returned unchanged;
    an empty name gives "".
    """
    n = re.sub(r"\s+", "", normalise_text(name or ""))
    if not n or _NORMAL_MASK_RE.match(n) or set(n) <= {"某"}:
        return n
    if _LATIN_RE.match(n):
        return n[0].upper() + "某"
    if _DOTS_RE.search(n):  # minority / foreign: keep the first character only
        return n[0] + "某某"
    head = 2 if n[:2] in COMPOUND_SURNAMES and len(n) > 2 else 1
    return n[:head] + "某" * min(2, max(1, len(n) - head))


def assign_masks(names: list[str]) -> dict[str, str]:
    """``{declared name: mask}`` for one record, different persons never sharing a mask.

    Names already in our style keep it; others whose masks coincide (张三, 张四) get
    甲, 乙, … in order of appearance (SPC practice), then Arabic numerals.
    """
    fixed = [n for n in names if _NORMAL_MASK_RE.match(n)]
    used = set(fixed)
    masks = {n: n for n in fixed}
    groups: dict[str, list[str]] = {}
    for n in names:
        if n not in masks:
            groups.setdefault(mask_name(n), []).append(n)
    for base, members in groups.items():
        if len(members) == 1 and base not in used:
            masks[members[0]] = base
            used.add(base)
            continue
        suffixes = [*DISAMBIGUATORS, *(str(i) for i in range(11, 11 + len(members) + len(used)))]
        free = (base + s for s in suffixes if base + s not in used)
        for member in members:
            masks[member] = next(free)
            used.add(masks[member])
    return masks


_ANY_DOT = rf"[\s{re.escape(NAME_DOTS)}]?"


def _name_pattern(names: list[str]) -> re.Pattern | None:
    """Declared names as written, tolerating a space between characters (王 芳) and any
    middle dot where the name has one.  (Character classes of non-ASCII characters are
    slow to compile, so plain names use only ``\\s?``: this runs once per record.)"""
    parts = []
    for n in sorted(names, key=len, reverse=True):
        pieces = [p for p in _DOTS_RE.split(re.sub(r"\s", "", n)) if p]
        if sum(map(len, pieces)) >= 2:
            parts.append(_ANY_DOT.join(r"\s?".join(map(re.escape, p)) for p in pieces))
    return re.compile("|".join(parts)) if parts else None


# Masks people typed before us: 王*梅, 李**, 王×, 张XX, 王*.  The character after a single
# mask is the last given character unless it is a grammar word (王*在…).  Surnames that are
# usually grammar words are left out (关于**…** is Markdown bold, not a name).
_MASKED_TEXT_RE = re.compile(
    rf"(?P<sur>{_COMPOUND_ALT}|[{''.join(sorted(DETECT_SURNAMES))}])"
    rf"(?P<m1>[{_MASKS}]{{1,3}})(?P<h1>{HAN})?(?![{_MASKS}A-Za-z0-9])"
)
_NOT_GIVEN = set("在于的等为将与和及系是因对向从到被把已未不也都曾又并以称说经通持使用冒骗违住就开出入光线")


def _normalise_masked(text: str, log: list) -> str:
    """王*梅 → 王某某: already-masked names in our style (SPEC §4)."""

    def fix(m: re.Match) -> str:
        sur, h1 = m.group("sur"), m.group("h1") or ""
        tail = ""
        if h1 in _NOT_GIVEN:
            h1, tail = "", h1
        hidden = len(m.group("m1")) + len(h1)
        new = sur + "某" * min(2, hidden)
        log.append(("masked_name", m.group(0)[: len(m.group(0)) - len(tail)], new))
        return new + tail

    return _MASKED_TEXT_RE.sub(fix, text)


@dataclass(frozen=True)
class _Ctx:
    masks: dict[str, str]
    name_re: re.Pattern | None
    allow: frozenset[str]  # canonical
    public_names: frozenset[str]

    def mask_of(self, written: str) -> str:
        key = re.sub(r"\s", "", written)
        for name, mask in self.masks.items():
            if _DOTS_RE.sub("", name) == _DOTS_RE.sub("", key):
                return mask
        return mask_name(written)


def _redact_text(text: str, ctx: _Ctx) -> tuple[str, list]:
    """One field: normalise, remove table values, mask declared and pre-masked names."""
    text, log = redact_patterns(normalise_text(text), ctx.allow)
    if ctx.name_re is not None:

        def name(m: re.Match) -> str:
            new = ctx.mask_of(m.group(0))
            log.append(("name", m.group(0), new))
            return new

        text = ctx.name_re.sub(name, text)
    return _normalise_masked(text, log), log


# What follows a person's name when it is part of an organisation's name (张三丰口腔诊所);
# grammar words in between mean it is not ("刘某在某医院").
_ORG_AFTER_NAME = re.compile(
    r"(?:(?![在于到的为向从至去来将被把对是系和与及等称说住就])" + HAN + r"){0,4}?"
    r"(?:有限公司|公司|医院|诊所|门诊部|卫生室|卫生院|大药房|药房|药店|医馆|工作室)"
)


def _inside_org_name(name: str, text: str) -> bool:
    """True if ``name`` occurs in ``text`` as the start of an organisation name."""
    at = text.find(name)
    while at >= 0:
        if _ORG_AFTER_NAME.match(text, at + len(name)):
            return True
        at = text.find(name, at + 1)
    return False


def _org_reasons(case: Case, names: list[str], texts: list[tuple[str, str]]) -> list[str]:
    """A masked person's full name inside a published organisation name: hold for review."""
    reasons = []
    party_public = case.party.kind != "natural_person"
    for n in (n for n in names if len(n) >= 2 and not _is_masked(n)):
        if party_public and n in normalise_text(case.party.name):
            reasons.append("party.name: 公开的单位名称含被隐名自然人的姓名 / the published "
                           "organisation name contains a masked person's name — review")
        if n in normalise_text(case.agency):
            reasons.append("agency: 执法主体名称含被隐名自然人的姓名 / contains a masked person's name")
        for field, text in texts:
            if _inside_org_name(n, text):
                reasons.append(f"{field}: 文中单位名称含被隐名自然人的姓名 / an organisation "
                               "named in the text contains a masked person's name — review")
    return reasons


def _is_masked(name: str) -> bool:
    return "某" in name or any(c in NAME_MASK_CHARS for c in name)


def _text_reasons(field: str, text: str, ctx: _Ctx, givens: list[str]) -> list[str]:
    """Why a redacted field is not safe to publish (kinds only, never values)."""
    reasons = [f"{field}: 脱敏后仍含{kind} / {kind} still present after redaction"
               for kind, _v in pattern_hits(text, ctx.allow)]
    reasons += [f"{field}: 含无法识别的9–11位数字（住院号？卡号？） / {kind}: label or remove it"
                for kind in find_suspect_numbers(text)]
    reasons += [f"{field}: 「{role}」附近疑似有未在 persons 中声明的姓名 / suspected undeclared "
                f"person name near '{role}' — declare it in persons or mask it"
                for role in find_undeclared_names(text, ctx.public_names)]
    reasons += [f"{field}: 含被隐名自然人名字的一部分 / part of a masked person's given name remains"
                for g in givens if _stands_alone(g, text)]
    return reasons


def _stands_alone(given: str, text: str) -> bool:
    """True if a given name occurs in ``text`` other than inside another full name
    (建华 alone, but not in the legal representative's 王建华)."""
    at = text.find(given)
    while at >= 0:
        if at == 0 or text[at - 1] not in SURNAMES:
            return True
        at = text.find(given, at + 1)
    return False


def _givens(names: list[str]) -> list[str]:
    """Given names (2+ characters) of declared persons, which must not stand alone."""
    out = []
    for n in names:
        if _is_masked(n):
            continue
        parts = _DOTS_RE.split(n)
        if len(parts) > 1:
            out += [p for p in parts if len(p) >= 2]
        else:
            head = 2 if n[:2] in COMPOUND_SURNAMES and len(n) > 2 else 1
            if len(n) - head >= 2:
                out.append(n[head:])
    return out


def _redact_party(party: Party, ctx: _Ctx, log: list) -> Party:
    """Mask the party's personal names; an organisation's name and legal_rep stay."""
    changes = {}
    fields = ["operator"] + (["name"] if party.kind == "natural_person" else [])
    fields += ["legal_rep"] if party.kind != "organisation" else []
    for f in fields:
        value = getattr(party, f)
        if value:
            changes[f] = ctx.mask_of(normalise_text(value).strip())
            log.append(Replacement(f"party.{f}", "name", value, changes[f]))
    return replace(party, **changes)


def redact_case(case: Case, allow: frozenset[str] = frozenset()) -> RedactionResult:
    """Redact every published text of ``case`` (SPEC §4) and say whether it may go out.

    ``allow``: the bureau's own published phones, e-mails and addresses (kept); it may
    also hold public names (officers).  The party's credit code and registration number
    are always kept.  Returns the redacted case, what was replaced, and the hold reasons
    (empty: publishable).  Never raises on odd text; anything doubtful becomes a reason.
    """
    names = declared_names(case)
    masks = assign_masks(names)
    legal = {normalise_text(case.party.legal_rep)} if case.party.kind == "organisation" else set()
    allow_c = frozenset(canonical(a) for a in (*allow, case.party.credit_code,
                                               case.party.registration_no) if a)
    ctx = _Ctx(masks, _name_pattern([n for n in names if not _NORMAL_MASK_RE.match(n)]),
               allow_c, frozenset({normalise_text(a) for a in allow} | legal))
    texts = [(field, normalise_text(text)) for field, text in case_texts(case)]
    givens = _givens(names)
    new, log, reasons = {}, [], []
    for field, text in texts:
        new[field], done = _redact_text(text, ctx)
        log += [Replacement(field, *d) for d in done]
        reasons += _text_reasons(field, new[field], ctx, givens)
    reasons += _org_reasons(case, names, texts)
    party = _redact_party(case.party, ctx, log)
    persons = tuple(dict.fromkeys(ctx.mask_of(normalise_text(p).strip())
                                  for p in case.persons if p and p.strip()))
    log += [Replacement("persons", "name", p, ctx.mask_of(normalise_text(p).strip()))
            for p in case.persons if p and p.strip() and not _NORMAL_MASK_RE.match(p.strip())]
    result = replace(case.result, summary=new.pop("result.summary", case.result.summary))
    redacted = replace(case, **new, party=party, persons=persons, result=result)
    return RedactionResult(redacted, tuple(log), tuple(dict.fromkeys(reasons)))


def redact_cases(cases, allow: frozenset[str] = frozenset()) -> tuple[list[Case], list[Hold], dict]:
    """The redaction stage: (publishable redacted cases, holds, stats).

    A case with any hold reason is left out and returned as a ``Hold`` (rule "R-PII") whose
    reason names the fields and the KIND of data, never the value.  Stats:
    ``{"names_masked", "values_removed", "held", "by_kind"}`` over the published cases.
    """
    return collect_results(cases, [redact_case(case, allow) for case in cases])


def collect_results(cases, results) -> tuple[list[Case], list[Hold], dict]:
    """Turn per-case RedactionResults (in ``cases`` order) into redact_cases' answer.

    Lets a caller compute the results its own way (cached, in parallel) and still
    get the same publishable list, holds and stats.
    """
    published, holds, kinds = [], [], Counter()
    for case, result in zip(cases, results, strict=True):
        if result.hold_reasons:
            holds.append(Hold(case.id, case.source, "R-PII", "；".join(result.hold_reasons)))
            continue
        published.append(result.case)
        kinds.update(r.kind for r in result.replacements)
    names = kinds["name"] + kinds["masked_name"]
    stats = {
        "names_masked": names,
        "values_removed": sum(kinds.values()) - names,
        "held": len(holds),
        "by_kind": dict(sorted(kinds.items())),
    }
    return published, holds, stats
