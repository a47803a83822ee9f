"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, and a
local HTTP server for a built site.  Used by every browser test."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# The flags this machine needs: no background networking (the network is closed).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path, prefix: str = ""):
    """Serve ``directory`` on 127.0.0.1 (a free port); yields the base URL.

    With ``prefix`` (e.g. "/gongshi/") the site is served under that sub-path,
    as a CDN would, to prove relative links work anywhere.
    """
    root = Path(directory)
    if prefix:
        holder = root.parent / "_served"
        holder.mkdir(exist_ok=True)
        link = holder / prefix.strip("/")
        if link.is_symlink() and link.resolve() != root.resolve():
            link.unlink()  # left by a site served before from the same parent
        if not link.exists():
            link.symlink_to(root.resolve(), target_is_directory=True)
        root = holder
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix or '/'}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def browser():
    """A headless Chromium browser (Playwright sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
