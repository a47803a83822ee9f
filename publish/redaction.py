"""Redaction at scale: cached by content hash and spread over worker processes.

pipeline.redact is pure and per-case; this module only decides where each case's
RedactionResult comes from: the cache (same case, same allow-list, same redaction
code ⇒ same result) or a fresh ``redact_case`` call, on ``workers`` forked processes
when there are many.  The answer is exactly ``pipeline.redact.redact_cases``'s.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from pathlib import Path

from pipeline.redact import collect_results, redact_case

from .cache import Cache, TrackingDict
from .settings import PROJECT_ROOT

# A change to any of these files invalidates every cached redaction.
REDACTION_CODE = ("pipeline/redact.py", "pipeline/pii.py", "pipeline/pii_patterns.py",
                  "pipeline/model.py")
_ALLOW: frozenset = frozenset()  # shared with forked workers


def _code_version() -> str:
    h = hashlib.sha256()
    for rel in REDACTION_CODE:
        h.update((PROJECT_ROOT / rel).read_bytes())
    return h.hexdigest()


def _one(case):
    return redact_case(case, _ALLOW)


def redact_many(cases, allow: frozenset[str], cache_dir: Path | None = None, workers: int = 1,
                min_parallel: int = 400):
    """(publishable redacted cases, holds, stats) — as pipeline.redact.redact_cases."""
    global _ALLOW
    cache = Cache(cache_dir, "redacted", _code_version())
    seen = TrackingDict(cache.data)
    allow_key = repr(sorted(allow))
    keys = [hashlib.sha256(f"{allow_key}\0{case!r}".encode()).digest() for case in cases]
    missing = [i for i, key in enumerate(keys) if key not in seen]
    _ALLOW = allow
    todo = [cases[i] for i in missing]
    if workers > 1 and len(todo) >= min_parallel:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            fresh = pool.map(_one, todo, chunksize=128)
    else:
        fresh = [_one(case) for case in todo]
    for i, result in zip(missing, fresh, strict=True):
        seen[keys[i]] = result
    results = [dict.__getitem__(seen, key) for key in keys]
    cache.save(seen.used_entries())
    return collect_results(cases, results)
