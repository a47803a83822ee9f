"""Accessibility (SPEC §6: WCAG 2.1 AA / GB/T 37668) in real headless Chromium.

axe-core (installed by ``make node-deps`` into .cache/node) is injected into the home
page, the search page with results, a list page and a case page, at phone and desktop
widths; none may have a WCAG 2.0/2.1 A or AA violation.  The search page is also
driven with the keyboard alone.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from publish.build import prepare
from tests.browser import browser, serve
from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT, ROOT

pytestmark = pytest.mark.browser
AXE = ROOT / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
PREFIX = "/gongshi/"
RUN_AXE = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag',
      values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return r.violations.map(v => ({id: v.id, impact: v.impact,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.fixture(scope="module")
def served(fixture_site):
    """(browser, base URL, Prepared) with the fixture site under a sub-path."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make node-deps`")
    site, _ = fixture_site
    prepared = prepare(FIXTURE_CONTENT, FIXTURE_AS_OF)
    with serve(site, prefix=PREFIX) as base, browser() as b:
        yield b, base, prepared


def _wait_results(p) -> None:
    p.wait_for_function("""() => { const l = document.getElementById('search-results');
        return l.dataset.state === 'done' && l.dataset.rendered === location.search; }""")


def _pages(prepared) -> dict[str, str]:
    case = next(c for c in prepared.site.cases if c.type == "penalty")
    return {
        "home": "",
        "search with results": "search/?" + urlencode({"q": "医院"}),
        "search, no results": "search/?" + urlencode({"q": "永安堂隐藏"}),
        "list": "lists/items/",
        "case": f"cases/{case.decided_on.year}/{case.id}/",
    }


@pytest.mark.parametrize("width", [375, 1280])
def test_axe_finds_no_wcag_violation(served, width):
    """SPEC §6, WCAG 2.1 AA: zero axe-core violations on the home, search (with and
    without results), list and case pages, on a phone and on a desktop."""
    b, base, prepared = served
    ctx = b.new_context(viewport={"width": width, "height": 900})
    p = ctx.new_page()
    found = {}
    for name, path in _pages(prepared).items():
        p.goto(base + path)
        if path.startswith("search/"):
            _wait_results(p)
        p.add_script_tag(path=str(Path(AXE)))
        violations = p.evaluate(RUN_AXE)
        if violations:
            found[name] = violations
    ctx.close()
    assert not found


def test_search_by_keyboard_alone(served):
    """WCAG 2.1.1: skip link, labelled search field, Enter to search, results reachable
    with Tab, the count announced in a polite live region."""
    b, base, _ = served
    ctx = b.new_context(viewport={"width": 1280, "height": 900})
    p = ctx.new_page()
    p.goto(base + "search/")
    p.wait_for_function("() => document.getElementById('search-results').dataset.state === 'idle'")
    assert p.get_attribute("label[for=q]", "for") == "q"
    status = p.locator("#search-status")
    assert status.get_attribute("aria-live") == "polite" and status.get_attribute("role") == "status"
    p.keyboard.press("Tab")
    assert p.evaluate("document.activeElement.className") == "skip"
    p.locator("#q").focus()
    p.keyboard.type("药店")
    p.keyboard.press("Enter")
    p.wait_for_function("() => location.search.includes('q=')")
    _wait_results(p)
    assert "找到" in status.inner_text()
    for select in p.locator("#search-form select").all():  # every filter is labelled
        assert p.locator(f"label[for={select.get_attribute('id')}]").count() == 1
    for _ in range(20):  # Tab forward from the field until the first result link
        p.keyboard.press("Tab")
        if p.evaluate("!!document.activeElement.closest('#search-results')"):
            break
    else:
        pytest.fail("no search result is reachable with the Tab key")
    href = p.evaluate("document.activeElement.getAttribute('href')")
    p.keyboard.press("Enter")
    p.wait_for_url("**" + href)
    ctx.close()


def test_axe_reports_a_planted_violation(served):
    """The check above can fail: a low-contrast, unlabelled field is reported."""
    b, base, _ = served
    ctx = b.new_context()
    p = ctx.new_page()
    p.goto(base)
    p.evaluate("""() => { const i = document.createElement('input');
        const s = document.createElement('p'); s.textContent = '对比度不足';
        s.style.color = '#bbb'; document.querySelector('main').append(i, s); }""")
    p.add_script_tag(path=str(AXE))
    ids = {v["id"] for v in p.evaluate(RUN_AXE)}
    ctx.close()
    assert {"label", "color-contrast"} <= ids
