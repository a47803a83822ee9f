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
import hashlib
import io
import json
import os
import select
import signal
import socket
import struct
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import GongshiError

from . import cache, heap
from .settings import PROJECT_ROOT

SOCKET = ".gongshi.sock"
CACHE_DIR = ".cache"  # ROOT/.cache, as publish.publish names it
CODE_DIRS = ("gongshi", "pipeline", "publish")  # the Python files a server has imported
# Imported once by the server, so that a run does not import them again.
MODULES = ("gongshi.cli", "publish.publish", "publish.verify", "publish.search", "publish.postbuild")
_SERVED = False  # True in a run forked by the server: it must not hand itself on again
_STOP = -1  # _take_run: this server must stop


class ServerFailed(GongshiError):
    """``gongshi serve`` cannot start (socket in use, path too long)."""


def code_identity() -> str:
    """sha256 over the name, size and modification time of every Python file of gongshi."""
    h = hashlib.sha256()
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


def _send(conn: socket.socket, message: dict, fds: list[int] | None = None) -> None:
    data = (json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8")
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


def forward(root: Path, args: list[str], say: Callable[[str], None]) -> int | None:
    """Run ``gongshi ARGS`` in the server of ``root``; its exit code, or None when no
    server runs there or it refused (``say`` tells why): the caller then runs it."""
    if _SERVED:
        return None
    path = socket_path(root)
    if not path.exists():
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:  # a socket left by a server that is gone
        conn.close()
        return None
    with conn:
        streams = {"stdout": sys.stdout, "stderr": sys.stderr}
        _send(conn, {"code": code_identity(), "args": args, "cwd": os.getcwd(), "env": dict(os.environ),
                     "streams": {k: [getattr(s, "encoding", None) or "utf-8", getattr(s, "errors", None)
                                     or "strict"] for k, s in streams.items()}},
              [0, 1, 2])
        messages = _lines(conn)
        first = next(messages, None)
        if not first or "pid" not in first:
            say(f"gongshi serve for {root} did not take this run ({(first or {}).get('refused', 'no answer')}); "
                "running it here instead")
            return None
        say(f"run by gongshi serve (process {first['pid']}, {first.get('held', 0)} cache files in memory)")
        handlers = {sig: signal.signal(sig, lambda sig, _frame: _kill(first["pid"], sig))
                    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            last = next(messages, None)
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
    if not last or "exit" not in last:
        say("the run in gongshi serve ended without an exit status (killed?)")
        return 1
    say(f"gongshi serve: {last.get('taken', 0)} cache files were taken from memory")
    return int(last["exit"])


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, sig)


# ------------------------------------------------------------------ the server


def serve(root: Path, say: Callable[[str], None], once: bool = False) -> None:
    """Hold ROOT's caches and run the publishes handed over, until stopped (SIGTERM,
    Ctrl-C).  ``once``: stop after the first run has ended and the caches were read again
    (for tests)."""
    root = Path(root).resolve()
    path = socket_path(root)
    if len(os.fsencode(path)) > 100:
        raise ServerFailed(f"{path}: too long for a socket path (100 bytes at most); use a shorter --root")
    root.mkdir(parents=True, exist_ok=True)
    heap.keep_survivors_frozen()
    identity = code_identity()
    for name in MODULES:
        __import__(name)
    heap.settle()
    listener = _listen(path)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        say(f"gongshi serve: reading the caches of {root}")
        todo, reading, children, served = cache_files(root), True, set(), 0
        while True:
            if not todo and reading:
                _forget_gone(root)
                reading = False
                say(f"gongshi serve: ready, {len(cache.held())} cache files in memory; "
                    f"publish and apply-correction with --root {root} run here")
                if once and served and not children:
                    return
            ready, _, _ = select.select([listener], [], [], 0 if todo else 1.0)
            if ready:
                conn, _ = listener.accept()
                pid = _take_run(conn, listener, identity)
                if pid == _STOP:
                    return  # our files changed: stop, so that an up-to-date server is started
                if pid:
                    children.add(pid)
                    served += 1
                    say(f"gongshi serve: run {served} started (process {pid})")
            for pid in list(children):
                if os.waitpid(pid, os.WNOHANG)[0]:
                    children.discard(pid)
                    todo, reading = cache_files(root), True  # the files the run replaced
            if todo:
                cache.hold(todo.pop(0))
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            path.unlink()


def _listen(path: Path) -> socket.socket:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with probe:
        try:
            probe.connect(str(path))
        except OSError:
            pass
        else:
            raise ServerFailed(f"a gongshi serve already runs for {path.parent} ({path} answers)")
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # left by a server that is gone
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
        _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                              struct.calcsize("3i")))
        if uid != os.getuid():
            return None
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
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the fork
                listener.close()
                _run_child(conn, request, fds)
            return pid
        finally:
            for fd in fds:
                os.close(fd)


def _refusal(request: dict, fds: list[int], identity: str) -> str:
    if len(fds) != 3:
        return "it did not pass its standard input, output and error"
    if code_identity() != identity:
        return "this server's gongshi files changed since it started: it stops; start it again"
    if request.get("code") != identity:
        return "its gongshi files differ from the server's (another installation or version)"
    return ""


def _run_child(conn: socket.socket, request: dict, fds: list[int]) -> None:  # pragma: no cover - fork
    """The forked run: the caller's streams, directory and environment, then the command."""
    global _SERVED
    code, held = 1, 0
    try:
        _SERVED = True
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        streams = request.get("streams", {})
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
        sys.stdout = _stream(1, *streams.get("stdout", ("utf-8", "strict")))
        sys.stderr = _stream(2, *streams.get("stderr", ("utf-8", "backslashreplace")))
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if hasattr(__import__("time"), "tzset"):
            __import__("time").tzset()  # TZ may differ
        held = len(cache.held())
        _send(conn, {"pid": os.getpid(), "held": held})
        from gongshi.cli import cli

        try:
            cli.main(args=request["args"], prog_name="gongshi", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported to the caller, never to the server
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        with contextlib.suppress(BaseException):
            _send(conn, {"exit": code, "taken": held - len(cache.held())})
        os._exit(code)


def _stream(fd: int, encoding: str, errors: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), encoding=encoding, errors=errors,
                            line_buffering=True, write_through=True)
