"""Search in real headless Chromium, served from a CDN-like sub-path (SPEC §6, issue 4).

Every test loads the search page with the query in the URL and waits for the page
script to mark the results list ``data-state="done"`` for exactly that URL — no sleeps.
Each test runs on the fixture corpus and, once content/ holds it, on the bundled demo
bureau.  Queries come from a hand-written table per corpus plus queries derived from
the corpus itself (names, 文号, amounts, violations of live records), so the demo can
grow without the tests going stale.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import re
import threading
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from publish.build import prepare
from publish.nginx import CSP
from tests.browser import browser, serve
from tests.support import DEMO_CONTENT, FIXTURE_AS_OF, FIXTURE_CONTENT

pytestmark = pytest.mark.browser
PREFIX = "/gongshi/"


@dataclass(frozen=True)
class Corpus:
    queries: tuple  # (query, expected case id or page path, must be within the top n)
    hidden: tuple  # queries made only of words of hidden records: must find nothing


CORPORA = {
    "fixture": Corpus(
        queries=(
            ("测试仁和医院有限公司", "2026-0012", 1),  # an organisation name
            ("仁和医院", "2026-0012", 1),
            ("医院", "2026-0012", 3),  # a partial name
            ("药店", "2026-0031", 1),
            ("康宁药店", "2026-0031", 1),
            ("串换药品", "2026-0031", 3),  # a violation
            ("串换药品", "2026-0012", 3),
            ("超量开药", "2026-0012", 1),
            ("测医保罚〔2026〕12号", "2026-0012", 1),  # a 文号
            ("测医保罚〔2026〕31号", "2026-0031", 1),
            ("52000", "2026-0012", 1),  # an amount, as typed
            ("52,000元", "2026-0012", 1),  # an amount, as shown on the page
            ("冒用他人医保凭证", "2026-0020", 1),
            ("欧阳某某", "2026-0020", 1),  # a natural person, as published (compound surname kept)
            ("查封财务账册", "2026-0021", 3),
            ("收费项目与目录不符", "2025-0009", 1),
            ("听证申请", "guides/G01/", 3),  # a list page
        ),
        hidden=("永安堂隐藏", "倒卖", "过期甲乙"),  # held back (no secrecy review); expired
    ),
    # Demo: names and violations come from derived_queries(); hidden: parties that are
    # only on held-back, withdrawn or expired records (a 村卫生室, pharmacies, a hospital).
    "demo": Corpus(queries=(), hidden=("红光村卫生室", "安心药房", "百姓康大药房", "长青康复医院")),
}
CONTENT = {"fixture": FIXTURE_CONTENT, "demo": DEMO_CONTENT}
AVAILABLE = ["fixture"] + (["demo"] if (DEMO_CONTENT / "bureau.yaml").exists() else [])


@pytest.fixture(scope="module", params=AVAILABLE)
def search_site(request):
    """(site dir, Corpus, Prepared) for each corpus under test."""
    site, _ = request.getfixturevalue(f"{request.param}_site")
    return site, CORPORA[request.param], prepare(CONTENT[request.param], FIXTURE_AS_OF)


def indexed_text(site) -> str:
    """All text of the search index (every fragment's content and metadata), without
    Pagefind's word separators."""
    parts = []
    for path in sorted(site.glob("pagefind/**/fragment/*.pf_fragment")):
        frag = json.loads(gzip.decompress(path.read_bytes())[12:])
        parts += [frag["content"], *map(str, frag["meta"].values())]
    return re.sub(r"[\s\u200b]+", "", " ".join(parts))


def hidden_ids(prepared) -> set[str]:
    """Ids of held-back, withdrawn and expired records."""
    report = prepared.report
    return ({h.record_id for h in report.held} | {c.id for c in prepared.site.withdrawn}
            | set(report.expired))


def _case_text(case, items: dict[str, str]) -> str:
    """The words of a case page a violation can be found in (its 执法事项 name included)."""
    fields = ("facts", "body", "problems", "conclusion")
    return " ".join([str(getattr(case, f, "") or "") for f in fields] + [items.get(case.item, "")])


def derived_queries(prepared) -> list[tuple[str, set[str], int]]:
    """(query, acceptable result paths, top n) drawn from the live records themselves:
    organisation names, partial names, violations, 文号, amounts and masked persons."""
    cases = prepared.site.cases
    items = {str(r["code"]): str(r["name"]) for k in ("items", "random") if k in prepared.site.lists
             for r in prepared.site.lists[k].rows}
    out: list[tuple[str, set[str], int]] = []

    def paths(pred) -> set[str]:
        return {case_path(c) for c in cases if pred(c)}

    for c in [c for c in cases if c.party.kind == "organisation"][:4]:
        out.append((c.party.name, paths(lambda x, n=c.party.name: x.party.name == n), 1))
    for c in [c for c in cases if c.party.kind == "natural_person"][:2]:
        out.append((c.party.name, paths(lambda x, n=c.party.name: x.party.name == n), 3))
    for word in ("医院", "药房", "药店", "诊所"):
        if paths(lambda x, w=word: w in x.party.name):
            out.append((word, paths(lambda x, w=word: w in x.party.name), 3))
    for phrase in ("串换药品", "超量开药", "虚记费用", "分解住院", "挂床住院", "重复收费"):
        if paths(lambda x, p=phrase: p in _case_text(x, items)):
            out.append((phrase, paths(lambda x, p=phrase: p in _case_text(x, items)), 3))
    for c in cases[:: max(1, len(cases) // 6)][:6]:
        out.append((c.doc_no, {case_path(c)}, 1))
    fined = [c for c in cases if c.type == "penalty" and c.result.fine
             and c.result.fine == int(c.result.fine)]
    for c in fined[:3]:
        out.append((str(int(c.result.fine)), paths(lambda x, f=c.result.fine: x in fined and x.result.fine == f), 3))
    return out


@pytest.fixture(scope="module")
def served(search_site):
    """One Chromium for the module and the site served under a sub-path: (browser, base URL)."""
    site, _, _ = search_site
    with serve(site, prefix=PREFIX) as base, browser() as b:
        yield b, base


@pytest.fixture
def page(served):
    """A fresh 1280-px page per test; fails the test on any script error. Yields (page, base)."""
    b, base = served
    ctx = b.new_context(viewport={"width": 1280, "height": 900})
    p = ctx.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p, base
    ctx.close()
    assert not errors, errors


WAIT_DONE = """(search) => {
  const list = document.getElementById('search-results');
  return list && ['idle', 'done', 'error'].includes(list.dataset.state)
    && list.dataset.rendered === search;
}"""


def wait_done(p, state: str = "done") -> None:
    """Until the script has rendered the results for the URL now in the address bar."""
    p.wait_for_function(WAIT_DONE, arg=p.evaluate("location.search"))
    assert p.get_attribute("#search-results", "data-state") == state


def open_form(p, base: str) -> None:
    """Load the empty search page (no query: nothing searched)."""
    p.goto(base + "search/")
    wait_done(p, "idle")


def open_search(p, base: str, **params) -> list[dict]:
    """Load search/?params and return the rendered results."""
    p.goto(base + "search/?" + urlencode(params))
    wait_done(p)
    return results(p)


def all_results(p, base: str, **params) -> list[dict]:
    """Every result of a search, following the pager's 下一页 links."""
    found = open_search(p, base, **params)
    while p.locator("#search-pager a[rel=next]").count():
        p.click("#search-pager a[rel=next]")
        p.wait_for_function("n => new URLSearchParams(location.search).get('page') === n",
                            arg=str(len(found) // 10 + 1))
        wait_done(p)
        found += results(p)
    return found


RESULTS_JS = """() => Array.from(document.querySelectorAll('#search-results > li')).map(li => {
  const f = {};
  li.querySelectorAll('.hit-fields > div').forEach(d => {
    f[d.querySelector('dt').textContent] = d.querySelector('dd').textContent; });
  const a = li.querySelector('h3 a');
  const t = li.querySelector('time');
  return {href: a.getAttribute('href'), title: a.textContent, fields: f,
          date: t ? t.getAttribute('datetime') : null};
})"""


def results(p) -> list[dict]:
    return p.evaluate(RESULTS_JS)


def case_path(case) -> str:
    return f"{PREFIX}cases/{case.decided_on.year}/{case.id}/"


def expected_path(target: str, prepared) -> str:
    by_id = {c.id: c for c in prepared.site.cases}
    return case_path(by_id[target]) if target in by_id else PREFIX + target


def test_queries_find_the_expected_record(page, search_site):
    """Issue 4: Chinese queries — names, partial names, violations, 文号, amounts —
    find the expected record first or within the top 3, linked under the sub-path."""
    p, base = page
    _, corpus, prepared = search_site
    table = [(q, {expected_path(t, prepared)}, n) for q, t, n in corpus.queries]
    queries = table + derived_queries(prepared)
    assert len(queries) >= 10
    misses = []
    for query, wanted, top in queries:
        found = [r["href"] for r in open_search(p, base, q=query)]
        if not wanted & set(found[:top]):
            misses.append((query, sorted(wanted)[:3], top, found[:5]))
    assert not misses


def test_result_shows_doc_no_party_date_and_category(page, search_site):
    """SPEC §6: each case result shows 文号, party (as published), date and category."""
    p, base = page
    _, _, prepared = search_site
    case = next(c for c in prepared.site.cases if c.type == "penalty")
    hit = next(r for r in open_search(p, base, q=case.doc_no) if r["href"] == case_path(case))
    assert hit["fields"]["文书编号"] == case.doc_no
    assert hit["fields"]["当事人"] == case.party.name
    assert hit["date"] == case.decided_on.isoformat()
    assert hit["fields"]["决定日期"] == f"{case.decided_on.year}年{case.decided_on.month}月{case.decided_on.day}日"
    assert set(hit["fields"]["类别"].split("、")) == set(case.result.categories)


FILTERS = {"type": lambda c: [c.type_label], "year": lambda c: [str(c.decided_on.year)],
           "category": lambda c: list(c.result.categories) if c.type == "penalty" else [],
           "body": lambda c: [c.agency]}


def _choices(p, param: str) -> list[str]:
    return p.eval_on_selector_all(f"#f-{param} option", "os => os.map(o => o.value).filter(Boolean)")


def test_each_filter_narrows_to_the_matching_cases(page, search_site):
    """Issue 4: filtering alone (no words) by type, year, result category and deciding
    body returns exactly the live cases with that value, and fewer than all."""
    p, base = page
    _, _, prepared = search_site
    everything = {case_path(c) for c in prepared.site.cases}
    for param, values_of in FILTERS.items():
        open_form(p, base)
        for value in _choices(p, param):
            want = {case_path(c) for c in prepared.site.cases if value in values_of(c)}
            got = [r["href"] for r in all_results(p, base, **{param: value})]
            assert set(got) == want and len(got) == len(want), (param, value)
            assert len(want) < len(everything) or len(_choices(p, param)) == 1


def test_item_filter_and_words_combine(page, search_site):
    """The 执法事项 filter narrows a word search to exactly the cases of that item."""
    p, base = page
    _, _, prepared = search_site
    open_form(p, base)
    names = {str(r["code"]): r["name"] for k in ("items", "random") for r in prepared.site.lists[k].rows}
    unfiltered = {r["href"] for r in all_results(p, base, q="医保")}
    for item in _choices(p, "item"):
        want = {case_path(c) for c in prepared.site.cases if names[c.item] == item} & unfiltered
        got = {r["href"] for r in all_results(p, base, q="医保", item=item)}
        assert got == want and got, item


def test_sort_by_decision_date_across_years(page, search_site):
    """Issue 4: sorting by decision date orders results over all year bundles."""
    p, base = page
    _, _, prepared = search_site
    newest = [r["date"] for r in all_results(p, base, q="医保", sort="new")]
    oldest = [r["date"] for r in all_results(p, base, q="医保", sort="old")]
    assert len({d[:4] for d in newest}) > 1  # the query spans several year bundles
    assert newest == sorted(newest, reverse=True) and oldest == sorted(oldest)
    assert sorted(newest) == oldest


def test_hidden_records_are_not_findable(page, search_site):
    """R-APPROVAL, R-WITHDRAW, R-RET5/R-RET2: words only a held-back, withdrawn or
    expired record contains find nothing, and no search ever links to such a record."""
    p, base = page
    _, corpus, prepared = search_site
    indexed = indexed_text(search_site[0])
    for query in corpus.hidden:
        assert query not in indexed, f"{query!r} is on a public page: pick another hidden word"
        assert open_search(p, base, q=query) == [], query
        assert "未找到" in p.inner_text("#search-status")
        assert p.is_visible("#search-empty")
    sources = {c.id: c for c in prepared.content.cases}
    hidden = hidden_ids(prepared)
    assert hidden
    for hidden_id in sorted(hidden & set(sources)):
        case = sources[hidden_id]
        for query in (case.doc_no, case.party.name):
            hrefs = [r["href"] for r in all_results(p, base, q=query)]
            assert not [h for h in hrefs if hidden_id in h], (hidden_id, query)


def test_query_and_filters_live_in_the_url(page, search_site):
    """Issue 4: a search can be linked and bookmarked; the form shows what the URL says,
    a new search updates the URL, and Back returns to the previous search."""
    p, base = page
    _, _, prepared = search_site
    year = str(prepared.site.cases[-1].decided_on.year)
    found = open_search(p, base, q="医院", year=year)
    assert found and all(f"/cases/{year}/" in r["href"] for r in found)
    assert p.input_value("#q") == "医院" and p.input_value("#f-year") == year
    p.fill("#q", "药店")
    p.press("#q", "Enter")
    p.wait_for_function("() => location.search.includes('q=%E8%8D%AF%E5%BA%97')")
    wait_done(p)
    assert "year=" + year in p.evaluate("location.search")
    p.select_option("#f-year", "")
    p.wait_for_function("() => !location.search.includes('year=')")
    wait_done(p)
    assert results(p)
    p.go_back()
    wait_done(p)
    assert p.input_value("#f-year") == year and p.input_value("#q") == "药店"


def test_header_search_box_reaches_the_search_page(page, search_site):
    """SPEC §6: the search box on every page submits to the search page."""
    p, base = page
    _, _, prepared = search_site
    case = prepared.site.cases[0]
    p.goto(base + case_path(case)[len(PREFIX):])
    p.fill("#q-top", case.doc_no)
    p.press("#q-top", "Enter")
    p.wait_for_url("**/search/?q=*")
    wait_done(p)
    assert results(p)[0]["href"] == case_path(case)
    p.click("#search-results > li:first-child h3 a")
    p.wait_for_url("**" + case_path(case))
    assert case.doc_no in p.inner_text(".fields")


def test_pagination_links_are_urls(page, search_site):
    """Results come 10 to a page; the pager links are real URLs (page=2) and moving
    to a page focuses the results heading."""
    p, base = page
    everything = open_search(p, base, q="医保")
    total = int(p.inner_text("#search-status").split("找到 ")[1].split(" 条")[0])
    assert len(everything) == min(total, 10)
    if total <= 10:
        assert p.is_hidden("#search-pager")
        return
    p.click("#search-pager a[rel=next]")
    p.wait_for_function("() => location.search.includes('page=2')")
    wait_done(p)
    assert p.evaluate("document.activeElement.id") == "search-results-h"
    assert p.get_attribute("#search-results", "start") == "11"


def test_without_javascript_the_page_says_so(served):
    """SPEC §6: without JavaScript the search page explains and links to the lists."""
    b, base = served
    ctx = b.new_context(java_script_enabled=False)
    p = ctx.new_page()
    p.goto(base + "search/?q=医院")
    assert "JavaScript" in p.inner_text("main")
    links = p.eval_on_selector_all(".search-nojs a", "as => as.map(a => a.getAttribute('href'))")
    assert links == ["../results/", "../lists/items/"]
    ctx.close()


def test_a_query_transfers_little(served, search_site):
    """Issue 4 / SPEC §9: a typical query fetches only the index chunks and fragments it
    needs; the whole search page load stays under 400 KB over the wire."""
    b, base = served
    _, corpus, prepared = search_site
    query = (corpus.queries or derived_queries(prepared))[0][0]
    ctx = b.new_context()
    p = ctx.new_page()
    sizes: dict[str, int] = {}

    def finished(request):
        s = request.sizes()
        sizes[request.url] = s["responseBodySize"] + s["responseHeadersSize"]

    p.on("requestfinished", finished)
    p.goto(base + "search/?" + urlencode({"q": query}))
    wait_done(p)
    p.wait_for_load_state("networkidle")
    ctx.close()
    index = sum(v for k, v in sizes.items() if ".pf_" in k or "pagefind-entry" in k)
    total = sum(sizes.values())
    print(f"\nquery transfer: {total} bytes in all, {index} bytes of index files")
    assert total < 400_000 and index < 150_000
    assert not [u for u in sizes if "pagefind-ui" in u or "playground" in u]


class _CSPHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the origin's Content-Security-Policy header (publish/nginx.py)."""

    def end_headers(self):
        self.send_header("Content-Security-Policy", CSP)
        super().end_headers()

    def log_message(self, *args):
        pass


def test_search_works_under_the_strict_csp(served, search_site):
    """SPEC §6/§7: with the origin's CSP (no inline script; only 'wasm-unsafe-eval' added
    for Pagefind) the search page runs, finds, and triggers no CSP violation."""
    b, _ = served
    site, corpus, _ = search_site
    handler = functools.partial(_CSPHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ctx = b.new_context()
        ctx.add_init_script("window.__csp = []; document.addEventListener("
                            "'securitypolicyviolation', e => window.__csp.push(e.violatedDirective));")
        p = ctx.new_page()
        p.goto(f"http://127.0.0.1:{server.server_address[1]}/search/?" + urlencode({"q": "医院"}))
        wait_done(p)
        assert results(p)
        assert p.evaluate("window.__csp") == []
        ctx.close()
    finally:
        server.shutdown()
        server.server_close()


def test_year_filter_loads_only_that_years_bundle(served, search_site):
    """SPEC §9: a search filtered to one year fetches that year's bundle only; dropping
    the filter merges the others on demand."""
    b, base = served
    _, _, prepared = search_site
    years = sorted({str(c.decided_on.year) for c in prepared.site.cases})
    assert len(years) > 1
    ctx = b.new_context()
    p = ctx.new_page()
    fetched: list[str] = []
    p.on("request", lambda r: fetched.append(r.url))
    p.goto(base + "search/?" + urlencode({"q": "医保", "year": years[0]}))
    wait_done(p)
    assert results(p)
    bundles = {u.split("/pagefind/")[1].split("/")[0] for u in fetched if "/pagefind/" in u}
    assert not bundles & set(years[1:])
    filtered = p.inner_text("#search-status")
    p.select_option("#f-year", "")
    p.wait_for_function("() => !location.search.includes('year=')")
    wait_done(p)
    bundles = {u.split("/pagefind/")[1].split("/")[0] for u in fetched if "/pagefind/" in u}
    assert set(years) <= bundles
    assert _count(p) > _count_text(filtered)
    ctx.close()


def _count_text(status: str) -> int:
    return int(status.split("找到 ")[1].split(" 条")[0]) if "找到 " in status else 0


def _count(p) -> int:
    """The number of results the status line announces."""
    return _count_text(p.inner_text("#search-status"))
