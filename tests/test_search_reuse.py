"""Issue 9: a rebuild re-indexes only the search bundles whose pages changed.

A year bundle whose case pages are byte for byte the previous output's is hard-linked
from there (same bytes, same inode and mtime: nothing for the CDN to purge); the bundle
of a year with a corrected case is indexed again, and the result equals a full build.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from urllib.parse import urlencode

from publish import incremental, search
from publish.build import prepare
from publish.settings import load_settings
from tests.browser import browser, serve
from tests.support import DEMO_CONTENT, FIXTURE_AS_OF, FIXTURE_CONTENT, build_site, copy_content
from tests.test_search_browser import WAIT_DONE

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


# ---------------------------------------------------------------------------
# Month bundles for large years (SEARCH_SHARD_PAGES)
# ---------------------------------------------------------------------------

SMALL = 4  # the demo's years have more live cases than this: each is split by month


def _monthly(tmp_path, content=DEMO_CONTENT):
    out = tmp_path / "monthly"
    build_site(content, out, settings=load_settings(SEARCH_SHARD_PAGES=SMALL))
    return out


def test_large_years_get_one_bundle_per_month(tmp_path):
    """SPEC §9 / issue 9: a year with more cases than SEARCH_SHARD_PAGES is indexed per
    decision month; each month bundle holds exactly that month's live cases."""
    out = _monthly(tmp_path)
    prepared = prepare(DEMO_CONTENT, FIXTURE_AS_OF)
    plan = search.case_shards(prepared.site.cases, SMALL)
    assert any("-" in name for name in plan) and list(plan) == sorted(plan, reverse=True)
    for name, cases in plan.items():
        entry = json.loads((out / "pagefind" / name / "pagefind-entry.json").read_text("utf-8"))
        assert entry["languages"]["zh"]["page_count"] == len(cases)
        urls = {json.loads(gzip.decompress(p.read_bytes())[12:])["url"]
                for p in (out / "pagefind" / name / "fragment").glob("*.pf_fragment")}
        assert urls == {f"/cases/{c.decided_on.year}/{c.id}/" for c in cases}, name
        if "-" in name:
            assert {f"{c.decided_on:%Y-%m}" for c in cases} == {name}


def test_correction_reindexes_only_its_month(tmp_path):
    """R-CORR at province scale: editing one case re-indexes its month's bundle only."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    settings = load_settings(SEARCH_SHARD_PAGES=1)
    out = tmp_path / "site"
    build_site(content, out, settings=settings)
    bundles = [p.parent.name for p in sorted((out / "pagefind").glob("*/pagefind-entry.json"))]
    assert "2025-10" in bundles and len(bundles) > 2
    before = {b: _inodes(out, f"pagefind/{b}") for b in bundles}
    _edit(content)  # a case decided 2025-10-20
    build_site(content, out, settings=settings)
    after = {b: _inodes(out, f"pagefind/{b}") for b in bundles}
    assert [b for b in bundles if after[b] != before[b]] == ["2025-10"]
    assert NEW_WORD[:4] in _indexed_text(out, "pagefind/2025-10")


def test_month_bundles_find_what_year_bundles_find(tmp_path, demo_site):
    """Readers get the same results (in the same order when sorted by date) whether a
    year is one bundle or twelve; a year filter fetches only that year's month bundles."""
    monthly = _monthly(tmp_path)
    queries = [{"q": "医保"}, {"q": "医保", "sort": "new"}, {"q": "药房"}, {"year": "2025"},
               {"q": "医保", "year": "2024", "sort": "old"}]
    got = {}
    for name, site in (("yearly", demo_site[0]), ("monthly", monthly)):
        with serve(site, prefix="/g/") as base, browser() as b:
            p = b.new_page()
            fetched: list[str] = []
            p.on("request", lambda r, f=fetched: f.append(r.url))
            got[name] = [_all_hrefs(p, base, params) for params in queries]
            if name == "monthly":
                fetched.clear()
                _all_hrefs(p, base, {"q": "医保", "year": "2025"})
                bundles = {u.split("/pagefind/")[1].split("/")[0] for u in fetched if "/pagefind/" in u}
                case_bundles = {x for x in bundles if x[:4].isdigit()}
                assert case_bundles and all(x.startswith("2025-") for x in case_bundles), case_bundles
    for params, yearly, monthly in zip(queries, got["yearly"], got["monthly"], strict=True):
        # Relevance is scored per bundle (Pagefind), so only date order must match exactly.
        same = (yearly == monthly) if "sort" in params else sorted(yearly) == sorted(monthly)
        assert yearly and same, params


def _all_hrefs(p, base: str | None, params: dict | None) -> list[str]:
    """Every result link of a search, following the pager (order kept); with no
    ``base``, of the search the page is already showing."""
    if base is not None:
        p.goto(base + "search/?" + urlencode(params))
    hrefs: list[str] = []
    while True:
        p.wait_for_function(WAIT_DONE, arg=p.evaluate("location.search"))
        hrefs += p.eval_on_selector_all("#search-results > li h3 a", "els => els.map(a => a.getAttribute('href'))")
        if not p.locator("#search-pager a[rel=next]").count():
            return hrefs
        p.click("#search-pager a[rel=next]")
        p.wait_for_function("n => new URLSearchParams(location.search).get('page') === n",
                            arg=str(len(hrefs) // 10 + 1))


def test_unfiltered_search_covers_the_newest_bundles_first(tmp_path, demo_site):
    """Issue 9 (a query transfers little at province scale): without a year filter a
    search fetches only the newest bundles up to SEARCH_FIRST_PAGES cases, says how far
    back it looked, and each 继续搜索更早的记录 link reaches one batch further back until
    it has found exactly what a search over every bundle finds."""
    out = tmp_path / "first"
    build_site(DEMO_CONTENT, out, settings=load_settings(SEARCH_SHARD_PAGES=SMALL, SEARCH_FIRST_PAGES=8))
    prepared = prepare(DEMO_CONTENT, FIXTURE_AS_OF)
    plan = search.case_shards(prepared.site.cases, SMALL)
    with serve(demo_site[0], prefix="/g/") as base, browser() as b:
        everything = sorted(_all_hrefs(b.new_page(), base, {"q": "医保"}))
    with serve(out, prefix="/g/") as base, browser() as b:
        p = b.new_page()
        fetched: list[str] = []
        p.on("request", lambda r: fetched.append(r.url))
        hrefs = _all_hrefs(p, base, {"q": "医保"})
        first = {u.split("/pagefind/")[1].split("/")[0] for u in fetched if "/pagefind/" in u}
        first = sorted({x for x in first if x[:4].isdigit()}, reverse=True)
        assert first == list(plan)[:len(first)] and len(first) < len(plan)
        assert sum(len(plan[name]) for name in first[1:]) <= 8
        assert "以来的记录" in p.inner_text("#search-more")
        rounds = 0
        while p.is_visible("#search-more a"):
            p.click("#search-more a")
            rounds += 1
            hrefs = _all_hrefs(p, None, None)
        assert rounds >= 1 and sorted(hrefs) == everything
        # A year filter too: the year's newest month bundles first, then further back
        # within that year until it has every result of the year.
        year = max((name[:4] for name in plan if "-" in name),
                   key=lambda y: sum(len(c) for n, c in plan.items() if n.startswith(y)))
        months = [name for name in plan if name.startswith(f"{year}-")]
        assert sum(len(plan[m]) for m in months) > 8
        fetched.clear()
        hrefs = _all_hrefs(p, base, {"q": "医保", "year": year})
        first = {u.split("/pagefind/")[1].split("/")[0] for u in fetched if "/pagefind/" in u}
        assert {x for x in first if x[:4].isdigit()} < set(months)
        newest = months[0]
        assert f"至{year}年{int(newest[5:])}月的记录" in p.inner_text("#search-more")
        while p.is_visible("#search-more a"):
            p.click("#search-more a")
            hrefs = _all_hrefs(p, None, None)
        assert sorted(hrefs) == sorted(h for h in everything if f"/cases/{year}/" in h)


def test_source_key_takes_known_digests_without_reading(tmp_path):
    """Issue 9: a page hard-linked from the live release stands in a bundle's key by the
    digest its manifest records, so 100,000 case pages are not read again; the key is
    the one its bytes give, and another digest, or a changed page that is read, changes it."""
    pages = {}
    for name in ("a", "b"):
        page = tmp_path / "cases/2025" / name / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(f"<main data-pagefind-body>{name}</main>", encoding="utf-8")
        pages[f"cases/2025/{name}/index.html"] = hashlib.sha256(page.read_bytes()).hexdigest()
    shard = search.Shard("2025", "pagefind/2025", "cases/2025/**/*.html", 2)
    binary = search.pagefind_binary()
    key = search.source_key(binary, tmp_path, shard)
    known = {"cases/2025/a/index.html": pages["cases/2025/a/index.html"]}
    assert search.source_key(binary, tmp_path, shard, known) == key
    (tmp_path / "cases/2025/a/index.html").write_text("other bytes", encoding="utf-8")
    assert search.source_key(binary, tmp_path, shard, known) == key  # not read
    assert search.source_key(binary, tmp_path, shard) != key
    (tmp_path / "cases/2025/b/index.html").write_text("changed", encoding="utf-8")
    assert search.source_key(binary, tmp_path, shard, known) != key  # read: not known


def test_marked_pages_are_counted_from_remembered_digests(tmp_path):
    """Issue 9: a list page whose bytes are known (hard-linked from the live release) and
    remembered as carrying the search marker, or not, is not read again; any other page
    is read, and remembered by its digest for the next run."""
    texts = {"results/a/index.html": "<main data-pagefind-body>a</main>",
             "results/b/index.html": "<main>b: not indexed</main>",
             "results/c/index.html": "<main data-pagefind-body>c</main>"}
    digests = {}
    for rel, text in texts.items():
        (tmp_path / rel).parent.mkdir(parents=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
        digests[rel] = hashlib.sha256(text.encode()).hexdigest()
    remembered: dict[str, str] = {}
    assert search._marked_pages(tmp_path, "results", {}, remembered) == 2  # all read
    assert remembered == {digests[r]: "1" if "pagefind-body" in t else "0" for r, t in texts.items()}
    known = {rel: digests[rel] for rel in ("results/a/index.html", "results/b/index.html")}
    for rel in texts:  # other bytes on disk: only a page that is read can see them
        (tmp_path / rel).write_text("<main>no marker now</main>", encoding="utf-8")
    again: dict[str, str] = dict(remembered)
    assert search._marked_pages(tmp_path, "results", known, again) == 1  # a from memory; c read
    lost = {k: v for k, v in remembered.items() if k != digests["results/a/index.html"]}
    assert search._marked_pages(tmp_path, "results", known, lost) == 0  # a not remembered: read


def _list_pages(site):
    """The HTML files the primary bundle's count reads (not case pages, bundles or theme)."""
    return [p for top in site.iterdir() if top.is_dir() and top.name not in {"cases", "pagefind", "theme"}
            for p in top.rglob("*.html")]


def test_the_render_manifest_remembers_exactly_this_runs_marked_pages(tmp_path):
    """The search step records, beside the bundles' keys, which of this run's pages carry the
    marker (by digest), and no other: the memory stays the size of the site."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    out = tmp_path / "site"
    build_site(content, out)
    first = incremental.load_manifest(out)
    marked = {k: v for k, v in first.items() if k.startswith(search.MARKED_PREFIX)}
    pages = _list_pages(out)
    assert len(marked) == len({hashlib.sha256(p.read_bytes()).hexdigest() for p in pages}) > 0
    assert sum(v == "1" for v in marked.values()) >= 1
    _edit(content)
    build_site(content, out)
    second = incremental.load_manifest(out)
    pages = _list_pages(out)
    assert {k for k in second if k.startswith(search.MARKED_PREFIX)} == {
        search.MARKED_PREFIX + hashlib.sha256(p.read_bytes()).hexdigest() for p in pages}
