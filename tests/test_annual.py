"""年报 pages (R-ANNUAL, R-APPROVAL): figures, charts, CSV, approval and warnings."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest

from pipeline.errors import ContentInvalid
from publish.build import prepare
from publish.sections.annual import plan_annual, read_records
from tests.support import FIXTURE_CONTENT, all_output_text, build_site, copy_content

APPROVAL = "{reviewed_by: 法规科, secrecy_review: 办公室, approved_by: 局长办公会, approved_on: %s}"
# A 2025 penalty imported from an older site, published on the 7th working day after its
# decision (Mon 2025-06-09; 端午 was 31 May–2 June, so no holiday in between): on time.
ON_TIME_CASE = """---
id: 2025-0040
type: penalty
doc_no: 测医保罚〔2025〕40号
item: XZCF-001
agency: 测试市医疗保障局
decided_on: 2025-06-09
published_on: 2025-06-18
party: {kind: organisation, name: 测试年报大药房有限公司, credit_code: 91220101MA00044444, legal_rep: 钱进}
facts: 该药房串换药品，涉及医保基金1500元。
basis: 《医疗保障基金使用监督管理条例》第三十八条
result: {category: [罚款, 没收违法所得, 责令退回], fine: 3000, confiscated: 500, refund: 1500, summary: 责令退回1500元，没收违法所得500元，处罚款3000元。}
approval: {reviewed_by: 法规科, secrecy_review: 办公室, approved_by: 局长办公会, approved_on: 2025-06-16}
---
"""
AS_OF = dt.date(2026, 11, 23)


def _annual(content: Path, year: int, body: str) -> None:
    folder = content / "annual"
    folder.mkdir(exist_ok=True)
    (folder / f"{year}.yaml").write_text(body, encoding="utf-8")


@pytest.fixture(scope="module")
def annual_content(tmp_path_factory) -> Path:
    content = copy_content(FIXTURE_CONTENT, tmp_path_factory.mktemp("annual") / "content")
    (content / "cases" / "2025" / "2025-0040.md").write_text(ON_TIME_CASE, encoding="utf-8")
    _annual(content, 2025, f"year: 2025\napproval: {APPROVAL % '2026-01-20'}\n"
                           "published_on: 2026-01-22\nnote: 本年报由法规科编制。\n")
    # 2023: secrecy review missing — held back (R-APPROVAL)
    _annual(content, 2023, "year: 2023\napproval: {reviewed_by: 法规科, approved_by: 局长办公会, "
                           "approved_on: 2024-01-10}\n")
    return content


@pytest.fixture(scope="module")
def annual_site(annual_content, tmp_path_factory):
    out = tmp_path_factory.mktemp("annual-site") / "site"
    return out, build_site(annual_content, out, AS_OF)


def _stats(site: Path, year: int) -> dict[tuple[str, str], str]:
    raw = (site / "annual" / str(year) / "stats.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["指标", "分类", "数值"]
    return {(a, b): c for a, b, c in rows[1:]}


def test_figures_match_the_hand_count(annual_site):
    """R-ANNUAL: the 2025 figures, counted by hand from tests/fixtures/content plus one case.

    2025 results: 2025-0005 inspection (XZJC-001), 2025-0009 random check (SJCC-001),
    2025-0011 penalty 罚款 10000 (revoked 2025-08-01: still counted, and one withdrawal),
    2025-0040 penalty 罚款 3000 + 没收 500 + 退回 1500 (XZCF-001).  2025-0015 is
    ``disclose: none`` and is left out (R-NOPUB).  On time as of the publication date
    2026-01-22: only 2025-0040 (7 working days); 0005 and 0009 were first published by this
    build (2026-11-23), so they were overdue then; 0011 was never published.
    """
    site, _ = annual_site
    s = _stats(site, 2025)
    assert s[("执法决定（结果）总数", "合计")] == "4"
    assert [s[("按执法类别", t)] for t in ("行政处罚", "行政检查", "双随机抽查", "其他执法决定")] == ["2", "1", "1", "0"]
    assert {k[1]: v for k, v in s.items() if k[0] == "按处罚类别"} == {"罚款": "2", "没收违法所得": "1", "责令退回": "1"}
    items = {k[1].split()[0]: v for k, v in s.items() if k[0] == "按执法事项"}
    assert items == {"SJCC-001": "1", "XZCF-001": "2", "XZJC-001": "1"}
    assert s[("罚款金额（元）", "合计")] == "13000.00"
    assert s[("没收违法所得、没收非法财物金额（元）", "合计")] == "500.00"
    assert s[("责令退回金额（元）", "合计")] == "1500.00"
    assert s[("信息更正", "已核实更正")] == "0"
    assert s[("撤下的执法决定", "撤销、确认违法、责令重作")] == "1"
    assert (s[("按期公示", "按期公示数")], s[("按期公示", "已到期数")]) == ("1", "3")
    assert s[("按期公示", "按期公示率")] == "33.3%"
    page = (site / "annual" / "2025" / "index.html").read_text(encoding="utf-8")
    assert "13,000元" in page and "33.3%" in page and "本年报由法规科编制。" in page
    assert '发布日期：<time datetime="2026-01-22">2026年1月22日</time>' in page


def test_csv_is_utf8_with_bom_and_crlf(annual_site):
    """R-ANNUAL: the year's CSV opens in Excel: UTF-8 BOM, CRLF line ends, linked from the page."""
    site, _ = annual_site
    raw = (site / "annual" / "2025" / "stats.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\n") == raw.count(b"\r\n") > 10
    assert 'href="../../annual/2025/stats.csv"' in (site / "annual" / "2025" / "index.html").read_text(encoding="utf-8")


def test_every_chart_has_title_desc_and_a_table(annual_site):
    """R-ANNUAL / WCAG 1.1.1: each SVG chart is role=img, labelled by its <title> and <desc>
    (which states every value), and sits beside a data table with the same numbers."""
    site, _ = annual_site
    page = (site / "annual" / "2025" / "index.html").read_text(encoding="utf-8")
    sections = re.findall(r"<section aria-labelledby=\"(c-[a-z]+)-h\">(.*?)</section>", page, re.S)
    assert [cid for cid, _ in sections] == ["c-type", "c-category", "c-item"]
    for cid, body in sections:
        svg = re.search(r"<svg[^>]*>.*?</svg>", body, re.S).group(0)
        assert 'role="img"' in svg and f'aria-labelledby="{cid}-t {cid}-d"' in svg
        title = re.search(rf'<title id="{cid}-t">(.+?)</title>', svg).group(1)
        desc = re.search(rf'<desc id="{cid}-d">(.+?)</desc>', svg).group(1)
        assert title and "<table>" in body.split("</svg>", 1)[1]
        table = re.findall(r'<tr><th scope="row">(.+?)</th><td>(\d+)</td></tr>', body)
        assert table, cid
        pairs = [p.rsplit(" ", 1) for p in desc.split("；")]
        assert [(label.split()[0], n.removesuffix("件")) for label, n in pairs] == \
               [(label.split()[0], n) for label, n in table]
        assert len(re.findall(r"<rect ", svg)) == len(table)


def test_unapproved_report_is_held_back(annual_site):
    """R-APPROVAL: a 年报 without its secrecy review is not published anywhere and is named
    in the build report; the approved one is listed on the index."""
    site, report = annual_site
    assert not (site / "annual" / "2023").exists()
    holds = [h for h in report.held if h.record_id == "annual:2023"]
    assert holds and holds[0].rule == "R-APPROVAL" and "secrecy_review" in holds[0].reason
    index = (site / "annual" / "index.html").read_text(encoding="utf-8")
    assert 'href="../annual/2025/"' in index and "annual/2023" not in index
    assert not [n for n in all_output_text(site) if "annual/2023" in n]


def test_warns_from_1_january_until_the_report_is_out(annual_content, tmp_path):
    """R-ANNUAL: from 1 January the build warns that last year's report is due by 31 January;
    it does not warn in December, nor once the report is published."""
    content = copy_content(annual_content, tmp_path / "c")
    december = plan_annual(prepare(content, dt.date(2026, 12, 31)))
    assert not [w for w in december.warnings if "R-ANNUAL" in w and "年度行政执法统计年报" in w]
    january = plan_annual(prepare(content, dt.date(2027, 1, 5)))
    assert any("2026年度行政执法统计年报尚未公开，须于2027-01-31前公开" in w for w in january.warnings)
    february = plan_annual(prepare(content, dt.date(2027, 2, 1)))
    assert any("2026年度" in w and "已超过2027-01-31" in w for w in february.warnings)
    _annual(content, 2026, f"year: 2026\napproval: {APPROVAL % '2027-01-20'}\n")
    done = plan_annual(prepare(content, dt.date(2027, 1, 25)))
    assert [r.year for r, _ in done.reports] == [2026, 2025]
    assert not [w for w in done.warnings if "2026年度行政执法统计年报" in w]


def test_report_waits_for_its_publication_date(annual_content, tmp_path):
    """R-ANNUAL, R-APPROVAL: an approved report scheduled for later is not published yet,
    and the build says so."""
    content = copy_content(annual_content, tmp_path / "c")
    _annual(content, 2025, f"year: 2025\napproval: {APPROVAL % '2026-01-20'}\npublished_on: 2026-12-01\n")
    plan = plan_annual(prepare(content, AS_OF))
    assert plan.reports == []
    assert any("2025" in w and "定于2026-12-01公开" in w for w in plan.warnings)
    assert [r.year for r, _ in plan_annual(prepare(content, dt.date(2026, 12, 1))).reports] == [2025]


def test_missing_holiday_schedule_holds_the_report_not_the_site(annual_content, tmp_path):
    """R-WD: a 2026 report whose on-time rate needs 2027's schedule (a penalty decided on
    2026-12-28 is due in January 2027) is held back with the CalendarMissing message."""
    content = copy_content(annual_content, tmp_path / "c")
    late = ON_TIME_CASE.replace("2025-0040", "2026-0050").replace("〔2025〕40号", "〔2026〕50号") \
        .replace("decided_on: 2025-06-09", "decided_on: 2026-12-28") \
        .replace("published_on: 2025-06-18\n", "").replace("approved_on: 2025-06-16", "approved_on: 2026-12-29")
    (content / "cases" / "2026" / "2026-0050.md").write_text(late, encoding="utf-8")
    _annual(content, 2026, f"year: 2026\napproval: {APPROVAL % '2027-01-20'}\n")
    plan = plan_annual(prepare(content, dt.date(2027, 1, 25)))
    assert [r.year for r, _ in plan.reports] == [2025]
    hold = [h for h in plan.held if h.record_id == "annual:2026"]
    assert hold and hold[0].rule == "R-WD" and "2027" in hold[0].reason and "calendar/2027.yaml" in hold[0].reason


def test_bad_annual_files_are_reported_together(tmp_path):
    """R-APPROVAL: a malformed 年报 record stops the build listing every problem at once
    (unknown field, year not matching the file, approval before the year ended)."""
    folder = tmp_path / "annual"
    folder.mkdir()
    (folder / "2025.yaml").write_text(f"year: 2025\napproval: {APPROVAL % '2025-12-30'}\nsumary: x\n",
                                      encoding="utf-8")
    (folder / "2024.yaml").write_text("year: 2023\n", encoding="utf-8")
    with pytest.raises(ContentInvalid) as err:
        read_records(tmp_path)
    text = str(err.value)
    assert "annual/2025.yaml [sumary]" in text and "annual/2025.yaml [approval.approved_on]" in text
    assert "annual/2024.yaml [year]" in text
    assert read_records(tmp_path / "nowhere") == {}
