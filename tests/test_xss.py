"""Issue 11, safe HTML: no content field reaches a page, an attribute, a script, the Atom
feed, the exports or the search index as live markup (no browser here; see
tests/test_xss_browser.py for the same site in Chromium).

* the Markdown filter keeps only its allow-list, for every payload of the corpus;
* the payload site (every payload in every field type, one build) is parsed file by
  file: HTML pages, the Atom feed, the sitemap, the CSV and JSON exports and the
  decompressed Pagefind fragments;
* links from content (执法依据 ``link``) are http(s) only, refused at validation and
  neutralised in templates;
* search.js writes Pagefind's metadata and excerpts as text.
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.errors import ContentInvalid
from publish.build import prepare
from publish.filters import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, paragraphs, render_markdown, safe_url
from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT, ROOT, copy_content
from tests.xss_payloads import PAYLOADS, built_xss_site, markers, payload

URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "background",
             "poster", "srcdoc", "srcset"}
BAD_SCHEME = re.compile(r"^\s*(javascript|data|vbscript):", re.I)
# Every element the theme itself writes; anything else in a page came from content.
THEME_TAGS = {
    "html", "head", "meta", "title", "link", "body", "a", "header", "div", "form", "label",
    "input", "button", "nav", "main", "footer", "p", "span", "h1", "h2", "h3", "dl", "dt",
    "dd", "time", "section", "article", "ul", "ol", "li", "table", "caption", "thead",
    "tbody", "tr", "th", "td", "strong", "code", "figure", "figcaption", "svg", "desc", "defs", "marker", "path", "rect", "text", "line", "select", "option",
    "fieldset", "legend", "noscript", "script",
} | ALLOWED_TAGS



@pytest.fixture(scope="module")
def xss_site(tmp_path_factory):
    """(site dir, BuildReport, Placement) of the payload site (one build per session)."""
    return built_xss_site(tmp_path_factory)


class _Tags(HTMLParser):
    """Collects (tag, attrs) of every start tag and the text of <script> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k.lower(): (v or "") for k, v in attrs}))
        self._in_script = tag == "script"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)


def _parse(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser


def _dangers(text: str, allowed_tags: set[str]) -> list[str]:
    """What in an HTML text could run script: tags, handlers, URLs, inline scripts."""
    parsed = _parse(text)
    found = [f"inline script: {t[:40]!r}" for t in parsed.script_text]
    for tag, attrs in parsed.tags:
        if tag not in allowed_tags:
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                found.append(f"<{tag} {name}>")
            if name in URL_ATTRS and BAD_SCHEME.match(html.unescape(value)):
                found.append(f"<{tag} {name}={value[:30]}>")
        if tag == "script" and not attrs.get("src", "").endswith("theme/search.js"):
            found.append(f"<script src={attrs.get('src')!r}>")
    return found


# ------------------------------------------------------------------ the filters


@pytest.mark.parametrize("n", range(len(PAYLOADS)))
def test_markdown_keeps_only_the_allow_list(n):
    """Issue 11: every payload, rendered as a decision text, leaves only allow-listed tags
    and attributes, and links that are http(s), mailto or relative."""
    out = str(render_markdown(f"正文 {payload(n)}\n\n第二段 {payload(n)}"))
    parsed = _parse(out)
    assert not parsed.script_text, out
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, out
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        assert set(attrs) <= allowed, out
        href = html.unescape(attrs.get("href", ""))
        assert not href or re.match(r"^(https?:|mailto:|[^:]*$)", href), out


def test_markdown_keeps_safe_links_and_drops_script_urls():
    """Issue 11: http(s), mailto and relative links survive; javascript: and data: do not."""
    out = str(render_markdown("[法](https://flk.npc.gov.cn/x) [信](mailto:a@b.cn) [页](../x/) "
                              "[坏](javascript:alert(1)) [数](data:text/html,x)"))
    hrefs = [a.get("href") for t, a in _parse(out).tags if t == "a" and a.get("href")]
    assert hrefs == ["https://flk.npc.gov.cn/x", "mailto:a@b.cn", "../x/"]


def test_paragraphs_escape_markup():
    """Issue 11: plain-text fields are escaped, line by line."""
    out = str(paragraphs(f"{payload(0)}\n{payload(52)}"))
    assert _parse(out).tags == [("p", {}), ("p", {})]
    assert "&lt;script&gt;" in out


# ------------------------------------------------------------------ the built site


def _files(site: Path, suffix: str) -> list[Path]:
    return sorted(p for p in site.rglob(f"*{suffix}") if "pagefind" not in p.parts)


def test_every_page_is_free_of_live_markup(xss_site):
    """Issue 11: in every HTML page of the payload site, only the theme's own elements
    exist; no event handler, no style attribute, no javascript:/data: URL, no inline
    script (also what a strict CSP needs)."""
    site, _report, _where = xss_site
    pages = _files(site, ".html")
    assert len(pages) >= 40
    problems = {p.relative_to(site).as_posix(): d for p in pages
                if (d := _dangers(p.read_text(encoding="utf-8"), THEME_TAGS))}
    assert not problems, problems


def test_every_payload_reached_a_page(xss_site):
    """The test above means something: each payload of the corpus is on some page, as text."""
    site, _report, _where = xss_site
    text = "\n".join(html.unescape(p.read_text(encoding="utf-8")) for p in _files(site, ".html"))
    missing = [n for n in range(len(PAYLOADS)) if not any(m in text for m in markers(n))]
    assert not missing, [payload(n) for n in missing]


def test_atom_feed_is_xml_and_its_html_is_escaped(xss_site):
    """Issue 11: the Atom feed (文号 and list-history summaries in it carry payloads) is
    well-formed XML; titles are text; an html summary, once unescaped, holds no element."""
    site, _report, _where = xss_site
    root = ET.parse(site / "changelog" / "atom.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    joined = "".join(ET.tostring(e, encoding="unicode") for e in entries)
    assert "xss.push(" in joined, "no payload reached the feed: the test would prove nothing"
    for entry in entries:
        for element in entry.iter():
            kind = element.get("type", "text")
            if kind == "html":
                assert _parse(element.text or "").tags == [], element.text
            else:
                assert kind == "text", kind
                assert len(element) == 0 or element.tag.endswith(("author", "entry")), element.tag


def test_sitemap_is_xml(xss_site):
    """The sitemap stays well-formed with payload ids and 文号 around."""
    site, _report, _where = xss_site
    assert ET.parse(site / "sitemap.xml").getroot().tag.endswith("urlset")


def test_json_exports_hold_the_values_as_data(xss_site):
    """Issue 11: every JSON export parses, and a payload is a plain string value in it —
    not HTML-escaped (the consumer escapes for its own context) and not cut."""
    site, _report, where = xss_site
    for path in site.joinpath("data").rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
    rows = json.loads((site / "data" / "results.json").read_text(encoding="utf-8"))
    names = "\n".join(row["行政相对人名称"] for row in rows)
    assert all(payload(n) in names for n in where.fields["party.name"])


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("name", ["data/results.csv", "data/penalties.csv", "annual/2025/stats.csv"])
def test_csv_cells_cannot_run_as_formulas(xss_site, name):
    """Issue 11: CSV opened in Excel or WPS (the data page invites it) — no cell starts
    with = + - @ or a tab, so no content value becomes a formula (OWASP CSV injection);
    such values are written with a leading apostrophe."""
    site, _report, _where = xss_site
    raw = (site / name).read_bytes().decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(raw, newline="")) for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    if name != "annual/2025/stats.csv":
        assert any(c[:1] == "'" and c[1:].startswith(FORMULA_START) for c in cells), \
            "no formula payload was exported: the test would prove nothing"


def _fragments(site: Path) -> list[dict]:
    out = []
    for path in (site / "pagefind").rglob("*.pf_fragment"):
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
        out.append(json.loads(text[text.index("{"):]))
    return out


def test_search_metadata_is_text(xss_site):
    """Issue 11: Pagefind stores the 文号, party and title of a case as the page shows
    them — text, with the payload characters as characters (search.js must treat them as
    text: test_search_js_writes_text_only and the browser test)."""
    site, _report, where = xss_site
    def squeeze(text):  # Pagefind collapses runs of white space, as a browser shows them
        return " ".join(str(text).split())

    parties = "\n".join(squeeze(f["meta"].get("party")) for f in _fragments(site))
    assert all(squeeze(payload(n)) in parties for n in where.fields["party.name"])


def test_search_js_writes_text_only():
    """Issue 11: the search page's script has ONE HTML sink — the excerpt, parsed into an
    inert <template> — and copies only text nodes and <mark> out of it; metadata goes
    through textContent."""
    js = (ROOT / "themes" / "gongshi" / "static" / "search.js").read_text(encoding="utf-8")
    sinks = re.findall(r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\(|"
                       r"new Function|setAttribute\(\s*[\"']on", js)
    assert sinks == ["innerHTML"], sinks
    assert "template.innerHTML" in js
    excerpt = js[js.index("function excerpt("):js.index("function resultItem(")]
    assert "textContent" in excerpt and "append(node)" not in excerpt
    result_item = js[js.index("function resultItem("):]
    assert "innerHTML" not in result_item


# ------------------------------------------------------------------ links from content


@pytest.mark.parametrize("link", ["javascript:__xss.push(1)", " JavaScript:__xss.push(1)",
                                  "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox(1)",
                                  'https://example.gov.cn/" onmouseover="__xss.push(1)',
                                  "https://example.gov.cn/<script>", "file:///etc/passwd"])
def test_a_script_link_in_a_list_is_refused(tmp_path, link):
    """Issue 11: a 执法依据 link must be a plain http(s) address; anything else stops the
    build with the file and field named (the template would put it in an href)."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    path = content / "lists" / "bases.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("effective_on: 2021-05-01}", f"effective_on: 2021-05-01, link: {json.dumps(link)}}}"),
                    encoding="utf-8")
    with pytest.raises(ContentInvalid) as err:
        prepare(content, FIXTURE_AS_OF)
    assert [(p.source, p.field) for p in err.value.problems] == [("lists/bases.yaml", "rows[1].link")]


@pytest.mark.parametrize("url,kept", [
    ("https://flk.npc.gov.cn/x?a=1&b=2", True), ("mailto:jubao@ceshi.gov.cn", True),
    ("../lists/bases/", True), ("javascript:alert(1)", False), ("JaVa\tScRiPt:alert(1)", False),
    ("java\x00script:alert(1)", False), (" data:text/html,x", False), ("vbscript:x", False),
])
def test_safe_url_filter(url, kept):
    """Issue 11: the templates' safe_url filter passes http(s), mailto and relative links
    and blanks every other scheme, however it is disguised."""
    assert (safe_url(url) != "") is kept


def test_every_content_href_goes_through_safe_url():
    """Issue 11: in the templates, an href that does not start with {{ SITEURL }} (a link
    taken from content) is filtered by safe_url."""
    templates = ROOT / "themes" / "gongshi" / "templates"
    found = [(t.name, m) for t in templates.glob("*.html")
             for m in re.findall(r'href="\{\{([^}]*)\}\}', t.read_text(encoding="utf-8"))
             if "SITEURL" not in m]
    assert found and all("safe_url" in m for _, m in found), found
