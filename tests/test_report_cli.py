"""``gongshi report timeliness`` (SPEC §8; R-7WD, R-20WD, R-WD) and the nightly warnings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongshi.cli import cli
from tests.support import FIXTURE_CONTENT, copy_content

KEYS = {"id", "doc_no", "type", "decided_on", "published_on", "workdays", "limit", "deadline",
        "status", "on_time", "rule"}
UNSIGNED = "approval: {reviewed_by: 法规科, approved_by: 局长办公会, approved_on: 2026-11-23}\n"
APPROVED = "approval: {reviewed_by: 法规科, secrecy_review: 办公室, approved_by: 局长办公会, approved_on: %s}\n"


def _case(content: Path, case_id: str, decided: str, extra: str = "", approval: str | None = None) -> None:
    year = decided[:4]
    text = (f"---\nid: {case_id}\ntype: penalty\ndoc_no: 测医保罚〔{year}〕{case_id[-3:]}号\n"
            f"item: XZCF-001\nagency: 测试市医疗保障局\ndecided_on: {decided}\n{extra}"
            "party: {kind: organisation, name: 测试时限医院有限公司, credit_code: 91220101MA00044444, legal_rep: 时限}\n"
            "facts: 该院串换药品。\nbasis: 《医疗保障基金使用监督管理条例》第三十八条\n"
            "result: {category: 警告, summary: 给予警告。}\n"
            + (approval if approval is not None else APPROVED % decided) + "---\n")
    folder = content / "cases" / year
    folder.mkdir(exist_ok=True)
    (folder / f"{case_id}.md").write_text(text, encoding="utf-8")


def _run(*args: str):
    result = CliRunner().invoke(cli, ["report", "timeliness", *args], catch_exceptions=False)
    return result


def _json(content: Path, as_of: str) -> dict[str, dict]:
    result = _run("--content", str(content), "--as-of", as_of, "--json")
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in json.loads(result.output)}


@pytest.fixture
def content(tmp_path) -> Path:
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    # Decided Mon 2026-11-02; the 7th working day after it is Wed 2026-11-11.
    _case(content, "2026-0101", "2026-11-02", "published_on: 2026-11-11\n")
    _case(content, "2026-0102", "2026-11-02", "published_on: 2026-11-12\n")
    # Secrecy review missing, so not published by a build on 2026-11-23:
    # decided Fri 11-13 → due Tue 11-24 (1 working day left); decided Fri 11-20 → due Tue 12-01.
    _case(content, "2026-0103", "2026-11-13", approval=UNSIGNED)
    _case(content, "2026-0104", "2026-11-20", approval=UNSIGNED)
    return content


def test_json_shape_is_spec_section_8(content):
    """SPEC §8: --json prints one object per result with exactly these fields, dates ISO;
    disclose: none (R-NOPUB) and never-published withdrawn results are not listed."""
    rows = _json(content, "2026-11-23")
    for row in rows.values():
        assert set(row) == KEYS
        assert row["status"] in {"on_time", "late", "pending", "due_soon", "pending_overdue"}
        assert row["rule"] == ("R-7WD" if row["type"] == "penalty" else "R-20WD")
        assert row["limit"] == (7 if row["type"] == "penalty" else 20)
        dt.date.fromisoformat(row["decided_on"])
        dt.date.fromisoformat(row["deadline"])
    assert "2025-0015" not in rows and "2025-0011" not in rows
    assert rows["2025-0005"]["limit"] == 20 and rows["2025-0005"]["status"] == "late"


def test_published_on_the_exact_limit_is_on_time(content):
    """R-7WD, R-WD: a penalty decided Monday 2026-11-02 and published on the 7th working day
    (2026-11-11) is on time; one published a day later took 8 working days and is late."""
    rows = _json(content, "2026-11-23")
    assert (rows["2026-0101"]["workdays"], rows["2026-0101"]["deadline"]) == (7, "2026-11-11")
    assert (rows["2026-0101"]["status"], rows["2026-0101"]["on_time"]) == ("on_time", True)
    assert (rows["2026-0102"]["workdays"], rows["2026-0102"]["status"]) == (8, "late")
    assert rows["2026-0102"]["on_time"] is False


def test_unpublished_results_are_pending_due_soon_or_overdue(content):
    """R-7WD: results not yet published (held back for approval) are pending, due_soon within
    2 working days of the deadline, and pending_overdue after it; the publication date is null."""
    rows = _json(content, "2026-11-23")
    assert (rows["2026-0103"]["status"], rows["2026-0103"]["deadline"]) == ("due_soon", "2026-11-24")
    assert (rows["2026-0104"]["status"], rows["2026-0104"]["deadline"]) == ("pending", "2026-12-01")
    assert rows["2026-0104"]["published_on"] is None and rows["2026-0104"]["on_time"] is None
    assert rows["2026-0030"]["status"] == "pending_overdue"
    later = _json(content, "2026-11-25")
    assert later["2026-0103"]["status"] == "pending_overdue" and later["2026-0103"]["on_time"] is False


def test_table_is_the_default(content):
    """SPEC §8: without --json a readable table with one line per result and a status count."""
    result = _run("--content", str(content), "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["文号", "类型", "决定日期", "首次公示", "工作日", "时限", "截止日期", "状态"]
    assert any("测医保罚〔2026〕101号" in line and "按期公示" in line for line in lines)
    assert "即将到期 1" in lines[-1] and "逾期未公示 1" in lines[-1]


def test_missing_calendar_is_a_clean_error_then_works_with_the_file(tmp_path):
    """R-WD: a result decided in 2027, a year the installed schedule does not know, stops the
    report with exit 1 and a message naming 2027 and the file to add — no traceback, no
    weekday guess.  With content/calendar/2027.yaml the same report runs."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    _case(content, "2027-0001", "2027-01-04")
    result = _run("--content", str(content), "--as-of", "2027-01-10", "--json")
    assert result.exit_code == 1
    assert "2027" in result.output and f"{content.as_posix()}/calendar/2027.yaml" in result.output
    assert "Traceback" not in result.output
    (content / "calendar").mkdir()
    (content / "calendar" / "2027.yaml").write_text(
        "year: 2027\nsource: 国办发明电〔2026〕1号\nholidays: [2027-01-01]\nworkdays: []\n", encoding="utf-8")
    rows = _json(content, "2027-01-10")
    # Mon 01-04 + 7 working days (01-05…08, 11, 12, 13); published by this run on Sun 01-10.
    assert rows["2027-0001"]["deadline"] == "2027-01-13"
    assert (rows["2027-0001"]["workdays"], rows["2027-0001"]["status"]) == (4, "on_time")


def test_bad_as_of_is_a_usage_error(tmp_path):
    """SPEC §8: --as-of must be YYYY-MM-DD."""
    result = _run("--content", str(FIXTURE_CONTENT), "--as-of", "23/11/2026")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def test_nightly_build_warns_about_overdue_results(fixture_site):
    """R-7WD: the build report lists results still unpublished after their deadline
    (2026-0030, held back for a missing secrecy review, was due 2026-06-22)."""
    _, report = fixture_site
    overdue = [w for w in report.warnings if w.startswith("逾期未公示")]
    assert len(overdue) == 1 and "测医保罚〔2026〕30号" in overdue[0] and "2026-06-22" in overdue[0]
