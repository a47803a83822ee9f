"""Retention, expiry and withdrawal on built sites, with --as-of time travel (issue 6).

One content directory with a ledger is built day by day (each day into its own
output directory) through every retention edge: the last day a record is shown
and the first day it is gone, for natural persons, a 个体工商户, organisations and
29 February; plus a withdrawal and a re-made decision.  The helpers here are also
used by tests/test_corrections_site.py and tests/test_changelog.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongshi.cli import cli
from publish.build import BuildReport
from tests.support import FIXTURE_CONTENT, all_output_text, build_site

pytestmark = pytest.mark.slow

D = dt.date
APPROVAL = "{reviewed_by: 法规科, secrecy_review: 办公室, approved_by: 局长办公会, approved_on: 2026-03-05}"
ORG_CODE = "91220101MA00044444"  # a valid 统一社会信用代码 of the fixture corpus


# ---------------------------------------------------------------- shared helpers


def new_content(root: Path, ledger: bool = True) -> Path:
    """A content dir with the fixture bureau and lists, no cases, and an empty ledger."""
    root.mkdir(parents=True)
    shutil.copy(FIXTURE_CONTENT / "bureau.yaml", root / "bureau.yaml")
    shutil.copytree(FIXTURE_CONTENT / "lists", root / "lists")
    if ledger:
        (root / "ledger.jsonl").write_text("", encoding="utf-8")
    return root


def fixture_case_text(case_id: str) -> str:
    """The source text of a fixture case file."""
    return (FIXTURE_CONTENT / "cases" / case_id[:4] / f"{case_id}.md").read_text(encoding="utf-8")


def put_case(content: Path, case_id: str, text: str | None = None) -> Path:
    """Write a case file (default: the fixture's) under cases/<year>/."""
    path = content / "cases" / case_id[:4] / f"{case_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(fixture_case_text(case_id) if text is None else text, encoding="utf-8")
    return path


def penalty_text(case_id: str, doc_no: str, decided: str, party: str, *extra: str,
                 facts: str = "该单位串换药品，涉及医保基金1000元。") -> str:
    """A minimal approved penalty case file; ``extra`` are more front-matter lines."""
    lines = ["---", f"id: {case_id}", "type: penalty", f"doc_no: {doc_no}", "item: XZCF-001",
             "agency: 测试市医疗保障局", f"decided_on: {decided}", f"party: {party}",
             f"facts: {facts}", "basis: 《医疗保障基金使用监督管理条例》第三十八条",
             "result: {category: 罚款, fine: 2000, summary: 处罚款2000元。}",
             f"approval: {APPROVAL}", *extra, "---", ""]
    return "\n".join(lines)


def without_status(text: str) -> str:
    """A withdrawn fixture case as it was before the withdrawal (status lines removed)."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if not line.startswith(("status:", "status_changed_on:", "status_note:")))


@dataclass
class Snapshot:
    """One day's build: its site, report and the ledger bytes after it."""

    site: Path
    report: BuildReport
    ledger: bytes


def build_day(content: Path, out_root: Path, day: str) -> Snapshot:
    """Build ``content`` as of ``day`` into out_root/<day>/ (ledger recorded)."""
    site = out_root / day
    report = build_site(content, site, D.fromisoformat(day))
    return Snapshot(site, report, (content / "ledger.jsonl").read_bytes())


def ledger_events(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def read(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def changelog_rows(site: Path) -> list[str]:
    """The <tr> rows of every changelog page, newest first: the first page, then the
    archive pages from the newest (the highest number) to page 1, the oldest."""
    rows = []
    archive = sorted((site / "changelog/page").glob("*/index.html"), key=lambda p: -int(p.parent.name))
    for page in [site / "changelog/index.html", *archive]:
        rows += re.findall(r'<tr id="e\d+".*?</tr>', read(site, page.relative_to(site).as_posix()), re.S)
    return rows


def tree_digest(root: Path) -> str:
    """One hash over every file path and content under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------- the timeline

# 29 February cases (R-RET2 / R-RET5 with 民法典第二百零二条: no 29 Feb in the target
# year, so the last day shown is 28 February).  Imported from an older site: their
# retention counts from published_on.
FEB29_PERSON = penalty_text("2024-0029", "测医保罚〔2024〕29号", "2024-02-29", "{kind: natural_person, name: 闫春花}",
                            "persons: [闫春花]", "published_on: 2024-02-29", facts="当事人闫春花冒用他人医保凭证就医。")
FEB29_ORG = penalty_text("2024-0030", "测医保罚〔2024〕30号", "2024-02-29",
                         f"{{kind: organisation, name: 闰年测试药房有限公司, credit_code: {ORG_CODE}, legal_rep: 林海}}",
                         "published_on: 2024-02-29")
REMADE_PARTY = f"{{kind: organisation, name: 重作测试诊所有限公司, credit_code: {ORG_CODE}, legal_rep: 韩东}}"
REMADE_ACTIVE = penalty_text("2026-0040", "测医保罚〔2026〕40号", "2026-03-03", REMADE_PARTY,
                             facts="该诊所重复收费，涉及医保基金777元。")
REMADE = penalty_text("2026-0040", "测医保罚〔2026〕40号", "2026-03-03", REMADE_PARTY,
                      "status: remade", "status_changed_on: 2026-04-20",
                      "status_note: 经行政复议，责令重新作出行政处罚决定。", "replaced_by: 2026-0041",
                      facts="该诊所重复收费，涉及医保基金777元。")
REPLACEMENT = penalty_text("2026-0041", "测医保罚〔2026〕41号", "2026-04-20", REMADE_PARTY)

# (day, what changes in the content before that day's build)
TIMELINE = [
    ("2025-03-08", [("2023-0003", None), ("2024-0029", FEB29_PERSON), ("2024-0030", FEB29_ORG)]),
    ("2025-03-09", []),
    ("2025-04-02", [("2025-0011", without_status(fixture_case_text("2025-0011")))]),
    ("2025-08-01", [("2025-0011", None)]),  # revoked (R-WITHDRAW)
    ("2026-02-28", []),
    ("2026-03-01", []),
    ("2026-03-05", [("2026-0012", None), ("2026-0040", REMADE_ACTIVE)]),
    ("2026-04-20", [("2026-0040", REMADE), ("2026-0041", REPLACEMENT)]),
    ("2026-05-12", [("2026-0020", None)]),
    ("2026-06-02", [("2026-0031", None)]),
    ("2028-05-12", []), ("2028-05-13", []),
    ("2028-06-02", []), ("2028-06-03", []),
    ("2029-02-28", []), ("2029-03-01", []),
    ("2031-03-05", []), ("2031-03-06", []),
]


@dataclass
class Timeline:
    content: Path  # the content dir (its ledger is the one after the last day)
    days: dict[str, Snapshot]

    def __getitem__(self, day: str) -> Snapshot:
        return self.days[day]


def run_timeline(root: Path, steps, timeline: Timeline | None = None) -> Timeline:
    """Build every (day, [(case id, text or None for the fixture's)]) step in order with
    one ledger, each day into root/sites/<day>/; continues ``timeline`` if given."""
    timeline = timeline or Timeline(new_content(root / "content"), {})
    for day, changes in steps:
        for case_id, text in changes:
            put_case(timeline.content, case_id, text)
        timeline.days[day] = build_day(timeline.content, root / "sites", day)
    return timeline


@pytest.fixture(scope="module")
def timeline(tmp_path_factory) -> Timeline:
    """Every day of TIMELINE, built in order."""
    return run_timeline(tmp_path_factory.mktemp("timeline"), TIMELINE)


# (id, 文号, party in the source, last day shown, first day gone, first published)
EDGES = [
    # R-RET2: natural person, imported (published_on 2023-03-08) → shown through 2025-03-08.
    ("2023-0003", "测医保罚〔2023〕3号", "过期甲乙", "2025-03-08", "2025-03-09", "2023-03-08"),
    # R-RET2 + 29 February: 2024-02-29 + 2 years has no 29 Feb → last day 2026-02-28.
    ("2024-0029", "测医保罚〔2024〕29号", "闫春花", "2026-02-28", "2026-03-01", "2024-02-29"),
    # R-RET5 + 29 February: last day 2029-02-28.
    ("2024-0030", "测医保罚〔2024〕30号", "闰年测试药房有限公司", "2029-02-28", "2029-03-01", "2024-02-29"),
    # R-RET2: natural person first published by this ledger on 2026-05-12.
    ("2026-0020", "测医保罚〔2026〕20号", "欧阳振华", "2028-05-12", "2028-05-13", "2026-05-12"),
    # R-RET2: a 个体工商户 counts as a natural person (民法典第五十四条).
    ("2026-0031", "测医保罚〔2026〕31号", "测试市南关区康宁药店", "2028-06-02", "2028-06-03", "2026-06-02"),
    # R-RET5: organisation, first published 2026-03-05.
    ("2026-0012", "测医保罚〔2026〕12号", "测试仁和医院有限公司", "2031-03-05", "2031-03-06", "2026-03-05"),
]


def shown_party(html: str) -> str:
    """The party name as a case page shows it (masked for a natural person, R-PII)."""
    cell = re.search(r"<dt>当事人</dt><dd>(.*?)</dd>", html, re.S).group(1)
    return cell.split("（", 1)[0].strip()


def _cn(day: str) -> str:
    d = D.fromisoformat(day)
    return f"{d.year}年{d.month}月{d.day}日"


@pytest.mark.parametrize("case_id,doc_no,party,last,gone,first", EDGES, ids=[e[0] for e in EDGES])
def test_shown_through_the_last_day(timeline, case_id, doc_no, party, last, gone, first):
    """R-RET5 / R-RET2: on the last day the page is up, lists and sitemap have it, and
    "公示截止日期" is that day (first publication + N full years, 民法典第二百零一、二百零二条)."""
    snap = timeline[last]
    url = f"cases/{case_id[:4]}/{case_id}/"
    html = read(snap.site, url + "index.html")
    assert doc_no in html and shown_party(html)
    assert re.search(r"<dt>公示截止日期</dt><dd><time[^>]*>" + _cn(last) + "<", html)
    assert re.search(r"<dt>公示日期</dt><dd><time[^>]*>" + _cn(first) + "<", html)
    assert url in read(snap.site, "sitemap.xml")
    assert f"{url}" in read(snap.site, "results/index.html")
    assert url not in snap.report.gone_urls and case_id not in snap.report.expired


@pytest.mark.parametrize("case_id,doc_no,party,last,gone,first", EDGES, ids=[e[0] for e in EDGES])
def test_gone_from_the_first_day_after(timeline, case_id, doc_no, party, last, gone, first):
    """R-RET5 / R-RET2 (SPEC §3): from the day after the last day the record is on no page,
    list, sitemap, feed or index; its URL is listed for 410 Gone; the ledger records the
    expiry once, and the changelog names it by 文号 only — no party, no link."""
    snap = timeline[gone]
    url = f"cases/{case_id[:4]}/{case_id}/"
    shown = shown_party(read(timeline[last].site, url + "index.html"))
    assert not (snap.site / url).exists()
    assert url in snap.report.gone_urls and case_id in snap.report.expired
    texts = all_output_text(snap.site)
    assert not [name for name, text in texts.items() if url in text]
    for name_of_party in {party, shown}:
        assert not [name for name, text in texts.items() if name_of_party in text], name_of_party
    with_doc_no = {name for name, text in texts.items() if doc_no in text}
    assert with_doc_no and all(name.startswith("changelog/") for name in with_doc_no), with_doc_no
    expired = [e for e in ledger_events(snap.ledger) if e["kind"] == "expired" and e["record"] == case_id]
    assert [(e["date"], e["summary"]) for e in expired] == [(gone, f"公示期满撤下 {doc_no}")]
    row = next(r for r in changelog_rows(snap.site) if f"公示期满撤下 {doc_no}" in r)
    assert "<a " not in row and _cn(gone) in row


def test_expired_fixture_record_is_absent_everywhere(fixture_site):
    """R-RET2: fixture 2023-0003 (natural person, published_on 2023-03-08) is past its
    two years on 2026-11-23: no page, no list, no sitemap entry, in gone_urls; never
    published by this (absent) ledger, so not even its 文号 appears."""
    site, report = fixture_site
    assert not (site / "cases/2023/2023-0003").exists()
    assert "cases/2023/2023-0003/" in report.gone_urls and report.expired == ["2023-0003"]
    for needle in ("测医保罚〔2023〕3号", "2023-0003", "过期甲乙", "当事人过"):
        assert not [n for n, t in all_output_text(site).items() if needle in t], needle


def test_natural_person_and_business_get_two_years_organisation_five(timeline):
    """R-RET2 vs R-RET5: on 2028-06-03 the natural person and the 个体工商户 published in
    2026 are gone while the organisation published in 2026 is still up."""
    snap = timeline["2028-06-03"]
    assert {"2026-0020", "2026-0031"} <= set(snap.report.expired)
    assert (snap.site / "cases/2026/2026-0012/index.html").exists()
    assert (snap.site / "cases/2026/2026-0041/index.html").exists()


# ---------------------------------------------------------------- withdrawals


def _withdrawn_checks(snap: Snapshot, case_id: str, doc_no: str, party: str, facts: str):
    url = f"cases/{case_id[:4]}/{case_id}/"
    html = read(snap.site, url + "index.html")
    assert doc_no in html and '<meta name="robots" content="noindex">' in html
    assert party not in html and facts not in html
    assert "data-pagefind-body" not in html  # out of the search index
    assert url not in read(snap.site, "sitemap.xml")
    elsewhere = {n for n, t in all_output_text(snap.site).items()
                 if doc_no in t and n != url + "index.html" and not n.startswith("changelog/")}
    assert not elsewhere, elsewhere  # not in lists, search, exports
    return html


def test_withdrawn_decision_keeps_only_a_notice(timeline):
    """R-WITHDRAW (002 第十七条第二款): a revoked decision that was live becomes a noindex
    notice at the same URL with 文号, date, reason category and explanation; no party,
    no facts; out of lists, search, sitemap and exports; the ledger records it once."""
    before = timeline["2025-04-02"]
    assert "撤销案例大药房有限公司" in read(before.site, "cases/2025/2025-0011/index.html")
    snap = timeline["2025-08-01"]
    html = _withdrawn_checks(snap, "2025-0011", "测医保罚〔2025〕11号", "撤销案例大药房有限公司",
                             "涉及医保基金5000元")
    assert "2025年8月1日" in html and "决定被撤销" in html and "经行政复议，该决定被撤销。" in html
    assert "cases/2025/2025-0011/" not in snap.report.gone_urls  # the notice answers 200
    later = [e for e in ledger_events(timeline["2031-03-06"].ledger) if e["record"] == "2025-0011"]
    assert [e["kind"] for e in later] == ["published", "withdrawn"]
    assert "撤销案例大药房" not in later[1]["summary"]


def test_withdrawal_in_the_fixture_site(fixture_site):
    """R-WITHDRAW: fixture 2025-0011 (revoked) on the fixture site is a notice only."""
    site, report = fixture_site
    snap = Snapshot(site, report, b"")
    _withdrawn_checks(snap, "2025-0011", "测医保罚〔2025〕11号", "撤销案例大药房有限公司", "涉及医保基金5000元")


def test_remade_decision_links_to_its_replacement(timeline):
    """R-WITHDRAW: a decision ordered to be re-made links to the re-made decision, and the
    changelog says which 文号 replaced it."""
    snap = timeline["2026-04-20"]
    html = _withdrawn_checks(snap, "2026-0040", "测医保罚〔2026〕40号", "重作测试诊所有限公司", "重复收费")
    assert "决定被责令重新作出" in html
    assert re.search(r'<a href="[./]*/cases/2026/2026-0041/">测医保罚〔2026〕41号</a>', html)
    assert (snap.site / "cases/2026/2026-0041/index.html").exists()
    row = next(r for r in changelog_rows(snap.site) if "撤下 测医保罚〔2026〕40号" in r)
    assert "（已由 测医保罚〔2026〕41号 替代）" in row and "重作测试诊所" not in row


# ---------------------------------------------------------------- the ledger as a file


def test_rebuild_without_change_appends_nothing(timeline, tmp_path):
    """SPEC §5: the ledger is append-only; a rebuild with no content change (same day or a
    later day with no edge) leaves its bytes identical."""
    content = timeline.content
    final = timeline["2031-03-06"].ledger
    again = build_day(content, tmp_path, "2031-03-06")
    assert again.ledger == final and again.report.new_events == []
    later = build_day(content, tmp_path, "2031-03-07")
    assert later.ledger == final


def test_tampered_ledger_stops_the_build(timeline, tmp_path):
    """SPEC §5: an edited ledger line fails the build with exit code 1 and a message naming
    the line; the previous output and the ledger stay exactly as they were."""
    content = tmp_path / "content"
    shutil.copytree(timeline.content, content)
    out = tmp_path / "site"
    build_site(content, out, D(2031, 3, 7))
    lines = (content / "ledger.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[2].count("公示") == 1
    lines[2] = lines[2].replace("公示", "公开")
    tampered = "".join(lines)
    (content / "ledger.jsonl").write_text(tampered, encoding="utf-8")
    before = tree_digest(out)
    result = CliRunner().invoke(cli, ["build", "--content", str(content), "--output", str(out),
                                      "--as-of", "2031-03-08", "-q"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "line 3" in result.output and "ledger.jsonl" in result.output
    assert tree_digest(out) == before
    assert (content / "ledger.jsonl").read_text(encoding="utf-8") == tampered
