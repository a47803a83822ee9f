"""The public changelog and its Atom feed (SPEC §5; R-RET5, R-RET2, R-WITHDRAW, R-CORR, R-LIST)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ledger import Event
from pipeline.model import Bureau, Case, ListDoc, Party
from publish.pages import SiteData, paginate_stable
from publish.sections.changelog import (
    HIDDEN_SUMMARY,
    NAV,
    build_feed,
    changelog_entries,
    record_urls,
)
from publish.settings import load_settings
from tests.support import FIXTURE_CONTENT, build_site
from tests.test_retention_site import changelog_rows, ledger_events, read

D = dt.date
ATOM = "{http://www.w3.org/2005/Atom}"
SITE_URL = "https://ybj.example.gov.cn/gongshi/"


def _case(case_id: str, **changes) -> Case:
    case = Case(id=case_id, type="penalty", doc_no=f"例医保罚〔2026〕{case_id[-2:]}号", item="XZCF-001",
                agency="例市医疗保障局", decided_on=D(2026, 3, 2),
                party=Party("organisation", f"{case_id}有限公司"), source=f"cases/2026/{case_id}.md")
    return dataclasses.replace(case, **changes)


def _event(seq: int, day: D, kind: str, record: str, summary: str) -> Event:
    return Event(seq, day, kind, record, "", summary, "0" * 64, "0" * 64, f"{seq:064x}")


AS_OF = D(2026, 5, 1)


def _site(events: list[Event], as_of: D = AS_OF) -> SiteData:
    """Live 2026-0001, withdrawn 2026-0002, list officers; 2026-0003 expired, 2026-0004 held."""
    officers = ListDoc("officers", "执法人员清单", "lists/officers.yaml", D(2026, 1, 1), ())
    return SiteData(
        bureau=Bureau({"name": "例市医疗保障局", "site": {"url": SITE_URL, "title": "例市行政执法公示"}}),
        lists={"officers": officers}, cases=[_case("2026-0001")], as_of=as_of,
        withdrawn=[_case("2026-0002", status="revoked")], events=events,
    )


EVENTS = [
    _event(1, D(2026, 3, 5), "published", "2026-0001", "公示 例医保罚〔2026〕01号 行政处罚决定"),
    _event(2, D(2026, 3, 5), "published", "2026-0003", "公示 例医保罚〔2026〕03号 行政处罚决定"),
    _event(3, D(2026, 3, 5), "list-updated", "list:officers", "公布 执法人员清单"),
    _event(4, D(2026, 3, 20), "published", "2026-0004", "公示 例医保罚〔2026〕04号 行政处罚决定"),
    _event(5, D(2026, 3, 20), "withdrawn", "2026-0002", "撤下 例医保罚〔2026〕02号（已撤销）"),
    _event(6, D(2026, 4, 9), "corrected", "2026-0001", "更正 例医保罚〔2026〕01号：处罚内容"),
    _event(7, D(2026, 4, 9), "expired", "2026-0003", "公示期满撤下 例医保罚〔2026〕03号"),
]


def test_nav_entry():
    """SPEC §6: the changelog is in the main navigation."""
    assert NAV == [("更新记录", "changelog/")]


def test_entries_are_newest_first_also_within_a_day():
    """SPEC §5: every event is listed, by date newest first, and a day's events newest first
    too (the latest ledger entry on top: so a new event lands on the first page and leaves
    the archive pages as they are, issue 9)."""
    entries = changelog_entries(_site(EVENTS))
    assert [e.seq for e in entries] == [7, 6, 5, 4, 3, 2, 1]
    assert {e.kind_label for e in entries} == {"公示", "更正", "期满撤下", "撤回", "清单更新"}


def test_links_only_to_records_that_are_still_public():
    """R-WITHDRAW, R-RET5/R-RET2, R-NOPUB: live case → its page, withdrawn → the notice at the
    same URL, list → its page; an expired record keeps its 文号 but gets no link; a record
    that is no longer public for another reason (held back) is listed without its 文号."""
    site = _site(EVENTS)
    assert record_urls(site) == {"2026-0001": "cases/2026/2026-0001/",
                                 "2026-0002": "cases/2026/2026-0002/",
                                 "list:officers": "lists/officers/"}
    by_seq = {e.seq: e for e in changelog_entries(site)}
    assert by_seq[6].url == "cases/2026/2026-0001/" and by_seq[5].url == "cases/2026/2026-0002/"
    assert by_seq[3].url == "lists/officers/"
    assert by_seq[7].url is None and by_seq[7].summary == "公示期满撤下 例医保罚〔2026〕03号"
    assert by_seq[2].url is None and "例医保罚〔2026〕03号" in by_seq[2].summary
    assert by_seq[4].url is None and by_seq[4].summary == HIDDEN_SUMMARY


def test_feed_has_absolute_links_and_stable_ids():
    """SPEC §5/§7: the Atom feed holds the newest entries with absolute links from site.url,
    tag ids built from the ledger seq, and only event dates as timestamps."""
    feed = ET.fromstring(build_feed(_site(EVENTS), per_page=3).writeString("utf-8"))
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "公示期满撤下 例医保罚〔2026〕03号", "更正 例医保罚〔2026〕01号：处罚内容",
        "撤下 例医保罚〔2026〕02号（已撤销）"]
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert links == [SITE_URL + "changelog/#e7", SITE_URL + "cases/2026/2026-0001/",
                     SITE_URL + "cases/2026/2026-0002/"]
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        "tag:ybj.example.gov.cn,2026-04-09:/gongshi/ledger/7",
        "tag:ybj.example.gov.cn,2026-04-09:/gongshi/ledger/6",
        "tag:ybj.example.gov.cn,2026-03-20:/gongshi/ledger/5"]
    assert feed.findtext(f"{ATOM}updated") == "2026-04-09T00:00:00+08:00"
    assert entries[0].findtext(f"{ATOM}published") == "2026-04-09T00:00:00+08:00"


def test_feed_holds_the_newest_page():
    """SPEC §5: the feed holds as many of the newest events as a changelog page."""
    assert build_feed(_site(EVENTS), per_page=2).num_items() == 2
    assert build_feed(_site(EVENTS), per_page=100).num_items() == len(EVENTS)


def test_pages_and_feed_of_one_build_share_one_list_of_entries(tmp_path, monkeypatch):
    """Issue 9: the changelog's entries are made once per build (the pages and the feed
    both take them; at 100,000 events a second making cost ~0.4 s of a correction), and a
    new site gets its own."""
    from publish.sections import changelog

    made = []
    real = changelog.record_urls
    monkeypatch.setattr(changelog, "record_urls", lambda site: made.append(id(site)) or real(site))
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    build_site(content, tmp_path / "site", settings=load_settings(BUILD_WORKERS=1), record_ledger=False)
    assert len(made) == 1
    site = _site(EVENTS)
    assert changelog_entries(site) is changelog_entries(site)
    other = _site(EVENTS[:3])
    assert [e.seq for e in changelog_entries(other)] == [3, 2, 1] and len(made) == 3
    other.events = EVENTS[:2]  # a site changed since: its entries are made again
    assert [e.seq for e in changelog_entries(other)] == [2, 1] and len(made) == 4


def test_empty_feed_is_dated_as_of_not_now():
    """SPEC §7 (same content + same --as-of ⇒ same bytes): an empty feed never uses the clock."""
    text = build_feed(_site([], as_of=D(2026, 5, 1)), per_page=10).writeString("utf-8")
    assert "<updated>2026-05-01T00:00:00+08:00</updated>" in text and "<entry>" not in text


# ---------------------------------------------------------------- on a built site


@pytest.fixture(scope="module")
def paged(tmp_path_factory):
    """The fixture corpus with an empty ledger, built with 4 changelog entries a page."""
    root = tmp_path_factory.mktemp("changelog")
    content = root / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    (content / "ledger.jsonl").write_text("", encoding="utf-8")
    settings = load_settings(CHANGELOG_PER_PAGE=4)
    report = build_site(content, root / "site", settings=settings)
    return root, content, settings, report


@pytest.mark.slow
def test_changelog_pages_list_every_event_once(paged):
    """SPEC §5: paginated changelog, CHANGELOG_PER_PAGE a page, every ledger event exactly once,
    newest first, with its date and public summary."""
    root, content, _, _ = paged
    site = root / "site"
    events = ledger_events((content / "ledger.jsonl").read_bytes())
    archived = len(events) // 4 - 1  # complete pages of 4, the newest of them on the first page
    assert archived >= 2 and (site / f"changelog/page/{archived}/index.html").exists()
    assert not (site / f"changelog/page/{archived + 1}").exists()
    rows = changelog_rows(site)
    seqs = [int(re.search(r'id="e(\d+)"', r).group(1)) for r in rows]
    assert sorted(seqs) == [e["seq"] for e in events]
    by_seq = {e["seq"]: e for e in events}
    dates = [by_seq[s]["date"] for s in seqs]
    assert dates == sorted(dates, reverse=True)
    for row, seq in zip(rows, seqs, strict=True):
        assert by_seq[seq]["summary"] in row and f'datetime="{by_seq[seq]["date"]}"' in row
    first = read(site, "changelog/index.html")
    assert len(re.findall(r'<tr id="e', first)) == len(events) - 4 * archived
    assert f'rel="next" href="../changelog/page/{archived}/"' in first
    oldest = read(site, "changelog/page/1/index.html")
    assert re.findall(r'<tr id="e\d+".*?</tr>', oldest, re.S) == rows[-4:]
    assert 'rel="next"' not in oldest and "共" not in oldest  # no total: it would change daily
    assert '<link rel="alternate" type="application/atom+xml"' in first and "data-pagefind-body" not in first


@pytest.mark.slow
def test_a_new_event_leaves_the_archive_pages_alone(paged, tmp_path):
    """Issue 9 (CDN purge stays small): a correction-sized change adds an event on the first
    page; every archive page keeps its bytes, but the newest, which may link to a new one."""
    root, content, settings, report = paged
    edited = shutil.copytree(content, tmp_path / "content")
    case = next((edited / "cases").rglob("2026-0021.md"))
    case.write_text(case.read_text(encoding="utf-8").replace("期限30日", "期限20日"), encoding="utf-8")
    again = build_site(edited, tmp_path / "site", report.as_of, settings=settings)
    assert [e.kind for e in again.new_events] == ["updated"]

    def archive(site):
        return {p.parent.name: p.read_bytes() for p in (site / "changelog/page").glob("*/index.html")}

    old, new = archive(root / "site"), archive(tmp_path / "site")
    newest = max(old, key=int)
    assert {k: v for k, v in old.items() if k != newest} == {k: new[k] for k in old if k != newest}
    assert len(new) - len(old) <= 1


@pytest.mark.slow
def test_changelog_links_and_withdrawal_on_the_fixture(paged):
    """R-WITHDRAW, SPEC §5: the withdrawal of 2025-0011 is listed by 文号 and links to its notice;
    every link in the changelog resolves (the verifier checks it too)."""
    site = paged[0] / "site"
    row = next(r for r in changelog_rows(site) if "测医保罚〔2025〕11号" in r)
    assert "撤下 测医保罚〔2025〕11号（已撤销）" in row and "cases/2025/2025-0011/" in row
    assert "撤销案例大药房" not in row
    assert 'href="./changelog/"' in read(site, "index.html")  # main navigation
    assert 'href="../../changelog/"' in read(site, "lists/officers/index.html")


@pytest.mark.slow
def test_feed_on_the_built_site(paged):
    """SPEC §5: changelog/atom.xml is valid Atom with the first page's events, absolute links."""
    site = paged[0] / "site"
    feed = ET.parse(site / "changelog/atom.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
    self_link = [link.get("href") for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link == ["https://ybj.ceshi.gov.cn/gongshi/changelog/atom.xml"]
    first_page = [int(re.search(r'id="e(\d+)"', r).group(1))
                  for r in re.findall(r'<tr id="e\d+".*?</tr>', read(site, "changelog/index.html"), re.S)]
    ids = [e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")]
    assert [int(i.rsplit("/", 1)[1]) for i in ids] == first_page
    for entry in feed.findall(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}link").get("href").startswith("https://ybj.ceshi.gov.cn/gongshi/")


@pytest.mark.slow
def test_same_ledger_same_feed_bytes(paged, tmp_path):
    """SPEC §7: no build-time timestamps — a rebuild on a later day with nothing new yields a
    byte-identical feed, and the same --as-of yields a byte-identical changelog."""
    root, content, settings, report = paged
    site = root / "site"
    again = build_site(content, tmp_path / "same", report.as_of, settings=settings)
    assert again.new_events == []
    for rel in ("changelog/atom.xml", "changelog/index.html", "changelog/page/1/index.html"):
        assert (tmp_path / "same" / rel).read_bytes() == (site / rel).read_bytes(), rel
    build_site(content, tmp_path / "later", report.as_of + dt.timedelta(days=3), settings=settings)
    assert (tmp_path / "later/changelog/atom.xml").read_bytes() == (site / "changelog/atom.xml").read_bytes()


# ---------------------------------------------------------------- pages that stay put


def _pages_of(items: list, per_page: int) -> dict[str, list]:
    return {p.path: p.context["items"] for p in paginate_stable(items, per_page, "log/", "changelog", {})}


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 60), per_page=st.integers(1, 7), added=st.integers(1, 3))
def test_paginate_stable_new_items_leave_the_archive_alone(n, per_page, added):
    """SPEC §5 changelog, issue 9 (small CDN purge): archive pages are numbered from the
    oldest item, so new items at the front rewrite the first page and at most one new
    archive page per ``per_page`` items; every old archive page keeps its items.  All
    pages together hold every item once, newest first; the first page shows at least
    ``per_page`` items (when there are that many) and fewer than twice that."""
    before = list(range(n, 0, -1))  # newest first: n … 1
    after = list(range(n + added, 0, -1))
    old, new = _pages_of(before, per_page), _pages_of(after, per_page)
    archive = sorted((p for p in new if p != "log/index.html"), key=lambda p: -int(p.split("/")[2]))
    assert [i for p in ["log/index.html", *archive] for i in new[p]] == after
    assert min(len(after), per_page) <= len(new["log/index.html"]) < 2 * per_page
    assert all(len(new[p]) == per_page for p in archive)
    assert all(new[p] == items for p, items in old.items() if p != "log/index.html")
    assert len(set(new) - set(old)) <= -(-added // per_page)


def test_paginate_stable_links():
    """The first page links to the newest archive page; each archive page to the next newer
    (or the first page) and the next older one; page 1 is the oldest and has no older link."""
    pages = paginate_stable(list(range(10, 0, -1)), 3, "log/", "changelog", {}, {"last_event": "x"})
    pager = {p.path: p.context["pager"] for p in pages}
    assert [p.path for p in pages] == ["log/index.html", "log/page/2/index.html", "log/page/1/index.html"]
    assert pages[0].context["items"] == [10, 9, 8, 7] and pages[0].context["last_event"] == "x"
    assert "last_event" not in pages[1].context and pages[2].context["items"] == [3, 2, 1]
    assert (pager["log/index.html"]["prev"], pager["log/index.html"]["next"]) == (None, "log/page/2/")
    assert (pager["log/page/2/index.html"]["prev"], pager["log/page/2/index.html"]["next"]) == ("log/", "log/page/1/")
    assert (pager["log/page/1/index.html"]["prev"], pager["log/page/1/index.html"]["next"]) == ("log/page/2/", None)
