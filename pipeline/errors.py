"""Named errors of the pipeline.

Each carries enough to point the user at the file, the field and the fix.
Pipeline code raises these; only the CLI turns them into messages and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one source file."""

    source: str  # content-relative path
    field: str  # dotted field name, or "" for the whole file
    message: str  # what is wrong
    fix: str = ""  # how to fix it
    record_id: str = ""

    def __str__(self) -> str:
        where = self.source + (f" [{self.field}]" if self.field else "")
        text = f"{where}: {self.message}"
        if self.fix:
            text += f"\n    修改方法 / fix: {self.fix}"
        return text


class GongshiError(Exception):
    """Base class: a failure the CLI reports in plain words and exits non-zero."""


class ContentInvalid(GongshiError):
    """One or more source files are invalid; lists every problem at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [f"内容校验失败 / content is invalid: {len(self.problems)} problem(s)"]
        lines += [str(p) for p in self.problems]
        super().__init__("\n".join(lines))


class RecordInvalid(ContentInvalid):
    """A single record is invalid."""

    def __init__(self, problem: Problem):
        super().__init__([problem])


class ApprovalMissing(GongshiError):
    """A record was asked for explicitly but is not approved."""


class RedactionFailed(GongshiError):
    """Personal data was found where it must not be (R-PII)."""


class LedgerBroken(GongshiError):
    """The publication ledger's hash chain does not verify."""


class CalendarMissing(GongshiError):
    """R-WD: a date falls in a year with no known holiday schedule."""


class LeakFound(GongshiError):
    """The verifier found personal or withdrawn data in the output."""


class DeployFailed(GongshiError):
    """The release could not be deployed; the live site is unchanged."""


class LockBusy(GongshiError):
    """Another publishing run holds the lock."""
