"""Issue 9: incremental rendering reuses unchanged pages and equals a full build."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil

import pytest

from publish import incremental, search
from tests.support import FIXTURE_CONTENT, build_site, copy_content

DAY1, DAY2 = dt.date(2026, 11, 23), dt.date(2026, 11, 24)


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_incremental_build_equals_full_build(tmp_path):
    """Same content + same --as-of ⇒ byte-identical output, whether or not pages were reused."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    (content / "ledger.jsonl").write_text("", encoding="utf-8")
    incremental_out = tmp_path / "inc"
    build_site(content, incremental_out, DAY1)
    # the same state of content, built from scratch elsewhere
    fresh_content = tmp_path / "fresh-content"
    shutil.copytree(content, fresh_content)
    for c in (content, fresh_content):
        case = c / "cases/2026/2026-0021.md"
        case.write_text(case.read_text(encoding="utf-8").replace("期限30日", "期限20日"), encoding="utf-8")
    report = build_site(content, incremental_out, DAY2)
    full_out = tmp_path / "full"
    full = build_site(fresh_content, full_out, DAY2)
    assert report.rendered < full.rendered == full.pages
    assert _tree(incremental_out) == _tree(full_out)


def test_unchanged_pages_keep_bytes_and_mtime(tmp_path):
    """A rebuild the next day rewrites only pages that show the date or changed content."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    (content / "ledger.jsonl").write_text("", encoding="utf-8")
    out = tmp_path / "site"
    build_site(content, out, DAY1)
    case_page = out / "cases/2026/2026-0012/index.html"
    before = os.stat(case_page)
    old = incremental.load_manifest(out)
    report = build_site(content, out, DAY2)
    after = os.stat(case_page)
    assert (before.st_mtime_ns, before.st_ino) == (after.st_mtime_ns, after.st_ino)
    pages = {k: v for k, v in incremental.load_manifest(out).items()
             if not k.startswith((search.KEY_PREFIX, search.MARKED_PREFIX))}  # the search step's entries
    changed = sorted(k for k, v in pages.items() if old.get(k) != v)
    assert "index.html" in changed and report.rendered == len(changed) < report.pages // 4
    assert not incremental.manifest_path(out).is_relative_to(out), "fingerprints are never served"


def test_a_page_missing_after_render_stops_the_build(tmp_path, monkeypatch):
    """A worker that dies quietly must not ship a partial site: every planned page is checked."""
    import publish.build as build_module

    real = build_module._run_pelican

    def lose_one_page(pages, shared, out, settings):
        real([p for p in pages if p.path != "cases/2026/2026-0012/index.html"], shared, out, settings)

    monkeypatch.setattr(build_module, "_run_pelican", lose_one_page)
    out = tmp_path / "site"
    try:
        build_site(FIXTURE_CONTENT, out, DAY1)
    except build_module.RenderIncomplete as exc:
        assert "cases/2026/2026-0012/index.html" in str(exc)
    else:
        raise AssertionError("a partial site was published")
    assert not out.exists()


def test_redacted_cases_stand_in_fingerprints_by_their_cache_key():
    """Issue 9: a redacted case on a page stands as the text that names its redaction
    (cache key + code), not as the hash of its repr; another text, or a case not named so,
    gives another fingerprint."""
    from pathlib import Path

    from publish.pages import Page
    from publish.settings import load_settings

    theme = Path(load_settings()["THEME"])

    @dataclasses.dataclass(frozen=True)
    class Rec:
        text: str

    case = Rec("甲")
    page = [Page("a/index.html", "case", {"case": case})]
    plain = incremental.page_fingerprints(page, {}, theme)
    named = incremental.page_fingerprints(page, {}, theme, {id(case): (case, "<Case k1>")})
    assert named != plain
    assert incremental.page_fingerprints(page, {}, theme, {id(case): (case, "<Case k1>")}) == named
    assert incremental.page_fingerprints(page, {}, theme, {id(case): (case, "<Case k2>")}) != named
    other = Rec("甲")  # equal, but not the object named: its repr decides, as without names
    assert incremental.page_fingerprints([Page("a/index.html", "case", {"case": other})], {}, theme,
                                         {id(case): (case, "<Case k1>")}) == plain


def test_fingerprint_covers_siteurl_and_library_versions(monkeypatch):
    """Issue 9: a page rendered under another SITEURL (a deployment's --config) or another
    Jinja2 is not the same page: its fingerprint differs, so neither a hard link from the
    live release nor a store entry made under the old ones is reused (publish.store)."""
    from pathlib import Path

    from publish.pages import Page
    from publish.settings import load_settings

    settings = load_settings()
    theme = Path(settings["THEME"])
    page = [Page("a/index.html", "case", {"n": 1})]
    before = incremental.page_fingerprints(page, {}, theme, settings=settings)
    assert incremental.page_fingerprints(page, {}, theme, settings=dict(settings)) == before
    moved = incremental.page_fingerprints(page, {}, theme, settings=dict(settings, SITEURL="https://ybj.example.cn"))
    assert moved != before
    real = incremental.importlib.metadata.version
    monkeypatch.setattr(incremental.importlib.metadata, "version",
                        lambda name: "0.0-other" if name == "jinja2" else real(name))
    assert incremental.page_fingerprints(page, {}, theme, settings=settings) != before


def test_make_parent_makes_each_directory_once(tmp_path, monkeypatch):
    """Issue 9: a page's directory costs one mkdir (100,000 case directories per
    release), and none for the next page in it; missing parents are made too, an
    existing directory is fine, a file in the way is an error."""
    made: set[str] = set()
    incremental.make_parent(str(tmp_path / "cases" / "2024" / "x" / "index.html"), made)
    assert (tmp_path / "cases" / "2024" / "x").is_dir()
    calls = []
    real = os.mkdir
    monkeypatch.setattr(os, "mkdir", lambda path, *a: (calls.append(path), real(path, *a))[1])
    incremental.make_parent(str(tmp_path / "cases" / "2024" / "y" / "index.html"), made)
    incremental.make_parent(str(tmp_path / "cases" / "2024" / "y" / "other.html"), made)
    assert calls == [str(tmp_path / "cases" / "2024" / "y")]
    incremental.make_parent(str(tmp_path / "cases" / "2024" / "y" / "index.html"), set())  # exists
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        incremental.make_parent(str(tmp_path / "file" / "d" / "e.html"), set())
