"""Files made after the pages are rendered: sitemap, search index; then verification."""

from __future__ import annotations

import threading
from pathlib import Path
from xml.sax.saxutils import escape

from pipeline.leaks import compile_leak_matcher

from . import deploy
from .assemble import bureau_allow_list
from .cache import Cache
from .sections import load_sections, nav_links, section_name
from .verify import verify_site


def write_sitemap(prepared, out: Path) -> None:
    """sitemap.xml of every public page (withdrawn notices and expired cases excluded)."""
    base = str(prepared.site.bureau.get("site", {}).get("url", "")).rstrip("/") + "/"
    urls = ["", "results/", "body/", "report/"]
    urls += [link for _label, link in nav_links()]
    urls += [f"lists/{kind}/" for kind in sorted(prepared.site.lists)]
    urls += [f"cases/{c.decided_on.year}/{c.id}/" for c in sorted(prepared.site.cases, key=lambda c: c.id)]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    lines += [f"<url><loc>{escape(base + u)}</loc></url>" for u in urls]
    lines.append("</urlset>")
    (out / "sitemap.xml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def finish_site(prepared, out: Path, settings: dict, progress, stage, beside=()) -> None:
    """Write the derived files, then verify the whole tree (raises LeakFound).

    ``beside``: sections' steps already running apart (publish.apart.Apart): they are not
    run again here, and are waited for before the verifier starts."""
    report = prepared.report
    allow = bureau_allow_list(prepared.content)
    # The verifier's matcher is compiled on a thread while a section's step waits for
    # other processes (it calls GONGSHI_WAITING: the search index, once Pagefind runs);
    # compiling takes ~3 s at 100,000 results (issue 9), and beside a step in Python it
    # would only slow that step down.  Nothing forks meanwhile (Pagefind is started by
    # subprocess, which runs no Python code in its child); the step that started the thread
    # waits for it before it ends, so no later step can fork beside it, and the objects the
    # stage leaves are frozen whole (publish.heap).  Never started, it is compiled here.
    # The same thread then reads the verifier's kept proofs (~1.7 s at 100,000 results).
    checker = _Beside(_matcher_and_proofs, prepared.secrets, allow, prepared.cache_dir)
    _sections_steps(prepared, out, settings, progress, stage, beside, checker)
    with stage(report, "verify", progress):
        matcher, cache = checker.result()  # first: nothing below may fail while the thread runs
        known = dict(cache.data)
        # One listing of the finished tree serves the verifier and the release manifest.
        release = settings.get("GONGSHI_RELEASE")
        if release:
            inodes, release["dirs"] = deploy.release_listing(out, release["previous"], release.get("kept"),
                                                             release.get("store"))
        else:
            inodes = deploy.file_inodes(out)
        verify_site(out, prepared.secrets, allow, known=known,
                    workers=int(settings.get("BUILD_WORKERS", 1)),
                    trusted=_trusted(out, inodes, release), files=inodes.keys(),
                    matcher=matcher, digests=release.get("digests") if release else None)
        cache.save(known)


def _matcher_and_proofs(secrets, allow, cache_dir) -> tuple:
    """(the verifier's leak matcher, its cache of proofs).  The cache says which values
    its files were proven clean against (as hashes): a grown secret set (a correction's
    applicant) rescans only for the new values."""
    matcher = compile_leak_matcher(secrets, allow)
    # On the thread, the stage that started it settles the heap when it ends (publish.heap).
    on_thread = threading.current_thread() is not threading.main_thread()
    return matcher, Cache(cache_dir, "verified", "proof", settle=not on_thread)


class _Beside:
    """``func(*args)`` on a thread once ``start`` is called; ``result()`` waits for it
    (or calls it here, if it was never started) and returns or raises what it did."""

    def __init__(self, func, *args):
        self._call = lambda: func(*args)
        self._thread: threading.Thread | None = None
        self._outcome: tuple = ()

    def start(self) -> None:
        if self._thread is None and not self._outcome:
            self._thread = threading.Thread(target=self._run, name="leak-matcher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._outcome = (True, self._call())
        except BaseException as exc:  # noqa: BLE001 - raised by result()
            self._outcome = (False, exc)

    def result(self):
        if self._thread is not None:
            self._thread.join()
        elif not self._outcome:
            self._run()
        ok, value = self._outcome
        if not ok:
            raise value
        return value

    def join(self) -> None:
        """Wait for the thread if it was started (what it did is kept for ``result()``)."""
        if self._thread is not None:
            self._thread.join()


def _sections_steps(prepared, out: Path, settings: dict, progress, stage, beside: list,
                    beside_waits: _Beside) -> None:
    """The sitemap, each section's postbuild step, and those already running apart; a step
    calls ``settings["GONGSHI_WAITING"]`` when it starts waiting for other processes, and
    ``beside_waits`` runs meanwhile (until that step ends, however it ends)."""
    report = prepared.report
    with stage(report, "sitemap", progress):
        write_sitemap(prepared, out)
    running = {job.name for job in beside}
    settings = dict(settings, GONGSHI_WAITING=beside_waits.start)
    for section in load_sections():
        name = section_name(section)
        if hasattr(section, "postbuild") and name not in running:
            with stage(report, name, progress):
                try:
                    section.postbuild(prepared, out, settings)
                finally:
                    beside_waits.join()
    for job in beside:
        with stage(report, f"{job.name}-wait", progress):
            job.join(report)


def _trusted(out: Path, inodes: dict[str, int], release: dict | None) -> dict[str, str]:
    """{path: sha256} of the files of ``out`` (listed in ``inodes``) that are hard links
    of the live release's (publish passes GONGSHI_RELEASE = {"previous": release dir,
    "files": its manifest's digests, "kept": that release's listing if kept}); the
    listing and the set of linked paths are left in it for the release step."""
    if not release:
        return {}
    release["inodes"] = inodes
    if release.get("previous") is None:
        return {}
    kept = release.get("kept")
    release["linked"] = linked = deploy.linked_files(out, release["previous"], inodes,
                                                     kept[0] if kept else None)
    files = release["files"]
    return {rel: files[rel] for rel in linked if rel in files}
