"""Build caches kept beside the output (never in the served tree, never in content/).

A cache maps a content hash to a result that depends only on that content (a parsed
case file, a redaction result), so a stale entry can never be used: changed input
has a different key.  Each run saves only the entries it used, so a cache never
grows past the size of the content.  A missing or unreadable cache is an empty one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import zlib
from pathlib import Path

from pipeline.ledger import Event, parse_ledger, verified_text

from . import heap
from .settings import PROJECT_ROOT

# Bump when the shape of cached values changes.
CACHE_VERSION = 1
SHARDS = 64  # files of a content-keyed cache (see Cache)
# A change to any of these files invalidates the cached validated cases.
VALIDATION_CODE = ("pipeline/load.py", "pipeline/yaml_safe.py", "pipeline/validate.py",
                   "pipeline/validate_fields.py", "pipeline/catalogue.py", "pipeline/values.py",
                   "pipeline/model.py")


def code_version(files) -> str:
    """sha256 of the project files ``files`` (paths relative to the project root)."""
    h = hashlib.sha256()
    for rel in files:
        h.update((PROJECT_ROOT / rel).read_bytes())
    return h.hexdigest()


def cache_dir_for(output_dir: Path) -> Path:
    """The cache directory of an output directory: ``.<name>.cache`` beside it."""
    output_dir = Path(output_dir).resolve()
    return output_dir.parent / f".{output_dir.name}.cache"


def _load_pickle(path: Path, settle: bool = True):
    """The unpickled contents of ``path``, with the cycle collector paused.

    It rescanned every object unpickled so far, doubling the time to read 100,000 cases,
    and then walked them all once more through its young generations (issue 9).  The
    new objects skip them instead (publish.heap.settle); cached values hold no
    reference cycles, so nothing is missed.  ``settle=False``: a read on a thread beside
    a stage (see publish.heap.paused)."""
    with heap.paused(settle), path.open("rb") as f:
        return pickle.load(f)


class _Writers:
    """The cache writers a :func:`background_writes` block left running, and with
    ``defer`` the saves it holds back for one writer."""

    def __init__(self, warn, defer: bool = False):
        self.running: list[tuple[int, dict]] = []  # (pid, {path: inode before}) per writer
        self.warn = warn
        self.problems: list[str] = []
        self.defer = defer
        self.held: dict[Path, object] = {}  # path -> what to write there (deferred saves)

    def start(self) -> None:
        """Start one writer for the saves held back so far (none held: nothing to do)."""
        if self.held:
            files, self.held = self.held, {}
            self.running.append(_fork_writer(files))

    def wait(self) -> None:
        """Start the held saves, then wait for every writer started so far; a failed one
        is passed to ``warn``."""
        self.start()
        running, self.running = self.running, []
        for writer in running:
            try:
                _reap(writer)
            except OSError as exc:
                self.problems.append(str(exc))
                if self.warn:
                    self.warn(str(exc))


_WRITERS: _Writers | None = None  # the innermost background_writes block's


def detach() -> None:
    """In a forked child that saves caches: the writers and held saves of the process it
    was forked from are not its own; its saves write and wait (OSError if one fails)."""
    global _WRITERS
    _WRITERS = None


def _dump_elsewhere(files: dict[Path, object]) -> None:
    """Pickle each object of ``files`` to its path (written beside it, then renamed into
    place) in a forked child process, and wait for it — or, inside
    :func:`background_writes`, let it run on while this process goes on, or hold the
    save back for the block's one writer (``defer``).

    Pickling a str makes CPython keep a UTF-8 copy of it inside the string object for
    its whole life: a cache of 100,000 cases' texts dumped here would add more than the
    texts themselves to this process (issue 9).  The child's copies die with it.
    """
    if _WRITERS is not None and _WRITERS.defer:
        _WRITERS.held.update(files)
        return
    writer = _fork_writer(files)
    if _WRITERS is not None:
        _WRITERS.running.append(writer)
    else:
        _reap(writer)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def _fork_writer(files: dict[Path, object]) -> tuple[int, dict[Path, int | None]]:
    """(pid, {path: its inode before}) of a forked child that writes ``files`` (see
    _dump_elsewhere); a file it wrote has a new inode (it is renamed into place)."""
    before = {path: _inode(path) for path in files}
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the fork
        failed = True
        try:
            failed = False
            for path, obj in files.items():
                tmp = path.with_suffix(".tmp")
                try:
                    tmp.parent.mkdir(parents=True, exist_ok=True)  # none yet, or deleted meanwhile
                    with tmp.open("wb") as f:
                        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
                    os.replace(tmp, path)
                except Exception:  # noqa: BLE001 - the others are still written
                    failed = True
        finally:  # interrupted (Ctrl-C): failed
            os._exit(1 if failed else 0)
    return pid, before


def _reap(writer: tuple[int, dict[Path, int | None]]) -> None:
    """Wait for a writer; raises OSError naming the files it did not write (their
    temporary files removed) if it failed."""
    pid, before = writer
    _, status = os.waitpid(pid, 0)
    if status != 0:
        failed = [path for path, inode in before.items() if inode == _inode(path)]
        for path in before:
            with contextlib.suppress(OSError):
                path.with_suffix(".tmp").unlink(missing_ok=True)
        raise OSError(f"could not write the build cache {', '.join(map(str, failed))} (exit status "
                      f"{os.waitstatus_to_exitcode(status)}); check free disk space, or delete the "
                      ".cache folder and build again")


@contextlib.contextmanager
def background_writes(warn=None, defer: bool = False):
    """Inside this block a cache save does not wait for its writer process: the build goes
    on while the child pickles (a one-case correction at 100,000 results waited ~2.5 s
    for them before its release went live; issue 9).  Each child writes a file's other
    name and renames it, so a reader sees the old file or the new one.

    ``defer``: the saves are held back (a later save of a file replaces an earlier one)
    and written by one child, started by ``.start()`` or ``.wait()`` or when the block
    ends.  Every fork of this process marks its whole heap copy-on-write, and it then
    took a page fault for each page it wrote to: at 100,000 results a correction's six
    writers cost ~640,000 faults, ~2 s, in the stages before its release went live.

    Yields the writers; ``.wait()`` waits for those started so far.  The block waits for
    the rest when it ends, however it ends.  A writer that failed is passed to ``warn``
    (a message) — a cache only saves time, and the release it would have sped up is live
    by then — or, without ``warn``, raises OSError at the end of the block (unless the
    block is ending on an exception of its own).  An inner block waits for its own
    writers only."""
    global _WRITERS
    outer, _WRITERS = _WRITERS, _Writers(warn, defer)
    writers = _WRITERS
    try:
        yield writers
    except BaseException:
        writers.warn = writers.warn or (lambda message: None)
        raise
    finally:
        _WRITERS = outer
        writers.wait()
    if writers.problems and warn is None:
        raise OSError(writers.problems[0])


def _shard(key, shards: int) -> int:
    """Which of ``shards`` files holds ``key`` (a content hash: its first byte decides)."""
    if isinstance(key, bytes) and key:
        return key[0] % shards
    return zlib.crc32(repr(key).encode("utf-8")) % shards


class Cache:
    """A named cache of {key: value} in pickle files; ``save`` keeps the entries a run used.

    With ``shards`` > 1 (content-keyed caches only: every key a content hash) the entries
    are spread over that many files ``<name>/<nn>.pickle`` by key, and a save rewrites only
    the files whose keys changed: a one-case correction at 100,000 cases rewrote ~1 GB of
    pickles (issue 9).  Any one file may be missing or unreadable: its entries are then
    computed again.  Otherwise the cache is one file ``<name>.pickle``, replaced whole.
    """

    def __init__(self, directory: Path | None, name: str, salt: str = "", shards: int = 1,
                 settle: bool = True):
        """``settle``: see _load_pickle."""
        self.shards = shards
        self.salt = f"{CACHE_VERSION}:{salt}"
        self.data: dict = {}
        self._keys: dict[Path, set] = {}  # each file read → the keys it held
        # The one-file form of a sharded cache (before issue 9's shards): read once, then removed.
        self._legacy = Path(directory) / f"{name}.pickle" if directory and shards > 1 else None
        if not directory:
            self.files = []
        elif shards > 1:
            self.files = [Path(directory) / name / f"{i:02x}.pickle" for i in range(shards)]
        else:
            self.files = [Path(directory) / f"{name}.pickle"]
        legacy = [self._legacy] if self._legacy else []
        for path in self.files if any(p.exists() for p in self.files) else legacy:
            if not path.exists():
                continue
            try:
                salt_read, data = _load_pickle(path, settle)
            except (OSError, EOFError, pickle.PickleError, ValueError, TypeError, AttributeError):
                continue
            if salt_read == self.salt:
                self.data.update(data)
                self._keys[path] = set(data)

    def save(self, entries: dict, content_keyed: bool = False) -> None:
        """Keep exactly ``entries``; no-op without a directory.

        ``content_keyed``: each key names its value's content (a content hash), so a file
        that would hold exactly the keys read from it would not change, and is left alone
        (issue 9: a no-change build rewrote hundreds of MB).  Required with shards.
        """
        if not self.files:
            return
        if self.shards > 1 and not content_keyed:
            raise ValueError("a sharded cache must be content-keyed: its files are written apart")
        parts: dict[Path, dict] = {path: {} for path in self.files}
        for key, value in entries.items():
            parts[self.files[_shard(key, self.shards)]][key] = value
        # A file is left alone when it was read and holds these keys, or has none to hold.
        dirty = {path: (self.salt, part) for path, part in parts.items()
                 if not (content_keyed and part.keys() == self._keys.get(path, set())
                         and (path in self._keys or not part and not path.exists()))}
        if dirty:
            _dump_elsewhere(dirty)  # the writer makes the folder
        if self._legacy:
            self._legacy.unlink(missing_ok=True)


class TrackingDict(dict):
    """A dict that remembers which keys were read or written, to save only those."""

    def __init__(self, data: dict):
        super().__init__(data)
        self.used: set = set()

    def __contains__(self, key) -> bool:
        found = super().__contains__(key)
        if found:
            self.used.add(key)
        return found

    def __setitem__(self, key, value) -> None:
        self.used.add(key)
        super().__setitem__(key, value)

    def used_entries(self) -> dict:
        return {k: dict.__getitem__(self, k) for k in self.used}


def parse_ledger_cached(text: str, cache_dir: Path | None, source: str = "ledger.jsonl") -> list[Event]:
    """``pipeline.ledger.parse_ledger(text)``, re-verifying only what was added since the
    last verified text recorded in ``cache_dir`` (``ledger.pickle``).

    The record is that text's length, sha256 and events; it is used only if ``text``
    starts with exactly those characters, so an edited, deleted or moved old line is
    found as before.  Raises LedgerBroken like parse_ledger.
    """
    cache = Cache(cache_dir, "ledger", code_version(["pipeline/ledger_chain.py"]))
    known = next(iter(cache.data.values()), None)  # {digest: Verified}, one entry
    events = parse_ledger(text, source, verified=known)
    latest = verified_text(text, events)
    if latest:
        cache.save({latest.digest: latest}, content_keyed=True)
    return events
