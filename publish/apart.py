"""Sections' steps run in a forked child beside the build's next steps (issue 9).

A build is mostly one Python process on one core.  A section that sets ``APART = True``
promises that its ``pages`` and ``postbuild`` need nothing but the prepared site and
the settings of the page plan, and that its ``postbuild`` only writes files of its own
under the site root and fills ``report.state_files``/``report.warnings``.  With two or
more BUILD_WORKERS such a section starts in a forked child before the pages are
planned: the child makes the section's pages (sent back first: the plan takes them
last), then writes its files while this process plans, renders and indexes the rest.
At 100,000 results the open-data rows, their history and the exports took ~15 s of a
correction.  The verifier waits for the child: nothing is scanned, sealed or published
before every child has finished, and a child that failed fails the build with its own
error.
"""

from __future__ import annotations

import os
import pickle
import time
import traceback

from pipeline.errors import GongshiError

from . import cache
from .sections import section_name


class ApartFailed(GongshiError):
    """A post-build step run apart died without saying why."""


class Apart:
    """One APART section's ``pages(site, settings)`` and ``postbuild(prepared, out,
    settings)`` running in a forked child."""

    def __init__(self, section, prepared, out, settings: dict):
        self.name = section_name(section)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the fork
            os.close(read)
            code = 1
            try:
                with os.fdopen(write, "wb") as pipe:
                    _child(section, prepared, out, settings, pipe)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self.pid, self._pipe = pid, os.fdopen(read, "rb")
        self._pages: list | None = None

    def _receive(self):
        try:
            answer = pickle.load(self._pipe)
        except (EOFError, pickle.UnpicklingError):
            answer = None
        if answer is None:
            self._reap()
            raise ApartFailed(f"the {self.name} step stopped without an answer; nothing was "
                              "published — run the build again, and report it if it repeats")
        if answer[0] == "error":
            self._reap()
            raise answer[1]
        return answer

    def pages(self) -> list:
        """The section's pages, made in the child (waits for them)."""
        if self._pages is None:
            self._pages = self._receive()[1]
        return self._pages

    def join(self, report) -> None:
        """Wait for the child; apply what it reported to ``report`` or raise its error."""
        self.pages()
        _, seconds, state_files, warnings = self._receive()
        status = self._reap()
        if status != 0:
            raise ApartFailed(f"the {self.name} step ended with exit status {status}")
        report.timings[self.name] = round(seconds, 3)
        report.state_files.update(state_files)
        report.warnings.extend(warnings)

    def _reap(self) -> int:
        self._pipe.close()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        return status

    def abandon(self) -> None:
        """Stop the child (the build failed elsewhere) and reap it."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass
        self._reap()


def _child(section, prepared, out, settings: dict, pipe) -> None:  # pragma: no cover - in the fork
    """Make the section's pages, send them, run its postbuild, send what it reported."""
    def send(answer) -> None:
        pickle.dump(answer, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        pipe.flush()

    cache.detach()  # the build's cache writers and held saves are not this child's
    report = prepared.report
    state_before, warnings_before = dict(report.state_files), len(report.warnings)
    started = time.perf_counter()
    try:
        send(("pages", section.pages(prepared.site, settings) if hasattr(section, "pages") else []))
        section.postbuild(prepared, out, settings)
        send(("ok", time.perf_counter() - started,
              {k: v for k, v in report.state_files.items() if state_before.get(k) != v},
              report.warnings[warnings_before:]))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent
        send(("error", _picklable(exc)))


def _picklable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else an ApartFailed carrying its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return ApartFailed("".join(traceback.format_exception_only(exc)).strip())


def start(sections, prepared, out, settings: dict, workers: int) -> dict[str, Apart]:
    """Start the APART sections (none with fewer than two workers): {section name: job}."""
    if workers < 2:
        return {}
    jobs = [Apart(section, prepared, out, settings) for section in sections
            if getattr(section, "APART", False) and hasattr(section, "postbuild")]
    return {job.name: job for job in jobs}
