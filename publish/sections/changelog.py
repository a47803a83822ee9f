"""The public changelog (SPEC §5): every ledger event by date, as pages and an Atom feed.

The publication ledger (pipeline/ledger.py) records each publication, update,
correction (R-CORR), withdrawal (R-WITHDRAW), expiry (R-RET5 / R-RET2) and list
update (R-LIST) with a public summary that names the 文号, never a party.  This
section shows them newest first at ``changelog/``, with archive pages numbered from
the oldest (``CHANGELOG_PER_PAGE`` a page; see pages.paginate_stable: a new event
rewrites the first page only), and writes the newest page's worth as
``changelog/atom.xml``.

Each entry links to its record while the record is still public: the live case
page, the withdrawal notice at the same URL, or the list page.  An expired record
has no page any more (its URL answers 410), so its entries show the 文号 only.
A record that is neither live, withdrawn nor expired in the ledger (held back
again, R-APPROVAL / R-NOPUB, or deleted) keeps its entries but not their text:
its 文号 may no longer be shown (fail closed; the verifier checks it).

The feed is deterministic (SPEC §7): every timestamp is an event date at 00:00
China time, and an empty feed is dated ``as_of``; absolute links use the
bureau's ``site.url``.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from pathlib import Path

from feedgenerator import Atom1Feed
from markupsafe import escape

from pipeline.catalogue import LIST_ORDER

from ..pages import Page, SiteData, case_url, paginate_stable

NAV = [("更新记录", "changelog/")]
ORDER = 30  # before the search index (which is last); the feed is not indexed anyway

BASE_URL = "changelog/"
FEED_PATH = "changelog/atom.xml"
KIND_LABELS = {
    "published": "公示",
    "updated": "更新",
    "corrected": "更正",
    "withdrawn": "撤回",
    "expired": "期满撤下",
    "list-updated": "清单更新",
}
HIDDEN_SUMMARY = "该记录已停止公示"
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")


@dataclass(frozen=True)
class Entry:
    """One changelog line: a ledger event as the public sees it."""

    seq: int
    date: dt.date
    kind: str
    kind_label: str
    summary: str
    url: str | None  # site-relative URL of the record while it is public, else None


def record_urls(site: SiteData) -> dict[str, str]:
    """Ledger record id → site-relative URL, for every record that still has a page.

    Live cases and withdrawal notices share the case URL (R-WITHDRAW); lists are
    ``list:<kind>`` → ``lists/<kind>/``.  Expired and held-back records have none.
    """
    urls = {c.id: case_url(c) for c in list(site.cases) + list(site.withdrawn)}
    urls.update({f"list:{kind}": f"lists/{kind}/" for kind in site.lists if kind in LIST_ORDER})
    return urls


def _expired_records(events) -> set[str]:
    """Records whose latest ledger event is an expiry (R-RET5 / R-RET2)."""
    last: dict[str, str] = {}
    for event in events:
        last[event.record] = event.kind
    return {record for record, kind in last.items() if kind == "expired"}


# id(site) -> (a weak reference to it, the sizes it had, its entries): the pages and the
# feed of one build share one list (issue 9: making it twice took ~0.4 s of a correction
# at 100,000 events).  A site whose events or cases were replaced since gets a new one.
_MADE: dict[int, tuple] = {}


def _sizes(site: SiteData) -> tuple:
    return (id(site.events), len(site.events), id(site.cases), len(site.cases),
            id(site.withdrawn), len(site.withdrawn), id(site.lists), len(site.lists))


def changelog_entries(site: SiteData) -> list[Entry]:
    """Every ledger event of ``site`` as an :class:`Entry`, newest first (one list per site:
    do not change it).

    Ordered by date, newest first, and within a day newest first too (by ledger seq,
    descending: a new event lands on the first page, see pages.paginate_stable); a
    backdated import sits at its original date.  Events of
    records that are not public and not expired get :data:`HIDDEN_SUMMARY` instead
    of their summary (R-NOPUB, R-APPROVAL).  Empty ledger → [].
    """
    made = _MADE.get(id(site))
    if made is not None and made[0]() is site and made[1] == _sizes(site):
        return made[2]
    urls = record_urls(site)
    expired = _expired_records(site.events)
    entries = []
    for event in site.events:
        url = urls.get(event.record)
        shown = url is not None or event.record in expired
        entries.append(Entry(event.seq, event.date, event.kind,
                             KIND_LABELS.get(event.kind, event.kind),
                             event.summary if shown else HIDDEN_SUMMARY, url))
    entries.sort(key=lambda e: (-e.date.toordinal(), -e.seq))
    _MADE.clear()  # one site at a time
    _MADE[id(site)] = (weakref.ref(site), _sizes(site), entries)
    return entries


def _per_page(settings: dict) -> int:
    return max(1, int(settings.get("CHANGELOG_PER_PAGE") or 100))


def pages(site: SiteData, settings: dict) -> list[Page]:
    """The paginated changelog: changelog/ (the newest entries), then archive pages
    changelog/page/1/ (the oldest), page/2/, … that a new event leaves as they are."""
    entries = changelog_entries(site)
    return paginate_stable(entries, _per_page(settings), BASE_URL, "changelog", {"feed_url": FEED_PATH},
                           {"last_event": entries[0].date if entries else None})


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=CHINA_TIME)


class _DatedAtomFeed(Atom1Feed):
    """Atom1Feed whose <updated> never falls back to the wall clock (SPEC §7)."""

    def __init__(self, *args, fallback_date: dt.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.fallback_date = fallback_date

    def latest_post_date(self) -> dt.datetime:
        return super().latest_post_date() if self.items else self.fallback_date


def build_feed(site: SiteData, per_page: int) -> _DatedAtomFeed:
    """The Atom feed of the newest ``per_page`` changelog entries (absolute links).

    Entry ids are tag URIs made of the site host and the ledger seq, which never
    changes (the ledger is append-only), so feed readers see each event once.
    """
    base = str(site.bureau.get("site", {}).get("url", "")).rstrip("/") + "/"
    title = site.bureau.get("site", {}).get("title") or str(site.bureau.get("name", ""))
    feed = _DatedAtomFeed(
        title=f"{title} 更新记录", link=base + BASE_URL, feed_url=base + FEED_PATH,
        description="公示、更新、更正、撤回、期满撤下和清单更新记录",
        language="zh-CN", author_name=str(site.bureau.get("name", "")),
        fallback_date=_midnight(site.as_of),
    )
    host_path = base.split("://", 1)[-1]
    host, _, path = host_path.partition("/")
    for entry in changelog_entries(site)[:per_page]:
        # The feed is the first changelog page, so a record without a page links there.
        link = base + (entry.url or f"{BASE_URL}#e{entry.seq}")
        text = f"{entry.kind_label}：{entry.summary}"
        feed.add_item(
            title=entry.summary, link=link, description=str(escape(text)),
            pubdate=_midnight(entry.date), categories=[entry.kind_label],
            unique_id=f"tag:{host},{entry.date.isoformat()}:/{path}ledger/{entry.seq}",
        )
    return feed


def postbuild(prepared, out: Path, settings: dict) -> None:
    """Write changelog/atom.xml (UTF-8) into the built site ``out``."""
    feed = build_feed(prepared.site, _per_page(settings))
    target = Path(out) / FEED_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as handle:
        feed.write(handle, "utf-8")
