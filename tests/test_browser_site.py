"""The demo site in real headless Chromium: navigation and a phone-sized screen."""

from __future__ import annotations

import pytest

from tests.browser import browser, serve

pytestmark = pytest.mark.browser


def test_home_to_case_on_a_phone(demo_site):
    """SPEC §6: a citizen on a 375-px phone opens the home page, follows a case link,
    and reads the case without horizontal scrolling — served from a CDN-like sub-path."""
    site, _ = demo_site
    with serve(site, prefix="/gongshi/") as base, browser() as b:
        page = b.new_page(viewport={"width": 375, "height": 812})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base)
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        first = page.locator("table.results tbody tr td a").first
        doc_no = first.inner_text()
        first.click()
        page.wait_for_load_state()
        assert "/gongshi/cases/" in page.url
        assert page.locator("h1").is_visible()
        assert doc_no in page.locator(".fields").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        # the stylesheet really loaded (relative URL resolved under the sub-path)
        bg = page.evaluate("getComputedStyle(document.querySelector('.masthead')).backgroundColor")
        assert bg == "rgb(158, 27, 27)"
        page.screenshot(path=str(site.parent / "case-375.png"), full_page=True)
        assert not errors
