"""Shared test helpers: build sites, read every output file."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from publish.build import build
from publish.verify import read_output_text

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_CONTENT = ROOT / "tests" / "fixtures" / "content"
DEMO_CONTENT = ROOT / "content"
FIXTURE_AS_OF = dt.date(2026, 11, 23)


def copy_content(src: Path, dest: Path) -> Path:
    """A writable copy of a content dir (tests edit or add files in it)."""
    shutil.copytree(src, dest)
    return dest


def build_site(content: Path, out: Path, as_of: dt.date = FIXTURE_AS_OF, **kw):
    """Build ``content`` into ``out``; returns the BuildReport."""
    return build(content, out, as_of, **kw)


def all_output_text(site: Path) -> dict[str, str]:
    """Every output file's searchable text (gzip index fragments decompressed)."""
    texts = {}
    for path in sorted(site.rglob("*")):
        if path.is_file():
            text = read_output_text(path)
            if text is not None:
                texts[path.relative_to(site).as_posix()] = text
    return texts


def files_containing(site: Path, needle: str) -> list[str]:
    return [name for name, text in all_output_text(site).items() if needle in text]
