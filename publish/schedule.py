"""systemd units for the nightly publish (SPEC §7, docs/deploy.md).

The timer fires at 02:00 Beijing time whatever the server's own time zone, and
``Persistent=true`` catches up a run missed while the machine was off.  The
service sets ``TZ=Asia/Shanghai`` because ``publish`` without ``--as-of`` takes
"today" from the local clock: on a UTC server 02:00 Beijing is still yesterday.
"""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from pathlib import Path

from pipeline.errors import GongshiError

SERVICE = "gongshi-publish.service"
TIMER = "gongshi-publish.timer"
ON_CALENDAR = "*-*-* 02:00:00 Asia/Shanghai"
RANDOM_DELAY = "5min"  # spreads load a little; the 410s and corrections can wait minutes
USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


class UnitValueInvalid(GongshiError):
    """A value for the systemd units would break them (user name, path)."""


def gongshi_executable() -> str:
    """The absolute path of the ``gongshi`` command of this installation."""
    beside = Path(sys.executable).with_name("gongshi")
    return str(beside) if beside.exists() else (shutil.which("gongshi") or "gongshi")


def systemd_units(content_dir: Path, root: Path, user: str = "gongshi",
                  executable: str | None = None) -> dict[str, str]:
    """{file name: text} of the publish service and its nightly timer.

    Paths are made absolute.  Raises UnitValueInvalid for a user name systemd
    would reject or a path containing a newline or '%' (a systemd specifier).
    """
    if not USER_RE.match(user):
        raise UnitValueInvalid(f"user {user!r} is not a valid system user name (e.g. gongshi)")
    content = _path(content_dir)
    root_s = _path(root)
    exe = executable or gongshi_executable()
    command = shlex.join([exe, "publish", "--content", content, "--root", root_s, "--quiet"])
    service = f"""[Unit]
Description=gongshi: build, verify and publish the 行政执法公示 site
Documentation=file://{_path(Path(__file__).resolve().parents[1] / "docs" / "deploy.md")}
After=network-online.target

[Service]
Type=oneshot
User={user}
# publish without --as-of uses the local date: make it Beijing's (SPEC §7).
Environment=TZ=Asia/Shanghai
ExecStart={command}
# The run writes only the release root and the ledger in the content directory.
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={root_s} {content}
"""
    timer = f"""[Unit]
Description=gongshi: nightly publish at 02:00 Beijing time

[Timer]
OnCalendar={ON_CALENDAR}
Persistent=true
RandomizedDelaySec={RANDOM_DELAY}
Unit={SERVICE}

[Install]
WantedBy=timers.target
"""
    return {SERVICE: service, TIMER: timer}


def write_units(units: dict[str, str], output_dir: Path) -> list[Path]:
    """Write each unit into ``output_dir`` (created if missing); returns the paths."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in units.items():
        (out / name).write_text(text, encoding="utf-8")
        paths.append(out / name)
    return paths


def _path(path: Path) -> str:
    text = str(Path(path).resolve())
    if "\n" in text or "%" in text or " " in text:
        raise UnitValueInvalid(f"path {text!r} contains a space, '%' or newline; use a plain path")
    return text
