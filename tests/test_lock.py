"""The publish lock: one run at a time, stale locks of dead processes recovered (SPEC §7)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.errors import LockBusy
from publish.lock import LOCK_NAME, publish_lock, read_holder

ROOT_DIR = Path(__file__).resolve().parents[1]

# A process that takes the lock, says so on stdout, then sleeps (or appends to a log).
HOLDER = """
import sys, time
from pathlib import Path
from publish.lock import publish_lock
root, hold, log = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
with publish_lock(root, timeout=30):
    print("locked", flush=True)
    if log != "-":
        with open(log, "a") as fh:
            fh.write("start\\n"); fh.flush(); time.sleep(hold); fh.write("end\\n")
    else:
        time.sleep(hold)
"""


def _holder(root: Path, hold: float, log: str = "-") -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(root), str(hold), log],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT_DIR)
    return proc


def _wait_locked(proc: subprocess.Popen) -> None:
    assert proc.stdout.readline().strip() == "locked"


def test_lock_writes_pid_while_held_and_clears_it(tmp_path):
    """SPEC §7: the holder's pid is in ROOT/.lock while it runs (for the message), gone after."""
    with publish_lock(tmp_path / "root", timeout=0):
        assert read_holder(tmp_path / "root") == os.getpid()
    assert read_holder(tmp_path / "root") is None
    assert (tmp_path / "root" / LOCK_NAME).exists()


def test_second_run_fails_naming_the_holder(tmp_path):
    """SPEC §7 one run at a time: a second run gives up after its timeout, naming the pid."""
    proc = _holder(tmp_path, 30)
    try:
        _wait_locked(proc)
        started = time.monotonic()
        with pytest.raises(LockBusy) as err:
            with publish_lock(tmp_path, timeout=0.5):
                pytest.fail("the lock was taken twice")
        assert time.monotonic() - started >= 0.5
        assert f"pid {proc.pid}" in str(err.value)
        assert "live site is unchanged" in str(err.value)
    finally:
        proc.kill()
        proc.wait()


def test_second_run_waits_for_the_first(tmp_path):
    """SPEC §7: within LOCK_TIMEOUT the second run waits and then proceeds."""
    log = tmp_path / "log"
    proc = _holder(tmp_path / "root", 0.8, str(log))
    _wait_locked(proc)
    messages = []
    with publish_lock(tmp_path / "root", timeout=20, progress=messages.append):
        assert log.read_text().split() == ["start", "end"]  # the first run had finished
        assert read_holder(tmp_path / "root") == os.getpid()
    assert len(messages) == 1 and str(proc.pid) in messages[0]
    proc.wait()


def test_lock_of_a_killed_holder_is_recovered(tmp_path):
    """SPEC §7: kill -9 of the holder leaves no stale lock (flock dies with its process)."""
    proc = _holder(tmp_path, 60)
    _wait_locked(proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert read_holder(tmp_path) == proc.pid  # the dead holder's pid is still written …
    with publish_lock(tmp_path, timeout=0):  # … but the lock is free at once
        assert read_holder(tmp_path) == os.getpid()


def test_concurrent_holders_never_overlap(tmp_path):
    """SPEC §7: four processes racing for the lock run strictly one after another."""
    log = tmp_path / "log"
    procs = [_holder(tmp_path / "root", 0.2, str(log)) for _ in range(4)]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    assert log.read_text().split() == ["start", "end"] * 4
