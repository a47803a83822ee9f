"""Field readers for validation: each reads one value and records a Problem if it is bad.

Split from :mod:`pipeline.validate` (pure, like it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .catalogue import APPROVAL_FIELDS
from .errors import Problem
from .model import Approval
from .values import check_credit_code, parse_date


@dataclass
class Checker:
    """Collects problems for one file while reading its fields."""

    source: str
    problems: list[Problem]
    record_id: str = ""

    def add(self, field: str, message: str, fix: str = "") -> None:
        self.problems.append(Problem(self.source, field, message, fix, self.record_id))

    def unknown(self, data: dict, allowed: frozenset[str], prefix: str = "") -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.add(prefix + str(key), "unknown field",
                     f"remove it or correct the spelling; allowed: {', '.join(sorted(allowed))}")

    def text(self, data: dict, key: str, required: bool = False, prefix: str = "") -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.add(prefix + key, "required field is missing or empty", "fill it in")
            return ""
        if isinstance(value, (dict, list)):
            self.add(prefix + key, "expected text", "write a single value")
            return ""
        return str(value).strip()

    def date(self, data: dict, key: str, required: bool = False, prefix: str = "") -> dt.date | None:
        value = data.get(key)
        if value in (None, ""):
            if required:
                self.add(prefix + key, "required date is missing", "write it as YYYY-MM-DD")
            return None
        try:
            return parse_date(value)
        except ValueError as exc:
            self.add(prefix + key, str(exc), "write it as YYYY-MM-DD")
            return None

    def choice(self, data: dict, key: str, options, default: str | None = None, prefix: str = "") -> str:
        value = data.get(key, default)
        if value not in options:
            self.add(prefix + key, f"{value!r} is not allowed", f"use one of: {', '.join(options)}")
            return default or options[0]
        return value

    def approval(self, data: dict) -> Approval:
        value = data.get("approval") or {}
        if not isinstance(value, dict):
            self.add("approval", "expected a mapping", "see docs/content-format.md")
            return Approval()
        self.unknown(value, frozenset(APPROVAL_FIELDS), "approval.")
        return Approval(
            *(self.text(value, k, prefix="approval.") for k in APPROVAL_FIELDS[:3]),
            approved_on=self.date(value, "approved_on", prefix="approval."),
        )


def credit_field(ck: Checker, data: dict, key: str, prefix: str = "") -> str:
    """The checked 统一社会信用代码 at ``data[key]`` (as written if it is bad: a Problem is recorded)."""
    value = str(data.get(key) or "").strip()
    try:
        return check_credit_code(value)
    except ValueError as exc:
        ck.add(prefix + key, str(exc), "copy the code from the business licence")
        return value
