"""``gongshi build``: run every pipeline stage in memory, then write the site.

Order (SPEC §7): load → validate → approval gate → redact → ledger and retention →
page plan → Pelican render → search index → verify.  Nothing is written until every
stage has passed; the site is rendered into a fresh staging directory that replaces
the output directory only after verification succeeds, so a failed build leaves the
previous output as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pelican import Pelican

from pipeline.approval import gate_cases, gate_lists
from pipeline.errors import GongshiError
from pipeline.load import LEDGER_NAME, load_content
from pipeline.model import Content, Hold
from pipeline.validate import validate_content

from . import apart, heap, incremental, pelican_plugin, store
from .cache import (
    SHARDS,
    VALIDATION_CODE,
    Cache,
    TrackingDict,
    background_writes,
    cache_dir_for,
    code_version,
    parse_ledger_cached,
)
from .pages import Later, SiteData, complete, plan_pages
from .redaction import CaseCaches
from .sections import load_sections, nav_links
from .settings import load_settings


@dataclass
class BuildReport:
    """What a build did, for the CLI summary and the publish step."""

    as_of: dt.date
    output: Path | None = None
    published: int = 0
    withdrawn: int = 0
    expired: list[str] = field(default_factory=list)  # ids
    gone_urls: list[str] = field(default_factory=list)  # URLs that answer 410
    held: list[Hold] = field(default_factory=list)
    new_events: list = field(default_factory=list)
    ledger_text: str | None = None  # the ledger to write after a successful deploy
    pages: int = 0
    rendered: int = 0  # pages rendered (the others were unchanged and reused)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    redaction: dict = field(default_factory=dict)
    # Content-relative path -> text of publisher state (e.g. opendata/state.json) that sections
    # ask to have written beside the ledger, and only when the ledger is (after a good build).
    state_files: dict[str, str] = field(default_factory=dict)


@dataclass
class Prepared:
    """The in-memory result of the pipeline: ready to render."""

    content: Content
    site: SiteData
    report: BuildReport
    secrets: set = field(default_factory=set)  # personal and held-back values for the verifier
    cache_dir: Path | None = None  # build caches (publish.cache); None: no caching
    content_dir: Path | None = None  # where the content was read (sections read their own files)
    identities: dict = field(default_factory=dict)  # records named without repr (page fingerprints)


@contextlib.contextmanager
def timed_stage(report: BuildReport, name: str, progress):
    """Time a stage (``report.timings[name]``) and announce it; the objects it leaves
    alive are settled out of the cycle collector's way (publish.heap)."""
    if progress:
        progress(f"{name} …")
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings[name] = round(time.perf_counter() - start, 3)
        heap.settle()


def prepare(content_dir: Path, as_of: dt.date, progress=None,
            cache_dir: Path | None = None, workers: int | None = None) -> Prepared:
    """Run load → validate → gate → redact → ledger/retention in memory.

    Raises ContentInvalid (every problem at once) or LedgerBroken; never writes,
    except the optional caches in ``cache_dir`` (content-hash keyed; see publish.cache).
    """
    from .assemble import assemble  # late import: assemble pulls in every stage

    report = BuildReport(as_of=as_of)
    with timed_stage(report, "load", progress):
        # Case files validated before are not even parsed (issue 9); the others' parses
        # are cached by content too.
        case_cache = Cache(cache_dir, "validated", code_version(VALIDATION_CODE), shards=SHARDS)
        parse_cache = Cache(cache_dir, "parsed", shards=SHARDS)
        known, seen = TrackingDict(case_cache.data), TrackingDict(parse_cache.data)
        # Unchanged case files (by their stat stamps) are not even read (pipeline.load).
        stamp_cache = Cache(cache_dir, "stamps", str(Path(content_dir).resolve()))
        stamps = stamp_cache.data
        raw = load_content(Path(content_dir), seen, known, stamps)
        parse_cache.save(seen.used_entries(), content_keyed=True)
        stamp_cache.save(stamps)
        del seen, parse_cache  # ``raw`` holds what validation needs
    with timed_stage(report, "validate", progress):
        try:
            content = validate_content(raw, as_of, known)
        finally:  # the files that passed are kept even when another one did not
            case_cache.save(known.used_entries(), content_keyed=True)
    ledger_text = raw.ledger_text
    del raw  # the parsed source files: the validated records replace them (memory, issue 9)
    with timed_stage(report, "approval", progress):
        cases, held = gate_cases(content.cases)
        lists, list_held = gate_lists(content.lists)
        report.held += held + list_held
    workers = int(load_settings().get("BUILD_WORKERS", 1)) if workers is None else workers
    # Every validated case is in ``known`` under its file's key: no case is hashed by repr.
    per_case = CaseCaches(cache_dir, workers, origins=known.used_entries(),
                          origin_version=case_cache.salt)
    prepared = assemble(content, cases, lists, ledger_text, report, progress, timed_stage,
                        redact=per_case.redact, personal=per_case.personal_values,
                        content_hash=per_case.public_hash,
                        read_ledger=functools.partial(parse_ledger_cached, cache_dir=cache_dir))
    prepared.content_dir = Path(content_dir)
    prepared.cache_dir = cache_dir
    prepared.identities = per_case.identities()
    return prepared


def render(prepared: Prepared, output_dir: Path, settings: dict | None = None, progress=None,
           previous: Path | None = None) -> Path:
    """Render the prepared site into ``output_dir`` atomically; returns the output path.

    The site is built in a sibling staging directory, indexed and verified there,
    then moved into place; on any failure the staging directory is removed and
    ``output_dir`` is untouched.  Pages unchanged since ``previous`` (default: the
    existing ``output_dir``) are hard-linked from it instead of rendered again.
    """
    from .postbuild import finish_site  # search index, feeds, sitemap, verify

    output_dir = Path(output_dir).resolve()
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    if previous is None and output_dir.is_dir():
        previous = output_dir
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=output_dir.parent))
    beside: dict[str, apart.Apart] = {}
    settings = settings or load_settings()
    store_root = (settings.get("GONGSHI_RELEASE") or {}).get("store")
    building: dict[str, str] = {}  # store folders being made: removed if the run fails
    try:
        # Sections' pages() see the whole Prepared (content dir, all cases) under this key.
        plan_settings = dict(settings, GONGSHI_PREPARED=prepared)
        # Sections that need only the prepared site (open data) start now, in a child that
        # makes their pages and then their files beside this process (publish.apart).
        beside.update(apart.start(load_sections(), prepared, staging, plan_settings,
                                  int(settings.get("BUILD_WORKERS", 1))))
        with timed_stage(prepared.report, "plan", progress):
            plan = plan_pages(prepared.site, settings["CASES_PER_PAGE"], plan_settings, beside, wait=False)
        shared = _globals(prepared.site)
        with timed_stage(prepared.report, "render", progress):
            # The pages planned here are fingerprinted while the child still makes its own
            # (issue 9: the plan waited ~1.3 s for the open-data page at 100,000 results).
            ready = [page for page in plan if not isinstance(page, Later)]
            fingerprints = incremental.page_fingerprints(ready, shared, Path(settings["THEME"]),
                                                         prepared.identities, settings)
            pages = complete(plan)
            prepared.report.pages = len(pages)
            fingerprints.update(incremental.page_fingerprints(
                [page for page in pages if page.path not in fingerprints], shared,
                Path(settings["THEME"]), prepared.identities, settings))
            make = pages
            if store_root:  # publish: years of case pages are shared with earlier releases
                make, building = incremental.share_folders(pages, fingerprints, store_root, staging)
            live = incremental.load_manifest(previous)  # the live pages' fingerprints
            todo = incremental.reuse_unchanged(make, fingerprints, previous, staging, live)
            # Pages with the live release's bytes (the search step takes their digests from
            # its manifest): a linked store entry may come from an older release, so only a
            # fingerprint equal to the live page's counts.
            rendered = {page.path for page in todo}
            reused = {path for path, fp in fingerprints.items() if live.get(path) == fp} - rendered
            prepared.report.rendered = len(todo)
            _run_pelican(todo, shared, staging, settings)
            _check_all_written(make, staging)  # a store entry was checked when it was made
            for folder, name in building.items():
                store.seal(store_root, name, staging, folder)
                settings["GONGSHI_RELEASE"].setdefault("made", set()).add(name)
            building = {}
        del plan, ready, pages, make, todo, rendered, live, shared  # the page plan: not needed by the steps after (memory, issue 9)
        # Post-build steps may reuse what they made for ``previous`` when its pages are
        # unchanged (the search index per year): they get the old tree, the fingerprints
        # and the pages hard-linked from it.
        finish_site(prepared, staging, dict(settings, GONGSHI_PREVIOUS=previous, GONGSHI_REUSED=reused,
                                            GONGSHI_FINGERPRINTS=fingerprints), progress, timed_stage,
                    list(beside.values()))
        _swap_into_place(staging, output_dir)
        incremental.save_manifest(output_dir, fingerprints)
    except BaseException:
        for job in beside.values():
            job.abandon()
        shutil.rmtree(staging, ignore_errors=True)  # its links into the store, not the entries
        if building:
            store.discard(store_root, list(building.values()))
        raise
    prepared.report.output = output_dir
    return output_dir


class RenderIncomplete(GongshiError):
    """A planned page is missing after rendering; nothing is published."""


def _check_all_written(pages, out: Path) -> None:
    """Every planned page exists (a worker that died quietly must not ship a partial site)."""
    root = os.fspath(out)  # os.path, not a Path per page: 200,000 pages at 100,000 results
    missing = [page.path for page in pages if not os.path.isfile(os.path.join(root, page.path))]
    if missing:
        raise RenderIncomplete(
            f"{len(missing)} planned page(s) were not written, e.g. {missing[0]}; "
            "nothing was published — run the build again, and report it if it repeats"
        )


def _globals(site: SiteData) -> dict:
    """The context every page shares (bureau, lists, navigation, build date)."""
    return {"bureau": site.bureau, "lists": site.lists, "as_of": site.as_of,
            "site_title": site.bureau.get("site", {}).get("title", ""),
            "nav_sections": nav_links()}


def _run_pelican(pages, shared: dict, out: Path, settings: dict) -> None:
    """Render ``pages`` into ``out`` through Pelican, on BUILD_WORKERS processes."""
    logging.getLogger("pelican").setLevel(logging.WARNING)

    def render_chunk(chunk, first: bool) -> None:
        run_settings = dict(settings)
        run_settings.update(OUTPUT_PATH=str(out), PLUGINS=[pelican_plugin],
                            GONGSHI_PAGES=chunk, GONGSHI_GLOBALS=shared)
        if not first:  # one worker copies the theme's static files
            run_settings["THEME_STATIC_PATHS"] = []
        # Pelican prints a 'Done: Processed 0 articles' banner; our summary replaces it.
        with contextlib.redirect_stdout(io.StringIO()):
            Pelican(run_settings).run()

    incremental.run_parallel(render_chunk, pages, int(settings.get("BUILD_WORKERS", 1)))


def _swap_into_place(staging: Path, output_dir: Path) -> None:
    """Replace output_dir with staging using renames (the old tree is removed last)."""
    os.chmod(staging, 0o755)
    if output_dir.exists():
        old = output_dir.with_name(f".{output_dir.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        output_dir.rename(old)
        staging.rename(output_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(output_dir)


def write_ledger(content_dir: Path, ledger_text: str) -> None:
    """Atomically replace the content dir's ledger with ``ledger_text``."""
    path = Path(content_dir) / LEDGER_NAME
    tmp = path.with_suffix(".jsonl.tmp")
    tmp.write_text(ledger_text, encoding="utf-8")
    os.replace(tmp, path)


def write_state_files(content_dir: Path, files: dict[str, str]) -> None:
    """Atomically write each content-relative path in ``files`` (parents created)."""
    for rel, text in sorted(files.items()):
        path = Path(content_dir) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)


def build(content_dir: Path, output_dir: Path, as_of: dt.date, settings: dict | None = None,
          progress=None, record_ledger: bool = True) -> BuildReport:
    """``gongshi build``: prepare, render, verify; then record the ledger if one exists.

    The ledger is only written when the content dir already has one (SPEC §8) and
    only after the site was built and verified; sections' ``report.state_files``
    are written with it, under the same condition.
    """
    warnings: list[str] = []
    # The cache writers run beside the build (publish.cache); one that fails is a warning:
    # by then the site is built and verified, and a cache only saves time.
    with background_writes(warnings.append):
        prepared = prepare(content_dir, as_of, progress, cache_dir_for(output_dir))
        render(prepared, output_dir, settings, progress)
    report = prepared.report
    report.warnings += warnings
    if record_ledger and report.ledger_text is not None and (Path(content_dir) / LEDGER_NAME).exists():
        write_ledger(content_dir, report.ledger_text)
        write_state_files(content_dir, report.state_files)
    return report
