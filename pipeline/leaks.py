"""The leak matcher (R-PII, SPEC §4): known personal values and patterns in output text.

* :class:`LeakMatcher` / :func:`compile_leak_matcher` / :func:`find_leaks` — what the
  output verifier (publish.verify) looks for in every built file.
* :func:`text_forms` — the two forms of a text the matcher searches.
* :func:`sketch` / :func:`needs` / :func:`admits` / :func:`may_contain` — a small, sound
  summary of a text that proves most files cannot contain a NEW value, so a grown
  secret set does not need a full rescan (issue 9).

Pure functions; nothing here reads files or prints.  ``pipeline.pii`` re-exports the
matcher's names.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Iterable

from .pii import _COMBINED, _STRIP_RE, canonical, normalise_text, pattern_hits
from .pii_patterns import NUMBER_KINDS

MIN_NUMBER_LEN = 7  # shorter numbers (a 5-digit 住院号) look like amounts everywhere
_ASCII_VALUE_RE = re.compile(rf"[0-9A-Z]{{{MIN_NUMBER_LEN},}}")


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, factored as a trie so the engine does not try
    every word at every position (fast with tens of thousands of values)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        leaves, branches = [], []
        for ch, child in node.items():
            if not ch:
                continue
            if len(child) == 1 and "" in child:
                leaves.append(re.escape(ch))
            else:
                branches.append(re.escape(ch) + emit(child))
        if leaves:  # last characters shared as one class: 王[芳丽]
            branches.append(leaves[0] if len(leaves) == 1 else "[" + "".join(leaves) + "]")
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return ("(?:" + body + ")" if len(branches) == 1 else body) + "?"
        return body

    return emit(trie)


# ------------------------------------------------------------- page segments
# Pages repeat most of their markup (header, navigation, footer): the rule table's result
# for such a piece is remembered instead of scanned again.  A piece ends just after a
# ">"; that is sound only if no rule can consume ">" nor anchor at a text's start, which
# _boundary_safe checks on the compiled table itself (so a future rule that could makes
# the matcher scan whole texts again, never miss a value).
SEGMENT_END = ">"
SEGMENT_CACHE_SIZE = 100_000  # remembered pieces per process (then forgotten at once)
SEGMENT_MAX_LEN = 4096  # longer pieces are page content: rarely repeated


def _class_has(items, ch: str) -> bool:
    """True if a parsed character class may match ``ch`` (unknown items: assume yes)."""
    negate, hit = False, False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit |= av == ord(ch)
        elif name == "RANGE":
            hit |= av[0] <= ord(ch) <= av[1]
        elif name == "CATEGORY" and str(av) in _CATEGORY_RE:
            hit |= bool(re.fullmatch(_CATEGORY_RE[str(av)], ch))
        else:
            return True
    return hit != negate


_CATEGORY_RE = {f"CATEGORY_{k}": v for k, v in (
    ("DIGIT", r"\d"), ("NOT_DIGIT", r"\D"), ("SPACE", r"\s"), ("NOT_SPACE", r"\S"),
    ("WORD", r"\w"), ("NOT_WORD", r"\W"))}
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
_START_ANCHORS = ("AT_BEGINNING", "AT_BEGINNING_LINE", "AT_BEGINNING_STRING")


def _can_touch(items, ch: str) -> bool:
    """True if parsed regex ``items`` may consume ``ch`` (lookarounds included) or anchor
    at the start of a text; anything not understood counts as True (fail closed)."""
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            hit = av == ord(ch)
        elif name == "NOT_LITERAL":
            hit = av != ord(ch)
        elif name == "IN":
            hit = _class_has(av, ch)
        elif name == "AT":
            hit = str(av) in _START_ANCHORS
        elif name == "BRANCH":
            hit = any(_can_touch(alt, ch) for alt in av[1])
        elif name == "SUBPATTERN":
            hit = _can_touch(av[3], ch)
        elif name in _REPEATS or name in ("ASSERT", "ASSERT_NOT"):
            hit = _can_touch(av[-1], ch)
        elif name == "ATOMIC_GROUP":
            hit = _can_touch(av, ch)
        else:  # ANY, back-references, conditionals, anything new
            hit = True
        if hit:
            return True
    return False


def _boundary_safe(pattern: re.Pattern, ch: str) -> bool:
    """True if scanning the pieces of a text cut just after each ``ch`` finds exactly
    what scanning the whole text finds.

    No match can contain ``ch``, so none crosses a cut; a lookahead stops before ``ch``,
    which ends its piece as in the whole text; a lookbehind at a piece's start sees
    nothing where the whole text has ``ch``, which it cannot match either; no ``^``.
    """
    if ch.lower() != ch or ch.upper() != ch:
        return False  # case-insensitive parts would need more care
    try:
        from re import _parser  # CPython 3.11+; only an optimisation

        return not _can_touch(_parser.parse(pattern.pattern, pattern.flags), ch)
    except Exception:  # noqa: BLE001 - any doubt: scan whole texts
        return False


SEGMENTS_SAFE = _boundary_safe(_COMBINED, SEGMENT_END)


# ------------------------------------------------------------- the matcher
def text_forms(text: str) -> tuple[str, str]:
    """(normalised text, searchable form): the second has separators removed and is
    upper-cased, so 138 0636 0837 and 刘\u200b秀英 read as the values they are."""
    norm = normalise_text(text)
    return norm, _STRIP_RE.sub("", norm).upper()


class LeakMatcher:
    """Finds known personal values and personal-data patterns in output text.

    Build once per site with :func:`compile_leak_matcher`; :meth:`find` per file.  Text
    values (names, addresses) are one trie-shaped regex; ASCII values (numbers, e-mails)
    are found by a trie of their first ``MIN_NUMBER_LEN`` characters inside ASCII runs,
    which stays quick to build with hundreds of thousands of ID and phone numbers.
    """

    def __init__(self, values: Iterable[tuple[str, str]], allow: Iterable[str] = ()):
        self.allow = frozenset(canonical(a) for a in allow if a)
        kinds: dict[str, set[str]] = {}
        for kind, value in values:
            c = canonical(value)
            short = len(c) < (MIN_NUMBER_LEN if kind in NUMBER_KINDS else 2)
            if c and not short and c not in self.allow:
                kinds.setdefault(c, set()).add(kind)
        self._build(kinds)

    def _build(self, kinds: dict[str, set[str]]) -> None:
        self._kinds = kinds
        ascii_values = {v for v in kinds if _ASCII_VALUE_RE.fullmatch(v)}
        prefixes = {v[:MIN_NUMBER_LEN] for v in ascii_values}
        # Every position where a prefix starts (a lookahead: they may overlap).
        self._prefix_re = re.compile(f"(?=({_trie_pattern(prefixes)}))") if prefixes else None
        self._lengths = sorted({len(v) for v in ascii_values})
        words = [v for v in kinds if v not in ascii_values]
        self._words_re = re.compile(_trie_pattern(words)) if words else None
        self._segment_kinds: dict[str, frozenset[str]] = {}

    @property
    def keys(self) -> frozenset[str]:
        """The canonical values looked for (short and allowed values left out)."""
        return frozenset(self._kinds)

    def restricted(self, keys: Iterable[str]) -> LeakMatcher:
        """A matcher for only those of :attr:`keys` in ``keys``, with the same allow list."""
        sub = LeakMatcher.__new__(LeakMatcher)
        sub.allow = self.allow
        sub._build({k: self._kinds[k] for k in keys if k in self._kinds})
        return sub

    def cut_safe(self, ch: str) -> bool:
        """True if :meth:`find_forms` on the pieces of a text cut just after each ``ch``
        finds together exactly what it finds on the whole text.

        ``ch`` stays itself in both forms of a text (so it still separates what stood
        before it from what follows), no value contains it, it is no letter or digit
        (ASCII values are found inside runs of those) and no rule can touch it
        (:func:`_boundary_safe`).
        """
        return (len(ch) == 1 and text_forms(ch) == (ch, ch) and not ch.isalnum()
                and not any(ch in value for value in self._kinds)
                and _boundary_safe(_COMBINED, ch))

    def find(self, text: str, patterns: bool = True) -> list[str]:
        """Sorted distinct KINDS of leaks in ``text`` (never the values themselves).

        Known values are looked for in the text with separators and invisible characters
        removed (so 138 0636 0837 and 刘\u200b秀英 match); patterns in the normalised text,
        unless ``patterns`` is False (program code such as a search library's JS, where
        e-mail-like and number-like strings are code, not data).
        """
        return self.find_forms(*text_forms(text), patterns=patterns)

    def find_forms(self, norm: str, stripped: str, patterns: bool = True) -> list[str]:
        """:meth:`find` on the two forms of a text made by :func:`text_forms`."""
        found: set[str] = set()
        if self._words_re is not None:
            for m in self._words_re.finditer(stripped):
                found |= self._kinds[m.group(0)]
        if self._prefix_re is not None:
            for run in _ASCII_VALUE_RE.findall(stripped):
                found |= self._ascii_hits(run)
        if patterns:
            found |= self._pattern_kinds(norm)
        return sorted(found)

    def _ascii_hits(self, run: str) -> set[str]:
        hits: set[str] = set()
        for m in self._prefix_re.finditer(run):
            i = m.start()
            for n in self._lengths:
                hits |= self._kinds.get(run[i:i + n], set()) if i + n <= len(run) else set()
        return hits

    def _pattern_kinds(self, norm: str) -> set[str]:
        """Kinds :func:`pattern_hits` reports in ``norm``, piece by piece (see
        SEGMENTS_SAFE) with the result of each piece seen before remembered."""
        if not SEGMENTS_SAFE or SEGMENT_END not in norm:
            return {kind for kind, _value in pattern_hits(norm, self.allow)}
        found: set[str] = set()
        cache = self._segment_kinds
        pieces = norm.split(SEGMENT_END)
        last = len(pieces) - 1
        for i, piece in enumerate(pieces):
            segment = piece + SEGMENT_END if i < last else piece
            kinds = cache.get(segment)
            if kinds is None:
                kinds = frozenset(kind for kind, _value in pattern_hits(segment, self.allow))
                if len(segment) <= SEGMENT_MAX_LEN:
                    if len(cache) >= SEGMENT_CACHE_SIZE:
                        cache.clear()
                    cache[segment] = kinds
            found |= kinds
        return found


def compile_leak_matcher(values: Iterable[tuple[str, str]], allow: Iterable[str] = ()) -> LeakMatcher:
    """A :class:`LeakMatcher` for ``values`` (from :func:`personal_values`) minus ``allow``.

    ``allow``: public strings that may appear (the bureau's contacts; callers may add
    officer and legal-representative names).  Values shorter than ``MIN_NUMBER_LEN``
    (numbers) or 2 characters (names) are skipped: they would match everywhere.
    """
    return LeakMatcher(values, allow)


@functools.lru_cache(maxsize=4)
def _cached_matcher(values: frozenset, allow: frozenset) -> LeakMatcher:
    return LeakMatcher(values, allow)


def find_leaks(text: str, values: set[tuple[str, str]], allow: frozenset[str] = frozenset()) -> list[str]:
    """KINDS of personal data in one output file's ``text`` (see :class:`LeakMatcher`).

    Convenience wrapper; scanning many files, build the matcher once with
    :func:`compile_leak_matcher` instead.
    """
    return _cached_matcher(frozenset(values), frozenset(allow)).find(text)


# ------------------------------------------------------------- sketches (issue 9)
# A text's sketch: one bit per character (code point modulo SKETCH_CHAR_BITS) of its
# searchable form, and one per run of SKETCH_GRAM adjacent ASCII letters/digits (read as
# a base-36 number, modulo the prime SKETCH_GRAM_BITS) inside the runs of letters and
# digits that hold a digit (numbers: markup words are left out, they are many and never
# personal).  A value whose characters or grams are missing cannot occur in the text; a
# set bit proves nothing (the file is scanned for the value).  Digit grams, not digit
# pairs: a page of dates and amounts holds nearly every digit pair, so such pairs ruled
# out no phone number there, while four-digit grams fill ~4 % of their bits on a page,
# ~25 % on a 100 KB piece of an export.
#
# A sketch also has two bits per pair of adjacent characters that are neither ASCII nor
# punctuation (two parts of a CRC of the pair, modulo the size of its pair region),
# above the other bits, and a marker bit just above that region: the sketch's bit
# length tells which region size it has.  One bit per pair let a name whose pair bits
# met those of pairs on every page (陈建 and 第二, 建明 and 、文) through on a third of
# the pages; with two, the worst of 300 common names got through on 2.5 %.  A short
# text (a page: ~750 pairs) has a small region, a long one (SKETCH_PAIR_MIN characters
# or more: a piece of an export, ~2,500 pairs) a large one.  Characters alone rule out
# few names: a page or a piece holds the common ones, so a correction's applicant
# 陈建华 had 26,000 pages and as many index fragments scanned again at 100,000 results,
# 张三丰 2,900 of 4,800 export pieces (290 MB), though few held 陈建 or 张三.
SKETCH_CHAR_BITS = 2048
SKETCH_GRAM = 4
SKETCH_GRAM_BITS = 2039
SKETCH_PAIR_MIN = 16384  # characters of searchable form; a case page has ~4,000-5,000
SKETCH_PAIR_SIZES = (4096, 32768)  # a short text's pair region, a long text's: ~30 %, ~14 % set
SKETCH_PAIRS_FROM = SKETCH_CHAR_BITS + SKETCH_GRAM_BITS  # the first pair bit
_ASCII_RUN_RE = re.compile(f"[0-9A-Z]{{{SKETCH_GRAM},}}")
_DIGIT_RE = re.compile("[0-9]")
# Every pair of adjacent characters that are neither ASCII nor punctuation (general, CJK,
# full-width forms), overlapping: 张三丰 → 张三, 三丰.
_PAIR_RE = re.compile(r"(?=([^\x00-\x7f\u2000-\u206f\u3000-\u303f\uff00-\uffef]{2}))")


def _bits(stripped: str, size: int) -> set[int]:
    """The sketch bits a searchable form (or a canonical value) sets, with a pair region
    of ``size`` bits and its marker."""
    bits = {ord(c) % SKETCH_CHAR_BITS for c in set(stripped)}
    runs = {run for run in _ASCII_RUN_RE.findall(stripped) if _DIGIT_RE.search(run)}
    grams = {run[i:i + SKETCH_GRAM] for run in runs for i in range(len(run) - SKETCH_GRAM + 1)}
    bits.update(SKETCH_CHAR_BITS + int(gram, 36) % SKETCH_GRAM_BITS for gram in grams)
    for pair in set(_PAIR_RE.findall(stripped)):  # two bits each (see above)
        crc = zlib.crc32(pair.encode("utf-8", "surrogatepass"))
        bits.add(SKETCH_PAIRS_FROM + crc % size)
        bits.add(SKETCH_PAIRS_FROM + (crc >> 16) % size)
    bits.add(SKETCH_PAIRS_FROM + size)  # the marker: bit_length() is SKETCH_PAIRS_FROM + size + 1
    return bits


def _as_int(bits: set[int]) -> int:
    mask = bytearray(max(bits, default=0) // 8 + 1)
    for bit in bits:
        mask[bit >> 3] |= 1 << (bit & 7)
    return int.from_bytes(mask, "little")


def sketch(stripped: str) -> int:
    """The sketch (an int bit set) of a searchable form made by :func:`text_forms`."""
    long = len(stripped) >= SKETCH_PAIR_MIN
    return _as_int(_bits(stripped, SKETCH_PAIR_SIZES[long]))


def needs(value: str) -> dict[int, int]:
    """{a sketch's bit length: the bits such a sketch must have all of to admit the
    canonical ``value``}: each of its characters, each gram of its letter-and-digit runs
    that hold a digit (such a run lies inside such a run of any text that contains the
    value, maybe a longer one), and each pair of its adjacent characters that are
    neither ASCII nor punctuation (they stand side by side in any text that contains it)."""
    out = {}
    for size in SKETCH_PAIR_SIZES:
        need = _as_int(_bits(value, size))
        out[need.bit_length()] = need
    return out


def admits(mask: int, need: dict[int, int]) -> bool:
    """False only if a text with sketch ``mask`` cannot contain the value whose
    :func:`needs` is ``need`` (computed once by a caller checking many sketches).
    A sketch of a layout ``need`` does not know admits everything."""
    bits = need.get(mask.bit_length())
    return bits is None or mask & bits == bits


def may_contain(mask: int, value: str) -> bool:
    """False only if a text with sketch ``mask`` cannot contain canonical ``value``."""
    return admits(mask, needs(value))
