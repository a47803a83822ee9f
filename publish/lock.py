"""One publishing run at a time (SPEC §7).

The lock is an ``fcntl.flock`` on ``ROOT/.lock``.  The kernel releases it when the
holding process exits for any reason (even ``kill -9``), so a stale lock cannot
outlive its holder and needs no manual cleanup.  The holder writes its pid into
the file only so that a waiting run can say *who* holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.errors import LockBusy

LOCK_NAME = ".lock"
POLL_SECONDS = 0.1


def read_holder(root: Path) -> int | None:
    """The pid written by the last holder of ROOT/.lock, or None when unreadable/empty.

    The pid may belong to a process that has exited: only the flock says whether
    the lock is held.
    """
    try:
        text = (Path(root) / LOCK_NAME).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def publish_lock(root: Path, timeout: float, progress: Callable | None = None) -> Iterator[Path]:
    """Hold the exclusive publishing lock of ``root`` for the ``with`` block; yields its path.

    Waits up to ``timeout`` seconds (0 = do not wait) for another run to finish,
    announcing the wait once through ``progress``.  Raises LockBusy naming the
    holder's pid when the wait times out.  ``root`` is created if missing.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_NAME
    # O_CLOEXEC (Python's default) keeps child processes (the purge command) from
    # inheriting the lock.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, root, timeout, progress)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)  # the pid is only meaningful while the lock is held
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, root: Path, timeout: float, progress: Callable | None) -> None:
    deadline = time.monotonic() + max(timeout, 0)
    announced = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockBusy(_busy_message(root, timeout)) from None
            if progress and not announced:
                progress(f"waiting for another publish run (pid {read_holder(root) or '?'}) "
                         f"to finish, up to {timeout:g}s …")
                announced = True
            time.sleep(POLL_SECONDS)


def _busy_message(root: Path, timeout: float) -> str:
    pid = read_holder(root)
    who = f"pid {pid}" if pid else "another process"
    return (
        f"另一个发布任务正在运行 / another publish run ({who}) holds {root / LOCK_NAME}; "
        f"gave up after waiting {timeout:g}s.\n"
        "The live site is unchanged. Run again when that run has finished "
        "(raise LOCK_TIMEOUT or --wait to wait longer). The lock is released "
        "automatically when its holder exits, even if it was killed."
    )
