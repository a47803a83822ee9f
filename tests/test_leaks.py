"""The leak matcher's shortcuts are sound (R-PII, issue 9).

Each shortcut of pipeline.leaks / pipeline.pii is checked against the plain definition
it replaces: normalising only the runs NFKC can change, scanning page pieces cut after
">" with remembered results, finding number prefixes by a trie, and the sketch that lets
a grown secret set skip files.  Hypothesis draws texts from an alphabet rich in the
characters that make these hard: full-width digits, zero-width spaces, combining marks,
compatibility ideographs, Hangul jamo, separators, label words and ">".
"""

from __future__ import annotations

import re
import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import leaks, pii
from pipeline.leaks import LeakMatcher, may_contain, sketch, text_forms

_OLD_RUN_RE = re.compile(f"[^{re.escape(pii._PRESERVE)}]?{pii._NFKC_NEEDED.pattern}+")


def _normalise_reference(text: str) -> str:
    """normalise_text as it was defined before issue 9 (whole-text passes)."""
    text = pii._INVISIBLE_RE.sub("", text)
    if pii._NFKC_NEEDED.search(text):
        text = _OLD_RUN_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
        text = pii._OTHER_DIGIT_RE.sub(lambda m: str(unicodedata.decimal(m.group())), text)
        text = pii._INVISIBLE_RE.sub("", text)
    return pii._NEWLINES_RE.sub("\n", text)


PIECES = [
    "a", "Z", "7", "0", "1", " ", "-", ".", "@", ">", "<", "\n", "\r", "\u2028", "\x85",
    "１", "３", "９", "Ａ", "\u200b", "\u3164", "\ufeff", "e\u0301", "\u0301", "ﬀ", "㍿",
    "\uf900", "\u1100\u1161", "٢", "，", "…", "①", "\u3000", "·", "（", "）", "›",
    "刘", "秀", "英", "王", "芳", "欧阳", "电话", "身份证号", "住址", "吉林省", "出生", "生",
    "尾号", "床患者", "元", "〔2024〕", "号", "QQ", "微信", "@qq.com", "li.ming",
    "13806360837", "220102199003071234", "2026-11-23", "6222 0212 3456 7890",
    '<a href="x">', "</p>", "＜", "＞",
]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_normalise_text_equals_whole_text_definition(text):
    """R-PII: normalising only the runs NFKC may change gives the whole-text result."""
    assert pii.normalise_text(text) == _normalise_reference(text)


def test_characters_outside_runs_need_no_digit_or_invisible_pass():
    """R-PII: every code point outside _NFKC_NEEDED is left alone by NFKC's neighbours:
    not a non-ASCII decimal digit, not invisible, not a line break to rewrite."""
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if 0xD800 <= cp <= 0xDFFF or pii._NFKC_NEEDED.match(ch):
            continue
        assert not (pii._OTHER_DIGIT_RE.match(ch) or pii._INVISIBLE_RE.match(ch)), hex(cp)
        assert ch not in "\u2028\u2029\x85" or ch in pii._LINE_BREAKS


def test_rule_table_may_be_scanned_in_pieces():
    """R-PII: no rule can consume ">" or anchor at a text's start (else the matcher
    would scan whole texts, which this test would flag as a lost speed-up)."""
    assert leaks.SEGMENTS_SAFE
    assert not leaks._boundary_safe(re.compile("a[^b]"), ">")
    assert not leaks._boundary_safe(re.compile("^a"), ">")
    assert not leaks._boundary_safe(re.compile("a(?=.)"), ">")
    assert leaks._boundary_safe(re.compile(r"(?<![0-9])\d+\s*(?=元|$)"), ">")


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, min_size=1, max_size=4))
def test_pieces_find_what_the_whole_text_finds(parts):
    """R-PII: pattern kinds found piece by piece (with remembered pieces) equal those of
    one scan of the whole text, on every text of a run (the memory is shared)."""
    matcher = LeakMatcher([], ["0431-88906000"])
    for text in parts:
        norm = pii.normalise_text(text)
        whole = {kind for kind, _v in pii.pattern_hits(norm, matcher.allow)}
        assert matcher._pattern_kinds(norm) == whole


VALUES = [("name", "刘秀英"), ("name", "欧阳芳"), ("mobile", "13806360837"),
          ("id_number", "220102199003071234"), ("email", "li.ming@qq.com"),
          ("hidden_doc_no", "春北医保罚〔2024〕60号"), ("name", "王芳")]


def _reference_find(values, text):
    """Known-value kinds by the definition: canonical value is a substring."""
    _norm, stripped = text_forms(text)
    found = set()
    for kind, value in values:
        if pii.canonical(value) in stripped:
            found.add(kind)
    return found


@settings(max_examples=300, deadline=None)
@given(texts, st.sampled_from(VALUES), st.integers(0, 40))
def test_known_values_found_as_substrings(text, value, at):
    """R-PII: the matcher reports a known value exactly when its canonical form is in the
    searchable text, however it is written (full width, zero-width spaces inside)."""
    text = text[:at] + value[1] + text[at:]
    matcher = LeakMatcher(VALUES)
    assert set(matcher.find(text, patterns=False)) == _reference_find(VALUES, text)


@settings(max_examples=500, deadline=None)
@given(texts, st.sampled_from(VALUES), st.integers(0, 40), st.booleans(), st.booleans())
def test_sketch_never_rules_out_a_value_the_matcher_finds(text, value, at, plant, long):
    """R-PII, issue 9: whenever the full matcher finds an added value in a text, the
    text's sketch admits it (the delta scan never calls a leaking file clean); long texts
    (whose sketch also holds character pairs) as well as short ones."""
    if plant:
        text = text[:at] + value[1] + text[at:]
    if long:  # ASCII filler: a long text, with the same character pairs
        text += "\n" + "x" * leaks.SKETCH_PAIR_MIN
    matcher = LeakMatcher([value])
    if matcher.find(text, patterns=False):
        (key,) = matcher.keys
        assert may_contain(sketch(text_forms(text)[1]), key)


def test_sketch_rules_out_absent_values():
    """Issue 9: the sketch is useful — a page without the value mostly rules it out."""
    page = text_forms("<p>当事人：长春市某某大药房，2024年3月1日，罚款5000元。</p>")[1]
    assert not may_contain(sketch(page), pii.canonical("刘秀英"))
    assert not may_contain(sketch(page), pii.canonical("13806360837"))
    assert may_contain(sketch(page), pii.canonical("大药房"))


def test_sketch_rules_out_a_phone_number_on_a_page_full_of_numbers():
    """Issue 9: a page of dates, amounts and 文号 holds nearly every pair of digits; its
    sketch must still rule out a phone number it does not hold (with digit pairs it did
    not, and a correction's new contact number rescanned half of a 100,000-result site)."""
    numbers = "，".join(f"{2000 + i}年{i % 12 + 1}月{i % 28 + 1}日罚款{i * 7919 % 1000003}元" for i in range(200))
    page = text_forms(f"<p>{numbers}</p>")[1]
    assert {a + b for a in "0123456789" for b in "0123456789"} <= {
        page[i:i + 2] for i in range(len(page) - 1)}  # every digit pair is there
    assert not may_contain(sketch(page), pii.canonical("13904311234"))
    assert may_contain(sketch(page), pii.canonical(page[5:16]))


def test_restricted_matcher_finds_only_its_values():
    """Issue 9: a restricted matcher keeps the allow list and looks for its values only."""
    matcher = LeakMatcher(VALUES, ["13806360837"])
    assert "13806360837" not in matcher.keys
    sub = matcher.restricted(["刘秀英"])
    assert sub.keys == {"刘秀英"} and sub.allow == matcher.allow
    assert sub.find("刘\u200b秀英 13906360837 王芳", patterns=False) == ["name"]


def test_old_names_still_import_from_pii():
    """The matcher moved to pipeline.leaks; pipeline.pii still exports its names."""
    from pipeline.pii import LeakMatcher as Old
    from pipeline.pii import compile_leak_matcher, find_leaks

    assert Old is LeakMatcher and compile_leak_matcher is leaks.compile_leak_matcher
    assert find_leaks("患者刘秀英", {("name", "刘秀英")}) == ["name"]


def test_sketch_rules_out_a_name_whose_characters_the_text_holds_apart():
    """Issue 9: pages and export pieces hold the common characters, so only the pairs of
    adjacent characters rule a correction's applicant out there (陈建华 had 26,000 pages
    rescanned, 张三丰 2,900 of 4,800 export pieces); the pairs are sound across the
    separators the matcher removes; a short and a long text have pair regions of their
    own sizes, and a sketch of an unknown layout admits everything."""
    rows = "，".join(f"张某某于{i}年三月处罚丰{i}元" for i in range(1500))
    piece = text_forms(f"[{rows}]")[1]
    page = text_forms("<p>当事人张某某，三月，丰收路</p>")[1]
    assert len(piece) >= leaks.SKETCH_PAIR_MIN > len(page)
    assert sketch(piece).bit_length() != sketch(page).bit_length()
    for text in (piece, page):
        assert set("张三丰") <= set(text)
        assert not may_contain(sketch(text), pii.canonical("张三丰"))
        assert not may_contain(sketch(text), pii.canonical("三丰"))
        assert may_contain(sketch(text), pii.canonical("张某某"))
        spaced = text_forms(text + "，张 三\u200b丰")[1]  # how the matcher reads it: 张三丰
        assert may_contain(sketch(spaced), pii.canonical("张三丰"))
    assert may_contain(1 << 10, pii.canonical("张三丰"))  # not a layout needs() knows
