"""Shared test helpers: build sites, read every output file."""

from __future__ import annotations

import datetime as dt
import os
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


def served_files(site: Path) -> list[Path]:
    """Every file under ``site`` as nginx serves it, sorted: folder links into the
    release store (publish.store) are followed, as pathlib's rglob does not."""
    found = []
    for folder, _dirs, files in os.walk(site, followlinks=True):
        found += [Path(folder) / name for name in files]
    return sorted(found)


def served_tree(site: Path) -> dict[str, bytes]:
    """{site-relative posix path: bytes} of every served file."""
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in served_files(site)}


def all_output_text(site: Path) -> dict[str, str]:
    """Every output file's searchable text (gzip index fragments decompressed)."""
    texts = {}
    for path in served_files(site):
        text = read_output_text(path)
        if text is not None:
            texts[path.relative_to(site).as_posix()] = text
    return texts


def files_containing(site: Path, needle: str) -> list[str]:
    return [name for name, text in all_output_text(site).items() if needle in text]
