"""``gongshi serve``: a warm process that runs the publishes of one release root (issue 9).

A one-case correction at 100,000 results spent about a fifth of its time reading the build
caches (1.4 GB of pickles under ROOT/.cache) and importing the build's modules before any
work of its own.  ``gongshi serve --root ROOT`` reads them once and keeps them in memory.
``gongshi publish`` and ``gongshi apply-correction`` with that ROOT then hand their run to
it over the socket ROOT/.gongshi.sock, the way dmypy or the Bazel server work: the server
forks a child, which finds the caches and modules already loaded and runs the command with
the caller's options, working directory, environment, standard input, output and error;
its exit code is the caller's.

Nothing read changes, only how fast it is read:

* a cache file is handed over only if it is still the very file the server read (device,
  inode, size, modification and change times; caches are replaced, never written in
  place), and once per process (the run may change what it was given; a second read
  reads the file): publish.cache.hold and publish.cache.load_pickle;
* the server refuses a caller whose gongshi files differ from the ones it started with,
  and stops when its own files have changed (an upgrade): the caller then runs the
  command itself, as it does when no server runs or ``--no-server`` is given;
* only the owner of the server may connect (the socket is 0600 and the peer's user is
  checked).

After each run the server reads again the cache files that run replaced, between requests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import importlib.metadata
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import GongshiError

from . import cache, heap
from .settings import PROJECT_ROOT

SOCKET = ".gongshi.sock"
LOCK = ".gongshi.serve.lock"  # held by the one server of a root
COMMANDS = ("publish", "apply-correction")  # what a server runs
FIRST_REPLY_TIMEOUT = 60.0  # s; a server answers at once, or after the cache file it is reading
REQUEST_TIMEOUT = 5.0  # s a caller has to send its request
RECHECK_EVERY = 30.0  # s between looks at the cache files when idle (runs of their own replace them)
CACHE_DIR = ".cache"  # ROOT/.cache, as publish.publish names it
CODE_DIRS = ("gongshi", "pipeline", "publish")  # the Python files a server has imported
# Imported once by the server, so that a run does not import them again.
MODULES = ("gongshi.cli", "publish.publish", "publish.verify", "publish.search", "publish.postbuild")
_SERVED = False  # True in a run forked by the server: it must not hand itself on again
_STOP = -1  # _take_run: this server must stop
_STATE: dict = {}  # "lock": the server's lock file descriptor (not for its runs to hold)


class ServerFailed(GongshiError):
    """``gongshi serve`` cannot start (socket in use, path too long)."""


def code_identity() -> str:
    """sha256 over what a run's code is: the Python running it, the installed packages
    and versions, and the name, size and modification time of every Python file of
    gongshi."""
    h = hashlib.sha256(f"{sys.version}\0{sys.prefix}\n".encode())
    # A set: a project directory on sys.path (the working directory) lists gongshi twice.
    for dist in sorted({f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()}):
        h.update(f"{dist}\n".encode())
    for top in CODE_DIRS:
        for path in sorted((PROJECT_ROOT / top).rglob("*.py")):
            st = path.stat()
            h.update(f"{path.relative_to(PROJECT_ROOT)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def socket_path(root: Path) -> Path:
    return Path(root).resolve() / SOCKET


def cache_files(root: Path) -> list[Path]:
    """Every cache file of ROOT, largest first (the ones a run would wait for longest)."""
    files = []
    for path in (Path(root) / CACHE_DIR).rglob("*.pickle"):
        with contextlib.suppress(OSError):
            files.append((-path.stat().st_size, str(path)))
    return [Path(name) for _, name in sorted(files)]


# ------------------------------------------------------------------ the caller


def command_args(name: str, command, params: dict) -> list[str]:
    """The command line that gives ``command`` (a click command named ``name``) exactly the
    parsed ``params``: defaults made explicit (``--as-of`` today becomes that date)."""
    options, arguments = [name], []
    for param in command.params:
        value = params.get(param.name)
        if getattr(param, "param_type_name", "") == "argument":
            arguments.append(str(value))
        elif getattr(param, "is_flag", False):
            if value:
                options.append(param.opts[0])
        elif value is not None:
            options += [param.opts[0], value.isoformat() if isinstance(value, dt.date) else str(value)]
    return [*options, "--", *arguments] if arguments else options


def _who() -> list:
    """What a run's rights depend on besides its user: group, groups, mount namespace
    (a systemd sandbox has its own)."""
    return [os.getgid(), sorted(os.getgroups()), os.stat("/proc/self/ns/mnt").st_ino]


def _peer_uid(conn: socket.socket) -> int:
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                          struct.calcsize("3i")))
    return uid


def _send(conn: socket.socket, message: dict, fds: list[int] | None = None) -> None:
    data = (json.dumps(message) + "\n").encode("ascii")  # ASCII: undecodable names survive as escapes
    if fds:
        socket.send_fds(conn, [data], fds)
    else:
        conn.sendall(data)


def _lines(conn: socket.socket):
    """The JSON messages (one per line) arriving on ``conn`` until it closes."""
    buffer = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield json.loads(line)


def forward(root: Path, args: list[str], say: Callable[[str], None], quiet: bool = False) -> int | None:
    """Run ``gongshi ARGS`` in the server of ``root``; its exit code, or None when no
    server runs there or it did not take the run (``say`` tells why): the caller then
    runs it.  ``quiet``: say nothing when it is taken."""
    if _SERVED:
        return None
    path = socket_path(root)
    if not path.exists():
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with conn:
        try:
            conn.connect(str(path))
        except OSError:  # a socket left by a server that is gone
            return None
        if _peer_uid(conn) != os.geteuid():
            say(f"{path} belongs to a server of another user: running here")
            return None
        umask = os.umask(0)
        os.umask(umask)
        streams = {"stdout": sys.stdout, "stderr": sys.stderr}
        request = {"code": code_identity(), "args": args, "cwd": os.getcwd(), "env": dict(os.environ),
                   "umask": umask, "who": _who(),
                   "streams": {k: [getattr(s, "encoding", None) or "utf-8", getattr(s, "errors", None)
                                   or "strict"] for k, s in streams.items()}}
        try:
            conn.settimeout(FIRST_REPLY_TIMEOUT)
            _send(conn, request, [0, 1, 2])
            messages = _lines(conn)
            first = next(messages, None)
            conn.settimeout(None)
        except (OSError, ValueError) as exc:
            say(f"gongshi serve for {root} did not answer ({exc}): running here")
            return None
        if not first or not isinstance(first.get("pid"), int) or first["pid"] <= 1:
            say(f"gongshi serve for {root} did not take this run ({(first or {}).get('refused', 'no answer')}): "
                "running here")
            return None
        if not quiet:
            say(f"run by gongshi serve (process {first['pid']}, {first.get('held', 0)} cache files in memory)")
        # The run is a process group of its own (its workers, Pagefind): a signal reaches it all.
        handlers = {sig: signal.signal(sig, lambda sig, _frame: _kill(first["pid"], sig))
                    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            last = next(messages, None)
        except (OSError, ValueError):
            last = None
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
    if not last or "exit" not in last:
        say("the run in gongshi serve ended without an exit status (killed?)")
        return 1
    if not quiet:
        say(f"gongshi serve: {last.get('taken', 0)} cache files were taken from memory")
    return int(last["exit"])


def _kill(group: int, sig: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(group, sig)


# ------------------------------------------------------------------ the server


def serve(root: Path, say: Callable[[str], None]) -> None:
    """Hold ROOT's caches and run the publishes handed over, until stopped (SIGTERM,
    Ctrl-C) or its own files change.  Runs go on after the server stops."""
    root = Path(root).resolve()
    path = socket_path(root)
    if len(os.fsencode(path)) > 100:
        raise ServerFailed(f"{path}: too long for a socket path (100 bytes at most); use a shorter --root")
    root.mkdir(parents=True, exist_ok=True)
    lock = _STATE["lock"] = _lock(root)
    # Frozen survivors (publish.heap) in a long-lived process: the caches hold no reference
    # cycles, and what a request makes is young and still collected.
    heap.keep_survivors_frozen()
    identity = code_identity()
    for name in MODULES:
        __import__(name)
    heap.settle()
    listener = _listen(path)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    children: set[int] = set()
    try:
        say(f"gongshi serve: reading the caches of {root}")
        todo, reading, checked = cache_files(root), True, time.monotonic()
        while True:
            if not todo and reading:
                _forget_gone(root)
                reading = False
                say(f"gongshi serve: ready, {len(cache.held())} cache files in memory; "
                    f"publish and apply-correction with --root {root} run here")
            ready, _, _ = select.select([listener], [], [], 0 if todo else 1.0)
            if ready:
                conn, _ = listener.accept()
                try:
                    pid = _take_run(conn, listener, identity)
                except Exception as exc:  # noqa: BLE001 - one bad request must not stop the server
                    say(f"gongshi serve: a request failed: {exc!r}")
                    pid = None
                if pid == _STOP:
                    say("gongshi serve: its gongshi files changed since it started: stopping")
                    return
                if pid:
                    children.add(pid)
                    say(f"gongshi serve: run started (process {pid})")
            for pid in [p for p in children if os.waitpid(p, os.WNOHANG)[0]]:
                children.discard(pid)
                todo, reading = cache_files(root), True  # the files the run replaced
            if not todo and time.monotonic() - checked > RECHECK_EVERY:
                todo, checked = cache_files(root), time.monotonic()  # runs that were not ours
            if todo:
                reading = cache.hold(todo.pop(0)) or reading
    finally:  # runs handed over go on, and end as if the server were still there
        listener.close()
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(lock)


def _lock(root: Path) -> int:
    """Hold ROOT/.gongshi.serve.lock for the server's life: one server per root."""
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ServerFailed(f"a gongshi serve already runs for {root}") from None
    return fd


def _listen(path: Path) -> socket.socket:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # left by a server that is gone (the lock says none runs)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        listener.bind(str(path))  # 0600: only this user may hand runs over
    finally:
        os.umask(old)
    listener.listen(8)
    return listener


def _forget_gone(root: Path) -> None:
    present = {os.path.realpath(p) for p in cache_files(root)}
    for name in cache.held() - present:
        cache.drop(name)


def _take_run(conn: socket.socket, listener: socket.socket, identity: str) -> int | None:
    """Fork a child for the run asked on ``conn``: its pid, None if refused, _STOP when
    this server must stop (its own files changed)."""
    with conn:
        if _peer_uid(conn) != os.getuid():
            return None
        conn.settimeout(REQUEST_TIMEOUT)
        data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 20, 3)
        try:
            while not data.endswith(b"\n"):
                more = conn.recv(1 << 20)
                if not more:
                    return None
                data += more
            request = json.loads(data)
            refused = _refusal(request, fds, identity)
            if refused:
                _send(conn, {"refused": refused})
                return _STOP if refused.startswith("this server's") else None
            conn.settimeout(None)
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the fork
                listener.close()
                os.close(_STATE["lock"])  # a run outliving the server must not keep a new one out
                _run_child(conn, request, fds)
            return pid
        finally:
            for fd in fds:
                os.close(fd)


def _refusal(request: dict, fds: list[int], identity: str) -> str:
    """Why the run asked by ``request`` must run in its own process instead ("" if not)."""
    if len(fds) != 3:
        return "it did not pass its standard input, output and error"
    if code_identity() != identity:
        return "this server's gongshi files changed since it started: it stops; start it again"
    if request.get("code") != identity:
        return "its gongshi files differ from the server's (another installation or version)"
    args = request.get("args") or [""]
    if args[0] not in COMMANDS:
        return f"only {' and '.join(COMMANDS)} are run by the server"
    if request.get("who") != _who():
        return ("it has other groups or another mount namespace than the server "
                "(e.g. a systemd sandbox): a run handed over would have other rights")
    return ""


def _run_child(conn: socket.socket, request: dict, fds: list[int]) -> None:  # pragma: no cover - fork
    """The forked run: the caller's streams, umask, directory and environment, then the
    command, in a process group of its own."""
    global _SERVED
    code, held, finished = 1, 0, threading.Event()
    try:
        _SERVED = True
        os.setsid()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.umask(request["umask"])
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        streams = request.get("streams", {})
        sys.stdin = open(0, encoding=streams.get("stdout", ["utf-8"])[0], closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding=streams.get("stdout", ["utf-8"])[0],  # noqa: SIM115
                          errors=streams.get("stdout", ["", "strict"])[1], closefd=False,
                          buffering=1 if os.isatty(1) else -1)  # line-buffered on a terminal
        sys.stderr = open(2, "w", encoding=streams.get("stderr", ["utf-8"])[0],  # noqa: SIM115
                          errors=streams.get("stderr", ["", "backslashreplace"])[1], closefd=False,
                          buffering=1)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()  # TZ may differ
        held = len(cache.held())
        _send(conn, {"pid": os.getpid(), "held": held})
        threading.Thread(target=_hang_up_with, args=(conn, finished), daemon=True).start()
        from gongshi.cli import cli

        try:
            cli.main(args=request["args"], prog_name="gongshi", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported to the caller, never to the server
        traceback.print_exc()
    finally:
        finished.set()
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        with contextlib.suppress(BaseException):
            _send(conn, {"exit": code, "taken": held - len(cache.held())})
        os._exit(code)


def _hang_up_with(conn: socket.socket, finished: threading.Event) -> None:  # pragma: no cover - fork
    """If the caller goes away (its terminal closed, killed), the run is hung up, as it
    would be in the caller's own process."""
    with contextlib.suppress(OSError):
        conn.recv(1)
    if not finished.is_set():
        os.killpg(0, signal.SIGHUP)
