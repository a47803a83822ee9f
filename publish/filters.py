"""Jinja filters of the gongshi theme."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal

import markdown
import nh3
from markupsafe import Markup

from pipeline.values import format_amount

# Decision texts are Markdown written by staff or exported by a case system; after
# rendering, only this allow-list of tags survives (issue 11: no script, no styles,
# no event attributes; links only http(s), mailto and relative).
ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "blockquote",
                "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "a", "hr",
                "span", "sup", "sub", "pre", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"},
                      "th": {"colspan", "rowspan", "scope"}}
URL_SCHEMES = {"http", "https", "mailto"}


def cn_date(value: dt.date | None) -> str:
    """2026-03-02 → 2026年3月2日; None → ''."""
    if not value:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def iso_date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def amount(value: Decimal | int | None) -> str:
    """52000 → 52,000元; 0 or None → ''."""
    if not value:
        return ""
    return format_amount(Decimal(value))


@functools.cache
def _markdown() -> markdown.Markdown:
    """One converter per process: building the parser costs more than converting."""
    return markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")


def render_markdown(text: str) -> Markup:
    """Markdown → sanitised HTML (nh3 allow-list)."""
    if not text:
        return Markup("")
    html = _markdown().reset().convert(text)
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes=URL_SCHEMES, link_rel="noopener noreferrer")
    return Markup(clean)


_URL_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)


def safe_url(value: object) -> str:
    """``value`` if it is an http(s) or mailto address or a relative link; else ''.

    Validation already refuses other links from content (pipeline.values.check_link);
    this keeps a javascript: or data: URL out of an href whatever the source (issue 11).
    Control characters and spaces browsers ignore inside a scheme are removed first.
    """
    text = re.sub(r"[\x00-\x20\x7f]", "", str(value or ""))
    match = _URL_SCHEME_RE.match(text)
    if match and match.group(1).lower() not in URL_SCHEMES:
        return ""
    return str(value or "").strip()


def paragraphs(text: str) -> Markup:
    """Plain text with line breaks → escaped <p> paragraphs (a number is shown as text)."""
    parts = [p.strip() for p in ("" if text is None else str(text)).split("\n") if p.strip()]
    return Markup("".join(Markup("<p>{}</p>").format(p) for p in parts))


FILTERS = {
    "cn_date": cn_date,
    "iso_date": iso_date,
    "amount": amount,
    "markdown": render_markdown,
    "paragraphs": paragraphs,
    "safe_url": safe_url,
}
