"""Issue 9: a rebuild re-indexes only the search bundles whose pages changed.

A year bundle whose case pages are byte for byte the previous output's is hard-linked
from there (same bytes, same inode and mtime: nothing for the CDN to purge); the bundle
of a year with a corrected case is indexed again, and the result equals a full build.
"""

from __future__ import annotations

import gzip
import shutil

from publish import incremental, search
from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT, build_site, copy_content

EDITED = "cases/2025/2025-0009.md"  # a published 2025 case of the fixture
NEW_WORD = "重新核定为柒仟伍佰元"


def _inodes(site, bundle):
    """{path inside the bundle: inode} of one bundle (nested year bundles excluded)."""
    root = site / bundle
    return {p.relative_to(root).as_posix(): p.stat().st_ino for p in root.rglob("*")
            if p.is_file() and (bundle != "pagefind" or not p.relative_to(root).parts[0].isdigit())}


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _edit(content):
    case = content / EDITED
    text = case.read_text(encoding="utf-8")
    case.write_text(text.replace("problems: ", f"problems: {NEW_WORD}。", 1), encoding="utf-8")


def _indexed_text(site, bundle):
    return "".join(gzip.decompress(p.read_bytes()).decode("utf-8", "ignore").replace("\u200b", "")
                   for p in (site / bundle / "fragment").glob("*.pf_fragment"))


def test_no_change_rebuild_reuses_every_bundle(tmp_path):
    """Same content ⇒ no Pagefind run: every bundle keeps its files (inodes) and keys."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    out = tmp_path / "site"
    build_site(content, out)
    bundles = sorted(k[len(search.KEY_PREFIX):] for k in incremental.load_manifest(out)
                     if k.startswith(search.KEY_PREFIX))
    on_disk = sorted(p.parent.relative_to(out).as_posix() for p in out.glob("pagefind/**/pagefind-entry.json"))
    assert bundles == on_disk and "pagefind/2025" in bundles
    before = {b: _inodes(out, b) for b in bundles}
    build_site(content, out)
    assert {b: _inodes(out, b) for b in bundles} == before


def test_changed_year_is_indexed_again_and_equals_a_full_build(tmp_path):
    """R-CORR at scale: the corrected case's year bundle is rebuilt and finds the new
    text; other years are reused; the whole output equals a build from scratch."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    out = tmp_path / "site"
    build_site(content, out)
    before = {b: _inodes(out, b) for b in ("pagefind", "pagefind/2025", "pagefind/2026")}
    _edit(content)
    build_site(content, out)
    assert _inodes(out, "pagefind/2026") == before["pagefind/2026"]
    assert _inodes(out, "pagefind/2025") != before["pagefind/2025"]
    assert NEW_WORD[:4] in _indexed_text(out, "pagefind/2025")
    fresh = tmp_path / "fresh"
    shutil.copytree(content, tmp_path / "fresh-content")
    build_site(tmp_path / "fresh-content", fresh)
    assert _tree(out) == _tree(fresh)


def test_missing_previous_bundle_is_indexed_again(tmp_path):
    """A manifest that names a bundle the previous output no longer has (deleted by hand)
    does not leave the search without an index."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    out = tmp_path / "site"
    build_site(content, out)
    shutil.rmtree(out / "pagefind/2025")
    build_site(content, out)
    assert (out / "pagefind/2025/pagefind-entry.json").is_file()
    assert "2025" in _indexed_text(out, "pagefind/2025")


def test_new_pagefind_version_indexes_everything_again(tmp_path, monkeypatch):
    """The bundle key includes Pagefind's version: an upgrade re-indexes every bundle."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    out = tmp_path / "site"
    build_site(content, out, FIXTURE_AS_OF)
    before = _inodes(out, "pagefind/2026")
    monkeypatch.setattr(search, "_pagefind_version", lambda: "99.0.0")
    build_site(content, out, FIXTURE_AS_OF)
    assert set(_inodes(out, "pagefind/2026").values()).isdisjoint(before.values())
