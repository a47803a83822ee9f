"""Parsers for single values: dates, amounts, credit codes.

Each returns the parsed value or raises ``ValueError`` with a message in plain
words; callers turn that into a :class:`pipeline.errors.Problem` naming the
file and field.  Shared by content validation and the Excel import.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet (no I, O, S, V, Z).
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
_AMOUNT_RE = re.compile(r"^(-?\d+(?:\.\d+)?)(万)?(?:元)?$")
# Anchored at both ends: "52,0000" is not a thousands-separated amount but a typo.
_THOUSANDS_RE = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?(万)?(元)?$")


def credit_check_char(code17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a code."""
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(code17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def check_credit_code(code: str) -> str:
    """Return ``code`` if it is a well-formed 统一社会信用代码; else raise ValueError."""
    if not isinstance(code, str) or not CREDIT_RE.match(code):
        raise ValueError(
            "not a 统一社会信用代码: 18 characters, digits and capital letters except I, O, S, V, Z"
        )
    expected = credit_check_char(code[:17])
    if code[17] != expected:
        raise ValueError(f"check digit is wrong (GB 32100): the last character should be {expected}")
    return code


def parse_date(value: object) -> dt.date:
    """Accept a date, or text like 2026-03-02, 2026/3/2, 2026.3.2, 2026年3月2日.

    Raises ValueError for anything else, including dates that do not exist
    (2026-02-30) and two-digit years, which are ambiguous.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError as exc:
                raise ValueError(f"{text} is not a real date ({exc})") from None
    raise ValueError(f"{text!r} is not a date: write it as YYYY-MM-DD")


def parse_amount(value: object) -> Decimal:
    """Parse an amount in 元: 52000, 52000.5, "52,000", "5.2万", "5.2万元".

    Chinese-numeral amounts (伍万元) and anything else are refused, not guessed.
    """
    if isinstance(value, bool):
        raise ValueError("an amount must be a number of 元, not yes/no")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("an amount cannot be negative")
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):  # YAML .nan / .inf
            raise ValueError(f"{value!r} is not an amount: write a number of 元 such as 52000")
        if value < 0:
            raise ValueError("an amount cannot be negative")
        return Decimal(repr(value))
    text = str(value).strip().replace(" ", "")
    if _THOUSANDS_RE.match(text):
        text = text.replace(",", "")
    match = _AMOUNT_RE.match(text)
    if not match:
        raise ValueError(f"{value!r} is not an amount: write a number of 元 such as 52000 or 5.2万")
    try:
        amount = Decimal(match.group(1))
    except InvalidOperation:  # pragma: no cover - the regex admits only decimals
        raise ValueError(f"{value!r} is not an amount") from None
    if amount < 0:
        raise ValueError("an amount cannot be negative")
    return amount * 10000 if match.group(2) else amount


# Control characters (C0 and C1 except tab and line feed; the noncharacters U+FFFE/FFFF)
# are invisible on a page and not allowed in XML: one in a 文号 would break the Atom feed
# (issue 11).  They arrive through YAML escapes ("\e", "\x01") or pasted bodies.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
# Ids and codes that become a folder of the site (items/<code>/, guides/<id>/ …).
SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def find_control(text: str) -> str | None:
    """The first control character in ``text`` as 'U+001B', or None if there is none."""
    match = _CONTROL_RE.search(text)
    return f"U+{ord(match.group()):04X}" if match else None


def controls_in(value: object, where: str = "") -> Iterator[tuple[str, str]]:
    """(dotted field, 'U+001B') for each string in ``value`` (a parsed file: dicts, lists,
    keys included) that holds a control character."""
    if isinstance(value, str):
        char = find_control(value)
        if char:
            yield where, char
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            yield from controls_in(key, name)
            yield from controls_in(item, name)
    elif isinstance(value, list):
        for i, item in enumerate(value, 1):
            yield from controls_in(item, f"{where}[{i}]")


def check_slug(value: object) -> str:
    """``value`` as text if it can name a folder of the site (letters, digits, '-', '_',
    '.'; 64 at most; starting with a letter or digit); else ValueError.  Keeps ``../x``
    and ``/tmp/x`` from becoming output paths (issue 11)."""
    text = str(value).strip()
    if isinstance(value, (dict, list)) or not SLUG_RE.match(text):
        raise ValueError(f"{text[:40]!r} cannot name a page: use letters, digits, '-', '_' and '.'")
    return text


def check_link(value: object) -> str:
    """``value`` if it is an http(s) address; else ValueError (no javascript:, data:,
    file: or relative links from content: issue 11)."""
    text = str(value).strip()
    if isinstance(value, (dict, list)) or not re.match(r"^https?://[^\s\"'<>`]+$", text, re.I):
        raise ValueError(f"{text[:40]!r} is not a web address starting with http:// or https://")
    return text


# A spreadsheet (Excel, WPS) reads a CSV cell starting with one of these as a formula:
# =HYPERLINK(…) or a DDE call from a party's own words would run when the public opens
# our open data (issue 11; OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """``value`` safe as a CSV cell: a leading apostrophe if it would start a formula.

    Spreadsheets hide the apostrophe and show the text as written; other values are
    returned unchanged.  Non-strings are returned as they are.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def format_amount(amount: Decimal) -> str:
    """52000 → '52,000元'; 1234.50 → '1,234.50元'."""
    if amount == amount.to_integral_value():
        return f"{int(amount):,}元"
    return f"{amount:,.2f}元"
