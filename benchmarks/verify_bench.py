"""Time the output verifier alone on a built site (issue 9).

    .venv/bin/python benchmarks/verify_bench.py --content /tmp/v10k/content \\
        --site /tmp/v10k/site --as-of 2026-11-23 [--workers 2] [--profile]

Runs ``prepare`` once (its secrets are kept in ``<site>.secrets.pickle`` for the next
run), then times three scans of the same tree:

* full: nothing known (a first build, or a cache that does not apply);
* no-change: everything proven clean by the full scan;
* grown: the secret set plus a new name and phone number (a correction publish adds the
  applicant's name and contact), every file unchanged.

``--profile`` runs the full scan on one process under cProfile and prints the top entries.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pickle
import pstats
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from publish import verify  # noqa: E402


def _secrets(content: Path, site: Path, as_of: dt.date) -> tuple[set, frozenset]:
    """(secrets, allow) of ``content``, from the pickle beside ``site`` when present."""
    stash = site.with_name(site.name + ".secrets.pickle")
    if stash.exists():
        return pickle.loads(stash.read_bytes())
    from publish.assemble import bureau_allow_list
    from publish.build import prepare

    prepared = prepare(content, as_of)
    pair = (prepared.secrets, bureau_allow_list(prepared.content))
    stash.write_bytes(pickle.dumps(pair))
    return pair


def _timed(label: str, fn):
    """Run ``fn``; print its wall time and CPU time (this process and its workers)."""
    start, cpu = time.perf_counter(), _cpu()
    result = fn()
    print(f"{label:<10} wall {time.perf_counter() - start:7.2f} s  cpu {_cpu() - cpu:7.2f} s"
          f"  findings={len(result)}", flush=True)
    return result


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--content", type=Path, required=True)
    ap.add_argument("--site", type=Path, required=True)
    ap.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--profile", action="store_true")
    opts = ap.parse_args()
    secrets, allow = _secrets(opts.content, opts.site, opts.as_of)
    print(f"{len(secrets)} secret values, {len(allow)} allowed", flush=True)
    if opts.profile:
        prof = cProfile.Profile()
        prof.runcall(verify.scan_site, opts.site, secrets, allow, workers=1)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return
    known: dict = {}
    _timed("full", lambda: verify.scan_site(opts.site, secrets, allow, known=known,
                                            workers=opts.workers))
    _timed("no-change", lambda: verify.scan_site(opts.site, secrets, allow, known=known,
                                                 workers=opts.workers))
    grown = secrets | {("correction_applicant", "欧阳淑珍"), ("correction_contact", "13907310042")}
    _timed("grown", lambda: verify.scan_site(opts.site, grown, allow, known=known,
                                             workers=opts.workers))


if __name__ == "__main__":
    main()
