"""Personal-data scanner (R-PII, SPEC §4): normalise text, find personal values, find leaks.

* :func:`normalise_text` — NFKC and invisible characters removed, so that ２２０１０２…,
  an ID number split by zero-width spaces and 刘\u200b秀英 are all caught.
* :func:`find_number_patterns` / :func:`redact_patterns` — one pass of the rule table
  in :mod:`pipeline.pii_patterns` (compiled into a single regex).
* :func:`find_undeclared_names` — likely person names after 患者/医师/当事人… (jieba).
* :func:`personal_values` — what the output verifier looks for in every built file
  (the matcher that looks is :mod:`pipeline.leaks`; its names are re-exported here).

Pure functions; nothing here reads files or prints.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from .model import CASE_TEXT_FIELDS, Case
from .pii_patterns import (
    COMPOUND_SURNAMES,
    DETECT_SURNAMES,
    HAN,
    KEEP,
    MARK,
    NAME_DOTS,
    NAME_MASK_CHARS,
    ORG_SUFFIXES,
    ROLE_WORDS,
    RULES,
    SURNAMES,
    compile_rules,
)

# Zero-width and other invisible characters: soft hyphen, combining grapheme joiner,
# Arabic letter mark, Hangul fillers, Mongolian vowel separator, zero-width space/joiners,
# LRM/RLM, bidi embeddings/overrides/isolates, word joiner and invisible operators,
# variation selectors, BOM/ZWNBSP, interlinear annotation marks, tag characters.
INVISIBLE = (
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_INVISIBLE_RE = re.compile(INVISIBLE)
# Full-width punctuation that NFKC would turn into ASCII.  Chinese text keeps it: "，"
# must not become ",", the ideographic-space indent must not become spaces (four of them
# start a Markdown code block), "＜＞＃＊" must not become HTML or Markdown syntax,
# "……" and ①② stay as written.  Digits, letters, ＋－＠ and the rest are NFKC'd.
_PRESERVE = "，：；（）！？＜＞＆＃＊［］｜＿＂＇｀＼\u3000…" + "".join(
    chr(c) for c in range(0x2460, 0x249C)
)
_OTHER_DIGIT_RE = re.compile(r"(?![0-9])\d")  # ٢٢٠١٠٢… is still an ID number
_NEWLINES_RE = re.compile(r"\r\n?|[\u2028\u2029\x85]")
# Characters NFKC leaves alone in everyday Chinese text: if a text has nothing else, the
# (slower) NFKC step is skipped.
_NFKC_NEEDED = re.compile("[^\x00-\x7f\u4e00-\u9fff\u3001\u3002\u201c\u201d\u2018\u2019"
                          "\u300a-\u3011\u3014\u3015\u2014\u00b7" + re.escape(_PRESERVE) + "]")
# Maximal runs of such characters (a plain character class, which the regex engine
# scans for quickly); see _normalise_runs for the character before each run.
_NFKC_RUN_RE = re.compile(_NFKC_NEEDED.pattern + "+")
_PRESERVE_SET = frozenset(_PRESERVE)
_LINE_BREAKS = ("\r", "\u2028", "\u2029", "\x85")


def normalise_text(text: str) -> str:
    """``text`` in the form that is scanned AND published (issue 11 item 2).

    NFKC (full-width digits and letters become ASCII) except for the CJK punctuation in
    ``_PRESERVE``; other scripts' decimal digits become ASCII digits; every character
    matched by ``INVISIBLE`` removed; line endings become ``\\n`` (kept).  Idempotent.
    ``None`` or non-strings are not accepted (TypeError).
    """
    text = _INVISIBLE_RE.sub("", text)
    if _NFKC_NEEDED.search(text):
        text = _normalise_runs(text)
    if any(brk in text for brk in _LINE_BREAKS):  # rare: skip the slower regex pass
        text = _NEWLINES_RE.sub("\n", text)
    return text


def _normalise_runs(text: str) -> str:
    """NFKC, other digits to ASCII and invisibles removed, in the runs that can change.

    Each run is normalised with the character before it (a combining mark may join it)
    unless that is in ``_PRESERVE``: the same result as protecting _PRESERVE and
    normalising the whole text, several times faster on pages.  Characters outside the
    runs are ASCII, CJK and common punctuation, which none of the three steps changes.
    """
    pieces, pos = [], 0
    for m in _NFKC_RUN_RE.finditer(text):
        start = m.start()
        if start > pos and text[start - 1] not in _PRESERVE_SET:
            start -= 1
        run = unicodedata.normalize("NFKC", text[start:m.end()])
        run = _OTHER_DIGIT_RE.sub(lambda d: str(unicodedata.decimal(d.group())), run)
        pieces += (text[pos:start], _INVISIBLE_RE.sub("", run))  # NFKC can make a filler
        pos = m.end()
    pieces.append(text[pos:])
    return "".join(pieces)


# ------------------------------------------------------------- the rule engine
_COMBINED, _RULE_OF = compile_rules(RULES)
_STRIP_RE = re.compile(r"[\s\-_.·•()（）+/@:：]")


def canonical(value: str) -> str:
    """``value`` normalised, separators removed, upper-cased: how values are compared."""
    return _STRIP_RE.sub("", normalise_text(value)).upper()


def _judge(m: re.Match) -> tuple[str, str | None, str]:
    """For one table match: (value group, kind to remove it as or None, replacement)."""
    rule, vgroup = _RULE_OF[m.lastgroup]
    value = m.group(vgroup)
    if rule.replacement is KEEP:  # public, unless its classify says otherwise
        kind = rule.classify(value) if rule.classify else None
        return vgroup, kind, MARK
    kind = rule.classify(value) if rule.classify else rule.kind
    fn = rule.replacement
    return vgroup, kind, (fn(value) if callable(fn) and kind else fn if kind else value)


def _allowed(kind: str, value: str, allow: frozenset[str]) -> bool:
    """The bureau's own contacts (and declared credit codes) are kept (SPEC §4)."""
    c = canonical(value)
    if c in allow:
        return True
    return kind == "address" and any(len(a) >= 6 and a in c for a in allow)


def find_number_patterns(text: str, allow: Iterable[str] = ()) -> list[tuple[str, str]]:
    """``[(kind, matched value)]`` for every personal-data pattern in normalised ``text``.

    Kinds: id_number, mobile, landline, bank_card, long_number, email, plate, passport,
    insurance_card, hospital_no, account, im_account, masked_number, birth_date, address.
    统一社会信用代码, 文号, amounts, dates and values in ``allow`` (compared canonically)
    are not reported.  Text that is not normalised may hide values: normalise first.
    """
    return pattern_hits(text, frozenset(canonical(a) for a in allow))


def pattern_hits(text: str, allow: frozenset[str]) -> list[tuple[str, str]]:
    """:func:`find_number_patterns` with ``allow`` already in canonical form."""
    out = []
    for m in _COMBINED.finditer(text):
        vgroup, kind, _new = _judge(m)
        if kind and not _allowed(kind, m.group(vgroup), allow):
            out.append((kind, m.group(vgroup)))
    return out


def redact_patterns(text: str, allow: frozenset[str] = frozenset()) -> tuple[str, list]:
    """Apply the rule table to normalised ``text`` until nothing more is found.

    ``allow`` holds CANONICAL forms (see :func:`canonical`) of values to keep.  Returns
    (new text, [(kind, original value, replacement)]).  Labels stay ("身份证号【已删除】").
    A removal can expose a neighbour that was glued to it (…0129li.ming@qq.com), hence
    the repeat: the result is a fixed point, so redaction is idempotent.
    """
    done: list[tuple[str, str, str]] = []
    for _ in range(4):  # in practice two passes at most
        before = len(done)
        text = _redact_once(text, allow, done)
        if len(done) == before:
            break
    return text, done


def _redact_once(text: str, allow: frozenset[str], done: list) -> str:
    """One pass of the combined table over ``text``; appends what it replaced to ``done``."""

    def replace(m: re.Match) -> str:
        vgroup, kind, new = _judge(m)
        value = m.group(vgroup)
        if not kind or _allowed(kind, value, allow):
            return m.group(0)
        done.append((kind, value, new))
        start, end = m.start(vgroup) - m.start(), m.end(vgroup) - m.start()  # noqa: B023
        whole = m.group(0)
        return whole[:start] + new + whole[end:]

    return _COMBINED.sub(replace, text)


# 9–11 bare digits survive the table (amounts, dates, short codes look alike) but may be a
# 住院号 or card number written without its label: such a record is held for review.
_SUSPECT_RE = re.compile(
    r"(?<![0-9A-Za-z.,])\d{9,11}(?![0-9A-Za-z])(?!\s*(?:[.,]\d|[万亿千百]|元|人次|次|人|年|月|日))"
)


def find_suspect_numbers(text: str) -> list[str]:
    """Kinds of leftover bare numbers in redacted ``text`` that need a human look."""
    return ["unrecognised_number" for m in _SUSPECT_RE.finditer(text)
            if not re.fullmatch(r"1[3-9]\d{9}", m.group(0))]


# ------------------------------------------------------------- names in free text
_ROLES_ALT = "|".join(sorted(ROLE_WORDS.split(), key=len, reverse=True))
_ROLE_RE = re.compile(rf"(?P<role>{_ROLES_ALT})(?:[：:\s]|为|是|系)*(?=(?P<span>[^，,。；;：:\n（()）]{{1,24}}))")
_LIST_RE = re.compile(
    rf"(?P<items>[{HAN[1:-1]}·]{{2,6}}(?:、[{HAN[1:-1]}·]{{2,6}})+|[{HAN[1:-1]}·]{{2,6}})"
    rf"等(?:[0-9一二三四五六七八九十百几多数余]+)?[名位人个例]?(?P<role>{_ROLES_ALT})"
)
_ALONE_NAME_RE = re.compile(rf"(?P<given>{HAN}{{1,2}})(?:等|的|和|与|及|$)")
_MASKED_HEAD_RE = re.compile(rf"^{HAN}{{1,2}}?[某{re.escape(NAME_MASK_CHARS)}]")
_ORG_HEAD_RE = re.compile(rf"^{HAN}{{1,14}}?{ORG_SUFFIXES}")
_DOTTED_NAME_RE = re.compile(rf"{HAN}{{1,6}}[{re.escape(NAME_DOTS)}]{HAN}")
_NAME_FLAGS = ("nr", "nrfg", "nrt")
# Grammar and vocabulary tags: a token tagged so is not a name.
_WEAK_FLAGS = ("p", "c", "u", "uj", "ul", "uz", "d", "r", "m", "q", "f", "t", "x", "eng", "zg")


COMMON_FREQ = 20  # a jieba dictionary word this frequent is vocabulary (陈述 763, 康复 1018),
# even where jieba tags it "nr"; real people's names are mostly absent (刘秀英, 王芳) or rare.


@functools.cache
def _jieba():
    """(POS tagger, word frequencies), initialised once and quietly (jieba logs, ~1 s)."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba.posseg, jieba.dt.FREQ


@functools.lru_cache(maxsize=8192)
def _cut(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's (word, POS tag) pairs; cached: the same phrases recur across records."""
    return tuple((w.word, w.flag) for w in _jieba()[0].cut(text))


# Names rarely end in these; words after 患者/医师 often do (呼吸科, 钟点工, 甘草片, 郝氏).
_WORD_ENDINGS = frozenset("科室院部区所费药病症炎肿癌液针膏汤散剂片丸工厂店局处站队组类型式性率量额款项单表证卡号员师长氏")


def _vocabulary(word: str) -> bool:
    """True if ``word`` is ordinary vocabulary rather than a person's name.

    jieba's dictionary tags many words "nr" (陈述, 严格执行); real names are mostly
    absent from it or rare.  A dictionary word is vocabulary if its tag is not a proper
    noun, or it is frequent, or 4+ characters long; so is a word with a typical ending.
    """
    if word[-1] in _WORD_ENDINGS:
        return True
    tag = _jieba()[0].dt.word_tag_tab.get(word)
    if tag is None:
        return False
    if not tag.startswith(("nr", "ns", "nz")):
        return True
    return _jieba()[1].get(word, 0) >= COMMON_FREQ or len(word) >= 4


def _surname_len(part: str) -> int:
    if part[:2] in COMPOUND_SURNAMES and len(part) > 2:
        return 2
    return 1 if part[:1] in SURNAMES else 0


def _name_tokens(tokens) -> bool:
    """True if ``tokens`` start with a likely unmasked name (surname first)."""
    word, flag = tokens[0]
    if word[:2] in COMPOUND_SURNAMES and len(tokens) > 1:  # jieba tags 欧阳 as a place
        return bool(re.match(HAN, tokens[1][0])) and not _vocabulary(word + tokens[1][0])
    if len(word) >= 2:
        return (word[0] in SURNAMES and len(word) <= 4 and not _vocabulary(word)
                and flag not in _WEAK_FLAGS)
    if word not in DETECT_SURNAMES or len(tokens) < 2:
        return False
    nxt, nflag = tokens[1]  # 刘 | 秀英: jieba split the surname off
    return len(nxt) <= 2 and bool(re.match(HAN, nxt)) and nflag not in _WEAK_FLAGS and (
        nflag in _NAME_FLAGS or not _vocabulary(nxt))


def _starts_with_name(part: str, allowed: frozenset[str]) -> bool:
    """True if ``part`` begins with what looks like an unmasked person's name."""
    if not _surname_len(part) or len(part) < 2 or _MASKED_HEAD_RE.match(part):
        return False
    if part.startswith(tuple(allowed)) or _ORG_HEAD_RE.match(part):
        return False
    if _DOTTED_NAME_RE.match(part):  # 阿依古丽·买买提: a minority or foreign name
        return True
    # Fail closed (SPEC §4): a surname and one or two characters standing alone after a
    # role word is a name even when the dictionary knows the characters as a word
    # (患者姜金花等人: jieba reads 金花 as "gold flower").
    head = _surname_len(part)
    alone = _ALONE_NAME_RE.match(part[head:])
    if alone and (head == 2 or part[0] in DETECT_SURNAMES) and not _vocabulary(
            part[:head + len(alone.group("given"))]):
        return True
    return _name_tokens(_cut(part[:8]))


def _ends_with_name(item: str, allowed: frozenset[str]) -> bool:
    """True if a list item ("经查孙立平" before "、张晓等患者") ends with a name."""
    if "某" in item or _MASKED_HEAD_RE.search(item) or item.endswith(tuple(allowed)):
        return False
    tokens = _cut(item)
    tail = tokens[-2:] if len(tokens) >= 2 and len(tokens[-2][0]) == 1 else tokens[-1:]
    return _name_tokens(tail)


def find_undeclared_names(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Role words ("患者", "医师"…) after or before which ``text`` names a person unmasked.

    Run on text whose declared names are already masked: any name left is undeclared.
    ``allowed`` are public names (organisation legal representatives, officers).
    Returns the role words (never the names) — one per suspicious place.
    """
    allowed_f = frozenset(a for a in allowed if a)
    found = []
    for m in _ROLE_RE.finditer(text):
        parts = m.group("span").split("、")
        if any(_starts_with_name(p, allowed_f) for p in parts[:4]):
            found.append(m.group("role"))
    for m in _LIST_RE.finditer(text):
        items = m.group("items").split("、")
        if _ends_with_name(items[0], allowed_f) or any(
            _starts_with_name(p, allowed_f) for p in items[1:]
        ):
            found.append(m.group("role"))
    return found


# ------------------------------------------------------------- values and leaks
def _is_masked(name: str) -> bool:
    return "某" in name or any(c in NAME_MASK_CHARS for c in name)


def declared_names(case: Case) -> list[str]:
    """Names of natural persons a case declares, normalised, in order, without duplicates.

    From ``persons``, a natural-person party's ``name``, a 个体工商户's ``operator``, and a
    non-organisation party's ``legal_rep`` (a guardian).  An organisation's legal
    representative is public (SPEC §4) and never listed here.
    """
    party = case.party
    raw = list(case.persons)
    if party.kind == "natural_person":
        raw.append(party.name)
    raw.append(party.operator)
    if party.kind != "organisation":
        raw.append(party.legal_rep)
    public = normalise_text(party.legal_rep).strip() if party.kind == "organisation" else ""
    names = [normalise_text(n or "").strip() for n in raw]
    return list(dict.fromkeys(n for n in names if n and n != public))


def case_texts(case: Case) -> list[tuple[str, str]]:
    """``[(field, text)]`` of every free-text field of ``case`` that may be published."""
    fields = [(f, getattr(case, f)) for f in (*CASE_TEXT_FIELDS, "disclose_reason")]
    fields.append(("result.summary", case.result.summary))
    return [(f, v) for f, v in fields if isinstance(v, str) and v]


_SKIP_VALUE_KINDS = frozenset({"masked_number", "birth_date"})  # partial / not unique


def personal_values(case: Case) -> set[tuple[str, str]]:
    """``{(kind, canonical value)}`` of the personal data in a SOURCE (unredacted) case.

    Declared, unmasked names (kind "name") and every value :func:`find_number_patterns`
    finds in its text fields, in canonical form (separators removed, upper case; mobile
    numbers without +86).  Masked-number fragments and birth dates are left out (not
    unique: the pattern scan catches them instead).  The verifier looks for these.
    """
    values = {("name", canonical(n)) for n in declared_names(case) if not _is_masked(n)}
    for _field, text in case_texts(case):
        for kind, value in find_number_patterns(normalise_text(text)):
            if kind in _SKIP_VALUE_KINDS:
                continue
            c = canonical(value)
            if kind == "mobile":
                c = c[-11:]
            values.add((kind, c))
    return values


# The leak matcher lives in pipeline.leaks (it imports this module); its names stay
# importable from here.
_LEAK_NAMES = frozenset({"LeakMatcher", "compile_leak_matcher", "find_leaks", "MIN_NUMBER_LEN"})


def __getattr__(name: str):
    """``pipeline.pii.LeakMatcher`` and friends: re-exported lazily from pipeline.leaks."""
    if name in _LEAK_NAMES:
        from . import leaks

        return getattr(leaks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
