"""Releases, the atomic switch, debris, pruning, rollback targets, the CDN purge and the
systemd units (SPEC §7).  Built on small hand-made trees: no site build needed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongshi.cli import cli
from pipeline.errors import DeployFailed
from publish import cdn, deploy
from publish.publish import resurrected
from publish.schedule import SERVICE, TIMER, UnitValueInvalid, systemd_units, write_units


def make_release(root: Path, files: dict[str, str], gone=(), withdrawn=(), base_url="https://x.gov.cn/g/"):
    """A complete release of ``files`` (path -> text), built the way publish builds one."""
    staging = deploy.new_staging(root)
    site = staging / deploy.SITE
    for rel, text in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text, encoding="utf-8")
    hashes = deploy.hash_tree(site)
    deploy.write_gone_markers(staging, list(gone))
    manifest = {"files": hashes, "gone": list(gone), "withdrawn": list(withdrawn), "base_url": base_url}
    deploy.write_manifest(staging, manifest)
    time.sleep(0.002)  # names carry microseconds; keep them distinct and ordered
    return deploy.finalize_release(staging, deploy.release_name(deploy.tree_digest(hashes)))


SITE_A = {"index.html": "home A", "cases/2026/a/index.html": "case a", "theme/site.css": "css"}


def test_release_has_manifest_with_every_file_hash(tmp_path):
    """SPEC §7: a release records every served file with its SHA-256, outside the served tree."""
    release = make_release(tmp_path, SITE_A)
    manifest = deploy.read_manifest(release)
    assert set(manifest["files"]) == set(SITE_A)
    assert manifest["files"]["index.html"] == deploy.file_sha256(release / "site" / "index.html")
    assert not (release / "site" / deploy.MANIFEST).exists()
    assert release.name.endswith(deploy.tree_digest(manifest["files"])[:12])


def test_hard_linked_files_take_their_digest_from_the_previous_manifest(tmp_path, monkeypatch):
    """Issue 9: sealing a release reads only the files that are not the previous
    release's own (hard-linked) files, and the manifest equals a full hash."""
    old = make_release(tmp_path, SITE_A)
    site = tmp_path / "next"
    for rel in SITE_A:
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        os.link(old / "site" / rel, site / rel)
    (site / "index.html").unlink()
    (site / "index.html").write_text("home B", encoding="utf-8")  # a new file, same path
    (site / "new.html").write_text("new", encoding="utf-8")
    full = deploy.hash_tree(site)
    read: list[str] = []
    real = deploy.file_sha256
    monkeypatch.setattr(deploy, "file_sha256", lambda p: read.append(Path(p).name) or real(p))
    assert deploy.hash_tree(site, old) == full
    assert sorted(read) == ["index.html", "new.html"]
    assert deploy.linked_files(site, old) == set(SITE_A) - {"index.html"}
    assert deploy.linked_files(site, None) == set()


def test_kept_inodes_serve_only_the_very_directory_they_were_listed_from(tmp_path):
    """Issue 9: the inodes of a release's files are kept for the next run (no walk of its
    200,000 files); a copy of the release (restored from a backup, say) has other inodes,
    and is walked again instead of trusted, as is any other release."""
    release = make_release(tmp_path, SITE_A)
    cache = tmp_path / "cache"
    assert deploy.load_listing(cache, release) is None  # nothing kept yet
    inodes = deploy.file_inodes(release / "site")
    deploy.save_inodes(cache, release, inodes)
    assert deploy.load_listing(cache, release) == (inodes, {})
    other = make_release(tmp_path, {"index.html": "other"})
    assert deploy.load_listing(cache, other) is None
    backup = tmp_path / "backup"
    shutil.copytree(release, backup)
    shutil.rmtree(release)
    shutil.copytree(backup, release)  # the same name and path, new files
    assert deploy.load_listing(cache, release) is None
    (cache / deploy.INODES_FILE).write_bytes(b"not a pickle")
    assert deploy.load_listing(cache, other) is None
    # The release is live when they are kept: a cache that cannot be written is no error.
    (tmp_path / "full").write_text("")
    deploy.save_inodes(tmp_path / "full", other, inodes)  # a file where the cache dir goes
    assert deploy.load_listing(tmp_path / "full", other) is None


def test_switch_is_atomic_for_readers(tmp_path):
    """SPEC §7: while current flips between releases, a reader always finds a whole site."""
    one = make_release(tmp_path, {"index.html": "one"})
    two = make_release(tmp_path, {"index.html": "two"})
    deploy.switch_current(tmp_path, one)
    stop, seen, errors = threading.Event(), set(), []

    def read():
        while not stop.is_set():
            try:
                seen.add((tmp_path / "current" / "site" / "index.html").read_text())
            except OSError as exc:
                errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(300):
        deploy.switch_current(tmp_path, two if n % 2 == 0 else one)
    stop.set()
    reader.join()
    assert errors == []
    assert seen == {"one", "two"}
    assert os.readlink(tmp_path / "current") == f"releases/{one.name}"  # relative: ROOT can move


def test_switch_refuses_an_incomplete_release(tmp_path):
    """SPEC §7: current never points at a release without a manifest."""
    staging = deploy.new_staging(tmp_path)
    with pytest.raises(DeployFailed):
        deploy.switch_current(tmp_path, staging)
    assert deploy.current_release(tmp_path) is None


def test_clean_debris_removes_only_debris(tmp_path):
    """SPEC §7: the next run removes half-built staging dirs, manifest-less releases and
    temporary symlinks, and keeps complete releases and the live one."""
    live = make_release(tmp_path, SITE_A)
    other = make_release(tmp_path, {"index.html": "other"})
    deploy.switch_current(tmp_path, live)
    staging = deploy.new_staging(tmp_path)
    (staging / "site").mkdir()
    half = deploy.releases_dir(tmp_path) / "20260101T000000.000000Z-abc"
    (half / "site").mkdir(parents=True)
    os.symlink("releases/x", tmp_path / ".current.tmp-999")
    removed = deploy.clean_debris(tmp_path)
    assert sorted(removed) == sorted([".current.tmp-999", f"releases/{staging.name}", f"releases/{half.name}"])
    assert deploy.list_releases(tmp_path) == sorted([live, other])
    assert deploy.current_release(tmp_path) == live.resolve()
    assert deploy.clean_debris(tmp_path) == []


def test_prune_keeps_n_and_never_current(tmp_path):
    """SPEC §7: keep the last N releases; the live one survives even if it is older."""
    releases = [make_release(tmp_path, {"index.html": str(n)}) for n in range(5)]
    deploy.switch_current(tmp_path, releases[0])
    pruned = deploy.prune_releases(tmp_path, 2)
    assert pruned == [r.name for r in releases[1:3]]
    assert deploy.list_releases(tmp_path) == [releases[0], releases[3], releases[4]]


def test_previous_release_walks_back(tmp_path):
    """SPEC §7 roll back: the target is the newest complete release older than current."""
    one, two, three = (make_release(tmp_path, {"index.html": str(n)}) for n in range(3))
    assert deploy.previous_release(tmp_path) is None
    deploy.switch_current(tmp_path, three)
    assert deploy.previous_release(tmp_path) == one.parent / two.name
    deploy.switch_current(tmp_path, two)
    assert deploy.previous_release(tmp_path) == one.parent / one.name
    deploy.switch_current(tmp_path, one)
    assert deploy.previous_release(tmp_path) is None


def test_gone_markers_cover_every_form_of_the_url(tmp_path):
    """R-RET5/R-RET2: an expired case URL answers 410 with or without slash or index.html."""
    release = make_release(tmp_path, SITE_A, gone=["cases/2021/2021-0003/"])
    gone = release / "gone"
    assert sorted(p.relative_to(gone).as_posix() for p in gone.rglob("*.410")) == [
        "cases/2021/2021-0003.410", "cases/2021/2021-0003/.410", "cases/2021/2021-0003/index.html.410"]
    with pytest.raises(DeployFailed):
        deploy.write_gone_markers(tmp_path, ["../../etc/"])
    with pytest.raises(DeployFailed, match="both served and listed as gone"):
        deploy.write_gone_markers(release, ["cases/2026/a/"])


def test_unchanged_files_keep_their_mtime(tmp_path):
    """SPEC §7 caching: nginx's ETag comes from mtime+size, so unchanged files keep it."""
    old = make_release(tmp_path, SITE_A)
    os.utime(old / "site" / "theme/site.css", (1_000_000_000, 1_000_000_000))
    site = tmp_path / "new"
    for rel, text in dict(SITE_A, **{"index.html": "home B"}).items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    deploy.keep_unchanged_mtimes(site, deploy.hash_tree(site), old)
    assert (site / "theme/site.css").stat().st_mtime == 1_000_000_000
    assert (site / "index.html").stat().st_mtime > 1_000_000_000


def test_diff_manifests_lists_changed_added_and_removed_urls():
    """SPEC §7 CDN: changed (incl. added) and removed URLs, pages as directory URLs."""
    old = {"files": {"index.html": "1", "cases/2026/a/index.html": "2", "theme/site.css": "3",
                     "cases/2021/x/index.html": "4"}}
    new = {"files": {"index.html": "1*", "cases/2026/a/index.html": "2", "theme/site.css": "3",
                     "cases/2026/b/index.html": "5"}}
    assert cdn.diff_manifests(old, new) == (["", "cases/2026/b/"], ["cases/2021/x/"])
    assert cdn.diff_manifests({}, new) == ([], [])
    assert cdn.absolute_urls(["", "a/"], "https://x.gov.cn/g") == ["https://x.gov.cn/g/", "https://x.gov.cn/g/a/"]


def test_resurrected_finds_pages_a_rollback_would_show_again():
    """R-WITHDRAW, R-RET5: rolling back must not show a withdrawn or expired case again."""
    current = {"files": {"cases/2026/w/index.html": "notice"}, "gone": ["cases/2021/x/"],
               "withdrawn": ["cases/2026/w/"]}
    older = {"files": {"cases/2026/w/index.html": "full", "cases/2021/x/index.html": "full"},
             "gone": [], "withdrawn": []}
    assert resurrected(current, older) == ["cases/2021/x/", "cases/2026/w/"]
    assert resurrected(current, dict(older, withdrawn=["cases/2026/w/"])) == ["cases/2021/x/"]
    assert resurrected(older, current) == []


ARGV_SCRIPT = """import json, sys
with open(sys.argv[1], "a") as fh:
    fh.write(json.dumps(sys.argv[2:]) + "\\n")
sys.exit(int(sys.argv[2]))
"""


def _purge_command(tmp_path: Path, status: int) -> list[str]:
    script = tmp_path / "purge.py"
    script.write_text(ARGV_SCRIPT)
    return [sys.executable, str(script), str(tmp_path / "calls.jsonl"), str(status)]


def _calls(tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "calls.jsonl"
    return [json.loads(line)[1:] for line in path.read_text().splitlines()] if path.exists() else []


def test_purge_runs_the_command_with_urls_as_arguments(tmp_path):
    """SPEC §7 CDN: the purge command is an argument list; URLs are appended, no shell."""
    urls = ["https://x.gov.cn/g/a b/", "https://x.gov.cn/g/$(touch pwned)/"]
    result = cdn.purge(tmp_path, urls, _purge_command(tmp_path, 0))
    assert result.ok and result.urls == sorted(urls)
    assert _calls(tmp_path) == [sorted(urls)]
    assert not (tmp_path / "pwned").exists()
    assert not (tmp_path / cdn.PENDING).exists()


def test_failed_purge_is_kept_and_retried(tmp_path):
    """SPEC §7 CDN: a failed purge is reported, kept in purge-pending.txt, retried next run."""
    failed = cdn.purge(tmp_path, ["https://x/1"], _purge_command(tmp_path, 3))
    assert not failed.ok and "status 3" in failed.error
    assert cdn.read_url_file(tmp_path / cdn.PENDING) == ["https://x/1"]
    retried = cdn.purge(tmp_path, ["https://x/2"], _purge_command(tmp_path, 0))
    assert retried.ok and _calls(tmp_path)[-1] == ["https://x/1", "https://x/2"]
    assert not (tmp_path / cdn.PENDING).exists()


def test_purge_batches_and_unconfigured(tmp_path, monkeypatch):
    """SPEC §7 CDN: long lists go out in batches; without PURGE_COMMAND nothing runs or piles up."""
    sent = []
    monkeypatch.setattr(cdn, "call_purge_command", lambda command, urls: sent.append((command, urls)))
    monkeypatch.setattr(cdn, "BATCH", 2)
    cdn.purge(tmp_path, ["u3", "u1", "u2"], ["purge-tool", "--zone", "gov"])
    assert sent == [(["purge-tool", "--zone", "gov"], ["u1", "u2"]), (["purge-tool", "--zone", "gov"], ["u3"])]
    assert cdn.purge(tmp_path, ["u"], None).configured is False
    assert not cdn.purge(tmp_path, ["u"], "purge-tool u").ok  # a shell string is refused
    assert not (tmp_path / cdn.PENDING).exists()


def test_missing_purge_binary_is_reported(tmp_path):
    """SPEC §7 CDN: a purge command that cannot start is a reported failure, not a crash."""
    result = cdn.purge(tmp_path, ["https://x/1"], [str(tmp_path / "no-such-tool")])
    assert not result.ok and "could not run" in result.error
    assert cdn.read_url_file(tmp_path / cdn.PENDING) == ["https://x/1"]


def test_systemd_units(tmp_path):
    """SPEC §7: nightly at 02:00 Beijing time, catching up missed runs, as-of in Beijing time."""
    units = systemd_units(tmp_path / "content", tmp_path / "root", user="gongshi", executable="/opt/g/gongshi")
    service, timer = units[SERVICE], units[TIMER]
    assert "OnCalendar=*-*-* 02:00:00 Asia/Shanghai" in timer
    assert "Persistent=true" in timer and "RandomizedDelaySec=" in timer
    assert "Environment=TZ=Asia/Shanghai" in service and "User=gongshi" in service
    assert f"ExecStart=/opt/g/gongshi publish --content {tmp_path}/content --root {tmp_path}/root" in service
    calendar = subprocess.run(["systemd-analyze", "calendar", "*-*-* 02:00:00 Asia/Shanghai"],
                              capture_output=True, text=True)
    assert calendar.returncode == 0, calendar.stderr
    assert "Asia/Shanghai" in calendar.stdout
    paths = write_units(units, tmp_path / "units")
    assert sorted(p.name for p in paths) == sorted([SERVICE, TIMER])
    with pytest.raises(UnitValueInvalid):
        systemd_units(tmp_path, tmp_path, user="root; rm")
    with pytest.raises(UnitValueInvalid):
        systemd_units(tmp_path / "a b", tmp_path)


def test_cli_nginx_conf_and_systemd_units(tmp_path):
    """SPEC §7: the config and unit commands write files and reject unsafe values cleanly."""
    runner = CliRunner()
    out = tmp_path / "gongshi.conf"
    result = runner.invoke(cli, ["nginx-conf", "--root", str(tmp_path), "--prefix", "/gongshi/",
                                 "--output", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"alias {tmp_path.resolve()}/current/site/;" in out.read_text()
    bad = runner.invoke(cli, ["nginx-conf", "--root", str(tmp_path), "--prefix", "gongshi"])
    assert bad.exit_code == 2 and "starts and ends with '/'" in bad.output
    result = runner.invoke(cli, ["systemd-units", "--content", str(tmp_path / "c"), "--root",
                                 str(tmp_path / "r"), "--output", str(tmp_path / "units")],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "units" / TIMER).is_file() and (tmp_path / "units" / SERVICE).is_file()


def test_docs_cover_every_deploy_command_and_setting():
    """STYLE §3: docs/deploy.md documents every deploy command, option and setting."""
    from gongshi.commands import publish as commands

    doc = (Path(__file__).resolve().parents[1] / "docs" / "deploy.md").read_text(encoding="utf-8")
    for name in ("publish", "rollback", "apply-correction", "nginx-conf", "systemd-units"):
        command = cli.commands[name]
        assert f"gongshi {name}" in doc, name
        assert command.help and "Example: gongshi " + name in command.help, name
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt not in ("--content", "--quiet"):
                    assert opt in doc, f"{name} {opt}"
    for setting in ("KEEP_RELEASES", "LOCK_TIMEOUT", "PURGE_COMMAND"):
        assert setting in doc
    assert commands.__doc__
