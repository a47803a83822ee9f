"""Section post-build steps run in a forked child beside the build's next steps (issue 9).

A build is mostly one Python process on one core.  A section that sets ``APART = True``
promises that its ``postbuild`` only writes files of its own under the site root and
fills ``report.state_files``/``report.warnings``; with two or more BUILD_WORKERS such a
step starts in a forked child as soon as the pages are planned, and runs beside the
rendering and the search index (at 100,000 results the open-data exports take ~8 s of
a correction).  The verifier waits for it: nothing is scanned, sealed or published
before every child has finished, and a child that failed fails the build with its
own error.
"""

from __future__ import annotations

import os
import pickle
import time
import traceback

from pipeline.errors import GongshiError


class ApartFailed(GongshiError):
    """A post-build step run apart died without saying why."""


class Apart:
    """One section's ``postbuild(prepared, out, settings)`` running in a forked child."""

    def __init__(self, name: str, postbuild, prepared, out, settings: dict):
        self.name = name
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the fork
            os.close(read)
            code = 1
            try:
                report = prepared.report
                before = (dict(report.state_files), len(report.warnings))
                started = time.perf_counter()
                try:
                    postbuild(prepared, out, settings)
                    answer = ("ok", time.perf_counter() - started,
                              {k: v for k, v in report.state_files.items() if before[0].get(k) != v},
                              report.warnings[before[1]:])
                except BaseException as exc:  # noqa: BLE001 - handed to the parent
                    answer = ("error", _picklable(exc))
                with os.fdopen(write, "wb") as pipe:
                    pickle.dump(answer, pipe, protocol=pickle.HIGHEST_PROTOCOL)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self.pid, self._pipe = pid, os.fdopen(read, "rb")

    def join(self, report) -> None:
        """Wait for the child; apply what it reported to ``report`` or raise its error."""
        try:
            answer = pickle.load(self._pipe)
        except (EOFError, pickle.UnpicklingError):
            answer = None
        finally:
            self._pipe.close()
            _, status = os.waitpid(self.pid, 0)
            self.pid = None
        if answer is None or status != 0:
            raise ApartFailed(f"the {self.name} step stopped without an answer (exit status {status}); "
                              "nothing was published — run the build again, and report it if it repeats")
        if answer[0] == "error":
            raise answer[1]
        _, seconds, state_files, warnings = answer
        report.timings[self.name] = round(seconds, 3)
        report.state_files.update(state_files)
        report.warnings.extend(warnings)

    def abandon(self) -> None:
        """Stop the child (the build failed elsewhere) and reap it."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        self._pipe.close()
        self.pid = None


def _picklable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else an ApartFailed carrying its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return ApartFailed("".join(traceback.format_exception_only(exc)).strip())


def start(sections, prepared, out, settings: dict, workers: int) -> list[Apart]:
    """Start the APART sections' post-build steps (none with fewer than two workers).

    A section's ``forget()``, if it has one, is then called in this process: what it kept
    for its step (the open-data rows) is the child's now."""
    if workers < 2:
        return []
    jobs = []
    for section in sections:
        if getattr(section, "APART", False) and hasattr(section, "postbuild"):
            jobs.append(Apart(section.__name__.rsplit(".", 1)[-1], section.postbuild, prepared, out, settings))
            getattr(section, "forget", lambda: None)()
    return jobs
