"""`gongshi publish` end to end on the fixture corpus: releases, changed URLs, ledger timing,
failures and kill -9 at every stage, concurrent runs, rollback, apply-correction (SPEC §7)."""

from __future__ import annotations

import filecmp
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongshi.cli import cli
from pipeline.errors import ContentInvalid, DeployFailed, LeakFound
from pipeline.load import LEDGER_NAME
from publish import cache as cache_module
from publish import cdn, deploy, verify
from publish.assemble import bureau_allow_list
from publish.build import build, prepare
from publish.publish import publish, rollback
from publish.settings import load_settings
from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT, copy_content, served_files

pytestmark = pytest.mark.slow

GONGSHI = str(Path(sys.executable).with_name("gongshi"))
ROOT_DIR = Path(__file__).resolve().parents[1]
CHANGED_CASE = "cases/2026/2026-0020/"
UNTOUCHED_CASE = "cases/2026/2026-0021/"
HELD_CASE = "cases/2026/2026-0031/"
ARGV_SCRIPT = 'import json, sys\nopen(sys.argv[1], "a").write(json.dumps(sys.argv[2:]) + "\\n")\n'


def edit_case(content: Path, case_id: str, old: str, new: str) -> None:
    path = next((content / "cases").rglob(f"{case_id}.md"))
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def change_content(content: Path) -> None:
    """One case's facts change; another loses its approval (so it leaves the site)."""
    edit_case(content, "2026-0020", "骗取医保基金3200元", "骗取医保基金3300元")
    edit_case(content, "2026-0031", "secrecy_review: 办公室, ", "")


def copy_root(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


def site_of(root: Path) -> Path:
    return root / "current" / "site"


def assert_intact(root: Path, release: Path) -> None:
    """current serves ``release`` completely: every file matches its manifest hash."""
    assert deploy.current_release(root) == release.resolve()
    assert deploy.hash_tree(site_of(root)) == deploy.read_manifest(release)["files"]


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory):
    """(content, root, first, second): the corpus published, changed, published again with a
    real purge command that writes its argv to calls.jsonl."""
    base = tmp_path_factory.mktemp("e2e")
    content = copy_content(FIXTURE_CONTENT, base / "content")
    assert not (content / LEDGER_NAME).exists()
    script = base / "purge.py"
    script.write_text(ARGV_SCRIPT)
    settings = load_settings(PURGE_COMMAND=[sys.executable, str(script), str(base / "calls.jsonl")])
    first = publish(content, base / "root", FIXTURE_AS_OF, settings)
    ledger_after_first = (content / LEDGER_NAME).read_text(encoding="utf-8")
    change_content(content)
    second = publish(content, base / "root", FIXTURE_AS_OF, settings)
    return {"content": content, "root": base / "root", "first": first, "second": second,
            "base": base, "ledger_after_first": ledger_after_first}


def test_first_publish_creates_release_ledger_and_current(two_releases):
    """SPEC §7: a publish deploys a release under ROOT/releases/ and writes the ledger
    (created on the first publish)."""
    first = two_releases["first"]
    assert first.previous is None and first.changed == [] and first.removed == []
    assert 0 < first.live_after <= first.duration  # reported: live before old releases are pruned
    assert "published" in two_releases["ledger_after_first"]
    release = deploy.releases_dir(two_releases["root"]) / first.release
    assert (release / "site" / "index.html").is_file()
    assert (release / cdn.PURGE_LIST).read_text() == ""
    manifest = deploy.read_manifest(release)
    assert manifest["gone"] == ["cases/2023/2023-0003/"]
    assert deploy.hash_tree(release / "site") == manifest["files"]


def test_second_publish_lists_exactly_the_changed_urls(two_releases):
    """SPEC §7 CDN: the changed/removed URL list equals a byte comparison of the two trees."""
    root, first, second = two_releases["root"], two_releases["first"], two_releases["second"]
    old = deploy.releases_dir(root) / first.release / "site"
    new = deploy.releases_dir(root) / second.release / "site"
    assert_intact(root, new.parent)
    old_files = {p.relative_to(old).as_posix() for p in served_files(old)}
    new_files = {p.relative_to(new).as_posix() for p in served_files(new)}
    differ = {f for f in old_files & new_files if not filecmp.cmp(old / f, new / f, shallow=False)}
    assert second.changed == sorted(cdn.page_url(f) for f in differ | (new_files - old_files))
    assert second.removed == sorted(cdn.page_url(f) for f in old_files - new_files)
    assert CHANGED_CASE in second.changed and UNTOUCHED_CASE not in second.changed
    assert HELD_CASE in second.removed
    purge_list = (new.parent / cdn.PURGE_LIST).read_text().split()
    base = "https://ybj.ceshi.gov.cn/gongshi/"
    assert purge_list == sorted(base + u for u in set(second.changed) | set(second.removed))
    calls = [json.loads(line) for line in (two_releases["base"] / "calls.jsonl").read_text().splitlines()]
    assert sorted(u for call in calls for u in call) == purge_list  # the real command got them


def test_the_release_takes_the_digests_the_verifier_read(two_releases, tmp_path, monkeypatch):
    """Issue 9: the manifest's digest of each file the verifier read (pages, index files,
    the exports it proves in pieces) is the one it computed, not read a second time; and
    every digest is still the file's own (SPEC §7: the manifest describes the release)."""
    monkeypatch.setattr(verify, "PIECE_MIN", 2048)  # the exports are cut into pieces here too
    monkeypatch.setattr(verify, "PIECE_SPREAD", 2)
    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    edit_case(content, "2026-0021", "。", "，经复核无误。")
    reread: list[str] = []
    real = deploy.file_sha256
    monkeypatch.setattr(deploy, "file_sha256", lambda path: reread.append(str(path)) or real(path))
    again = publish(content, root, FIXTURE_AS_OF, load_settings(BUILD_WORKERS=2))
    assert UNTOUCHED_CASE in again.changed and reread == []
    release = deploy.releases_dir(root) / again.release
    monkeypatch.undo()
    assert deploy.hash_tree(release / "site") == deploy.read_manifest(release)["files"]
    assert any(r.endswith("data/results.json") for r in again.changed)


def test_same_content_same_bytes_and_old_releases_pruned(two_releases, tmp_path):
    """SPEC §7: same content + same --as-of ⇒ byte-identical output (only the dir name has the
    clock); only the last KEEP_RELEASES releases are kept."""
    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    again = publish(content, root, FIXTURE_AS_OF, load_settings(KEEP_RELEASES=2))
    assert again.changed == [] and again.removed == []
    assert again.release != two_releases["second"].release
    assert again.release.split("-")[-1] == two_releases["second"].release.split("-")[-1]
    assert again.pruned == [two_releases["first"].release]
    assert [r.name for r in deploy.list_releases(root)] == [two_releases["second"].release, again.release]


def test_the_cdn_is_purged_before_old_releases_are_pruned(two_releases, tmp_path):
    """SPEC §7 CDN, issue 9: the purge follows the switch at once; deleting an old release
    (200,000 files at 100,000 cases, half a minute) comes after it."""
    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    (root / cdn.PENDING).write_text("https://ybj.ceshi.gov.cn/gongshi/\n")  # a purge to send
    seen = tmp_path / "releases-at-purge.json"
    script = ("import json, os, sys\n"
              f"json.dump(sorted(os.listdir({str(deploy.releases_dir(root))!r})), open({str(seen)!r}, 'w'))\n")
    again = publish(content, root, FIXTURE_AS_OF,
                    load_settings(KEEP_RELEASES=1, PURGE_COMMAND=[sys.executable, "-c", script]))
    assert again.purge.ok and again.pruned == [two_releases["first"].release, two_releases["second"].release]
    assert two_releases["first"].release in json.loads(seen.read_text())  # not yet pruned
    assert list(again.report.timings)[-3:] == ["purge", "prune", "cache-wait"]


def _fail_cache_writes(monkeypatch, name: str) -> None:
    """Make the cache writer of the cache ``name`` fail as on a full disk (in the writer child)."""

    def dump(obj, f, protocol=None):
        if name in f.name:
            raise OSError("disk full")
        pickle.dump(obj, f, protocol=protocol)

    monkeypatch.setattr(cache_module, "pickle", types.SimpleNamespace(dump=dump, load=pickle.load,
                                                                      PickleError=pickle.PickleError))


def test_a_cache_that_cannot_be_written_is_a_warning_after_the_switch(two_releases, tmp_path, monkeypatch):
    """Issue 9: the cache writers run beside the build and are waited for once the release
    is live; one that fails (here: the verifier's proofs) leaves the release live and says so."""
    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    edit_case(content, "2026-0020", "骗取医保基金3300元", "骗取医保基金3400元")

    _fail_cache_writes(monkeypatch, "verified")
    result = publish(content, root, FIXTURE_AS_OF, load_settings())
    assert_intact(root, deploy.releases_dir(root) / result.release)
    assert result.release != two_releases["second"].release
    assert [w for w in result.report.warnings if "could not write the build cache" in w and "verified" in w]
    timings = list(result.report.timings)
    # The ledger and the purge do not wait for the writers (a kill meanwhile must not lose them).
    assert timings.index("switch") < timings.index("write-ledger") < timings.index("purge") \
        < timings.index("cache-wait")


@pytest.mark.parametrize("workers", [1, 2])
def test_the_caches_are_written_by_one_writer_once_the_release_is_live(two_releases, tmp_path, monkeypatch,
                                                                       workers):
    """Issue 9: publish forks no cache writer before its switch (each fork made the stages
    after it fault on every page they wrote to); one writer, forked after the switch,
    writes every cache the run saved — with one worker, the open-data parts too (with
    two, the child that made them writes them)."""
    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    edit_case(content, "2026-0020", "骗取医保基金3300元", "骗取医保基金3400元")
    events: list = []
    real_fork, real_switch = cache_module._fork_writer, deploy.switch_current
    monkeypatch.setattr(cache_module, "_fork_writer",
                        lambda files: events.append({p.parent.name if p.parent.name != ".cache" else p.stem
                                                     for p in files}) or real_fork(files))
    monkeypatch.setattr(deploy, "switch_current", lambda *a: events.append("switch") or real_switch(*a))
    publish(content, root, FIXTURE_AS_OF, load_settings(BUILD_WORKERS=workers))
    assert len(events) == 2 and events[0] == "switch"
    assert {"validated", "redacted", "verified"} <= events[1]
    assert ("opendata" in events[1]) == (workers == 1)
    assert not list((root / ".cache").rglob("*.tmp"))


def test_a_build_whose_cache_cannot_be_written_still_replaces_its_output(tmp_path, monkeypatch):
    """Review: `gongshi build` too: a writer that fails after the site was built and
    verified is a warning; the output is the new site and the ledger is written."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    (content / LEDGER_NAME).write_text("", encoding="utf-8")

    _fail_cache_writes(monkeypatch, "parsed")
    report = build(content, tmp_path / "site", FIXTURE_AS_OF)
    assert [w for w in report.warnings if "could not write the build cache" in w]
    assert (tmp_path / "site" / "index.html").is_file()
    assert (content / LEDGER_NAME).read_text(encoding="utf-8")  # first publications recorded


def test_publish_reads_only_files_not_linked_from_the_live_release(two_releases, tmp_path, monkeypatch):
    """R-PII, issue 9: the verifier still proves every file, but a file hard-linked from
    the live release takes its digest from that release's manifest and its proof from the
    cache: it is not read again.  What changed is read and scanned, and the result is
    the release a full check would accept."""
    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    # A copied root's releases are new files: the first run here walks the live one again.
    publish(content, root, FIXTURE_AS_OF, load_settings(BUILD_WORKERS=1))
    edit_case(content, "2026-0021", "期限30日", "期限20日")
    reads: list[str] = []
    real = verify._read
    monkeypatch.setattr(verify, "_read", lambda site, rel, *span: reads.append(rel) or real(site, rel, *span))
    stats: list[str] = []  # nor even stat'ed
    monkeypatch.setattr(verify, "os", types.SimpleNamespace(
        path=os.path, stat=lambda path: stats.append(Path(path).name) or os.stat(path)))
    previous = deploy.current_release(root)
    listed: list[Path] = []  # the live release's inodes were kept by the run that made it
    real_listing, real_walk = deploy.file_inodes, deploy.list_files

    def walk(site, what, *args, **kwargs):
        if what is os.DirEntry.inode:
            listed.append(Path(site))
        return real_walk(site, what, *args, **kwargs)

    monkeypatch.setattr(deploy, "list_files", walk)
    result = publish(content, root, FIXTURE_AS_OF, load_settings(BUILD_WORKERS=1))
    assert len(listed) == 1 and not listed[0].is_relative_to(previous)  # the new site, once
    site = deploy.releases_dir(root) / result.release / deploy.SITE
    linked = deploy.linked_files(site, previous)
    files = deploy.hash_tree(site)
    kept = deploy.load_listing(root / ".cache", site.parent)
    assert kept and kept[0] == real_listing(site)
    assert len(linked) > len(files) / 2 and not linked & set(reads)
    assert stats and len(stats) <= len(files) - len(linked)
    assert f"{UNTOUCHED_CASE}index.html" in reads and set(files) - linked <= set(reads)
    full = prepare(content, FIXTURE_AS_OF)  # no cache: every file read and scanned
    assert verify.scan_site(site, full.secrets, bureau_allow_list(full.content)) == []


def test_failed_publish_changes_nothing(two_releases, tmp_path):
    """SPEC §7: a run that fails at any step leaves the live site and the ledger as they were."""
    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    live = deploy.current_release(root)
    ledger = (content / LEDGER_NAME).read_text(encoding="utf-8")
    (content / "cases" / "2026" / "broken.md").write_text("---\nid: [unclosed\n---\n", encoding="utf-8")
    with pytest.raises(ContentInvalid):
        publish(content, root, FIXTURE_AS_OF, load_settings())
    (content / "cases" / "2026" / "broken.md").unlink()
    # A live case naming a held-back case's 文号: rendered, then caught by the verifier.
    edit_case(content, "2026-0021", "检查中发现", "参见测医保罚〔2026〕30号，检查中发现")
    with pytest.raises(LeakFound, match="hidden_doc_no"):
        publish(content, root, FIXTURE_AS_OF, load_settings())
    assert_intact(root, live)
    assert (content / LEDGER_NAME).read_text(encoding="utf-8") == ledger
    assert not list(deploy.releases_dir(root).glob(".staging-*"))


# --- kill -9 -----------------------------------------------------------------------------

# Runs the real CLI, with one deploy step wrapped so that, right after the step has run,
# the harness drops a marker file and sleeps: the test then kills it with SIGKILL exactly
# between that step and the next.  Production code knows nothing of this.
HARNESS = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from publish import build, deploy, publish
    step, marker = sys.argv[1], Path(sys.argv[2])
    owner = {"render": publish, "write_ledger": publish}.get(step, deploy)
    real = getattr(owner, step)
    def paused(*args, **kwargs):
        result = real(*args, **kwargs)
        marker.write_text("reached")
        time.sleep(120)
        return result
    setattr(owner, step, paused)
    from gongshi.cli import cli
    cli(sys.argv[3:], prog_name="gongshi")
""")

KILL_POINTS = [
    # (step after which the run is killed, does the new release go live?)
    ("new_staging", False),  # staging dir created, nothing rendered
    ("render", False),  # site rendered and verified in staging, no manifest
    ("write_manifest", False),  # manifest written, staging not yet renamed
    ("finalize_release", False),  # release complete under its name, not switched
    ("switch_current", True),  # switched, ledger not yet written
    ("write_ledger", True),  # ledger written, purge not yet run
]


def _publish_cmd(content: Path, root: Path, *extra: str) -> list[str]:
    return ["publish", "--content", str(content), "--root", str(root),
            "--as-of", FIXTURE_AS_OF.isoformat(), "--quiet", *extra]


def _wait_for(path_test, proc: subprocess.Popen, what: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not path_test():
        if proc.poll() is not None:
            pytest.fail(f"the run ended (code {proc.returncode}) before {what}: {proc.stderr.read()}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.mark.parametrize(("step", "goes_live"), KILL_POINTS)
def test_kill_9_at_each_stage_leaves_a_whole_site(two_releases, tmp_path, step, goes_live):
    """SPEC §7: kill -9 at any stage leaves current serving a complete release (the previous
    one until the switch); the ledger is written only after the switch; the next run's
    cleanup removes the debris."""
    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    edit_case(content, "2026-0020", "骗取医保基金3300元", "骗取医保基金3400元")
    before = deploy.current_release(root)
    ledger = (content / LEDGER_NAME).read_text(encoding="utf-8")
    marker = tmp_path / "reached"
    proc = subprocess.Popen([sys.executable, "-c", HARNESS, step, str(marker),
                             *_publish_cmd(content, root)],
                            cwd=ROOT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for(marker.exists, proc, f"step {step}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    live = deploy.current_release(root)
    assert (live != before) == goes_live
    assert_intact(root, live)
    ledger_now = (content / LEDGER_NAME).read_text(encoding="utf-8")
    assert (ledger_now != ledger) == (step == "write_ledger")
    cleaned = deploy.clean_debris(root)
    assert bool(cleaned) == (step in ("new_staging", "render", "write_manifest"))
    assert not list(deploy.releases_dir(root).glob(".*"))
    assert_intact(root, live)


def test_kill_9_at_a_polled_moment_then_next_run_recovers(two_releases, tmp_path):
    """SPEC §7: an unmodified run killed while it builds; the next run cleans up and publishes."""
    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    before = deploy.current_release(root)
    proc = subprocess.Popen([GONGSHI, *_publish_cmd(content, root)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    staging = lambda: list(deploy.releases_dir(root).glob(".staging-*/.site.*"))  # noqa: E731
    _wait_for(lambda: bool(staging()), proc, "rendering started")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert_intact(root, before)
    assert list(deploy.releases_dir(root).glob(".staging-*"))  # debris left behind …
    result = CliRunner().invoke(cli, _publish_cmd(content, root), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "cleaned debris of earlier runs: releases/.staging-" in result.output
    assert not list(deploy.releases_dir(root).glob(".staging-*"))  # … removed by the next run
    assert deploy.current_release(root) != before


# --- one at a time -----------------------------------------------------------------------

def test_concurrent_run_fails_naming_the_holder(two_releases, tmp_path):
    """SPEC §7: while one run publishes, a second one that may not wait exits 1 naming the
    holder's pid and changes nothing (waiting runs: tests/test_lock.py)."""
    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    count = len(deploy.list_releases(root))
    # The first run holds the lock while its CDN purge (of a URL left pending) runs; the
    # purge command waits until the second run has been tried.
    started, done = tmp_path / "purge-started", tmp_path / "second-run-done"
    (root / cdn.PENDING).write_text("https://ybj.ceshi.gov.cn/gongshi/\n")
    script = ("import os, sys, time\nopen(sys.argv[1], 'w').close()\ndeadline = time.time() + 120\n"
              "while not os.path.exists(sys.argv[2]) and time.time() < deadline:\n    time.sleep(0.02)\n")
    config = tmp_path / "deploy.py"
    config.write_text(f"PURGE_COMMAND = {[sys.executable, '-c', script, str(started), str(done)]!r}\n")
    first = subprocess.Popen([GONGSHI, *_publish_cmd(content, root, "--config", str(config))],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(started.exists, first, "the purge")
    busy = subprocess.run([GONGSHI, *_publish_cmd(content, root, "--wait", "0")],
                          capture_output=True, text=True)
    done.touch()
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert busy.returncode == 1
    assert f"pid {first.pid}" in busy.stderr and "live site is unchanged" in busy.stderr
    assert len(deploy.list_releases(root)) == count + 1


# --- rollback ----------------------------------------------------------------------------

def test_rollback_goes_back_one_release(two_releases, tmp_path):
    """SPEC §7: roll back is one command; it refuses when nothing older is kept."""
    root = copy_root(two_releases["root"], tmp_path / "root")
    runner = CliRunner()
    result = runner.invoke(cli, ["rollback", "--root", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert deploy.current_release(root).name == two_releases["first"].release
    assert CHANGED_CASE in result.output  # the URLs to purge again
    result = runner.invoke(cli, ["rollback", "--root", str(root)], catch_exceptions=False)
    assert result.exit_code == 1 and "no release older than" in result.output


def test_rollback_refuses_to_show_an_expired_case_again(two_releases, tmp_path):
    """R-RET5/R-RET2, R-WITHDRAW: a rollback that would re-publish an expired case needs --force."""
    import datetime as dt

    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    later = publish(content, root, dt.date(2028, 12, 1), load_settings())
    assert "cases/2026/2026-0020/" in deploy.read_manifest(deploy.current_release(root))["gone"]
    with pytest.raises(DeployFailed, match="withdrawn or expired"):
        rollback(root, load_settings())
    assert deploy.current_release(root).name == later.release
    result = rollback(root, load_settings(), force=True)
    assert result.release == two_releases["second"].release


# --- purge failures ----------------------------------------------------------------------

def test_failed_purge_never_hides_the_deploy(two_releases, tmp_path):
    """SPEC §7 CDN: a failing purge (PURGE_COMMAND from --config) is reported and kept for the
    next run; the deploy stands and the exit code is 0."""
    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    edit_case(content, "2026-0020", "骗取医保基金3300元", "骗取医保基金3500元")
    config = tmp_path / "deploy.py"
    config.write_text(f"PURGE_COMMAND = [{sys.executable!r}, '-c', 'import sys; sys.exit(7)']\n")
    result = CliRunner().invoke(cli, _publish_cmd(content, root, "--config", str(config)),
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "warning: CDN purge failed (purge command exited with status 7)" in result.output
    assert deploy.current_release(root).name != two_releases["second"].release
    pending = cdn.read_url_file(root / cdn.PENDING)
    assert "https://ybj.ceshi.gov.cn/gongshi/" + CHANGED_CASE in pending


# --- apply-correction --------------------------------------------------------------------

def test_apply_correction_checks_the_correction(two_releases, tmp_path):
    """R-CORR: only an existing, accepted correction whose case file carries the new value
    is applied; then it publishes through the same path."""
    root = copy_root(two_releases["root"], tmp_path / "root")
    content = copy_content(two_releases["content"], tmp_path / "content")
    runner = CliRunner()
    args = ["--content", str(content), "--root", str(root), "--as-of", FIXTURE_AS_OF.isoformat(), "-q"]
    missing = runner.invoke(cli, ["apply-correction", "NOPE", *args], catch_exceptions=False)
    assert missing.exit_code == 1 and "no correction 'NOPE'" in missing.output
    corr = content / "corrections" / "GZ-2026-001.yaml"
    corr.write_text(corr.read_text(encoding="utf-8").replace("decision: accepted", "decision: rejected"),
                    encoding="utf-8")
    rejected = runner.invoke(cli, ["apply-correction", "GZ-2026-001", *args], catch_exceptions=False)
    assert rejected.exit_code == 1 and "only an accepted correction" in rejected.output
    corr.write_text(corr.read_text(encoding="utf-8").replace("decision: rejected", "decision: accepted"),
                    encoding="utf-8")
    before = deploy.current_release(root)
    ok = runner.invoke(cli, ["apply-correction", "GZ-2026-001", *args], catch_exceptions=False)
    assert ok.exit_code == 0, ok.output
    assert "corrected page live at https://ybj.ceshi.gov.cn/gongshi/cases/2026/2026-0012/" in ok.output
    assert deploy.current_release(root) != before
    edit_case(content, "2026-0012", "并处违规金额2倍罚款52000元", "并处罚款52000元")
    stale = runner.invoke(cli, ["apply-correction", "GZ-2026-001", *args], catch_exceptions=False)
    assert stale.exit_code == 1 and "does not carry the corrected value of result.summary" in stale.output
