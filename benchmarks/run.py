"""``make bench``: measure gongshi against plain Pelican on generated content (issue 9).

    python benchmarks/run.py [--sizes 10000,100000] [--as-of 2026-11-23] [--seed 9]
                             [--work benchmarks/work] [--keep] [--no-merge] [--corrections 3]

For each N (one heavy job at a time, in this order):

1. generate N results (benchmarks/generate.py) into WORK/nN/content;
2. full build: ``gongshi build`` into a fresh output dir;
3. no-change rebuild: the same command again (same content, same output dir);
4. first publish: ``gongshi publish --root WORK/nN/root`` (a release to correct);
5. one-correction publish: one case's result.summary edited and an accepted correction
   added (R-CORR), then ``gongshi publish`` again; ``--corrections K`` times in a row, each
   on another case (the table shows the run of median wall time, the notes every run);
6. plain Pelican on the same N case texts (benchmarks/baseline.py).

Every command is a child process: wall time from the clock, peak memory both as the
largest single process (``ru_maxrss`` of the child via ``os.wait4``: the child and the
processes it waited for) and as the sampled sum over the whole process tree (workers
and Pagefind run side by side).  Per-stage times come from the build summary's last line
("time: …s (load …s, …, search …s, verify …s)").  Results go to benchmarks/results.md:
a table per N with ratios to plain Pelican, the growth between sizes, and the machine.
Sizes measured earlier and not re-run are kept (their raw data is stored in the file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import baseline  # noqa: E402
import generate  # noqa: E402

RESULTS = HERE / "results.md"
DATA_MARK = "<!-- bench-data"
TIME_RE = re.compile(r"^time: ([\d.]+)s \((.*)\)$", re.M)
STAGE_RE = re.compile(r"([\w-]+) ([\d.]+)s")
SUMMARY_RE = re.compile(r"(\d+) results published, (\d+) withdrawn notices, (\d+) expired, (\d+) pages")
HELD_RE = re.compile(r"^held back: (\d+)", re.M)
# Runs gongshi with the verifier's findings of the given KIND:GLOB pairs reported but not
# fatal (--waive).  The scan itself still runs in full, so the timings are the real ones.
WAIVER = r"""
import fnmatch, sys
import publish.verify as v
waived = [w.split(":", 1) for w in sys.argv.pop(1).split(",")]
scan = v.scan_site
def scan_site(*args, **kwargs):
    found = scan(*args, **kwargs)
    rest = [f for f in found if not any(f.kind == k and fnmatch.fnmatch(f.path, g) for k, g in waived)]
    if len(found) > len(rest):
        print(f"bench waiver: {len(found) - len(rest)} verifier finding(s) waived", file=sys.stderr)
    return rest
v.scan_site = scan_site
from gongshi.cli import main
sys.argv[0] = "gongshi"
main()
"""


@dataclass
class Run:
    """One measured child process."""

    ok: bool
    wall: float  # seconds
    rss_max_kib: int  # largest single process (ru_maxrss via wait4)
    rss_tree_kib: int  # sampled peak of the summed RSS of the whole process tree
    pss_tree_kib: int = 0  # sampled peak of its summed PSS (shared pages counted once)
    out_bytes: int = 0  # size of the output it produced (files' apparent sizes)
    out_files: int = 0
    stages: dict[str, float] = field(default_factory=dict)
    note: str = ""  # why it failed, or a remark
    peak_at: str = ""  # the stage and the biggest processes when the tree's peak was sampled


# ------------------------------------------------------------------ measuring
def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (scans /proc: this kernel has no task/*/children)."""
    parent = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            parent[int(entry.name)] = int(stat[stat.rindex(b")") + 2:].split()[1])
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        found += kids
        todo += kids
    return found


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, IndexError, ValueError):
        return 0


def _pss_kib(pid: int) -> int:
    """Proportional set size: a page shared by n processes counts 1/n in each."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next(int(ln.split()[1]) for ln in f if ln.startswith("Pss:"))
    except (OSError, StopIteration, ValueError):
        return 0


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def _last_stage(err_log: Path | None) -> str:
    """The last stage the command announced on stderr ("• search …"), or ""."""
    try:
        lines = err_log.read_text(errors="replace").splitlines() if err_log else []
    except OSError:
        return ""
    stages = [ln[2:].rstrip(" …") for ln in lines if ln.startswith("• ")]
    return stages[-1] if stages else ""


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and its descendants every ``interval`` s, and
    notes at the peak which stage was running (from ``err_log``) and the biggest processes."""

    def __init__(self, pid: int, interval: float = 0.5, err_log: Path | None = None):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.err_log = pid, interval, 0, err_log
        # Proportional set sizes too: a page shared by n processes counts 1/n in each.  Forked
        # workers share most of their parent's memory, which the summed RSS counts n times.
        self.peak_pss = 0
        self.peak_at = ""
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            pids = [self.pid, *_children(self.pid)]
            sizes = [(_rss_kib(p), p) for p in pids]
            total = sum(kib for kib, _p in sizes)
            self.peak_pss = max(self.peak_pss, sum(_pss_kib(p) for p in pids))
            if total > self.peak:
                self.peak = total
                top = sorted(sizes, reverse=True)[:4]
                procs = ", ".join(f"{_comm(p)} {kib / 1024:,.0f} MiB" for kib, p in top if kib)
                stage = _last_stage(self.err_log)
                self.peak_at = f"{stage}: {procs}" if stage else procs
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


def measure(cmd: list[str], log: Path) -> tuple[Run, str]:
    """Run ``cmd`` (cwd: the project), logging its output to ``log``; returns (Run, stdout)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log.with_suffix(".out"), "w") as out, open(log.with_suffix(".err"), "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
        sampler = TreeSampler(proc.pid, err_log=log.with_suffix(".err"))
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, not Popen
        tree = sampler.stop()
    stdout = log.with_suffix(".out").read_text(errors="replace")
    stderr = log.with_suffix(".err").read_text(errors="replace")
    run = Run(proc.returncode == 0, round(wall, 2), usage.ru_maxrss, max(tree, usage.ru_maxrss),
              pss_tree_kib=sampler.peak_pss, peak_at=sampler.peak_at)
    if not run.ok:
        run.note = f"exit {proc.returncode}: {_failure(stderr + stdout)}"
    match = TIME_RE.search(stdout)
    if match:
        run.stages = {k: float(v) for k, v in STAGE_RE.findall(match.group(2))}
    return run, stdout


def _failure(text: str) -> str:
    """The gist of a failed command's output: a traceback's last line, else its first lines."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("•")]
    if any(ln.startswith("Traceback") for ln in lines):
        return lines[-1][:300]
    return " / ".join(lines[:4])[:300]


def tree_size(path: Path) -> tuple[int, int]:
    """(bytes, files) of every regular file under ``path`` as served: folder links (a
    release's folders in ROOT/store, publish.store) are followed, file links not counted."""
    total = files = 0
    for dirpath, _dirs, names in os.walk(path, followlinks=True):
        for name in names:
            st = os.lstat(os.path.join(dirpath, name))
            if not os.path.islink(os.path.join(dirpath, name)):
                total, files = total + st.st_size, files + 1
    return total, files


# ------------------------------------------------------------------ the scenario
def gongshi_cmd(args: list[str], waive: str) -> list[str]:
    """``gongshi ARGS`` as a child process (through the waiver wrapper if ``waive``)."""
    if waive:
        return [sys.executable, "-c", WAIVER, waive, *args]
    exe = Path(sys.executable).with_name("gongshi")
    return [str(exe) if exe.exists() else "gongshi", *args]


def has_publish() -> bool:
    """True if this gongshi has the ``publish`` command (written by another part of issue 9)."""
    done = subprocess.run(gongshi_cmd(["publish", "--help"], ""), capture_output=True, cwd=ROOT)
    return done.returncode == 0


def correct_one_case(content: Path, case_id: str, as_of: dt.date, number: int = 1) -> str:
    """Edit ``case_id``'s result.summary and add an accepted correction (R-CORR); returns its id."""
    path = next((content / "cases").glob(f"*/{case_id}.md"))
    text = path.read_text(encoding="utf-8")
    match = re.search(r'^  summary: (".*")$', text, re.M)
    old = json.loads(match.group(1))
    new = "经核实更正：" + old
    path.write_text(text.replace(match.group(0), f"  summary: {generate.q(new)}"), encoding="utf-8")
    corr_id = f"GZ-BENCH-{number:04d}"
    (content / "corrections" / f"{corr_id}.yaml").write_text(
        f"id: {corr_id}\ncase: {case_id}\nreceived_on: {as_of}\napplicant: 蒋秀英\n"
        'contact: "13912345678"\n'
        f"claim: 处罚内容表述有误。\ndecision: accepted\ndecided_on: {as_of}\n"
        f"changes:\n  - field: result.summary\n    old: {generate.q(old)}\n    new: {generate.q(new)}\n"
        f"reply_on: {as_of}\nreply: 经核实，已予以更正。\n", encoding="utf-8")
    return corr_id


def _median(runs: list[Run]) -> Run:
    """The run of median wall time, or the first that failed."""
    failed = [r for r in runs if not r.ok]
    return failed[0] if failed else sorted(runs, key=lambda r: r.wall)[len(runs) // 2]


def _with_output(run: Run, path: Path) -> Run:
    if run.ok and path.exists():
        run.out_bytes, run.out_files = tree_size(path)
    return run


def _summary_facts(stdout: str) -> dict:
    match, held = SUMMARY_RE.search(stdout), HELD_RE.search(stdout)
    if not match:
        return {}
    published, withdrawn, expired, pages = (int(g) for g in match.groups())
    return {"published": published, "withdrawn": withdrawn, "expired": expired, "pages": pages,
            "held": int(held.group(1)) if held else 0}


def bench_size(n: int, opts, say) -> dict:
    """Every measurement for one N; returns the raw record stored in results.md."""
    work = opts.work / f"n{n}"
    shutil.rmtree(work, ignore_errors=True)
    content, site, root, logs = work / "content", work / "site", work / "root", work / "logs"
    rec = {"n": n, "measured": dt.datetime.now().isoformat(timespec="minutes"),
           "load_before": os.getloadavg()[0], "commit": _git_commit(), "waive": opts.waive}
    start = time.perf_counter()
    gen = generate.generate(n, content, opts.as_of, opts.seed)
    rec["generate_s"] = round(time.perf_counter() - start, 2)
    rec["content_bytes"], rec["content_files"] = tree_size(content)
    say(f"N={n}: generated {gen.files} files in {rec['generate_s']}s")
    build = ["build", "--content", str(content), "--output", str(site), "--as-of", str(opts.as_of)]
    runs = {}
    for key, label in (("full", "full build"), ("rebuild", "no-change rebuild")):
        run, stdout = measure(gongshi_cmd(build, opts.waive), logs / key)
        runs[key] = _with_output(run, site)
        rec.setdefault("gongshi", _summary_facts(stdout))
        say(f"N={n}: {label}: {_brief(runs[key])}")
    if has_publish():
        pub = ["publish", "--content", str(content), "--root", str(root), "--as-of", str(opts.as_of)]
        runs["publish"] = _with_output(measure(gongshi_cmd(pub, opts.waive), logs / "publish")[0],
                                       root / "current")
        say(f"N={n}: first publish: {_brief(runs['publish'])}")
        targets = gen.plain_penalties or gen.corrected
        fixes = []
        for i in range(opts.corrections):
            correct_one_case(content, targets[i * len(targets) // opts.corrections], opts.as_of, i + 1)
            fixes.append(_with_output(measure(gongshi_cmd(pub, opts.waive), logs / f"correction{i + 1}")[0],
                                      root / "current"))
            say(f"N={n}: one-correction publish {i + 1}/{opts.corrections}: {_brief(fixes[-1])}")
        rec["correction_walls"] = [r.wall for r in fixes]
        runs["correction"] = _median(fixes)
    else:
        rec["publish_missing"] = True
        say(f"N={n}: gongshi publish is missing: publish rows are n/a")
    md_dir, settings, count = baseline.prepare(content, work / "pelican")
    run, stdout = measure(baseline.pelican_command(md_dir, work / "pelican" / "output", settings),
                          logs / "pelican")
    runs["pelican"] = _with_output(run, work / "pelican" / "output")
    rec["pelican_articles"] = count
    say(f"N={n}: plain Pelican: {_brief(runs['pelican'])}")
    rec["runs"] = {k: asdict(v) for k, v in runs.items()}
    rec["load_after"] = os.getloadavg()[0]
    rec["commit_after"] = _git_commit()  # others may commit to a shared tree meanwhile
    if not opts.keep:
        shutil.rmtree(work, ignore_errors=True)
    return rec


def _brief(run: Run) -> str:
    if not run.ok:
        return f"FAILED ({run.note})"
    return (f"{run.wall:.1f}s, peak {run.rss_max_kib / 1024:.0f} MiB (tree {run.rss_tree_kib / 1024:.0f} MiB), "
            f"output {run.out_bytes / 2**20:.0f} MiB in {run.out_files} files")


def _git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    # results.md itself is written after each N: not a change of the code measured.
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                            ":(exclude)benchmarks/results.md"],
                           capture_output=True, text=True, cwd=ROOT).stdout.strip()
    return done.stdout.strip() + (" (with uncommitted changes)" if dirty else "")


# ------------------------------------------------------------------ the report
def machine() -> dict:
    """CPU, cores, memory, Python, Pelican and Pagefind versions of this machine."""
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor() or "unknown")
    mem = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
               if ln.startswith("MemTotal"))
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    return {"cpu": cpu, "nproc": nproc, "mem_gib": round(mem / 2**20, 1),
            "python": platform.python_version(), "pelican": ver("pelican"),
            "pagefind": ver("pagefind_bin_extended"), "os": platform.platform()}


FIGURES = (  # (label, run key, attribute, unit, compared with Pelican's)
    ("full build: wall time", "full", "wall", "s", "wall"),
    ("full build: peak memory, largest process", "full", "rss_max_kib", "MiB", "rss_max_kib"),
    ("full build: peak memory, whole process tree (sampled RSS sum)", "full", "rss_tree_kib", "MiB",
     "rss_tree_kib"),
    ("full build: peak memory, whole process tree (sampled PSS sum)", "full", "pss_tree_kib", "MiB",
     "pss_tree_kib"),
    ("full build: output size", "full", "out_bytes", "MiB", "out_bytes"),
    ("full build: output files", "full", "out_files", "", "out_files"),
    ("no-change rebuild: wall time", "rebuild", "wall", "s", "wall"),
    ("no-change rebuild: peak memory, process tree", "rebuild", "rss_tree_kib", "MiB", "rss_tree_kib"),
    ("first publish: wall time", "publish", "wall", "s", "wall"),
    ("one-correction publish: wall time", "correction", "wall", "s", "wall"),
    ("one-correction publish: peak memory, process tree", "correction", "rss_tree_kib", "MiB", "rss_tree_kib"),
    ("search index (Pagefind) in the full build", "full", "stage:search", "s", None),
    ("verify in the full build", "full", "stage:verify", "s", None),
)


def _value(rec: dict, key: str, attr: str) -> float | None:
    run = rec.get("runs", {}).get(key)
    if not run or not run["ok"]:
        return None
    if attr.startswith("stage:"):
        return run["stages"].get(attr[6:])
    value = run.get(attr)  # None: not measured by the run.py of that time
    if not value:
        return None
    return value / 1024 if attr.startswith(("rss", "pss")) else value / 2**20 if attr == "out_bytes" else value


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    text = f"{value:,.1f}" if unit in ("s", "MiB") and value < 100 else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def _na_reason(rec: dict, key: str) -> str:
    run = rec.get("runs", {}).get(key)
    if run is None:
        return "n/a (gongshi publish missing)" if key in ("publish", "correction") else "n/a"
    return "failed ¹" if not run["ok"] else "n/a"


def size_section(rec: dict) -> list[str]:
    """The Markdown of one N: its figures with ratios to Pelican, and the stage timings."""
    g = rec.get("gongshi", {})
    lines = [f"## N = {rec['n']:,}", "",
             f"Measured {rec['measured']} at commit {rec['commit']}"
             + (f" — **the code changed during the run** (ended at {rec['commit_after']}): "
                "rows may mix versions" if rec.get("commit_after", rec["commit"]) != rec["commit"] else "")
             + "; load average "
             f"{rec['load_before']:.1f} before, {rec['load_after']:.1f} after (2 cores: other jobs shared "
             f"the machine when it is above 0). Content: {rec['content_files']:,} files, "
             f"{rec['content_bytes'] / 2**20:,.0f} MiB, generated in {rec['generate_s']} s. "
             + (f"gongshi published {g.get('published', '?'):,} results "
                f"({g.get('held', 0)} held back on purpose, {g.get('withdrawn', 0)} withdrawn notices) "
                f"on {g.get('pages', 0):,} pages; Pelican rendered {rec['pelican_articles']:,} articles."
                if g else ""), ""]
    if rec.get("waive"):
        lines += [f"Verifier waiver in force: findings `{rec['waive']}` were reported but not fatal "
                  "(known false positives; the scan itself ran in full).", ""]
    lines += ["| figure | gongshi | plain Pelican | gongshi ÷ Pelican |", "|---|---:|---:|---:|"]
    for label, key, attr, unit, base in FIGURES:
        value = _value(rec, key, attr)
        ref = _value(rec, "pelican", base) if base else None
        ratio = f"{value / ref:.2f}" if value is not None and ref else "—"
        shown = _fmt(value, unit) if value is not None else _na_reason(rec, key)
        lines.append(f"| {label} | {shown} | {_fmt(ref, unit) if base else '—'} | {ratio} |")
    walls = rec.get("correction_walls", [])
    if len(walls) > 1:
        lines += ["", f"One-correction publish: {len(walls)} corrections in a row, each of another case; "
                  "wall times " + " / ".join(f"{w:.1f}" for w in walls) + " s; the table shows the median run."]
    peaks = [f"{k}: {r['peak_at']}" for k, r in rec["runs"].items() if r.get("peak_at")]
    if peaks:
        lines += ["", "Process tree at its sampled memory peak (stage: biggest processes): "
                  + "; ".join(peaks) + "."]
    failed = [(k, r["note"]) for k, r in rec["runs"].items() if not r["ok"]]
    if failed:
        lines += [""] + [f"¹ {k} failed: {note.replace('|', '/')}" for k, note in failed]
    lines += ["", "Where the time goes (seconds per stage, from the summary's `time:` line):", ""]
    keys = [k for k in ("full", "rebuild", "correction") if rec["runs"].get(k, {}).get("stages")]
    if keys:
        stages = list(dict.fromkeys(s for k in keys for s in rec["runs"][k]["stages"]))
        lines += ["| stage | " + " | ".join(k for k in keys) + " |", "|---|" + "---:|" * len(keys)]
        for stage in stages:
            cells = []
            for k in keys:
                st = rec["runs"][k]["stages"]
                total = sum(st.values()) or 1
                cells.append(f"{st[stage]:.1f} ({100 * st[stage] / total:.0f}%)" if stage in st else "")
            lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return lines + [""]


def growth_section(records: dict[int, dict]) -> list[str]:
    """value(N2) ÷ value(N1) of every figure for consecutive measured sizes."""
    sizes = sorted(records)
    if len(sizes) < 2:
        return ["## Growth", "", "Only one size measured: run `--sizes 10000,100000` for growth ratios.", ""]
    lines = ["## Growth", ""]
    for a, b in zip(sizes, sizes[1:], strict=False):
        lines += [f"From N = {a:,} to N = {b:,} (N × {b / a:g}):", "",
                  "| figure | gongshi growth | plain Pelican growth |", "|---|---:|---:|"]
        for label, key, attr, _unit, base in FIGURES:
            va, vb = _value(records[a], key, attr), _value(records[b], key, attr)
            pa = _value(records[a], "pelican", base) if base else None
            pb = _value(records[b], "pelican", base) if base else None
            lines.append(f"| {label} | {f'× {vb / va:.1f}' if va and vb else 'n/a'} | "
                         f"{f'× {pb / pa:.1f}' if pa and pb else '—'} |")
        lines.append("")
    return lines


def write_results(path: Path, records: dict[int, dict]) -> None:
    """Write results.md: machine(s), one section per N, growth, and the raw data."""
    machines = list(dict.fromkeys(json.dumps(r["machine"], sort_keys=True) for r in records.values()))
    lines = ["# gongshi benchmarks (issue 9)", "",
             "Written by `make bench` (`benchmarks/run.py`; see benchmarks/README.md). Content: "
             "`benchmarks/generate.py` (realistic results, deterministic). Plain Pelican: the same case "
             "texts as Markdown articles, default theme, no plugins (`benchmarks/baseline.py`).", "",
             "## Machine", ""]
    for m in map(json.loads, machines):
        lines += [f"- CPU: {m['cpu']}, `nproc` {m['nproc']}; memory {m['mem_gib']} GiB (MemTotal)",
                  f"- Python {m['python']}, Pelican {m['pelican']}, Pagefind {m['pagefind']}; {m['os']}"]
    lines.append("")
    lines += _notes_by_hand(path)
    for n in sorted(records):
        lines += size_section(records[n])
    lines += growth_section(records)
    data = json.dumps({str(n): records[n] for n in sorted(records)}, ensure_ascii=False, indent=1)
    lines += [DATA_MARK + " (raw data, read back by run.py to merge sizes)",
              data.replace(">", "\\u003e"), "-->"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _notes_by_hand(path: Path) -> list[str]:
    """The sections written by hand in ``path`` (between the machine and the first size):
    kept as they are."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    start = text.find("\n## ", text.find("\n## Machine") + 1)
    end = text.find("\n## N = ")
    if start < 0 or end < start:
        return []
    return text[start + 1:end + 1].split("\n")[:-1]


def load_records(path: Path) -> dict[int, dict]:
    """The raw records stored in an earlier results.md ({} if none or unreadable)."""
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    at = text.find(DATA_MARK)
    if at < 0:
        return {}
    body = text[text.index("\n", at) + 1: text.rindex("-->")]
    try:
        return {int(k): v for k, v in json.loads(body).items()}
    except ValueError:
        return {}


def main(argv: list[str] | None = None) -> int:
    """CLI; exit 1 if any measured command failed."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated N (quick try: 2000)")
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=generate.AS_OF)
    ap.add_argument("--seed", type=int, default=generate.SEED)
    ap.add_argument("--work", type=Path, default=HERE / "work", help="scratch dir (gitignored)")
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--keep", action="store_true", help="keep WORK/nN (content, sites, logs)")
    ap.add_argument("--corrections", type=int, default=3, metavar="K",
                    help="one-correction publishes in a row, each of another case (median shown)")
    ap.add_argument("--no-merge", action="store_true", help="drop sizes measured by earlier runs")
    ap.add_argument("--waive", default="", metavar="KIND:GLOB,…",
                    help="verifier findings to report but not fail on, e.g. address:*.pf_index "
                         "(known false positives only; the scan still runs in full)")
    opts = ap.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in opts.sizes.split(",") if s.strip()]
    if opts.corrections < 1:
        ap.error("--corrections wants at least 1")
    for w in filter(None, opts.waive.split(",")):
        if ":" not in w:
            ap.error(f"--waive wants KIND:GLOB pairs, got {w!r}")
    records = {} if opts.no_merge else load_records(opts.results)
    mach = machine()

    def say(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    ok = True
    for n in sizes:
        rec = bench_size(n, opts, say)
        rec["machine"] = mach
        records[n] = rec
        ok = ok and all(r["ok"] for r in rec["runs"].values())
        write_results(opts.results, records)  # after every N: partial results survive
    say(f"results written to {opts.results}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
