"""Redaction at scale: cached by content hash and spread over worker processes.

pipeline.redact and pipeline.pii are pure and per-case; this module only decides where
each case's RedactionResult and personal values (the verifier's secrets) come from:
the cache (same case, same allow-list, same redaction code ⇒ same result) or a fresh
call, on ``workers`` forked processes when there are many.  The answers are exactly
``pipeline.redact.redact_cases``'s and ``pipeline.pii.personal_values``'.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import multiprocessing
from collections.abc import Mapping
from pathlib import Path

from pipeline.ledger import public_hash
from pipeline.pii import personal_values
from pipeline.redact import RedactionResult, collect_results, redact_case

from .cache import SHARDS, Cache, TrackingDict
from .settings import PROJECT_ROOT

# A change to any of these files invalidates every cached redaction.
REDACTION_CODE = ("pipeline/redact.py", "pipeline/pii.py", "pipeline/pii_patterns.py",
                  "pipeline/model.py", "pipeline/ledger_chain.py")  # the last: public_hash
_ALLOW: frozenset = frozenset()  # shared with forked workers


def _code_version() -> str:
    h = hashlib.sha256()
    for rel in REDACTION_CODE:
        h.update((PROJECT_ROOT / rel).read_bytes())
    return h.hexdigest()


def _one(case):
    """(RedactionResult, ledger content hash of the redacted case or "" if it is held)."""
    result = redact_case(case, _ALLOW)
    return result, ("" if result.hold_reasons else public_hash(result.case))


_TASK: tuple = ()  # (func, items) of the running _map: forked workers inherit it


def _call(i: int):
    func, items = _TASK
    return func(items[i])


def _map(func, items: list, workers: int, min_parallel: int) -> list:
    """``[func(x) for x in items]``, on ``workers`` forked processes when there are many.

    The workers inherit ``items`` and are sent indexes: pickling the cases here would
    leave a UTF-8 copy of every text attached to its string in this process for the rest
    of the build (CPython caches it; issue 9, memory at 100,000 cases)."""
    global _TASK
    if workers > 1 and len(items) >= min_parallel:
        _TASK = (func, items)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                return pool.map(_call, range(len(items)), chunksize=128)
        finally:
            _TASK = ()
    return [func(item) for item in items]


class CaseCaches:
    """One build's cached per-case work: redaction results and personal values.

    Each case is hashed once (its repr: every field), however many caches ask.
    """

    def __init__(self, cache_dir: Path | None = None, workers: int = 1, min_parallel: int = 400,
                 origins: Mapping[bytes, object] | None = None, origin_version: str = ""):
        """``origins`` ({RawFile.key: the Case validation made of that file}, made by the
        validation code of version ``origin_version``) names those cases without hashing
        their repr: the same file, path and code always give the same Case."""
        self.cache_dir, self.workers, self.min_parallel = cache_dir, workers, min_parallel
        self._digests: dict[int, tuple[object, bytes]] = {  # id(case) -> (case, digest)
            id(case): (case, hashlib.sha256(f"file:{origin_version}:".encode() + key).digest())
            for key, case in (origins or {}).items()
        }
        self._public: dict[int, tuple[object, str]] = {}  # id(redacted case) -> (case, hash)
        self._identity: dict[int, tuple[object, str]] = {}  # id(redacted case) -> (case, text)

    def digest(self, case) -> bytes:
        """sha256 of ``repr(case)`` (or of its origin), computed once per case object."""
        known = self._digests.get(id(case))
        if known is None or known[0] is not case:
            known = (case, hashlib.sha256(repr(case).encode()).digest())
            self._digests[id(case)] = known
        return known[1]

    def _cached(self, name: str, func, items: list, keys: list[bytes], store=None, restore=None) -> list:
        """``[func(x) for x in items]`` with each result cached under its key in ``name``.

        ``store(result, item)`` is what is kept of a result, ``restore(kept, item)`` the result
        again (by default the result itself)."""
        kept_as = f":{store.__name__}" if store else ""  # what a kept entry is, in the salt
        cache = Cache(self.cache_dir, name, _code_version() + kept_as, shards=SHARDS)
        seen = TrackingDict(cache.data)
        missing = [i for i, key in enumerate(keys) if key not in seen]
        fresh = _map(func, [items[i] for i in missing], self.workers, self.min_parallel)
        for i, result in zip(missing, fresh, strict=True):
            seen[keys[i]] = store(result, items[i]) if store else result
        cache.save(seen.used_entries(), content_keyed=True)
        kept = [dict.__getitem__(seen, key) for key in keys]
        return [restore(k, item) for k, item in zip(kept, items, strict=True)] if restore else kept

    def redact(self, cases, allow: frozenset[str]):
        """(publishable redacted cases, holds, stats) — as pipeline.redact.redact_cases."""
        global _ALLOW
        _ALLOW = allow
        allow_key = hashlib.sha256(repr(sorted(allow)).encode()).digest()
        keys = [hashlib.sha256(allow_key + self.digest(case)).digest() for case in cases]
        pairs = self._cached("redacted", _one, list(cases), keys, _store_redacted, _restore_redacted)
        self._public.update((id(r.case), (r.case, h)) for r, h in pairs if h)
        # A redacted case is a function of its cache key and the redaction code: that names it.
        salt = _code_version()
        self._identity.update((id(r.case), (r.case, f"<Case redacted {salt} {key.hex()}>"))
                              for (r, _h), key in zip(pairs, keys, strict=True))
        return collect_results(cases, [result for result, _hash in pairs])

    def public_hash(self, case) -> str:
        """``pipeline.ledger.public_hash(case)``, remembered for the cases ``redact`` returned."""
        known = self._public.get(id(case))
        return known[1] if known and known[0] is case else public_hash(case)

    def identities(self) -> dict[int, tuple[object, str]]:
        """{id(redacted case): (that case, a text naming its content)} for every case
        ``redact`` returned: what a page fingerprint takes for it instead of hashing its
        repr (publish.incremental; 100,000 reprs took ~5 s of every build)."""
        return self._identity

    def personal_values(self, cases) -> list[set]:
        """``[pipeline.pii.personal_values(case) for case in cases]``."""
        keys = [self.digest(case) for case in cases]
        return self._cached("personal", personal_values, list(cases), keys)


# ------------------------------------------------------------------ what is kept
# A redacted case is its source case with a few fields changed (names masked in the facts,
# the party's name…): the cache keeps only those fields, and the rest is taken from the
# source case (the cache key names it).  At 100,000 cases the whole redacted cases were
# 450 MB of pickles, their texts a second copy of the source texts in memory, and reading
# them 5-8 s of every build (issue 9).


def delta(source, changed):
    """What turns ``source`` into ``changed``: None (equal), ("=", value) (replaced), or
    ("~", {field: delta}) for a dataclass of the same type (fields that differ)."""
    if changed is source or (type(changed) is type(source) and changed == source):
        return None
    if type(changed) is not type(source) or not _is_dataclass(type(changed)):
        return ("=", changed)
    old, new = vars(source), vars(changed)
    if old.keys() != new.keys():
        return ("=", changed)
    fields = {name: delta(old[name], value) for name, value in new.items()}
    return ("~", {name: d for name, d in fields.items() if d is not None})


def apply_delta(source, change):
    """The object ``delta(source, changed)`` was made from: equal to ``changed``.  A
    dataclass is a new object (as a pickled one would be); the values of its fields that
    did not change are the source's own (frozen dataclasses and texts: shared, once in
    memory)."""
    if change is None:
        return _made(type(source), vars(source)) if _is_dataclass(type(source)) else source
    tag, value = change
    if tag == "=":
        return value
    fields = dict(vars(source))
    for name, sub in value.items():
        fields[name] = apply_delta(fields[name], sub)
    return _made(type(source), fields)


def _made(kind: type, fields: dict):
    """A ``kind`` object with ``fields``, made as unpickling makes one: a frozen
    dataclass's __init__ costs ~1 s per 100,000 objects."""
    made = object.__new__(kind)
    made.__dict__.update(fields)
    return made


@functools.cache
def _is_dataclass(kind: type) -> bool:
    return dataclasses.is_dataclass(kind) and hasattr(kind, "__dict__")


def _store_redacted(pair, source):
    result, content_hash = pair
    return (delta(source, result.case), result.replacements, result.hold_reasons, content_hash)


def _restore_redacted(kept, source):
    change, replacements, hold_reasons, content_hash = kept
    result = _made(RedactionResult, {"case": apply_delta(source, change),
                                     "replacements": replacements, "hold_reasons": hold_reasons})
    return result, content_hash


def redact_many(cases, allow: frozenset[str], cache_dir: Path | None = None, workers: int = 1,
                min_parallel: int = 400):
    """(publishable redacted cases, holds, stats) — as pipeline.redact.redact_cases."""
    return CaseCaches(cache_dir, workers, min_parallel).redact(cases, allow)
