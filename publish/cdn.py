"""The CDN side of a release: which URLs changed, and the purge command (SPEC §7).

The government CDN pulls from our origin; after a switch it must drop its copies
of every changed or removed URL.  The purge command is an argument list
(setting PURGE_COMMAND) to which the URLs are appended: no shell is involved,
so no URL (which carries record ids) is ever parsed as shell syntax (STYLE §5).
A failed purge never undoes or hides a deploy: its URLs are kept in
ROOT/purge-pending.txt and retried by the next run.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

PURGE_LIST = "purge.txt"
PENDING = "purge-pending.txt"
BATCH = 200  # URLs per purge call: keeps argv far below the kernel's limit
TIMEOUT = 300  # seconds one purge call may take


@dataclass
class PurgeResult:
    """What the purge step did: URLs sent, whether every call succeeded, the error if not."""

    urls: list[str] = field(default_factory=list)
    ok: bool = True
    error: str = ""
    configured: bool = True


def page_url(path: str) -> str:
    """The public URL path of an output file: 'a/index.html' -> 'a/', 'index.html' -> ''."""
    if path == "index.html":
        return ""
    if path.endswith("/index.html"):
        return path[: -len("index.html")]
    return path


def diff_manifests(old: dict, new: dict) -> tuple[list[str], list[str]]:
    """(changed, removed) site-relative URLs between two manifests' ``files`` maps.

    Changed includes added files (the CDN may hold a cached 404 for them).  A
    missing old manifest (first publish) gives no URLs: nothing is cached yet.
    """
    if not old:
        return [], []
    before, after = old.get("files", {}), new.get("files", {})
    changed = sorted(page_url(p) for p, digest in after.items() if before.get(p) != digest)
    removed = sorted(page_url(p) for p in before if p not in after)
    return changed, removed


def absolute_urls(urls: list[str], base_url: str) -> list[str]:
    """Join site-relative URLs onto the site's public base URL (bureau site.url)."""
    base = base_url.rstrip("/") + "/" if base_url else "/"
    return [base + u for u in urls]


def write_purge_list(release: Path, urls: list[str]) -> Path:
    """Write ``purge.txt`` (one absolute URL per line) beside the served tree; returns it."""
    path = Path(release) / PURGE_LIST
    path.write_text("".join(u + "\n" for u in urls), encoding="utf-8")
    return path


def read_url_file(path: Path) -> list[str]:
    """URLs of a one-per-line file; [] when it is missing."""
    try:
        return [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line]
    except FileNotFoundError:
        return []


def call_purge_command(command: list[str], urls: list[str]) -> None:
    """Run ``command + urls`` once (no shell). The one place the CDN is called.

    Raises subprocess.CalledProcessError / TimeoutExpired / OSError on failure.
    """
    subprocess.run([*command, *urls], check=True, timeout=TIMEOUT,
                   stdin=subprocess.DEVNULL, capture_output=True)


def purge(root: Path, urls: list[str], command: list[str] | None) -> PurgeResult:
    """Purge ``urls`` plus any still pending from earlier runs; never raises.

    Without a command nothing is sent or kept (``configured`` False).  On failure
    every URL not yet purged is written to ROOT/purge-pending.txt for the next run.
    """
    if not command:
        return PurgeResult(configured=False)
    if isinstance(command, str):  # a shell string would be split unsafely
        return PurgeResult(ok=False, error="PURGE_COMMAND must be a list of arguments, not a string")
    pending_path = Path(root) / PENDING
    todo = sorted(set(read_url_file(pending_path)) | set(urls))
    result = PurgeResult(urls=todo)
    for start in range(0, len(todo), BATCH):
        try:
            call_purge_command(list(command), todo[start:start + BATCH])
        except (OSError, subprocess.SubprocessError) as exc:
            result.ok, result.error = False, _describe(exc)
            _write_pending(pending_path, todo[start:])
            return result
    pending_path.unlink(missing_ok=True)
    return result


def _describe(exc: Exception) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        tail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:]
        return f"purge command exited with status {exc.returncode}" + (f": {tail[0]}" if tail else "")
    if isinstance(exc, subprocess.TimeoutExpired):
        return f"purge command did not finish within {TIMEOUT}s"
    return f"purge command could not run: {exc}"


def _write_pending(path: Path, urls: list[str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(u + "\n" for u in urls), encoding="utf-8")
    tmp.replace(path)
