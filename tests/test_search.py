"""The Pagefind search index: what goes in, what stays out, and that it is reproducible.

Reads the fixture site built once per session (``fixture_site``); tests that change
files work on a copy.  Browser behaviour is in test_search_browser.py.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongshi.cli import cli
from pipeline.errors import LeakFound
from publish import search, search_canonical
from publish.assemble import bureau_allow_list
from publish.build import prepare
from publish.sections.search import filter_options
from publish.settings import load_settings
from publish.verify import verify_site
from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT, build_site

WITHDRAWN_ID = "2025-0011"  # fixture: revoked (status: revoked)
HELD_DOC_NO = "测医保罚〔2026〕30号"  # fixture 2026-0030: no secrecy review -> held back
HELD_PARTY = "永安堂隐藏药房有限公司"


@pytest.fixture(scope="module")
def prepared():
    """The fixture content run through the pipeline (no output written)."""
    return prepare(FIXTURE_CONTENT, FIXTURE_AS_OF)


def fragments(site: Path) -> list[dict]:
    """Every Pagefind fragment of every bundle, decoded (url, content, filters, meta …)."""
    out = []
    for path in sorted(site.glob("pagefind/**/fragment/*.pf_fragment")):
        data = gzip.decompress(path.read_bytes())
        assert data.startswith(b"pagefind_dcd")
        out.append(dict(json.loads(data[12:]), _bundle=path.parent.parent.name))
    return out


def entries(site: Path) -> dict[str, dict]:
    """Bundle directory (relative) -> its pagefind-entry.json."""
    return {p.parent.relative_to(site).as_posix(): json.loads(p.read_text("utf-8"))
            for p in sorted(site.glob("pagefind/**/pagefind-entry.json"))}


class _IndexedText(HTMLParser):
    """The text Pagefind should index: inside data-pagefind-body, outside ignored
    elements (data-pagefind-ignore, nav, footer, form, script, svg), plus the values
    of attributes named by data-pagefind-index-attrs."""

    VOID = {"br", "img", "meta", "link", "input", "hr", "wbr"}
    SKIP = {"nav", "footer", "form", "script", "style", "svg", "template"}

    def __init__(self):
        super().__init__()
        self.body = self.skip = 0
        self.stack: list[tuple[int, int]] = []
        self.out: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        a = dict(attrs)
        self.stack.append((self.body, self.skip))
        if self.body or "data-pagefind-body" in a:
            self.body += 1
        if self.skip or "data-pagefind-ignore" in a or tag in self.SKIP:
            self.skip += 1
        if self.body and not self.skip and "data-pagefind-index-attrs" in a:
            self.out += [a.get(k.strip(), "") for k in a["data-pagefind-index-attrs"].split(",")]

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.body, self.skip = self.stack.pop()

    def handle_data(self, data):
        if self.body and not self.skip:
            self.out.append(data)


def letters(text: str) -> str:
    """Text without spaces, punctuation and Pagefind's zero-width separators."""
    return re.sub(r"[\W_]+", "", text)


# ---------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------

def test_missing_pagefind_names_the_pip_command(monkeypatch):
    """Without the Pagefind extended binary the build stops with the install command."""
    monkeypatch.setitem(sys.modules, "pagefind_bin_extended", None)
    with pytest.raises(search.SearchIndexError, match=re.escape("pip install 'pagefind[extended]'")):
        search.pagefind_binary()


def test_pagefind_binary_is_the_extended_build():
    """SPEC §6: the extended build is the one that segments Chinese."""
    assert search.pagefind_binary().name == "pagefind_extended"


def test_parse_stats_reads_pagefind_summary():
    """The counts we check come from Pagefind's own summary lines."""
    output = ("Total: \n  Indexed 1 language\n  Indexed 4 pages\n  Indexed 223 words\n"
              "  Indexed 5 filters\n  Indexed 1 sort\n")
    assert search.parse_stats(output) == {"language": 1, "page": 4, "word": 223, "filter": 5,
                                          "sort": 1}
    assert "page" not in search.parse_stats("Error: no files")


def test_shards_one_per_decision_year(fixture_site, prepared):
    """SPEC §9: one bundle per decision year of the live cases, plus the primary one;
    case counts come from live cases only (the withdrawn 2025 notice is not counted)."""
    site, _ = fixture_site
    shards = search.plan_shards(prepared.site, site, by_year=True)
    assert [s.name for s in shards] == ["main", "2026", "2025"]
    assert [s.subdir for s in shards] == ["pagefind", "pagefind/2026", "pagefind/2025"]
    live = {y: sum(c.decided_on.year == y for c in prepared.site.cases) for y in (2025, 2026)}
    assert shards[1].expected_pages == live[2026] and shards[2].expected_pages == live[2025]
    assert "cases" not in shards[0].glob
    assert shards[0].expected_pages == sum(1 for f in fragments(site) if f["_bundle"] == "pagefind")


def test_bundles_hold_exactly_the_planned_pages(fixture_site, prepared):
    """Each bundle's page count is what the plan expected (the build checks the same)."""
    site, _ = fixture_site
    shards = search.plan_shards(prepared.site, site, by_year=True)
    found = entries(site)
    assert set(found) == {s.subdir for s in shards}
    for shard in shards:
        assert found[shard.subdir]["languages"]["zh"]["page_count"] == shard.expected_pages


# ---------------------------------------------------------------------------
# What is indexed
# ---------------------------------------------------------------------------

def test_withdrawn_notice_is_not_indexed(fixture_site):
    """R-WITHDRAW: the notice page has no data-pagefind-body, so Pagefind skips it;
    no fragment points at it and the 2025 bundle holds only live cases."""
    site, _ = fixture_site
    notice = site / "cases" / "2025" / WITHDRAWN_ID / "index.html"
    assert notice.exists() and "data-pagefind-body" not in notice.read_text("utf-8")
    urls = [f["url"] for f in fragments(site)]
    assert not [u for u in urls if WITHDRAWN_ID in u]
    assert sorted(u for u in urls if u.startswith("/cases/2025/")) == [
        "/cases/2025/2025-0005/", "/cases/2025/2025-0009/"]


def test_only_case_and_list_content_is_indexed(fixture_site):
    """Issue 4: the index holds the marked content only — no header, navigation,
    footer or the case page's 更正记录 box — and no home, result-list or search page."""
    site, _ = fixture_site
    frags = fragments(site)
    urls = {f["url"] for f in frags}
    assert not urls & {"/", "/search/", "/results/", "/results/2026/"}
    for f in frags:
        text = letters(f["content"])
        for outside in ("跳到正文", "网站标识码", "主办单位", "信息更新至", "搜索执法公示", "本条信息公示后未作更正"):
            assert outside not in text, (f["url"], outside)


def test_indexed_text_is_the_marked_region(fixture_site):
    """SPEC §9: what Pagefind indexed equals the text we meant it to index (the
    data-pagefind-body region, without ignored parts), and its word count fits it."""
    site, _ = fixture_site
    for frag in fragments(site):
        parser = _IndexedText()
        parser.feed((site / frag["url"].lstrip("/") / "index.html").read_text("utf-8"))
        expected = letters("".join(parser.out))
        assert expected and letters(frag["content"]) == expected, frag["url"]
        tokens = [t for t in re.split(r"[\s\u200b]+", frag["content"]) if re.search(r"\w", t)]
        # Pagefind counts every indexed word position: at least one per segment we see.
        assert len(tokens) <= frag["word_count"] <= 1.5 * len(tokens), frag["url"]


def test_chinese_is_segmented(fixture_site):
    """SPEC §6: Chinese text is split into words (extended build), so 串换 and 药品 are
    separate words rather than one sentence-long token."""
    site, _ = fixture_site
    frag = next(f for f in fragments(site) if f["url"] == "/cases/2026/2026-0012/")
    words = set(frag["content"].replace(" ", "\u200b").split("\u200b"))
    assert {"串换", "药品", "医院", "超量"} <= words


def test_case_fragments_carry_filters_meta_and_sort(fixture_site, prepared):
    """Issue 4: every case carries the five filters and the 文号, party, date and
    category shown in results; amounts are searchable as plain numbers."""
    site, _ = fixture_site
    by_url = {f["url"]: f for f in fragments(site)}
    items = {str(r["code"]): r["name"] for k in ("items", "random") for r in prepared.site.lists[k].rows}
    for case in prepared.site.cases:
        frag = by_url[f"/cases/{case.decided_on.year}/{case.id}/"]
        assert frag["meta"]["doc_no"] == case.doc_no
        assert frag["meta"]["party"] == case.party.name
        assert frag["meta"]["date"] == case.decided_on.isoformat()
        assert frag["filters"]["类型"] == [case.type_label]
        assert frag["filters"]["年份"] == [str(case.decided_on.year)]
        assert frag["filters"]["执法事项"] == [items[case.item]]
        assert frag["filters"]["执法机关"] == [case.agency]
        if case.type == "penalty":
            assert sorted(frag["filters"]["处罚类别"]) == sorted(case.result.categories)
            if case.result.fine:
                assert str(case.result.fine) in frag["content"].replace("\u200b", "")


def test_form_choices_match_index_filters(fixture_site, prepared):
    """The search form offers exactly the filter values the index holds, so every
    choice can match (and nothing from a hidden record appears on the form)."""
    site, _ = fixture_site
    options = filter_options(prepared.site)
    names = {"type": "类型", "year": "年份", "item": "执法事项", "category": "处罚类别", "body": "执法机关"}
    for param, name in names.items():
        indexed = {v for f in fragments(site) for v in f["filters"].get(name, [])}
        assert set(options[param]) == indexed, param
    page = (site / "search" / "index.html").read_text("utf-8")
    assert HELD_PARTY not in page and HELD_DOC_NO not in page


# ---------------------------------------------------------------------------
# Failing closed
# ---------------------------------------------------------------------------

def test_indexed_notice_page_fails_the_build(fixture_site, prepared, tmp_path):
    """R-WITHDRAW: if a withdrawal notice ever got data-pagefind-body, Pagefind would
    index it; the page count check stops the build before anything is published."""
    site = shutil.copytree(fixture_site[0], tmp_path / "site")
    notice = site / "cases" / "2025" / WITHDRAWN_ID / "index.html"
    notice.write_text(notice.read_text("utf-8").replace('<article class="withdrawn">',
                                                        '<article class="withdrawn" data-pagefind-body>'),
                      "utf-8")
    shard = next(s for s in search.plan_shards(prepared.site, site, True) if s.name == "2025")
    with pytest.raises(search.SearchIndexError, match="expected 2"):
        search.run_shard(search.pagefind_binary(), site, shard)


def _plant(site: Path, text: str) -> str:
    """Insert ``text`` into a case fragment the way Pagefind stores words (zero-width
    spaces between segments, gzip-compressed); returns the fragment's path."""
    path = sorted(site.glob("pagefind/2026/fragment/*.pf_fragment"))[0]
    data = gzip.decompress(path.read_bytes())
    frag = json.loads(data[12:])
    frag["content"] += " " + "\u200b".join(text)
    path.write_bytes(gzip.compress(b"pagefind_dcd" + json.dumps(frag, ensure_ascii=False).encode()))
    return path.relative_to(site).as_posix()


def test_verifier_finds_hidden_doc_no_planted_in_the_index(fixture_site, prepared, tmp_path):
    """R-APPROVAL, SPEC §4: a held-back record's 文号 inside a gzip'd index fragment,
    split by zero-width spaces, fails verification (library and `gongshi verify`)."""
    site = shutil.copytree(fixture_site[0], tmp_path / "site")
    allow = bureau_allow_list(prepared.content)
    verify_site(site, prepared.secrets, allow)  # clean before planting
    rel = _plant(site, HELD_DOC_NO)
    with pytest.raises(LeakFound) as err:
        verify_site(site, prepared.secrets, allow)
    assert f"{rel}: hidden_doc_no" in str(err.value)
    assert HELD_DOC_NO not in str(err.value)  # findings name the kind, never the value
    result = CliRunner().invoke(cli, ["verify", str(site), "--content", str(FIXTURE_CONTENT),
                                      "--as-of", FIXTURE_AS_OF.isoformat()])
    assert result.exit_code == 1 and "hidden_doc_no" in result.output


def test_verifier_finds_hidden_party_planted_in_the_index(fixture_site, prepared, tmp_path):
    """R-APPROVAL: the same for a held-back record's party name."""
    site = shutil.copytree(fixture_site[0], tmp_path / "site")
    rel = _plant(site, HELD_PARTY)
    with pytest.raises(LeakFound, match=re.escape(f"{rel}: hidden_party")):
        verify_site(site, prepared.secrets, bureau_allow_list(prepared.content))


# ---------------------------------------------------------------------------
# Reproducible output (SPEC §7)
# ---------------------------------------------------------------------------

def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _shuffle_bundle(bundle: Path) -> None:
    """Reverse the order of filter values and of the meta's filter list, as a run of
    Pagefind 1.5.2 with another hash seed may write them."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text("utf-8"))
    meta_path = bundle / f"pagefind.{entry['languages']['zh']['hash']}.pf_meta"
    top = search_canonical._items(search_canonical._read_pf(meta_path))
    search_canonical._write_pf(meta_path, search_canonical._array(top[:3] + [search_canonical._array(search_canonical._items(top[3])[::-1])] + top[4:]))
    for path in bundle.glob("filter/*.pf_filter"):
        name, values = search_canonical._items(search_canonical._read_pf(path))
        search_canonical._write_pf(path, search_canonical._array([name, search_canonical._array(search_canonical._items(values)[::-1])]))


def test_canonical_bundle_does_not_depend_on_pagefind_order(fixture_site, tmp_path):
    """SPEC §7: two bundles that differ only in Pagefind's hash-map order become
    byte-identical, file names included."""
    src = fixture_site[0] / "pagefind" / "2026"
    first, second = (shutil.copytree(src, tmp_path / n) for n in ("a", "b"))
    _shuffle_bundle(second)
    assert _tree(first) != _tree(second)
    search.canonicalise_bundle(first)
    search.canonicalise_bundle(second)
    assert _tree(first) == _tree(second)
    assert _tree(first) == _tree(src)  # the build's own output was canonical already


@pytest.mark.slow
def test_same_content_same_index_bytes(fixture_site, tmp_path):
    """SPEC §7: building the same content twice gives the same index, byte for byte."""
    again = tmp_path / "again"
    build_site(FIXTURE_CONTENT, again)
    assert _tree(again / "pagefind") == _tree(fixture_site[0] / "pagefind")


@pytest.mark.slow
def test_unsharded_index(tmp_path, prepared):
    """SEARCH_SHARD_BY_YEAR = False: one bundle with every list and live case page,
    and a search page that merges nothing."""
    out = tmp_path / "site"
    build_site(FIXTURE_CONTENT, out, settings=load_settings(SEARCH_SHARD_BY_YEAR=False))
    found = entries(out)
    assert list(found) == ["pagefind"]
    assert found["pagefind"]["languages"]["zh"]["page_count"] == len(fragments(out))
    assert sum(u["url"].startswith("/cases/") for u in fragments(out)) == len(prepared.site.cases)
    assert 'data-shards=""' in (out / "search" / "index.html").read_text("utf-8")


def test_pages_without_any_marker_fail_the_build(fixture_site, prepared, tmp_path):
    """If a year's case pages lost data-pagefind-body, Pagefind would index whole pages
    (header, footer, notices) with the same page count; the build refuses instead."""
    site = shutil.copytree(fixture_site[0], tmp_path / "site")
    shard = next(s for s in search.plan_shards(prepared.site, site, True) if s.name == "2026")
    pages = list((site / "cases" / "2026").rglob("index.html"))
    assert len(pages) == shard.expected_pages  # no notice in 2026: the count alone can't tell
    for page in pages:
        page.write_text(page.read_text("utf-8").replace(" data-pagefind-body", ""), "utf-8")
    with pytest.raises(search.SearchIndexError, match="refusing to index whole pages"):
        search.run_shard(search.pagefind_binary(), site, shard)


def test_bundles_hold_only_what_the_search_page_loads(fixture_site):
    """The primary bundle keeps Pagefind's library; year bundles only their index files
    (no unused ready-made UIs on the CDN)."""
    site, _ = fixture_site
    primary = {p.name for p in (site / "pagefind").iterdir() if p.is_file()}
    assert {"pagefind.js", "pagefind-worker.js", "pagefind-entry.json"} <= primary
    assert any(n.startswith("wasm.") for n in primary)
    assert not [n for n in primary if "-ui" in n or "highlight" in n]
    for bundle in (site / "pagefind").iterdir():
        if bundle.is_dir() and bundle.name.isdigit():
            files = {p.name for p in bundle.iterdir() if p.is_file()}
            assert files - {"pagefind-entry.json"} == {p.name for p in bundle.glob("*.pf_meta")}


def test_bundle_bytes_count_its_index_files_only(tmp_path):
    """Issue 9: a bundle's index size counts its .pf_* files at any depth, not the
    bundles nested in its folder nor other files (read without entering those)."""
    (tmp_path / "index").mkdir()
    (tmp_path / "fragment").mkdir()
    (tmp_path / "2024-03" / "index").mkdir(parents=True)
    (tmp_path / "pagefind-entry.json").write_bytes(b"x" * 7)
    (tmp_path / "pagefind.js").write_bytes(b"x" * 11)
    (tmp_path / "pagefind.en_1.pf_meta").write_bytes(b"x" * 3)
    (tmp_path / "index" / "en_2.pf_index").write_bytes(b"x" * 5)
    (tmp_path / "fragment" / "en_3.pf_fragment").write_bytes(b"x" * 13)
    (tmp_path / "2024-03" / "index" / "en_4.pf_index").write_bytes(b"x" * 100)
    assert search._bundle_bytes(tmp_path, {"2024-03"}) == 3 + 5 + 13
    assert search._bundle_bytes(tmp_path, set()) == 3 + 5 + 13 + 100


def test_pagefind_is_stopped_when_the_step_is_interrupted(monkeypatch):
    """Issue 9 (review): Pagefind is started by hand so the matcher thread can start once it
    runs; interrupted then (Ctrl-C, or that start failing), it is killed as subprocess.run
    would kill it, not left writing into a staging dir that is being removed."""
    made: list = []

    class Recorded(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(search.subprocess, "Popen", Recorded)
    with pytest.raises(KeyboardInterrupt):
        search._pagefind(["sleep", "60"], interrupted)
    assert len(made) == 1 and made[0].poll() is not None
