"""The Pagefind search index of a rendered site (SPEC §6 search, §9 limits).

The index is split into shards so that no single Pagefind run has to hold the
whole site in memory (SPEC §9: about 160 KiB per page, 16 GiB at 100,000 pages):

* ``pagefind/``        — the *primary* bundle: every page marked ``data-pagefind-body``
                          outside ``cases/`` (事前公开 lists, 执法事项, guides, flowcharts …);
* ``pagefind/<year>/`` — one bundle per decision year with that year's live case pages;
                          a year with more than SEARCH_SHARD_PAGES cases gets one bundle
                          per decision month instead (``pagefind/<year>-<mm>/``).

The search page loads the primary bundle and merges the year bundles in the browser
(``pagefind.mergeIndex``).  With ``SEARCH_SHARD_BY_YEAR = False`` one run indexes
everything into ``pagefind/``.

Every run is checked: the number of pages Pagefind reports must equal the number
of pages we meant to index.  A withdrawal notice carries no ``data-pagefind-body``
and Pagefind skips such pages once any page has the marker, so a count that is too
high means a notice page (or navigation) got into the index (R-WITHDRAW); the
verifier then also scans every fragment for hidden 文号 and party names.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import store
from .deploy import list_files
from .incremental import load_manifest, make_parent
from .search_canonical import SearchIndexError, canonicalise_bundle

BUNDLE_DIR = "pagefind"
MARKER = b"data-pagefind-body"
# Pagefind's summary lines, e.g. "  Indexed 223 words".
_STAT_RE = re.compile(r"Indexed (\d+) (language|page|word|filter|sort)s?\b")
INSTALL_HINT = "pip install 'pagefind[extended]'"


@dataclass(frozen=True)
class Shard:
    """One Pagefind run: which pages it reads and where its bundle goes."""

    name: str  # "main" or a decision year such as "2026"
    subdir: str  # bundle directory relative to the site root
    glob: str  # Pagefind --glob, relative to the site root
    expected_pages: int  # pages with data-pagefind-body that the glob covers
    pages: tuple[str, ...] = ()  # if set: exactly these pages (site-relative), not the glob


@dataclass(frozen=True)
class ShardStats:
    """What one Pagefind run reported, and the size of the bundle it wrote."""

    shard: Shard
    pages: int
    words: int
    filters: int
    sorts: int
    index_bytes: int | None  # index, filter, fragment and meta files of this bundle (None: reused, not measured)
    reused: bool = False  # True: the previous output's bundle, unchanged pages


def pagefind_binary() -> Path:
    """Path of the Pagefind *extended* binary (the build that segments Chinese).

    Raises SearchIndexError naming the pip command when it is not installed.
    """
    try:
        from pagefind_bin_extended import get_executable
    except ImportError as exc:
        raise SearchIndexError(
            f"Pagefind (extended) is not installed; install it with: {INSTALL_HINT}"
        ) from exc
    try:
        path = Path(get_executable())
    except FileNotFoundError as exc:
        raise SearchIndexError(
            f"the Pagefind binary is missing ({exc}); reinstall it with: {INSTALL_HINT}"
        ) from exc
    return path


def case_years(site) -> list[int]:
    """Decision years of the live cases, newest first."""
    return sorted({c.decided_on.year for c in site.cases}, reverse=True)


def case_shards(cases, max_pages: int) -> dict[str, list]:
    """{bundle name: its cases}, newest first: one bundle per decision year ("2025"), or
    one per month ("2025-03") for a year with more than ``max_pages`` cases.

    Small bundles keep a correction cheap (only its bundle is indexed again) and a
    year-filtered search small; months keep the split stable as cases are added.
    """
    by_year: dict[int, list] = {}
    for case in cases:
        by_year.setdefault(case.decided_on.year, []).append(case)
    shards: dict[str, list] = {}
    for year, year_cases in by_year.items():
        if len(year_cases) <= max_pages:
            shards[str(year)] = year_cases
            continue
        for case in year_cases:
            shards.setdefault(f"{year}-{case.decided_on.month:02d}", []).append(case)
    return {name: sorted(shards[name], key=lambda c: c.id) for name in sorted(shards, reverse=True)}


def _case_page(case) -> str:
    return f"cases/{case.decided_on.year}/{case.id}/index.html"


def _marked_pages(out: Path, top: str, known: dict[str, str] | None = None,
                  marked: dict[str, str] | None = None) -> int:
    """How many HTML files under ``out/top`` carry data-pagefind-body.

    ``known``: {page path: hex SHA-256} of pages whose bytes are known (see source_key);
    ``marked``: {hex SHA-256: "1" or "0"}, whether the page with those bytes carries it,
    as remembered; a page found in neither is read, and added to ``marked`` (issue 9: the
    ~7,000 list pages were read on every correction at 100,000 results)."""
    known = known or {}
    marked = {} if marked is None else marked
    count = 0
    for rel in _html_files(out, top):
        digest = known.get(rel)
        if digest is None or digest not in marked:
            with open(os.path.join(out, rel), "rb") as f:
                blob = f.read()
            digest = digest or hashlib.sha256(blob).hexdigest()
            marked[digest] = "1" if MARKER in blob else "0"
        count += marked[digest] == "1"
    return count


def plan_shards(site, out: Path, by_year: bool, max_pages: int = 5000,
                known: dict[str, str] | None = None, marked: dict[str, str] | None = None) -> list[Shard]:
    """The Pagefind runs for the site rendered at ``out``, primary bundle first.

    Case pages are counted from ``site.cases`` (live cases only: withdrawal notices
    share the year folders but must not be indexed); other pages are counted by
    reading the rendered files for the marker (``known`` and ``marked``: see
    _marked_pages).  Top-level HTML files (home, 404) are never indexed.  Case
    bundles: see case_shards.
    """
    out = Path(out)
    skip = {"cases", BUNDLE_DIR, "theme"}
    tops = sorted(p.name for p in out.iterdir() if p.is_dir() and p.name not in skip)
    counts = {top: _marked_pages(out, top, known, marked) for top in tops}
    tops = [top for top in tops if counts[top]]
    main_pages = sum(counts.values())
    if not by_year:
        return [Shard("main", BUNDLE_DIR, "{" + ",".join(tops + ["cases"]) + "}/**/*.html",
                      main_pages + len(site.cases))]
    shards = [Shard("main", BUNDLE_DIR, "{" + ",".join(tops) + "}/**/*.html", main_pages)]
    for name, cases in case_shards(site.cases, max_pages).items():
        pages = tuple(_case_page(c) for c in cases)
        shards.append(Shard(name, f"{BUNDLE_DIR}/{name}", f"cases/{name[:4]}/**/*.html",
                            len(cases), pages if "-" in name else ()))
    return shards


def parse_stats(output: str) -> dict[str, int]:
    """The counts of Pagefind's summary ('Indexed 4 pages' …) as {'page': 4, …}.

    A count Pagefind did not print is missing from the dict (the caller treats
    a missing page count as a failed run).
    """
    return {kind: int(n) for n, kind in _STAT_RE.findall(output)}


def _bundle_bytes(bundle: Path, nested: set[str]) -> int:
    """Bytes of the index files (meta, index, filter, fragment) of one bundle."""
    total = 0
    with os.scandir(bundle) as entries:  # the nested bundles' folders are not entered
        for entry in entries:
            if entry.name in nested:
                continue
            if entry.is_dir(follow_symlinks=False):
                sizes = list_files(entry.path, lambda e: e.stat().st_size)
            elif entry.is_file():
                sizes = {entry.name: entry.stat().st_size}
            else:
                continue
            total += sum(size for rel, size in sizes.items()
                         if os.path.splitext(rel)[1].startswith(".pf_"))
    return total


def run_shard(binary: Path, out: Path, shard: Shard, nested: set[str] = frozenset(),
              started: Callable[[], None] | None = None) -> ShardStats:
    """Run Pagefind for one shard and check what it reports; ``started()`` is called once
    its process runs.

    Raises SearchIndexError if Pagefind fails, or indexed a different number of
    pages than planned, or found no words at all (a misplaced data-pagefind-body).
    """
    proc = _run_pagefind(binary, out, shard, started)
    stats = parse_stats(proc.stdout)
    if proc.returncode != 0 or "page" not in stats:
        tail = (proc.stderr or proc.stdout).strip()[-800:]
        raise SearchIndexError(f"Pagefind failed on the {shard.name} index (exit {proc.returncode}):\n{tail}")
    if "Found a data-pagefind-body element" not in proc.stdout:
        # Pagefind then indexes whole <body> elements: header, navigation, footer and
        # any withdrawal notice in the folder.
        raise SearchIndexError(
            f"no page of the {shard.name} index carries data-pagefind-body; refusing to "
            "index whole pages (navigation, footers, withdrawal notices)"
        )
    if stats["page"] != shard.expected_pages:
        raise SearchIndexError(
            f"Pagefind indexed {stats['page']} pages for the {shard.name} index, expected "
            f"{shard.expected_pages}: a page without data-pagefind-body (a withdrawal notice?) "
            "was indexed, or a case page lost its marker. Nothing was published."
        )
    if shard.expected_pages and not stats.get("word"):
        raise SearchIndexError(f"Pagefind found no words in the {shard.name} index; "
                               "check the data-pagefind-body region of its templates")
    canonicalise_bundle(out / shard.subdir)
    prune_bundle(out / shard.subdir, primary=shard.subdir == BUNDLE_DIR)
    return ShardStats(shard, stats["page"], stats.get("word", 0), stats.get("filter", 0),
                      stats.get("sort", 0), _bundle_bytes(out / shard.subdir, nested))


def _run_pagefind(binary: Path, out: Path, shard: Shard,
                  started: Callable[[], None] | None = None) -> subprocess.CompletedProcess:
    """Run Pagefind for one shard.  A shard of listed pages reads a temporary site of
    hard links to them (same relative paths, so the same URLs), beside ``out``."""
    base = [str(binary), "--force-language", "zh"]
    if not shard.pages:
        return _pagefind(base + ["--site", str(out), "--glob", shard.glob,
                                 "--output-subdir", shard.subdir], started)
    with tempfile.TemporaryDirectory(prefix=".pagefind-", dir=out.parent) as tmp:
        for rel in shard.pages:
            (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(out / rel, Path(tmp) / rel)
        return _pagefind(base + ["--site", tmp, "--glob", "**/*.html",
                                 "--output-path", str(out / shard.subdir)], started)


def _pagefind(args: list[str], started: Callable[[], None] | None) -> subprocess.CompletedProcess:
    """Run Pagefind with ``args``, calling ``started()`` once its process runs.

    Only then: a thread started beside this one in Python (the verifier's matcher) holds
    the interpreter lock for milliseconds at a time, and the links above, one system
    call each, waited for it every time (issue 9: Pagefind started ~2 s late in a
    correction at 100,000 results)."""
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            if started:
                started()
            stdout, stderr = proc.communicate()
        except BaseException:  # as subprocess.run: it must not write on into a removed staging dir
            proc.kill()
            raise
    return subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)


# What the search page loads: the primary bundle's library, worker and WebAssembly, and
# every bundle's entry file, metadata and index/filter/fragment chunks.  Pagefind also
# writes its own ready-made user interfaces into every bundle; the site does not use
# them, and a merged bundle runs on the primary bundle's library.
_LIBRARY = ("pagefind.js", "pagefind-worker.js")


def prune_bundle(bundle: Path, primary: bool) -> None:
    """Delete the files of one bundle that the search page never loads."""
    for path in sorted(bundle.iterdir()):
        if not path.is_file() or path.name == "pagefind-entry.json" or path.suffix == ".pf_meta":
            continue
        if primary and (path.name in _LIBRARY or path.name.startswith("wasm.")):
            continue
        path.unlink()


def build_index(site, out: Path, by_year: bool = True, previous: Path | None = None,
                keys: dict | None = None, max_pages: int = 5000,
                workers: int = 1, known: dict[str, str] | None = None,
                store_root: Path | None = None, made: set[str] | None = None,
                waiting: Callable[[], None] | None = None) -> list[ShardStats]:
    """Index the rendered site at ``out``: every planned shard, primary bundle first.

    Returns each shard's statistics; raises SearchIndexError on any failed check.
    The primary bundle (whose folder holds the others) is made first, then the other
    shards on ``workers`` Pagefind processes at a time (one Pagefind uses about 1.3
    cores; issue 9).  Peak memory is that of the ``workers`` largest shards.

    ``keys`` is the mapping saved as the render manifest of ``out`` (publish.incremental):
    the source key of each bundle is written into it, and read back from the manifest
    of ``previous``.  A shard whose pages are byte for byte those of the previous
    output's same bundle is not indexed again: the previous bundle is hard-linked (its files keep their bytes and
    mtimes, so the CDN purge list stays small).  Pagefind's output depends only on its
    version, its arguments and the pages it reads, and is canonicalised (see below).
    ``known``: digests of pages not to read again (see source_key).

    ``store_root`` (publish): the year and month bundles live in the store
    (publish.store), named by their source key; the site links to them.  A bundle whose
    entry exists is linked, not indexed nor hard-linked file by file; a new one is moved
    into the store once made, and its name added to ``made``.

    ``waiting`` is called once, as soon as the first Pagefind process runs (if any).
    """
    binary = pagefind_binary()
    old_keys = load_manifest(previous)
    marked = {k[len(MARKED_PREFIX):]: v for k, v in old_keys.items() if k.startswith(MARKED_PREFIX)}
    used: dict[str, str] = {}
    shards = plan_shards(site, out, by_year, max_pages, known, _Remembered(marked, used))
    if keys is not None:
        keys.update((MARKED_PREFIX + digest, v) for digest, v in sorted(used.items()))
    nested = {s.subdir.rsplit("/", 1)[-1] for s in shards if s.subdir != BUNDLE_DIR}
    stats: dict[str, ShardStats] = {}
    todo: list[Shard] = []

    def inner(shard: Shard) -> set[str]:  # the bundles nested in this one's folder
        return nested if shard.subdir == BUNDLE_DIR else set()

    names: dict[str, str] = {}  # store entry of each year or month bundle (publish only)
    for shard in shards:
        key = source_key(binary, out, shard, known)
        unchanged = old_keys.get(KEY_PREFIX + shard.subdir) == key
        if store_root and shard.subdir != BUNDLE_DIR:
            names[shard.subdir] = store.entry_name(shard.subdir, key)
        if shard.subdir in names and store.has(store_root, names[shard.subdir]):
            store.link(out, shard.subdir, Path(store_root) / names[shard.subdir])
            reused = True
        else:
            reused = unchanged and previous and _link_bundle(Path(previous), out, shard.subdir, inner(shard))
        if reused:
            # Not measured: walking 60 reused bundles delayed Pagefind by ~0.4 s (issue 9).
            stats[shard.subdir] = ShardStats(shard, shard.expected_pages, 0, 0, 0, None, reused=True)
        else:
            todo.append(shard)
        if keys is not None:
            keys[KEY_PREFIX + shard.subdir] = key

    calls = [waiting] if waiting else []
    once = threading.Lock()

    def started() -> None:  # the first Pagefind process runs
        with once:
            if calls:
                calls.pop()()

    def run(shard: Shard) -> ShardStats:
        return run_shard(binary, out, shard, inner(shard), started)

    for shard in [s for s in todo if s.subdir == BUNDLE_DIR]:
        stats[shard.subdir] = run(shard)
    rest = [s for s in todo if s.subdir != BUNDLE_DIR]
    with ThreadPoolExecutor(max(1, workers)) as pool:  # threads wait on Pagefind processes
        for shard, result in zip(rest, pool.map(run, rest), strict=True):
            stats[shard.subdir] = result
    for subdir, name in names.items():  # bundles made or hard-linked by this run
        if not os.path.islink(out / subdir):
            store.link(out, subdir, store.adopt(store_root, name, out / subdir))
            if made is not None:
                made.add(name)
    return [stats[shard.subdir] for shard in shards]


KEY_PREFIX = "search-bundle:"  # manifest entries of bundle source keys (not page paths)
# Manifest entries: does the page with these bytes carry MARKER (named in the key, so another
# marker is never answered from this memory).
MARKED_PREFIX = f"search-marked:{MARKER.decode()}:"


class _Remembered(dict):
    """``remembered`` as a dict whose entries read or added are copied into ``used``
    (what the next run is to remember: exactly this run's pages)."""

    def __init__(self, remembered: dict, used: dict):
        super().__init__(remembered)
        self.used = used

    def __contains__(self, key) -> bool:
        found = super().__contains__(key)
        if found:
            self.used[key] = self[key]
        return found

    def __setitem__(self, key, value) -> None:
        self.used[key] = value
        super().__setitem__(key, value)
_SEARCH_CODE = Path(__file__)


def _pagefind_version() -> str:
    try:
        from importlib.metadata import version

        return version("pagefind_bin_extended")
    except Exception:  # noqa: BLE001 - an unknown version never matches a stored key
        return "unknown"


def shard_pages(out: Path, shard: Shard) -> list[str]:
    """The HTML files the shard's glob covers (the pages Pagefind reads), as site-relative
    paths in path order (strings and os.walk: pathlib took ~2 s of a correction's search
    step at 100,000 results; issue 9)."""
    if shard.pages:
        return sorted(shard.pages, key=_path_order)
    inner = shard.glob.split("/**/", 1)[0]
    tops = inner[1:-1].split(",") if inner.startswith("{") else [inner]
    return sorted((rel for top in filter(None, tops) for rel in _html_files(out, top)), key=_path_order)


def _path_order(rel: str) -> list[str]:
    return rel.split("/")


def _html_files(out: Path, top: str) -> list[str]:
    """The site-relative paths of the ``*.html`` files under ``out/top``, in path order."""
    found = []
    for folder, _dirs, files in os.walk(os.path.join(out, top)):
        rel = os.path.relpath(folder, out).replace(os.sep, "/")
        found += [f"{rel}/{name}" for name in files if name.endswith(".html")]
    return sorted(found, key=_path_order)


def source_key(binary: Path, out: Path, shard: Shard, known: dict[str, str] | None = None) -> str:
    """What a bundle is made from: Pagefind's version and arguments, this module's code,
    and the path and bytes of every page the shard's glob covers.

    ``known``: {page path: hex SHA-256 of its bytes} for pages whose bytes are known
    without reading them (pages the render hard-linked from the live release, whose
    manifest has their digests: issue 9, reading 100,000 case pages took ~10 s of every
    correction); any other page is read.
    """
    known = known or {}
    h = hashlib.sha256()
    for part in (_pagefind_version(), str(binary.name), shard.subdir, shard.glob,
                 str(shard.expected_pages)):
        h.update(str(part).encode() + b"\0")
    h.update(_SEARCH_CODE.read_bytes())
    for rel in shard_pages(out, shard):
        h.update(rel.encode() + b"\0")
        digest = known.get(rel)
        if digest:
            h.update(bytes.fromhex(digest))
        else:
            with open(os.path.join(out, rel), "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def _link_bundle(previous: Path, out: Path, subdir: str, nested: set[str]) -> bool:
    """Hard-link the bundle ``subdir`` of ``previous`` into ``out`` (without the nested
    year bundles of the primary one); False, and nothing left behind, if it cannot."""
    source = previous / subdir
    if not (source / "pagefind-entry.json").is_file():
        return False
    files = list_files(source, os.DirEntry.is_file, follow=False)  # not the linked bundles
    made: list[str] = []
    dirs: set[str] = set()
    try:
        for rel in sorted(files):
            if rel.split("/", 1)[0] in nested:
                continue
            target = os.path.join(out, subdir, rel)
            make_parent(target, dirs)
            os.link(os.path.join(source, rel), target)
            made.append(target)
    except OSError:
        for target in made:
            Path(target).unlink(missing_ok=True)
        return False
    return True
