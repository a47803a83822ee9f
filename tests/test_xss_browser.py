"""Issue 11 in a real browser: no payload of the XSS corpus runs on any page.

One site is built with every payload of ``tests/xss_payloads.py`` planted in every
field type; headless Chromium then opens EVERY HTML page of it (case pages, withdrawal
notices, list pages, result lists, changelog, 年报, open-data page, 404), plus the
search page with queries that find the payloads and with payloads in the URL.

Each page gets a ``window.__xss = []`` hook before any of its scripts run; ``alert``,
``confirm`` and ``prompt`` push to it too, and dialogs, console messages and script
errors are recorded.  A payload that ran leaves its number there.  Payloads that need a
user (onclick, onmouseover, a javascript: link) cannot fire headless, so the DOM of
every page is also checked: no event-handler attribute, no javascript:/data:/vbscript:
URL, no element that loads or runs code except the theme's own stylesheet and search
script.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.browser import browser, serve
from tests.xss_payloads import PAYLOADS, SEARCH_WORD, built_xss_site, payload

pytestmark = pytest.mark.browser
PREFIX = "/xss/"

HOOK = """
window.__xss = [];
window.alert = window.confirm = window.prompt = (n) => { window.__xss.push('dialog:' + n); };
"""

# Whatever the page script does, wait until it is idle (two frames and a task) so that
# autofocus, ontoggle, onload and media errors have had their chance to fire.
SETTLE = """() => new Promise((done) =>
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 30))))"""

DOM_CHECK = """() => {
  const bad = [];
  const urlAttrs = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data',
    'background', 'poster', 'srcdoc', 'srcset', 'ping', 'codebase', 'cite', 'longdesc']);
  const okScript = (el) => /\\/theme\\/search\\.js$/.test(el.getAttribute('src') || '');
  const okLink = (el) => ['stylesheet', 'alternate'].includes(el.getAttribute('rel'))
    && /^(\\.\\.?\\/)*(theme\\/[a-z]+\\.css|changelog\\/atom\\.xml)$/.test(el.getAttribute('href') || '');
  const svgOk = new Set(['svg', 'title', 'desc', 'defs', 'marker', 'path', 'rect', 'text',
    'line', 'g']);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.localName;
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      const value = a.value.replace(/[\\u0000-\\u0020\\u007f-\\u00a0]/g, '').toLowerCase();
      if (name.startsWith('on')) bad.push(`${tag}[${name}]`);
      if (name === 'style') bad.push(`${tag}[style]`);
      if (urlAttrs.has(name) && /^(javascript|data|vbscript):/.test(value)) bad.push(`${tag}[${name}=${value.slice(0, 20)}]`);
    }
    if (['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'style',
         'template', 'portal', 'math'].includes(tag)) bad.push(tag);
    if (tag === 'script' && !okScript(el)) bad.push('script');
    if (tag === 'link' && !okLink(el)) bad.push('link');
    if (tag === 'meta' && el.hasAttribute('http-equiv')) bad.push('meta[http-equiv]');
    if (el.namespaceURI === 'http://www.w3.org/2000/svg' && !svgOk.has(tag)) bad.push('svg:' + tag);
  }
  return bad;
}"""

WAIT_DONE = """(search) => {
  const list = document.getElementById('search-results');
  return list && ['idle', 'done', 'error'].includes(list.dataset.state)
    && list.dataset.rendered === search;
}"""


class Visitor:
    """One browser tab with the hook installed; ``open`` reports what fired on a page.

    The tab is reused from page to page (a fresh context costs more than the page):
    every navigation gets a fresh ``window`` and the init script runs again.
    """

    def __init__(self, b):
        self.ctx = b.new_context(viewport={"width": 1280, "height": 900})
        self.ctx.add_init_script(HOOK)
        self.page = self.ctx.new_page()
        self.fired: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.fired.append(f"pageerror: {e}"))
        self.page.on("response", self._response)

    def open(self, url: str) -> None:
        self.fired = []
        self.page.goto(url)
        self.page.evaluate(SETTLE)

    def _dialog(self, dialog) -> None:
        self.fired.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def _console(self, msg) -> None:
        # A failed load is reported by _response (with its URL) instead.
        if "xss" in msg.text.lower() or (msg.type == "error" and "Failed to load" not in msg.text):
            self.fired.append(f"console.{msg.type}: {msg.text}")

    def _response(self, response) -> None:
        # A request the site did not plan (an <img src=x> that got through) fails.
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.fired.append(f"HTTP {response.status}: {response.url}")

    def hooks(self) -> list:
        """Everything that fired on the current page, in the page and in every frame."""
        found = list(self.fired)
        for frame in self.page.frames:
            try:
                found += frame.evaluate("() => window.__xss || []")
            except Exception as exc:  # a frame of another origin: it exists, so it counts
                found.append(f"frame {frame.url[:40]}: {exc}")
        return found

    def check(self) -> tuple[list, list]:
        """(what fired, what in the DOM could fire) on the current page."""
        return self.hooks(), sorted(set(self.page.evaluate(DOM_CHECK)))



@pytest.fixture(scope="module")
def xss_site(tmp_path_factory):
    """(site dir, BuildReport, Placement) of the payload site (one build per session)."""
    return built_xss_site(tmp_path_factory)


@pytest.fixture(scope="module")
def served(xss_site):
    site, _report, _where = xss_site
    with serve(site, prefix=PREFIX) as base, browser() as b:
        visitor = Visitor(b)
        yield visitor, base
        visitor.ctx.close()


def _html_pages(site) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if "pagefind" not in p.parts)


def _url(base: str, rel: str) -> str:
    return base + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def test_no_payload_runs_on_any_page(served, xss_site):
    """Issue 11 / R-PII-adjacent safety: every HTML page of the payload site opened in
    Chromium — no hook fires, no dialog, no script error, and the DOM holds no event
    handler, script URL or code-loading element that could fire on interaction."""
    visitor, base = served
    site, _report, _where = xss_site
    pages = _html_pages(site)
    assert len(pages) >= 40, pages  # cases, notices, lists, results, changelog, 年报, data
    problems = {}
    for rel in pages:
        visitor.open(_url(base, rel))
        fired, bad = visitor.check()
        if fired or bad:
            problems[rel] = {"fired": fired, "dom": bad}
    assert not problems, problems


def _search(visitor: Visitor, base: str, **params) -> list[dict]:
    visitor.open(base + "search/?" + urlencode(params))
    page = visitor.page
    page.wait_for_function(WAIT_DONE, arg=page.evaluate("location.search"))
    page.evaluate(SETTLE)
    return page.evaluate("""() => Array.from(document.querySelectorAll('#search-results > li'))
      .map(li => ({title: li.querySelector('h3').textContent, text: li.textContent,
                   marks: li.querySelectorAll('.hit-excerpt mark').length,
                   tags: Array.from(li.querySelectorAll('*')).map(e => e.localName)}))""")


SEARCH_TAGS = {"h3", "a", "dl", "div", "dt", "dd", "time", "p", "mark"}


@pytest.mark.parametrize("query", [SEARCH_WORD + "0", SEARCH_WORD, "script", "onerror", "xss",
                                   "javascript", "img"])
def test_search_results_render_payloads_as_text(served, query):
    """Issue 11: a payload in facts is searchable, and the result (title, 文号, party from
    Pagefind metadata; the excerpt with its <mark>s) is built from text — nothing runs,
    and the result list holds only the elements search.js makes."""
    visitor, base = served
    hits = _search(visitor, base, q=query)
    assert hits, f"nothing found for {query!r}: the payload site was not indexed"
    fired, bad = visitor.check()
    assert not fired and not bad, (fired, bad)
    for hit in hits:
        assert set(hit["tags"]) <= SEARCH_TAGS, hit
    if query.startswith(SEARCH_WORD):
        # The payloads next to the search word are shown, as text, in the excerpt.
        assert any("<" in hit["text"] or "＜" in hit["text"] for hit in hits), hits


@pytest.mark.parametrize("n", [0, 6, 52, 54, 57, 61, 63, 73])
def test_payload_in_the_search_url_does_not_run(served, n):
    """Issue 11: a query or filter value taken from the URL is written as text (input
    value, status line, an added <option>), never as markup."""
    visitor, base = served
    _search(visitor, base, q=payload(n), year=payload(n))
    status = visitor.page.text_content("#search-status")
    fired, bad = visitor.check()
    assert not fired and not bad, (fired, bad)
    assert status.strip()


def test_every_payload_was_placed(xss_site):
    """The corpus is at least 60 payloads, and each one was in a field that got built."""
    _site, _report, where = xss_site
    assert len(PAYLOADS) >= 60
    placed = {n for numbers in where.fields.values() for n in numbers}
    assert placed == set(range(len(PAYLOADS)))


CANARY = """<!DOCTYPE html><html><body>
<script>__xss.push(1)</script>
<img src=x onerror=__xss.push(2)>
<svg onload=alert(3)></svg>
<input autofocus onfocus=__xss.push(4)>
<a href="javascript:__xss.push(5)">x</a>
<p onmouseover="__xss.push(6)">x</p>
</body></html>"""


def test_the_hook_sees_a_payload_that_runs(served, tmp_path):
    """The harness can fail: raw payloads on a page are seen by the hook, the dialog
    listener, the failed-load listener and the DOM check."""
    visitor, _base = served
    (tmp_path / "canary.html").write_text(CANARY, encoding="utf-8")
    with serve(tmp_path) as base:
        visitor.open(base + "canary.html")
        fired, bad = visitor.check()
    assert {1, 2, 4} <= {f for f in fired if isinstance(f, int)}, fired
    assert "dialog:3" in fired and any(str(f).startswith("HTTP 404") for f in fired), fired
    assert {"script", "img[onerror]", "svg[onload]", "input[onfocus]", "p[onmouseover]"} <= set(bad)
    assert any(b.startswith("a[href=javascript:") for b in bad), bad
