"""Versioned releases under ROOT/releases/ and the atomic ``current`` switch (SPEC §7).

Layout (docs/deploy.md)::

    ROOT/.lock                        publish_lock (publish/lock.py)
    ROOT/current -> releases/<name>   the live release; switched with one rename
    ROOT/purge-pending.txt            CDN purges that failed, retried next run
    ROOT/releases/.staging-*          a release being built (debris if its run died)
    ROOT/releases/<name>/site/        the served tree (nginx root)
    ROOT/releases/<name>/gone/        410 markers: <url>.410 (nginx checks them per request)
    ROOT/releases/<name>/manifest.json  every served file with its SHA-256; written last
    ROOT/releases/<name>/purge.txt    URLs changed or removed since the previous release

A release is built entirely inside a ``.staging-*`` directory, which gets its final
name by one rename once its manifest is on disk; ``current`` is replaced by
``os.replace`` of a fresh symlink.  Every step before that rename leaves the live
site untouched, and a run killed at any moment leaves only debris that
:func:`clean_debris` removes at the start of the next run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from pipeline.errors import DeployFailed

from . import store

T = TypeVar("T")

RELEASES = "releases"
CURRENT = "current"
SITE = "site"
GONE = "gone"
MANIFEST = "manifest.json"
STAGING_PREFIX = ".staging-"
TMP_LINK_PREFIX = ".current.tmp-"
GONE_SUFFIX = ".410"


def releases_dir(root: Path) -> Path:
    """ROOT/releases (not created here)."""
    return Path(root) / RELEASES


def new_staging(root: Path) -> Path:
    """Create and return an empty ``ROOT/releases/.staging-*`` directory for one run."""
    parent = releases_dir(root)
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of one file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _old_files(previous: Path | None, old_files: dict[str, str] | None) -> dict[str, str]:
    """``old_files`` if given (the caller read the manifest already), else the manifest's."""
    if old_files is not None:
        return old_files
    return read_manifest(previous).get("files", {}) if previous else {}


def list_files(root: Path, what: Callable[[os.DirEntry], T], follow: bool = True,
               skip: frozenset[str] = frozenset(), dirs: dict[str, tuple] | None = None) -> dict[str, T]:
    """{relative posix path: what(entry)} of every file under ``root``, walked with
    os.scandir: its entries know their type and inode from the directory read, so a tree
    of 200,000 files is listed in about a second (pathlib's rglob with is_file and
    relative_to took 20).  Symlinked directories (a release's folders in the store,
    publish.store) are entered as the server enters them, unless ``follow`` is False.
    ``skip``: folders (relative, no trailing slash) not entered.  ``dirs``: filled with
    {folder: (inode, ctime)} of every folder entered (one stat each; see release_listing)."""
    out: dict[str, T] = {}
    stack = [("", os.fspath(root))]
    while stack:
        prefix, path = stack.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=follow):
                    rel = prefix + entry.name
                    if skip and rel in skip:
                        continue
                    if dirs is not None:
                        dirs[rel] = _stamp(entry.stat(follow_symlinks=follow))
                    stack.append((rel + "/", entry.path))
                elif entry.is_file():
                    out[prefix + entry.name] = what(entry)
    return out


def file_inodes(site: Path) -> dict[str, int]:
    """{relative posix path: inode} of every file under ``site``: no stat per file."""
    return list_files(site, os.DirEntry.inode)


Listing = tuple[dict[str, int], dict[str, tuple[int, int]]]  # files' inodes, folders' stamps


def _stamp(st: os.stat_result) -> tuple[int, int]:
    """A folder's (inode, ctime): adding, removing or renaming anything in it changes
    its ctime, and a folder restored or copied into place has another inode."""
    return (st.st_ino, st.st_ctime_ns)


def _shared_folder(rel: str, folders: frozenset[str] | set[str]) -> str | None:
    """The folder of ``folders`` (one or two levels down) that ``rel`` is in or is."""
    top, _, rest = rel.partition("/")
    if top in folders:
        return top
    second = f"{top}/{rest.partition('/')[0]}"
    return second if second in folders else None


def _stamps_hold(site: Path, stamps: dict[str, tuple[int, int]]) -> bool:
    try:
        return all(_stamp(os.stat(os.path.join(site, rel))) == stamp for rel, stamp in stamps.items())
    except OSError:
        return False


def release_listing(site: Path, previous: Path | None, kept: Listing | None,
                    store_dir: Path | None) -> Listing:
    """({file: inode} of every file under ``site``, {folder: stamp} of every folder).

    A folder that links to the very store entry the live release ``previous`` links to
    there is not walked again when none of its folders changed since ``kept`` (that
    release's listing, kept by the run that made it) was made: one stat per folder
    instead of reading every directory.  Its files and inodes are then the kept ones.  A
    named entry is never written (publish.store), and a file added, removed or replaced
    by renaming in it — or the whole store restored — changes a folder's stamp, so such
    an entry is walked, and what changed is verified (issue 9: ~4 s of a correction's
    verify stage at 100,000 results).  A file overwritten in place keeps its inode: as
    for any hard link of a sealed release, it is not read again (see linked_files).
    """
    dirs: dict[str, tuple[int, int]] = {}
    if previous is None or kept is None or store_dir is None:
        return list_files(site, os.DirEntry.inode, dirs=dirs), dirs
    old_files, old_dirs = kept
    live = store.linked_folders(Path(previous) / SITE, store_dir)
    shared = {f for f, name in store.linked_folders(site, store_dir).items() if live.get(f) == name}
    stamps: dict[str, dict[str, tuple[int, int]]] = {}
    for rel, stamp in old_dirs.items():
        folder = _shared_folder(rel, shared)
        if folder:
            stamps.setdefault(folder, {})[rel] = stamp
    same = frozenset(f for f in shared if f in stamps.get(f, {}) and _stamps_hold(site, stamps[f]))
    files = list_files(site, os.DirEntry.inode, skip=same, dirs=dirs)
    if same:
        for rel, inode in old_files.items():
            if _shared_folder(rel, same):
                files[rel] = inode
        for folder in same:
            dirs.update(stamps[folder])
    return files, dirs


def linked_files(site: Path, previous: Path | None, inodes: dict[str, int] | None = None,
                 old_inodes: dict[str, int] | None = None) -> frozenset[str]:
    """The files of ``site`` that ARE the sealed release ``previous``'s file at the same
    path: hard links to the same inode, as unchanged pages and search bundles are.

    ``inodes``: file_inodes(site), ``old_inodes``: that of ``previous``'s site (e.g. from
    load_listing), each when the caller has it; the tree is walked otherwise.
    """
    if previous is None:
        return frozenset()
    old_site = Path(previous) / SITE
    try:
        if os.stat(site).st_dev != os.stat(old_site).st_dev:
            return frozenset()
    except OSError:
        return frozenset()
    old = file_inodes(old_site) if old_inodes is None else old_inodes
    new = file_inodes(site) if inodes is None else inodes
    return frozenset(rel for rel, inode in new.items() if old.get(rel) == inode)


# The inodes of the newest release's files, kept from the run that listed them: a sealed
# release never changes, so the next run need not walk its 200,000 files again (issue 9).
INODES_FILE = "release-inodes.pickle"


def _site_identity(release: Path) -> tuple:
    """What names one release's site directory on disk: its device, inode and ctime.  A
    release copied or restored into place has a new directory (new inode, new ctime)."""
    st = os.stat(Path(release) / SITE)
    return (Path(release).name, st.st_dev, st.st_ino, st.st_ctime_ns)


def save_inodes(cache_dir: Path, release: Path, inodes: dict[str, int],
                dirs: dict[str, tuple[int, int]] | None = None) -> None:
    """Keep ``inodes`` (file_inodes of ``release``'s site) and ``dirs`` (its folders'
    stamps, see release_listing) for the next run's load_listing.

    Best effort: the release is live when this runs, and without the file the next run
    only walks the release again; a file that cannot be written is removed instead."""
    path = Path(cache_dir) / INODES_FILE
    tmp = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            pickle.dump((_site_identity(release), inodes, dirs or {}), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        for stale in (tmp, path):
            with contextlib.suppress(OSError):
                stale.unlink()


def load_listing(cache_dir: Path, release: Path | None) -> Listing | None:
    """The listing save_inodes kept for ``release`` (inodes, folder stamps), or None when
    none was kept for this very directory (another release, a copy, an unreadable file,
    an older format): the caller walks it."""
    if release is None:
        return None
    try:
        with open(Path(cache_dir) / INODES_FILE, "rb") as fh:
            identity, inodes, dirs = pickle.load(fh)
        if identity == _site_identity(release) and isinstance(inodes, dict) and isinstance(dirs, dict):
            return inodes, dirs
    except (OSError, EOFError, pickle.PickleError, ValueError, TypeError, AttributeError):
        pass
    return None


def hash_tree(site: Path, previous: Path | None = None,
              old_files: dict[str, str] | None = None,
              linked: frozenset[str] | None = None,
              inodes: dict[str, int] | None = None,
              read: dict[str, str] | None = None) -> dict[str, str]:
    """{relative posix path: sha256} of every file under ``site``, sorted by path.

    With ``previous`` (a sealed release), a file that IS that release's file at the same
    path (see linked_files) takes its digest from that release's manifest instead of
    being read again: one inode has one content, and sealed releases are never written
    to.  ``old_files``: that manifest's ``files``; ``linked``: linked_files(site,
    previous); ``inodes``: file_inodes(site); each when the caller has them already.
    ``read``: {path: sha256} of files read since they were written (by the verifier, which
    reads what it proves): not read again.
    """
    site = Path(site)
    old = _old_files(previous, old_files)
    read = read or {}
    inodes = file_inodes(site) if inodes is None else inodes
    if linked is None:
        linked = linked_files(site, previous, inodes) if old else frozenset()
    return {rel: old[rel] if rel in linked and rel in old else read.get(rel) or file_sha256(site / rel)
            for rel in sorted(inodes)}


def tree_digest(files: dict[str, str]) -> str:
    """One hash of a whole tree (paths and contents): the content part of a release name."""
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode("utf-8")).hexdigest()


def write_gone_markers(release: Path, gone_urls: list[str]) -> None:
    """Write the 410 markers of ``gone_urls`` (site-relative, e.g. 'cases/2021/2021-0003/').

    nginx answers 410 when ``gone/<request path>.410`` exists in the *current*
    release, so the 410 list switches together with the site.  A directory URL
    gets markers for 'x/', 'x/index.html' and 'x' (the form without a slash).
    """
    gone = Path(release) / GONE
    gone.mkdir(exist_ok=True)
    for url in gone_urls:
        url = url.strip("/")
        if not url or ".." in url.split("/"):
            raise DeployFailed(f"refusing a 410 URL outside the site: {url!r}")
        if (Path(release) / SITE / url / "index.html").exists() or (Path(release) / SITE / url).is_file():
            # The marker would hide a page this release serves: the build disagrees with itself.
            raise DeployFailed(f"{url}/ is both served and listed as gone (410); not deploying")
        for rel in (f"{url}/{GONE_SUFFIX}", f"{url}/index.html{GONE_SUFFIX}", f"{url}{GONE_SUFFIX}"):
            marker = gone / rel
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_bytes(b"")


def keep_unchanged_mtimes(site: Path, files: dict[str, str], previous: Path | None,
                          old_files: dict[str, str] | None = None,
                          linked: frozenset[str] = frozenset(), frozen: Iterable[str] = ()) -> None:
    """Give files identical to the previous release that release's mtime.

    nginx derives ETag and Last-Modified from mtime and size, so an unchanged page
    keeps its validators across releases and the CDN revalidates it with a 304.
    ``old_files``, ``linked``: as for hash_tree (a linked file has that mtime already).
    ``frozen``: folders (site-relative) whose files are left alone: links to store
    entries that earlier releases serve as they are (publish.store).
    """
    if previous is None:
        return
    old = _old_files(previous, old_files)
    skip = tuple(folder.rstrip("/") + "/" for folder in frozen)
    for rel, digest in files.items():
        if old.get(rel) == digest and rel not in linked and not rel.startswith(skip):
            stat = (previous / SITE / rel).stat()
            os.utime(Path(site) / rel, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def write_manifest(staging: Path, manifest: dict) -> None:
    """Write ``manifest.json`` into the staging release, durably (the completeness mark)."""
    path = Path(staging) / MANIFEST
    tmp = path.with_name(MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_manifest(release: Path) -> dict:
    """The manifest of a release, or {} when it has none (an incomplete release)."""
    try:
        return json.loads((Path(release) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def release_name(digest: str, now: dt.datetime | None = None) -> str:
    """'<UTC timestamp>-<12 hex of the tree digest>'; names sort in creation order.

    The timestamp names the directory only: the site's bytes never depend on it.
    """
    now = now or dt.datetime.now(dt.UTC)
    return f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{digest[:12]}"


def finalize_release(staging: Path, name: str) -> Path:
    """Rename the complete staging dir to ``releases/<name>``; returns the new path."""
    target = Path(staging).parent / name
    if target.exists():
        raise DeployFailed(f"release {name} already exists; run publish again")
    os.chmod(staging, 0o755)
    os.rename(staging, target)
    _fsync_dir(target.parent)
    return target


def current_release(root: Path) -> Path | None:
    """The release ROOT/current points at, or None before the first publish."""
    link = Path(root) / CURRENT
    if not link.is_symlink():
        return None
    return (link.parent / os.readlink(link)).resolve()


def switch_current(root: Path, release: Path) -> None:
    """Point ROOT/current at ``release`` atomically (symlink to a temp name + rename).

    Readers see either the old or the new target, never a missing link.
    Raises DeployFailed if ``release`` is not a complete release of ``root``.
    """
    root = Path(root)
    release = Path(release)
    if release.parent.resolve() != releases_dir(root).resolve() or not (release / MANIFEST).is_file():
        raise DeployFailed(f"{release} is not a complete release under {releases_dir(root)}")
    link = root / CURRENT
    if link.exists() and not link.is_symlink():
        raise DeployFailed(f"{link} exists and is not a symlink; move it away and publish again")
    tmp = root / f"{TMP_LINK_PREFIX}{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(f"{RELEASES}/{release.name}", tmp)  # relative: ROOT can be moved
    os.replace(tmp, link)
    _fsync_dir(root)


def list_releases(root: Path) -> list[Path]:
    """Complete releases (with a manifest), oldest first."""
    parent = releases_dir(root)
    if not parent.is_dir():
        return []
    return sorted(p for p in parent.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file())


def clean_debris(root: Path) -> list[str]:
    """Remove what killed or failed runs left behind; returns the names removed.

    Debris: ``releases/.staging-*`` dirs, release dirs without a manifest (never
    the current one), and temporary ``.current.tmp-*`` symlinks.  Call it only
    while holding the publish lock, so no live run's staging dir is touched.
    """
    root = Path(root)
    removed = []
    for tmp in root.glob(f"{TMP_LINK_PREFIX}*"):
        tmp.unlink()
        removed.append(tmp.name)
    parent = releases_dir(root)
    live = current_release(root)
    for path in sorted(parent.iterdir()) if parent.is_dir() else ():
        if path.resolve() == live:
            continue
        staging = path.name.startswith(STAGING_PREFIX)
        incomplete = path.is_dir() and not (path / MANIFEST).is_file()
        if staging or incomplete:
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
            removed.append(f"{RELEASES}/{path.name}")
    return removed + store.clean_builds(store.store_dir(root))


def prune_releases(root: Path, keep: int) -> list[str]:
    """Delete the oldest complete releases beyond ``keep`` (never current), then the store
    entries no release left links to; returns the names of the releases deleted."""
    keep = max(int(keep), 1)
    live = current_release(root)
    releases = list_releases(root)
    doomed = [r for r in releases[:-keep] if r.resolve() != live] if len(releases) > keep else []
    for release in doomed:
        shutil.rmtree(release)  # its links into the store go, not what they point to
    parent = releases_dir(root)
    store.collect(root, [p / SITE for p in parent.iterdir()] if parent.is_dir() else [])
    return [r.name for r in doomed]


def previous_release(root: Path) -> Path | None:
    """The newest complete release older than current (the rollback target), or None."""
    live = current_release(root)
    if live is None:
        return None
    older = [r for r in list_releases(root) if r.name < live.name]
    return older[-1] if older else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
