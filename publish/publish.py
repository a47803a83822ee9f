"""``gongshi publish``: build, verify and deploy a release, one run at a time (SPEC §7).

prepare (load → validate → approval → redact → ledger/retention) → render into a
staging release (Pelican → search index → verify) → manifest, 410 markers and
purge list → rename to ``releases/<name>`` → switch ``current`` → write the
ledger → purge the CDN → prune old releases.

Nothing the public sees changes before the switch; the ledger is written only
after it (so a failed run records no publication that did not happen), and the
CDN purge follows (its failure is reported and retried, never undoes a deploy).
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import DeployFailed, GongshiError
from pipeline.load import LEDGER_NAME

from . import cache, cdn, deploy, store
from .build import (
    BuildReport,
    Prepared,
    prepare,
    render,
    timed_stage,
    write_ledger,
    write_state_files,
)
from .lock import publish_lock
from .pages import case_url
from .settings import load_settings

CACHE_DIR = ".cache"  # ROOT/.cache: build caches shared by every run (publish.cache)


class CorrectionNotApplicable(GongshiError):
    """R-CORR: the correction to apply does not exist, is not accepted, or its case is not public."""


@dataclass
class PublishResult:
    """What one publish (or rollback) did, for the CLI summary."""

    report: BuildReport | None
    release: str
    previous: str | None
    changed: list[str] = field(default_factory=list)  # site-relative URLs (incl. added)
    removed: list[str] = field(default_factory=list)
    purge: cdn.PurgeResult = field(default_factory=lambda: cdn.PurgeResult(configured=False))
    cleaned: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    duration: float = 0.0
    live_after: float = 0.0  # seconds from the start until the new release was live (the switch)
    url: str = ""  # apply-correction: the corrected page's public URL


def publish(content_dir: Path, root: Path, as_of: dt.date, settings: dict | None = None,
            progress: Callable | None = None,
            check: Callable[[Prepared], None] | None = None) -> PublishResult:
    """Build ``content_dir`` as of ``as_of`` and make it the live release under ``root``.

    ``check`` runs on the prepared site before rendering and may raise to stop.
    Raises LockBusy, ContentInvalid, LedgerBroken, LeakFound or DeployFailed; in
    every such case ROOT/current still serves the previous release.
    """
    started = time.perf_counter()
    settings = settings or load_settings()
    root = Path(root).resolve()
    warnings: list[str] = []
    with publish_lock(root, settings["LOCK_TIMEOUT"], progress):
        cleaned = deploy.clean_debris(root)
        # The caches are written by one child process once the release is live, beside
        # the pruning (publish.cache.background_writes: a fork before then made the
        # stages after it fault on every page they wrote to).
        with cache.background_writes(warnings.append, defer=True) as writers:
            # Parse and redaction caches are keyed by content hash, so one cache serves every run.
            prepared = prepare(content_dir, as_of, progress, cache_dir=root / CACHE_DIR)
            if check:
                check(prepared)
            report = prepared.report
            previous = deploy.current_release(root)
            release, changed, removed, listing = _build_release(prepared, root, previous, settings, progress)
            with timed_stage(report, "switch", progress):
                deploy.switch_current(root, release)
            live_after = time.perf_counter() - started
            report.output = release / deploy.SITE
            # The ledger and the purge first: a run killed while it waited for the cache
            # writers would leave the release live without them (review).
            with timed_stage(report, "write-ledger", progress):
                _record_ledger(content_dir, report)
            with timed_stage(report, "keep-inodes", progress):  # for the next run: see _build_release
                deploy.save_inodes(root / CACHE_DIR, release, *listing)
            result = PublishResult(report, release.name, previous.name if previous else None,
                                   changed=changed, removed=removed, cleaned=cleaned,
                                   live_after=live_after)
            with timed_stage(report, "purge", progress):
                result.purge = cdn.purge(root, cdn.read_url_file(release / cdn.PURGE_LIST),
                                         settings.get("PURGE_COMMAND"))
            writers.start()
            # Last: deleting an old release's 200,000 files takes half a minute at 100,000
            # cases, and the CDN should not serve the old page meanwhile (issue 9).
            with timed_stage(report, "prune", progress):
                result.pruned = deploy.prune_releases(root, settings["KEEP_RELEASES"])
            with timed_stage(report, "cache-wait", progress):
                writers.wait()
        report.warnings += warnings
    result.duration = time.perf_counter() - started
    return result


def _build_release(prepared: Prepared, root: Path, previous: Path | None, settings: dict,
                   progress: Callable | None) -> tuple[Path, list[str], list[str], dict[str, int]]:
    """Render and seal a release in a staging dir; returns its final path (not yet live),
    the URLs changed and removed since ``previous``, and its site's listing ({file: inode}, {folder: stamp})."""
    staging = deploy.new_staging(root)
    report = prepared.report
    try:
        live = deploy.read_manifest(previous) if previous else {}  # read once (issue 9)
        live_files = live.get("files", {})
        # Pages unchanged since the live release are hard-linked from it, and the verifier
        # takes the digests of such links from its manifest instead of reading them (issue 9).
        # Which files are such links is told by their inodes: the live release's were kept
        # by the run that made it (a walk of its 200,000 files saved), the new site's are
        # listed once, by the verifier, for the verifier and the manifest.
        kept = deploy.load_listing(root / CACHE_DIR, previous)
        known = {"previous": previous, "files": live_files, "linked": None, "inodes": None,
                 "dirs": None, "kept": kept, "digests": {},
                 # folders shared between releases, and the entries this run adds to them
                 "store": store.store_dir(root), "made": set()}
        render(prepared, staging / deploy.SITE, dict(settings, GONGSHI_RELEASE=known), progress,
               previous=previous / deploy.SITE if previous else None)
        with timed_stage(report, "release", progress):
            site = staging / deploy.SITE
            # Both found by the verifier (postbuild): nothing is written into the site after it.
            inodes, linked = known["inodes"], known["linked"] or frozenset()
            # The files the verifier read have their digests from it: read once (issue 9).
            files = deploy.hash_tree(site, previous, live_files, linked, inodes, known["digests"])
            # Never through a link to an entry an earlier run made: a kept release serves it.
            made = known["made"]
            frozen = [f for f, name in store.linked_folders(site, known["store"]).items() if name not in made]
            deploy.keep_unchanged_mtimes(site, files, previous, live_files, linked, frozen)
            deploy.write_gone_markers(staging, report.gone_urls)
            manifest = _manifest(prepared, files)
            changed, removed = cdn.diff_manifests(live, manifest)
            cdn.write_purge_list(staging, cdn.absolute_urls(sorted(set(changed) | set(removed)),
                                                            manifest["base_url"]))
            deploy.write_manifest(staging, manifest)  # last: it marks the release complete
            name = deploy.release_name(manifest["digest"])
            return deploy.finalize_release(staging, name), changed, removed, (inodes, known["dirs"])
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _manifest(prepared: Prepared, files: dict[str, str]) -> dict:
    report = prepared.report
    return {
        "format": 1,
        "as_of": report.as_of.isoformat(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "base_url": str(prepared.site.bureau.get("site", {}).get("url", "")),
        "digest": deploy.tree_digest(files),
        "gone": list(report.gone_urls),
        "withdrawn": sorted(case_url(c) for c in prepared.site.withdrawn),
        "files": files,
    }


def _record_ledger(content_dir: Path, report: BuildReport) -> None:
    """Write the ledger (creating it on the first publish) and the sections' state files,
    only after the switch succeeded."""
    path = Path(content_dir) / LEDGER_NAME
    text = report.ledger_text
    try:
        if text is not None and not (path.exists() and path.read_text(encoding="utf-8") == text):
            write_ledger(content_dir, text)
        write_state_files(content_dir, report.state_files)
    except OSError as exc:
        raise DeployFailed(
            f"the new release is live, but the ledger {path} could not be written ({exc}). "
            "Fix the permissions and publish again: the same events will be recorded then."
        ) from exc


def rollback(root: Path, settings: dict | None = None, to: str | None = None, force: bool = False,
             progress: Callable | None = None) -> PublishResult:
    """Switch ROOT/current back to the previous release (or release ``to``).

    Refuses (DeployFailed) when there is no older release, or — unless ``force`` —
    when the target would show again a case the current release withdrew or
    answers 410 for (R-WITHDRAW, R-RET5/R-RET2).  The ledger is not touched.
    """
    started = time.perf_counter()
    settings = settings or load_settings()
    root = Path(root).resolve()
    with publish_lock(root, settings["LOCK_TIMEOUT"], progress):
        cleaned = deploy.clean_debris(root)
        live = deploy.current_release(root)
        target = _rollback_target(root, live, to)
        old, new = deploy.read_manifest(live), deploy.read_manifest(target)
        back = resurrected(old, new)
        if back and not force:
            raise DeployFailed(
                f"rolling back to {target.name} would show again {len(back)} withdrawn or expired "
                f"page(s), e.g. {back[0]}. Publish a fix instead, or pass --force if that is intended."
            )
        deploy.switch_current(root, target)
        result = PublishResult(None, target.name, live.name, cleaned=cleaned)
        result.changed, result.removed = cdn.diff_manifests(old, new)
        urls = cdn.absolute_urls(sorted(set(result.changed) | set(result.removed)), new.get("base_url", ""))
        result.purge = cdn.purge(root, urls, settings.get("PURGE_COMMAND"))
    result.duration = time.perf_counter() - started
    return result


def _rollback_target(root: Path, live: Path | None, to: str | None) -> Path:
    if live is None:
        raise DeployFailed(f"nothing to roll back: {root / deploy.CURRENT} does not exist yet")
    if to:
        target = deploy.releases_dir(root) / to
        if target not in deploy.list_releases(root):
            names = ", ".join(r.name for r in deploy.list_releases(root))
            raise DeployFailed(f"no complete release named {to!r}; releases: {names}")
        return target
    target = deploy.previous_release(root)
    if target is None:
        raise DeployFailed(f"no release older than {live.name} is kept under {root / deploy.RELEASES}")
    return target


def resurrected(current: dict, target: dict) -> list[str]:
    """URLs ``current`` answers 410 for or shows only as a withdrawal notice that
    ``target`` would serve as a full case page (from the two manifests)."""
    hidden = set(current.get("gone", [])) | set(current.get("withdrawn", []))
    served = {cdn.page_url(p) for p in target.get("files", {})}
    return sorted(u for u in hidden & served if u not in set(target.get("withdrawn", [])))


def apply_correction(content_dir: Path, root: Path, correction_id: str, as_of: dt.date,
                     settings: dict | None = None, progress: Callable | None = None) -> PublishResult:
    """R-CORR (002 第十七条 "及时予以更正"): publish an accepted correction now.

    The correction must already be reflected in the case file, with
    ``corrections/<id>.yaml`` saying ``decision: accepted``.  Raises
    CorrectionNotApplicable when it is missing, not accepted, or its case is not
    public; otherwise runs the same path as :func:`publish`.
    """
    found: dict = {}

    def check(prepared: Prepared) -> None:
        base = str(prepared.site.bureau.get("site", {}).get("url", ""))
        found["url"] = cdn.absolute_urls([_check_correction(prepared, correction_id)], base)[0]

    result = publish(content_dir, root, as_of, settings, progress, check)
    result.url = found["url"]
    return result


def _check_correction(prepared: Prepared, correction_id: str) -> str:
    """The site-relative URL of the corrected case; raises CorrectionNotApplicable."""
    corrections = {c.id: c for c in prepared.content.corrections}
    corr = corrections.get(correction_id)
    if corr is None:
        known = ", ".join(sorted(corrections)) or "none"
        raise CorrectionNotApplicable(
            f"no correction {correction_id!r} in corrections/ (known: {known})")
    if corr.decision != "accepted":
        raise CorrectionNotApplicable(
            f"correction {corr.id} ({corr.source}) has decision {corr.decision!r}; only an "
            "accepted correction is applied. Set decision: accepted and decided_on first.")
    live = {c.id: c for c in prepared.site.cases}
    if corr.case not in live:
        raise CorrectionNotApplicable(
            f"correction {corr.id}: case {corr.case} is not on the public site (held back, "
            "withdrawn or expired); nothing to publish.")
    source = next(c for c in prepared.content.cases if c.id == corr.case)
    stale = [ch.get("field") for ch in corr.changes if not _reflected(source, ch)]
    if stale:
        raise CorrectionNotApplicable(
            f"correction {corr.id}: the case file {source.source} does not carry the corrected "
            f"value of {', '.join(stale)} yet. Edit the case file first, then apply again.")
    return case_url(live[corr.case])


def _reflected(case, change: dict) -> bool:
    """Whether the case's field already holds the change's ``new`` value (scalars only)."""
    value = case
    for part in str(change.get("field", "")).split("."):
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    if value is None or isinstance(value, (tuple, list, dict)):
        return True  # lists and private fields: nothing to compare reliably

    def norm(text) -> str:
        return " ".join(str(text).split())

    return norm(value) == norm(change.get("new", ""))


def format_result(result: PublishResult) -> str:
    """The lines a publish/rollback adds after the build summary: release, URLs, purge, time."""
    lines = [f"release: {result.release} is live (previous: {result.previous or 'none'})"]
    lines.append(f"changed URLs: {len(result.changed)}, removed: {len(result.removed)}")
    lines += [f"  ~ {u or '/'}" for u in result.changed[:20]]
    lines += [f"  - {u or '/'}" for u in result.removed[:20]]
    shown = min(len(result.changed), 20) + min(len(result.removed), 20)
    if len(result.changed) + len(result.removed) > shown:
        lines.append(f"  … and {len(result.changed) + len(result.removed) - shown} more "
                     f"(full list: releases/{result.release}/{cdn.PURGE_LIST})")
    if result.cleaned:
        lines.append("cleaned debris of earlier runs: " + ", ".join(result.cleaned))
    if result.pruned:
        lines.append(f"removed old releases: {', '.join(result.pruned)}")
    lines.append(_purge_line(result.purge))
    live = f" (live after {result.live_after:.1f}s)" if result.live_after else ""
    lines.append(f"duration: {result.duration:.1f}s{live}")
    return "\n".join(lines)


def _purge_line(purge: cdn.PurgeResult) -> str:
    if not purge.configured:
        return "CDN purge: not configured (PURGE_COMMAND)"
    if purge.ok:
        return f"CDN purge: {len(purge.urls)} URL(s) purged"
    return (f"warning: CDN purge failed ({purge.error}); {cdn.PENDING} keeps the URLs and the "
            "next run retries them. The deploy itself succeeded.")
