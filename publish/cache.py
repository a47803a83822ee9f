"""Build caches kept beside the output (never in the served tree, never in content/).

A cache maps a content hash to a result that depends only on that content (a parsed
case file, a redaction result), so a stale entry can never be used: changed input
has a different key.  Each run saves only the entries it used, so a cache never
grows past the size of the content.  A missing or unreadable cache is an empty one.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
from pathlib import Path

from pipeline.ledger import Event, parse_ledger, verified_text

from .settings import PROJECT_ROOT

# Bump when the shape of cached values changes.
CACHE_VERSION = 1
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


def _load_pickle(path: Path):
    """The unpickled contents of ``path``, with the cycle collector paused.

    It rescanned every object unpickled so far, doubling the time to read 100,000 cases,
    and then walked them all once more through its young generations (issue 9).  The
    new objects go straight to the oldest generation instead (freeze, then unfreeze);
    cached values hold no reference cycles, so nothing is missed."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    finally:
        gc.freeze()
        gc.unfreeze()
        if collecting:
            gc.enable()


def _dump_elsewhere(path: Path, obj) -> None:
    """Pickle ``obj`` to ``path`` in a forked child process.

    Pickling a str makes CPython keep a UTF-8 copy of it inside the string object for
    its whole life: a cache of 100,000 cases' texts dumped here would add more than the
    texts themselves to this process (issue 9).  The child's copies die with it.
    """
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the fork
        code = 1
        try:
            with path.open("wb") as f:
                pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        path.unlink(missing_ok=True)
        raise OSError(f"could not write the build cache {path} (exit status {status}); "
                      "check free disk space, or delete the .cache folder and build again")


class Cache:
    """One named pickle file of {key: value}; ``used`` collects the keys a run needed."""

    def __init__(self, directory: Path | None, name: str, salt: str = ""):
        self.path = Path(directory) / f"{name}.pickle" if directory else None
        self.salt = f"{CACHE_VERSION}:{salt}"
        self.data: dict = {}
        if self.path and self.path.exists():
            try:
                salt_read, data = _load_pickle(self.path)
                if salt_read == self.salt:
                    self.data = data
            except (OSError, EOFError, pickle.PickleError, ValueError, TypeError, AttributeError):
                self.data = {}

    def save(self, entries: dict, content_keyed: bool = False) -> None:
        """Replace the cache file with ``entries`` (atomic); no-op without a directory.

        ``content_keyed``: each key names its value's content (a content hash), so when
        ``entries`` has exactly the keys read from the file, the file would not change
        and is left alone (issue 9: a no-change build rewrote hundreds of MB).
        """
        if not self.path or (content_keyed and entries.keys() == self.data.keys()):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        _dump_elsewhere(tmp, (self.salt, entries))
        os.replace(tmp, self.path)


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
