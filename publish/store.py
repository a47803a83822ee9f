"""Folders that releases share: ROOT/store (issue 9).

A release is a whole tree, but most of it does not change between two runs: a correction
touches one year of case pages and one search bundle.  Making 100,000 case folders of hard
links for every release took ~20 s at 100,000 results, and deleting them again as long.
So the big folders that are each made from a known set of inputs — one year of case pages
(``cases/2024``), one year's or month's search bundle (``pagefind/2024-05``) — live once in
the store, under a name made from what they were built from, and a release's site holds a
relative symlink to each:

    ROOT/store/cases-2024-<hash>/             the year's case folders, as rendered
    ROOT/releases/<name>/site/cases/2024 -> ../../../../store/cases-2024-<hash>

Rules that keep this as safe as a tree of hard links:
- An entry is complete before it has its name: a folder is built as ``.build-<name>`` and
  renamed once every file is in it (or made elsewhere and renamed in whole).  Nothing
  writes into a named entry, so one name always holds the same bytes.  (The run that made
  an entry gives its unchanged files the live release's mtimes before any release serves
  it; entries made earlier are left alone: deploy.keep_unchanged_mtimes' ``frozen``.)
- Pruning unnames an entry (back to ``.build-<name>``) before deleting it, so a run
  killed mid-delete never leaves a half entry under a name a later run would link.
- A run that fails leaves only ``.build-*`` folders and entries no release links to; the
  next run removes the first (clean_debris) and every pruning run the second (collect).
- An entry stays while any release under ``releases/`` links to it, so a rollback target
  is always whole.  The links are the record: nothing else says which entries are used.
- The verifier, the manifest and nginx read through the links: the served tree is the
  same as before, file for file (publish.deploy.list_files follows folder links).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

STORE = "store"
BUILD_PREFIX = ".build-"


def store_dir(root: Path) -> Path:
    """ROOT/store (not created here)."""
    return Path(root) / STORE


def entry_name(folder: str, key: str) -> str:
    """The store name of ``folder`` (site-relative, e.g. 'cases/2024') built from ``key``."""
    return f"{folder.strip('/').replace('/', '-')}-{key[:32]}"


def has(store: Path, name: str) -> bool:
    """Whether the complete entry ``name`` is in the store."""
    return os.path.isdir(os.path.join(store, name))


def link(site: Path, folder: str, target: Path) -> None:
    """Make ``site/folder`` a relative symlink to ``target`` (replacing a link there)."""
    path = Path(site) / folder
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.link-{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(os.path.relpath(target, path.parent), target_is_directory=True)
    os.replace(tmp, path)  # a link already there is replaced, never the folder it points to


def start(store: Path, name: str) -> Path:
    """An empty ``.build-<name>`` folder to build the entry in (a leftover one is removed)."""
    path = Path(store) / f"{BUILD_PREFIX}{name}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def seal(store: Path, name: str, site: Path, folder: str) -> None:
    """Give the built ``.build-<name>`` its name and point ``site/folder`` at it."""
    adopt(store, name, Path(store) / f"{BUILD_PREFIX}{name}")
    link(site, folder, Path(store) / name)


def adopt(store: Path, name: str, complete: Path) -> Path:
    """Move the complete folder ``complete`` (same file system) into the store as ``name``;
    if the entry exists already it holds the same bytes, and ``complete`` is removed."""
    target = Path(store) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(complete, target)
    except OSError:
        if not target.is_dir():
            raise
        shutil.rmtree(complete)
    return target


def discard(store: Path, names: list[str]) -> None:
    """Remove the ``.build-*`` folders of ``names`` (a failed run's)."""
    for name in names:
        shutil.rmtree(Path(store) / f"{BUILD_PREFIX}{name}", ignore_errors=True)


def clean_builds(store: Path) -> list[str]:
    """Remove every ``.build-*`` folder (runs that died); returns the names removed."""
    removed = []
    if Path(store).is_dir():
        for path in sorted(Path(store).glob(f"{BUILD_PREFIX}*")):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(f"{STORE}/{path.name}")
    return removed


def linked_folders(site: Path, store: Path) -> dict[str, str]:
    """{site-relative folder: store entry} of the links in ``site`` one or two levels down
    (the shared folders are ``cases/<year>`` and ``pagefind/<bundle>``) into ``store``."""
    store = os.path.realpath(store)
    folders: dict[str, str] = {}
    for top in _scan(site):
        if top.is_symlink():
            candidates = [(top.name, top)]
        elif top.is_dir():
            candidates = [(f"{top.name}/{e.name}", e) for e in _scan(top.path) if e.is_symlink()]
        else:
            continue
        for folder, entry in candidates:
            target = os.path.realpath(entry.path)
            if os.path.dirname(target) == store:
                folders[folder] = os.path.basename(target)
    return folders


def linked_names(site: Path, store: Path) -> set[str]:
    """The store entries ``site`` links to."""
    return set(linked_folders(site, store).values())


def collect(root: Path, sites: list[Path]) -> list[str]:
    """Delete the store entries none of ``sites`` links to; returns their names.

    ``sites``: the site folder of every release kept (any release dir, complete or not).
    """
    store = store_dir(root)
    if not store.is_dir():
        return []
    used: set[str] = set()
    for site in sites:
        used |= linked_names(site, store)
    removed = []
    for entry in sorted(_scan(store), key=lambda e: e.name):
        if entry.name not in used and entry.is_dir(follow_symlinks=False):
            # Unnamed first: a run killed while deleting leaves a .build- folder (removed
            # by the next run), never a half entry that a later run would link.
            doomed = entry.path
            if not entry.name.startswith(BUILD_PREFIX):
                doomed = os.path.join(store, BUILD_PREFIX + entry.name)
                shutil.rmtree(doomed, ignore_errors=True)
                os.rename(entry.path, doomed)
            shutil.rmtree(doomed)
            removed.append(entry.name)
    return removed


def _scan(path) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []
