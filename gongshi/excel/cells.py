"""Reading and writing single cells: the canonical value of a column.

Every column kind has one canonical Python value (text → str, date → date,
amount → Decimal or None, choice → stored code, multi/lines → tuple of str).
``parse_cell`` reads what openpyxl or the csv module hands over, strictly: anything
ambiguous raises :class:`CellError` with the fix, it is never guessed.
``from_yaml`` reads a value of an existing content file leniently, so that the
import can tell whether a row really changed.  ``to_yaml`` and ``to_cell`` write
the canonical value back.  All functions are pure.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pipeline.values import parse_amount, parse_date

from .columns import AMOUNT, BODY, CHOICE, CODE, DATE, LINES, MULTI, TEXT, Column, normalise_header

# Separators of a multi-valued cell (处罚类别, 涉及自然人, basis ids).
SPLIT_RE = re.compile(r"[、;；,，\n]+")
_SCIENTIFIC_RE = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
# Excel keeps 15 significant digits of a number; a longer one has already lost digits.
EXCEL_DIGITS = 15
CELL_LIMIT = 32767  # characters a cell can hold (Excel specification)
_TEXT_FIX = "format the column as 文本 (Text) and type the value again, or start it with an apostrophe (')"
_DATE_FIX = "write the date as 2026-03-02, 2026/3/2, 2026.3.2 or 2026年3月2日, or use a date cell"


class CellError(ValueError):
    """A cell that cannot be read without guessing; ``fix`` says what to do."""

    def __init__(self, message: str, fix: str = ""):
        super().__init__(message)
        self.message = message
        self.fix = fix


def empty_value(column: Column) -> object:
    """The canonical value of an empty cell of ``column``."""
    if column.kind in (DATE, AMOUNT):
        return None
    if column.kind in (MULTI, LINES):
        return ()
    if column.kind == CHOICE:
        return column.default
    return ""


def is_blank(value: object) -> bool:
    """True for None and for text that is only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _number_text(value: int | float, identifier: bool) -> str:
    """A number found where text belongs: accepted only when nothing can have been lost."""
    if isinstance(value, float) and not math.isfinite(value):
        raise CellError(f"{value} is not a value", _TEXT_FIX)
    shown = f"{value:.14E}" if isinstance(value, float) else str(value)
    if abs(value) >= 10 ** EXCEL_DIGITS:
        raise CellError(
            f"the number {shown} has more digits than Excel keeps ({EXCEL_DIGITS}): "
            "the last digits are already lost (an ID-like number stored as a number)",
            "format the column as 文本 (Text) and type the number again from the source document")
    if isinstance(value, float) and not value.is_integer():
        raise CellError(f"this cell holds the number {value!r}, not text", _TEXT_FIX)
    if identifier:
        raise CellError(
            f"{int(value)} is stored as a number: Excel drops leading zeros and digits beyond "
            f"{EXCEL_DIGITS}, so the code may no longer be what was typed", _TEXT_FIX)
    return str(int(value))


def _not_a_date_or_time(value: object) -> None:
    if isinstance(value, (dt.date, dt.time)):
        raise CellError(f"Excel turned this cell into a date or time ({value})", _TEXT_FIX)


def _text(column: Column, value: object, scale: int) -> str:
    if isinstance(value, str):
        text = _clean(value)
        if column.kind == CODE and _SCIENTIFIC_RE.match(text):
            raise CellError(
                f"{text} is a number in scientific notation: the digits it stood for are lost",
                "format the column as 文本 (Text) and type the number again from the source document")
        return text
    _not_a_date_or_time(value)
    return _number_text(value, identifier=column.kind == CODE)


def _body(column: Column, value: object, scale: int) -> str:
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return _text(column, value, scale)


def _date(column: Column, value: object, scale: int) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        raise CellError(f"the number {value!r} is not a date", _DATE_FIX)
    try:
        return parse_date(str(value))
    except ValueError as exc:
        raise CellError(str(exc), _DATE_FIX) from None


def _amount(column: Column, value: object, scale: int) -> Decimal:
    _not_a_date_or_time(value)
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).strip()
        if scale != 1 and "万" not in value and "元" in value:
            raise CellError(f"the column is in 万元 but 「{value}」 says 元",
                            "write the amount in 万元 without a unit, or put it in a column in 元")
        if "万" in value:
            scale = 1
    try:
        amount = parse_amount(value) * scale
    except ValueError as exc:
        raise CellError(str(exc), "write a number of 元, e.g. 52000, 52,000 or 5.2万") from None
    if amount < 0:
        raise CellError("an amount cannot be negative", "write the amount without a sign")
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(f"{amount} has more than two decimal places (分)",
                        "round the amount to 分, or type it as shown on the decision")
    return amount


def _choice(column: Column, value: object, scale: int) -> str:
    text = normalise_header(value)
    for stored, label in column.choices:
        if text in (normalise_header(stored), normalise_header(label)):
            return stored
    labels = "、".join(dict.fromkeys(label for _, label in column.choices))
    raise CellError(f"「{value}」 is not an allowed value", f"choose one of: {labels}")


def _multi(column: Column, value: object, scale: int) -> tuple[str, ...]:
    if not isinstance(value, str):
        _not_a_date_or_time(value)
        return (_number_text(value, identifier=True),)
    return tuple(p.strip() for p in SPLIT_RE.split(_clean(value)) if p.strip())


def _lines(column: Column, value: object, scale: int) -> tuple[str, ...]:
    text = _text(column, value, scale)
    return tuple(line.strip() for line in text.split("\n") if line.strip())


_PARSERS = {TEXT: _text, CODE: _text, BODY: _body, DATE: _date, AMOUNT: _amount,
            CHOICE: _choice, MULTI: _multi, LINES: _lines}


def parse_cell(column: Column, value: object, scale: int = 1) -> object:
    """The canonical value of a cell; raises CellError instead of guessing.

    ``scale`` is 10000 when the header says the column is in 万元.  Numbers in
    code columns, numbers of more than 15 digits anywhere, numbers written in
    scientific notation, dates typed as serial numbers and amounts with more than
    two decimals are all errors.
    """
    if is_blank(value):
        return empty_value(column)
    if isinstance(value, bool):
        raise CellError("this cell holds TRUE/FALSE", "type the value as text")
    return _PARSERS[column.kind](column, value, scale)


def from_yaml(column: Column, value: object) -> object:
    """The canonical value of ``value`` as an existing content file stores it.

    Lenient (a number stays its digits, a single category may be a string); a
    value it cannot read comes back unchanged, so it compares as different.
    """
    if value is None or value == "":
        return empty_value(column)
    kind = column.kind
    try:
        if kind == DATE:
            return parse_date(value)
        if kind == AMOUNT:
            return parse_amount(value) or None
    except ValueError:
        return value
    if kind in (MULTI, LINES):
        items = value if isinstance(value, list) else str(value).split("\n") if kind == LINES else [value]
        return tuple(str(v).strip() for v in items if str(v).strip())
    if kind == BODY:
        return str(value).replace("\r\n", "\n").strip("\n")
    if isinstance(value, (list, dict)):
        return value
    return _clean(value.isoformat() if isinstance(value, dt.date) else str(value)) or empty_value(column)


def to_yaml(column: Column, value: object) -> object:
    """The value to store in a content file, or None when the field is left out."""
    if value in (None, "", ()):
        return None
    if column.kind == AMOUNT:
        return int(value) if value == value.to_integral_value() else float(value)
    if column.kind in (MULTI, LINES):
        return list(value)
    return value


def to_cell(column: Column, value: object) -> object:
    """The cell value to write for a canonical value (None leaves the cell empty).

    Raises CellError when the value cannot be written so that it reads back the
    same (a list item containing a separator, text longer than a cell holds).
    """
    if value in (None, "", ()):
        return None
    if column.kind == AMOUNT:
        return int(value) if value == value.to_integral_value() else float(value)
    if column.kind == DATE:
        return value
    if column.kind == CHOICE:
        return next((label for stored, label in column.choices if stored == value), value)
    if column.kind in (MULTI, LINES):
        pattern = SPLIT_RE if column.kind == MULTI else re.compile("\n")
        for item in value:
            if pattern.search(item):
                raise CellError(f"「{item}」 contains a separator and would split on import",
                                "edit the content file: one value per item without 、；，")
        value = ("、" if column.kind == MULTI else "\n").join(value)
    text = str(value)
    if ILLEGAL_CHARACTERS_RE.search(text):
        raise CellError("the text holds a control character a workbook cannot store",
                        "remove the invisible character from the content file")
    if len(text) > CELL_LIMIT:
        raise CellError(f"{len(text)} characters do not fit in a cell ({CELL_LIMIT})",
                        "shorten the text in the content file")
    return text
