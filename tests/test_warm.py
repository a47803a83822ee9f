"""`gongshi serve` (publish.warm, issue 9): a warm process keeps ROOT's caches read and runs
the publishes handed to it.  It may change how fast a run reads its caches, never what the
run reads, does or writes: a run handed over gives the release, ledger, output and exit
status of a run of its own."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest

from gongshi.cli import cli
from publish import cache, warm
from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT, copy_content, served_tree

GONGSHI = str(Path(sys.executable).with_name("gongshi"))


def _dump(path: Path, obj) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(obj))
    os.replace(tmp, path)  # as the cache writer does: a new file, never written in place


@pytest.fixture
def held_nothing():
    yield
    for name in cache.held():
        cache.drop(name)


def test_a_held_cache_file_is_handed_over_once_and_only_while_it_is_the_file_read(tmp_path, held_nothing):
    """Issue 9: a run forked from the server takes the contents the server read instead of
    reading the file, but only that very file, and only once (it may change what it got)."""
    path = tmp_path / "c.pickle"
    _dump(path, {"case": ["v1"]})
    assert cache.hold(path) is True
    assert cache.hold(path) is False  # held as it is: not read again
    given = cache.load_pickle(path)
    assert given == {"case": ["v1"]}
    given["case"].append("changed by the run")
    assert cache.load_pickle(path) == {"case": ["v1"]}  # the second read reads the file

    assert cache.hold(path) is True  # taken: read again
    _dump(path, {"case": ["v2"]})  # replaced after the server read it
    assert cache.load_pickle(path) == {"case": ["v2"]}

    assert cache.hold(path) is True
    path.unlink()
    with pytest.raises(FileNotFoundError):
        cache.load_pickle(path)
    assert cache.hold(path) is False and not cache.held()


def test_a_held_cache_is_what_a_cache_reads(tmp_path, held_nothing):
    """The Cache class reads through the same door: a held shard gives the same entries."""
    store = cache.Cache(tmp_path, "t", shards=4)
    store.save({bytes([i]) * 32: f"value {i}" for i in range(8)}, content_keyed=True)
    fresh = cache.Cache(tmp_path, "t", shards=4).data
    for path in (tmp_path / "t").glob("*.pickle"):
        assert cache.hold(path)
    assert cache.Cache(tmp_path, "t", shards=4).data == fresh
    assert not cache.held()  # every shard was handed over


def test_command_args_give_the_command_its_parsed_options():
    """The server's child runs exactly the caller's command: defaults made explicit, the
    correction id after '--'."""
    command = cli.commands["apply-correction"]
    with click.Context(command, info_name="apply-correction") as ctx:
        params = command.make_context("apply-correction", ["--root", "r", "--content", "c", "-q", "GZ-1"],
                                      parent=ctx).params
    args = warm.command_args("apply-correction", command, params)
    assert args[-2:] == ["--", "GZ-1"]
    assert "--as-of" in args and dt.date.fromisoformat(args[args.index("--as-of") + 1]) == dt.date.today()
    again = command.make_context("apply-correction", args[1:]).params
    assert again == params


def test_a_server_refuses_other_code_and_stops_when_its_own_changed(monkeypatch):
    mine = warm.code_identity()
    asked = {"code": mine, "args": ["publish"], "who": warm._who()}
    assert warm._refusal(asked, [0, 1, 2], mine) == ""
    assert "differ" in warm._refusal({**asked, "code": "other"}, [0, 1, 2], mine)
    assert "standard input" in warm._refusal(asked, [], mine)
    sandboxed = [*warm._who()[:2], warm._who()[2] + 1]  # another mount namespace
    assert "mount namespace" in warm._refusal({**asked, "who": sandboxed}, [0, 1, 2], mine)
    monkeypatch.setattr(warm, "code_identity", lambda: "upgraded")
    assert warm._refusal(asked, [0, 1, 2], mine).startswith("this server's")


def _publish(content: Path, root: Path, *extra: str, cwd: Path | None = None,
             umask: int = -1) -> subprocess.CompletedProcess:
    return subprocess.run([GONGSHI, "publish", "--content", str(content), "--root", str(root),
                           "--as-of", FIXTURE_AS_OF.isoformat(), *extra],
                          capture_output=True, text=True, timeout=300, cwd=cwd, umask=umask)


def _start_server(root: Path) -> subprocess.Popen:
    log = root.parent / f"{root.name}-serve.log"
    server = subprocess.Popen([GONGSHI, "serve", "--root", str(root)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=log.open("w"))
    server.log = log
    _wait_for(server, 1)
    return server


def _wait_for(server: subprocess.Popen, ready: int) -> None:
    """Until the server has said "ready" ``ready`` times (it has read the caches again)."""
    deadline = time.monotonic() + 60
    while server.log.read_text().count(": ready,") < ready:
        assert server.poll() is None, server.log.read_text()
        assert time.monotonic() < deadline, "gongshi serve is not ready"
        time.sleep(0.05)


def _stop(server: subprocess.Popen) -> str:
    server.terminate()
    server.wait(timeout=60)
    return server.log.read_text()


def _taken(run: subprocess.CompletedProcess) -> int:
    return int(run.stderr.split("gongshi serve: ")[1].split(" cache files were taken")[0])


def _release(root: Path) -> dict[str, bytes]:
    return served_tree(root / "current" / "site")


@pytest.mark.slow
def test_a_run_handed_to_the_server_publishes_what_a_run_of_its_own_does(tmp_path):
    """Issue 9 with R-CORR: a first publish and a correction through `gongshi serve` give
    byte for byte the releases and ledger of the same runs without it; the second run
    takes the caches the server read after the first; a broken file fails the same way
    and leaves the live release alone."""
    served_content = copy_content(FIXTURE_CONTENT, tmp_path / "a" / "content")
    own_content = copy_content(FIXTURE_CONTENT, tmp_path / "b" / "content")
    served_root, own_root = tmp_path / "a" / "root", tmp_path / "b" / "root"
    server = _start_server(served_root)
    try:
        # The caller's directory (relative paths) and umask are the run's, not the server's.
        first = _publish(Path("content"), Path("root"), cwd=tmp_path / "a", umask=0o077)
        assert first.returncode == 0, first.stderr
        assert "run by gongshi serve" in first.stderr
        alone = _publish(Path("content"), Path("root"), "--no-server", cwd=tmp_path / "b", umask=0o077)
        assert alone.returncode == 0 and "gongshi serve" not in alone.stderr
        assert _release(served_root) == _release(own_root)
        for rel in ("current/site/index.html", "current/manifest.json"):
            modes = {(root / rel).stat().st_mode & 0o777 for root in (served_root, own_root)}
            assert modes == {0o600}, rel
        assert (served_content / "ledger.jsonl").stat().st_mode & 0o777 == 0o600

        for content in (served_content, own_content):
            path = next((content / "cases").rglob("2026-0020.md"))
            path.write_text(path.read_text(encoding="utf-8").replace("骗取医保基金3200元", "骗取医保基金3300元"),
                            encoding="utf-8")
        _wait_for(server, 2)  # it has read the caches the first run wrote
        second = _publish(served_content, served_root)
        assert second.returncode == 0 and "run by gongshi serve" in second.stderr, second.stderr
        assert _taken(second) > 0
        own = _publish(own_content, own_root)  # no server for this root
        assert own.returncode == 0
        assert _release(served_root) == _release(own_root)
        assert "3300元" in _release(served_root)["cases/2026/2026-0020/index.html"].decode()
        assert (served_content / "ledger.jsonl").read_bytes() == (own_content / "ledger.jsonl").read_bytes()
        assert second.stdout.split("site:")[0] == own.stdout.split("site:")[0]

        live = os.readlink(served_root / "current")
        broken = next((served_content / "cases").rglob("2026-0021.md"))
        broken.write_text(broken.read_text(encoding="utf-8").replace("decided_on:", "decided_on: [", 1),
                          encoding="utf-8")
        failed = _publish(served_content, served_root)
        assert failed.returncode == 1 and "run by gongshi serve" in failed.stderr
        assert "2026-0021.md" in failed.stderr
        assert os.readlink(served_root / "current") == live
    finally:
        log = _stop(server)
    assert log.count("run started") == 3
    assert not (served_root / warm.SOCKET).exists()


def test_a_server_takes_only_its_own_kind_of_run_and_survives_bad_requests(tmp_path):
    """Only publish and apply-correction are run; a garbled request, or a caller that
    connects and says nothing, neither stops the server nor holds up the next run."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    root = tmp_path / "root"
    server = _start_server(root)
    try:
        said = []
        assert warm.forward(root, ["rollback", "--root", str(root)], said.append) is None
        assert "only publish and apply-correction" in said[0]
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as garbled:
            garbled.connect(str(root / warm.SOCKET))
            garbled.sendall(b"hello\n")
        silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        silent.connect(str(root / warm.SOCKET))
        done = _publish(content, root, "-q")
        silent.close()
        assert done.returncode == 0, done.stderr
        assert "gongshi serve" not in done.stderr  # --quiet: taken without a word
        assert server.poll() is None
    finally:
        log = _stop(server)
    assert "a request failed" in log and log.count("run started") == 1


def test_without_a_live_server_a_run_is_its_own(tmp_path):
    """A socket left by a server that is gone (killed, machine restarted) is not an error."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    root = tmp_path / "root"
    root.mkdir()
    gone = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    gone.bind(str(root / warm.SOCKET))
    gone.close()
    done = _publish(content, root, "-q")
    assert done.returncode == 0, done.stderr
    assert "gongshi serve" not in done.stderr
    assert (root / "current" / "site" / "index.html").exists()


def test_a_second_server_for_one_root_is_refused(tmp_path):
    server = _start_server(tmp_path / "root")
    try:
        again = subprocess.run([GONGSHI, "serve", "--root", str(tmp_path / "root")],
                               capture_output=True, text=True, timeout=60)
        assert again.returncode == 1 and "already runs" in again.stderr
        assert (tmp_path / "root" / warm.SOCKET).exists()  # the first one's socket stays
        assert (tmp_path / "root" / warm.SOCKET).stat().st_mode & 0o777 == 0o600
    finally:
        _stop(server)


def test_a_run_goes_on_when_its_server_stops_and_keeps_no_new_server_out(tmp_path):
    """Stopping or restarting the server (an upgrade, systemctl restart) leaves a run
    handed over going to its end; a new server starts meanwhile."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    root = tmp_path / "root"
    server = _start_server(root)
    run = subprocess.Popen([GONGSHI, "publish", "--content", str(content), "--root", str(root),
                            "--as-of", FIXTURE_AS_OF.isoformat()], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        while "run started" not in server.log.read_text():
            assert run.poll() is None, run.communicate()
            time.sleep(0.02)
        _stop(server)
        server = _start_server(root)
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        assert "run by gongshi serve" in err and "is live" in out
    finally:
        _stop(server)
