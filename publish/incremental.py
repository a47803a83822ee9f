"""Render only what changed, on every core (issue 9).

Each page gets a fingerprint: the hash of its template sources, the code that renders
it, and its context.  A page whose fingerprint equals the one recorded for the previous
output is hard-linked from there (same bytes, same mtime, so the CDN purge list stays
small); the others are rendered by Pelican, split across worker processes.  The result
is byte-identical to a full build: a reused file is the very file a full build wrote
for the same fingerprint.

The fingerprints live beside the output directory (``.<name>.render.json``), never in
the served tree.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import multiprocessing
import os
from pathlib import Path

from . import store
from .pages import Page
from .settings import PROJECT_ROOT

# Code whose change must re-render every page, besides the theme's templates.
RENDER_CODE = ("publish/filters.py", "publish/flowchart.py", "publish/pelican_plugin.py",
               "pelican.conf.py")
# Libraries whose version can change what a template renders to, and the settings the
# templates read (a deployment's --config may set them).  A page rendered under other
# ones is not reused, nor is a store entry made from such pages linked (publish.store).
RENDER_LIBRARIES = ("pelican", "jinja2", "markupsafe", "markdown", "nh3")
RENDER_SETTINGS = ("SITEURL",)


def manifest_path(output_dir: Path) -> Path:
    """Where the fingerprints of ``output_dir`` are kept (outside the served tree)."""
    output_dir = Path(output_dir)
    return output_dir.parent / f".{output_dir.name}.render.json"


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def template_fingerprints(theme: Path) -> tuple[str, dict[str, bool]]:
    """(fingerprint of all templates + render code, {template: uses as_of}).

    A template that never mentions ``as_of`` (nor do base.html and _macros.html) does
    not change when only the build date changes.
    """
    templates = sorted((Path(theme) / "templates").glob("*.html"))
    sources = {p.stem: p.read_text(encoding="utf-8") for p in templates}
    code = [(PROJECT_ROOT / rel).read_bytes() for rel in RENDER_CODE if (PROJECT_ROOT / rel).exists()]
    versions = [f"{name}=={importlib.metadata.version(name)}" for name in RENDER_LIBRARIES]
    fingerprint = _digest(*(f"{k}\n{v}" for k, v in sorted(sources.items())), *code, *versions)
    common = "as_of" in sources.get("base", "") + sources.get("_macros", "")
    return fingerprint, {name: common or "as_of" in src for name, src in sources.items()}


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _context_text(value, memo: dict[int, tuple[object, str]]) -> str:
    """``repr(value)``, except that a dataclass instance (a case, shown on its own page and
    on several list pages) stands as the hash of its repr.

    Lists, tuples and dicts are walked so the records inside them are found; anything else
    is its repr.  Each record or container is done once per object (``memo``: id -> (the
    object, its text)), since pages share them (a 执法事项 row on each of its cases' pages).
    Equal contexts give equal texts, different ones different texts.
    """
    kind = type(value)
    if kind in _SCALARS:
        return repr(value)
    known = memo.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    if kind is list or kind is tuple:
        inner = ", ".join([_context_text(v, memo) for v in value])
        text = f"[{inner}]" if kind is list else f"({inner},)"
    elif kind is dict:
        text = "{" + ", ".join([f"{k!r}: {_context_text(v, memo)}" for k, v in value.items()]) + "}"
    elif hasattr(kind, "__dataclass_fields__"):
        text = f"<{kind.__name__} {_digest(repr(value))}>"
    else:
        return repr(value)
    memo[id(value)] = (value, text)
    return text


def page_fingerprints(pages: list[Page], shared: dict, theme: Path,
                      known: dict[int, tuple[object, str]] | None = None,
                      settings: dict | None = None) -> dict[str, str]:
    """{output path: fingerprint} for every page.

    ``known``: {id(obj): (obj, text)} of records whose content a text already names
    (redacted cases by their redaction cache key: publish.redaction.CaseCaches); they
    stand as that text instead of the hash of their repr.  ``settings``: the run's
    (RENDER_SETTINGS of it count).
    """
    code_fp, uses_as_of = template_fingerprints(theme)
    stable = {k: v for k, v in shared.items() if k != "as_of"}
    stable.update({f"setting:{k}": (settings or {}).get(k) for k in RENDER_SETTINGS})
    base = _digest(code_fp, repr(sorted(stable.items())))
    dated = _digest(base, repr(shared.get("as_of")))
    memo: dict[int, tuple[object, str]] = dict(known or {})
    return {
        page.path: _digest(dated if uses_as_of.get(page.template, True) else base, page.template,
                           *(f"{k!r}: {_context_text(v, memo)}" for k, v in page.context.items()))
        for page in pages
    }


def load_manifest(output_dir: Path | None) -> dict[str, str]:
    """The fingerprints recorded for ``output_dir``; {} when there are none or they are unreadable."""
    if output_dir is None or not Path(output_dir).is_dir():
        return {}
    try:
        return json.loads(manifest_path(output_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def make_parent(path: str, made: set[str]) -> None:
    """Create the directory ``path`` goes in, unless ``made`` (the directories made so far
    by the caller) has it: one mkdir per directory, not per file (issue 9)."""
    parent = os.path.dirname(path)
    if parent in made:
        return
    try:  # one system call where os.makedirs makes three (at 100,000 case directories: 4 s)
        os.mkdir(parent)
    except FileNotFoundError:
        make_parent(parent, made)
        os.mkdir(parent)
    except FileExistsError:
        if not os.path.isdir(parent):
            raise
    made.add(parent)


def reuse_unchanged(pages: list[Page], fingerprints: dict[str, str], previous: Path | None,
                    staging: Path, old: dict[str, str] | None = None) -> list[Page]:
    """Hard-link every unchanged page from ``previous`` into ``staging``; return the rest.
    ``old``: load_manifest(previous), when the caller has it."""
    old = load_manifest(previous) if old is None else old
    todo = []
    made: set[str] = set()
    for page in pages:
        if previous and old.get(page.path) == fingerprints[page.path]:
            target = os.path.join(staging, page.path)
            make_parent(target, made)
            try:
                os.link(os.path.join(previous, page.path), target)
                continue
            except OSError:
                pass  # missing there, or another file system: render it instead
        todo.append(page)
    return todo


def store_folder(path: str) -> str | None:
    """The folder of the page ``path`` that releases share through the store
    (publish.store): the year of a case page ('cases/2024'); None for other pages."""
    if not path.startswith("cases/"):
        return None
    parts = path.split("/", 2)
    return f"cases/{parts[1]}" if len(parts) == 3 else None


def share_folders(pages: list[Page], fingerprints: dict[str, str], store_root: Path,
                  staging: Path) -> tuple[list[Page], dict[str, str]]:
    """Link each store folder of ``staging`` (a year of case pages) to its store entry.

    An entry is named by the paths and fingerprints of all its pages, so an entry the
    store has already holds exactly the bytes these pages render to: its pages are
    neither linked nor rendered.  Any other folder gets an empty ``.build-`` entry to be
    filled through the link (by reuse_unchanged and Pelican) and sealed afterwards.
    Returns the pages still to make and {folder: entry name} of the entries to seal.
    """
    folders: dict[str, list[str]] = {}
    for page in pages:
        folder = store_folder(page.path)
        if folder:
            folders.setdefault(folder, []).append(page.path)
    done: set[str] = set()
    building: dict[str, str] = {}
    for folder, paths in sorted(folders.items()):
        name = store.entry_name(folder, _digest(*(f"{p}\n{fingerprints[p]}" for p in sorted(paths))))
        if store.has(store_root, name):
            store.link(staging, folder, Path(store_root) / name)
            done.add(folder)
        else:
            store.link(staging, folder, store.start(store_root, name))
            building[folder] = name
    return [page for page in pages if store_folder(page.path) not in done], building


def save_manifest(output_dir: Path, fingerprints: dict[str, str]) -> None:
    """Record the fingerprints of a finished output directory (atomic replace)."""
    path = manifest_path(output_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(fingerprints, sort_keys=True, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)


def run_parallel(render_chunk, pages: list[Page], workers: int, min_per_worker: int = 500) -> None:
    """Call ``render_chunk(chunk, first)`` over ``workers`` forked processes.

    ``first`` is True for exactly one chunk (it also copies the theme's static files).
    Small jobs run in this process.  A failing worker fails the whole render.
    """
    workers = max(1, min(workers, len(pages) // min_per_worker))
    if workers == 1:
        render_chunk(pages, True)
        return
    ctx = multiprocessing.get_context("fork")
    chunks = [pages[i::workers] for i in range(workers)]
    procs = [ctx.Process(target=_child, args=(render_chunk, chunk, i == 0))
             for i, chunk in enumerate(chunks)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"page rendering failed in {len(failed)} worker process(es)")


def _child(render_chunk, chunk, first) -> None:  # pragma: no cover - runs in a fork
    try:
        render_chunk(chunk, first)
    except BaseException:
        import traceback

        traceback.print_exc()
        os._exit(1)
    os._exit(0)
