"""The built site, as a reader gets it (fixture corpus and the bundled demo bureau)."""

from __future__ import annotations

import dataclasses
import re

import yaml

from pipeline.catalogue import LIST_SCHEMAS
from publish.build import prepare
from publish.pages import _list_pages
from publish.settings import load_settings
from tests.support import (
    DEMO_CONTENT,
    FIXTURE_AS_OF,
    FIXTURE_CONTENT,
    all_output_text,
    build_site,
    copy_content,
)


def _page(site, rel):
    return (site / rel).read_text(encoding="utf-8")


def test_every_list_page_shows_its_rows(fixture_site):
    """L-OFFICER … L-AV: one page per list, every row visible; officer names are public."""
    site, _ = fixture_site
    for kind in LIST_SCHEMAS:
        data = yaml.safe_load((FIXTURE_CONTENT / "lists" / f"{kind}.yaml").read_text(encoding="utf-8"))
        html = _page(site, f"lists/{kind}/index.html")
        assert data["title"] in html
        key = "title" if kind in ("flows", "guides") else LIST_SCHEMAS[kind].columns[0][0]
        for row in data["rows"]:
            assert str(row[key]) in html, f"{kind}: {row[key]} missing"
    assert "赵立新" in _page(site, "lists/officers/index.html")


def test_list_page_shows_last_update_and_history(fixture_site):
    """R-LIST: each list shows its last-updated date and change history."""
    site, _ = fixture_site
    html = _page(site, "lists/items/index.html")
    assert "最近更新" in html and "2026年1月5日" in html
    assert "依据新规调整裁量基准" in html


def test_case_page_shows_the_summary_fields(fixture_site):
    """C-PENALTY (002 第八条): 文号, party, 执法事项, facts, basis, result, body, date."""
    site, _ = fixture_site
    html = _page(site, "cases/2026/2026-0012/index.html")
    for label, value in [("文书编号", "测医保罚〔2026〕12号"), ("当事人", "测试仁和医院有限公司"),
                         ("执法事项", "对定点医药机构串换药品"), ("主要违法事实", "串换药品"),
                         ("处罚依据", "第三十八条第一款"), ("处罚内容", "并处违规金额2倍罚款52000元"),
                         ("执法机关", "测试市医疗保障局"), ("决定日期", "2026年3月2日"),
                         ("统一社会信用代码", "91220101MA00011111"), ("罚款金额", "52,000元")]:
        assert label in html and value in html, (label, value)
    assert "决定书全文" in html  # disclose: full


def test_item_page_links_basis_and_results(fixture_site):
    """L-ITEM: a page per 执法事项 with its basis, 裁量基准 and results."""
    site, _ = fixture_site
    html = _page(site, "items/XZCF-001/index.html")
    assert "医疗保障基金使用监督管理条例" in html and "自由裁量基准" in html
    assert "cases/2026/2026-0012/" in html


def test_item_page_shows_its_newest_results_and_the_rest_by_month(fixture_site, tmp_path):
    """L-ITEM at province scale (issue 9): an item's page lists its newest results and links
    to one page per month of decision (one item had 4,400 results and a 3 MB page at
    100,000); every result is on exactly one month's page, and only the item's own page is
    indexed for search (no duplicate 执法事项 hits)."""
    site, _ = fixture_site
    every = re.findall(r'href="\.\./\.\./(cases/\d+/[\w-]+/)"', _page(site, "items/XZCF-001/index.html"))
    assert len(every) == 3  # one page with all of them, at 50 a page
    assert not list((site / "items" / "XZCF-001").glob("*/index.html"))
    out = tmp_path / "site"
    build_site(copy_content(FIXTURE_CONTENT, tmp_path / "content"), out,
               settings=load_settings(CASES_PER_PAGE=1), record_ledger=False)
    first = _page(out, "items/XZCF-001/index.html")
    assert "data-pagefind-body" in first and "自由裁量基准" in first
    assert len(re.findall(r'href="\.\./\.\./cases/', first)) == 1  # the newest result only
    months = re.findall(r'<li><a href="\.\./\.\./(items/XZCF-001/(\d{4})-(\d\d)/)">(\d{4})年(\d+)月</a>', first)
    assert f"全部 {len(every)} 件" in first and len(months) >= 2
    seen = []
    for url, year, month, shown_year, shown_month in months:
        assert (year, int(month)) == (shown_year, int(shown_month))
        page = _page(out, url + "index.html")
        assert "data-pagefind-body" not in page and f"{year}年{int(month)}月" in page
        for decided in re.findall(r'<time datetime="(\d{4}-\d\d)-\d\d">', page):
            assert decided == f"{year}-{month}"
        seen += re.findall(r'href="(?:\.\./)+(cases/\d+/[\w-]+/)"', page)
    assert sorted(seen) == sorted(every) and len(seen) == len(set(seen))


def test_a_month_of_an_item_changes_only_with_its_own_results(fixture_site):
    """Issue 9: when a result leaves (expiry, withdrawal), the month pages of an item's
    other results keep their content: pages numbered by position would all shift, and
    be rewritten, rescanned and purged every night as the oldest results expire."""
    prepared = prepare(FIXTURE_CONTENT, FIXTURE_AS_OF)
    site = prepared.site
    ours = [c for c in site.cases if c.item == "XZCF-001"]
    oldest = ours[-1]
    before = {p.path: p.context for p in _list_pages(site, 1) if p.path.startswith("items/XZCF-001/")}
    fewer = dataclasses.replace(site, cases=[c for c in site.cases if c is not oldest])
    after = {p.path: p.context for p in _list_pages(fewer, 1) if p.path.startswith("items/XZCF-001/")}
    gone = f"items/XZCF-001/{oldest.decided_on:%Y-%m}/index.html"
    changed = {path for path in before.keys() & after.keys() if before[path] != after[path]}
    assert changed <= {"items/XZCF-001/index.html"}
    assert before.keys() - after.keys() <= {gone} and not after.keys() - before.keys()


def test_flowchart_has_svg_and_text(fixture_site):
    """L-FLOW: an accessible SVG chart plus an ordered text version."""
    site, _ = fixture_site
    html = _page(site, "flows/penalty-general/index.html")
    assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby', html)
    assert "<title id=\"flow-t\">行政处罚一般程序流程图</title>" in html
    steps = re.search(r'<ol class="steps">(.*?)</ol>', html, re.S).group(1)
    assert steps.index("立案") < steps.index("法制审核") < steps.index("送达并公示")


def test_held_back_records_appear_nowhere(fixture_site):
    """R-APPROVAL, R-NOPUB: unapproved and disclose:none records reach no output file."""
    site, report = fixture_site
    held = {h.record_id: h for h in report.held}
    assert held["2026-0030"].rule == "R-APPROVAL" and "secrecy_review" in held["2026-0030"].reason
    assert held["2025-0015"].rule == "R-NOPUB"
    texts = all_output_text(site)
    for needle in ["永安堂隐藏药房", "测医保罚〔2026〕30号", "2026-0030", "保密案件医院",
                   "测医保罚〔2025〕15号", "2025-0015"]:
        assert not [n for n, t in texts.items() if needle in t], needle


def test_pages_are_chinese_relative_and_self_contained(fixture_site):
    """SPEC §6: lang zh-CN, relative links (any sub-path), no external assets."""
    site, _ = fixture_site
    for path in site.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert '<html lang="zh-CN">' in html, path
        assert not re.search(r'(?:src|href)="(?:https?:)?//', html.split("<main", 1)[0]), path
        assert not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', html), path
        assert 'href="/' not in html and 'src="/' not in html, path


def test_demo_bureau_is_realistic(demo_site):
    """Issue 3: the demo fills every list and has ≥ 80 results of all four types."""
    site, report = demo_site
    rows = {k: len(yaml.safe_load((DEMO_CONTENT / f"lists/{k}.yaml").read_text("utf-8"))["rows"])
            for k in LIST_SCHEMAS}
    assert rows["officers"] >= 20 and rows["items"] >= 25 and rows["guides"] >= 8 and rows["flows"] >= 5
    cases = list((DEMO_CONTENT / "cases").rglob("*.md"))
    assert len(cases) >= 80
    assert report.held, "the demo has unapproved records"
    assert report.withdrawn >= 2
    for kind in ("penalty", "inspection", "random_check", "other"):
        assert (site / f"results/type/{kind}/index.html").exists()
    assert (site / "results/page/2/index.html").exists(), "case lists are paginated"


def test_build_is_deterministic(tmp_path):
    """Same content + same --as-of ⇒ byte-identical output."""
    a, b = tmp_path / "a", tmp_path / "b"
    build_site(FIXTURE_CONTENT, a)
    build_site(FIXTURE_CONTENT, b)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
