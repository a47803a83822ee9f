"""Corrections on the built site and the written reply letter (R-CORR, 002 第十七条)."""

from __future__ import annotations

import re
import shutil
import stat

import pytest
import yaml
from click.testing import CliRunner

from gongshi.cli import cli
from tests.support import FIXTURE_CONTENT, all_output_text
from tests.test_retention_site import (
    changelog_rows,
    fixture_case_text,
    ledger_events,
    read,
    run_timeline,
)

pytestmark = pytest.mark.slow

ACCEPTED = yaml.safe_load((FIXTURE_CONTENT / "corrections" / "GZ-2026-001.yaml").read_text(encoding="utf-8"))
OLD_SUMMARY = ACCEPTED["changes"][0]["old"]
NEW_SUMMARY = ACCEPTED["changes"][0]["new"]
REJECTED = {
    "id": "GZ-2026-002", "case": "2026-0012", "received_on": "2026-04-02",
    "applicant": "异议人芮小舟", "contact": "13711112222", "claim": "认为罚款金额过高，请求更正。",
    "evidence": "情况说明一份", "decision": "rejected", "decided_on": "2026-04-08",
    "reply_on": "2026-04-10", "reply": "经核实，原公示信息与处罚决定书一致，不予更正。",
}
PRIVATE = [ACCEPTED["applicant"], ACCEPTED["contact"], ACCEPTED["claim"], ACCEPTED["evidence"],
           REJECTED["applicant"], REJECTED["contact"], REJECTED["claim"], REJECTED["evidence"]]


def _write_corrections(content, *requests):
    folder = content / "corrections"
    folder.mkdir(exist_ok=True)
    for request in requests:
        (folder / f"{request['id']}.yaml").write_text(
            yaml.safe_dump(request, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def corrected(tmp_path_factory):
    """2026-0012 published with the wrong summary on 2026-03-05; on 2026-04-08 the accepted
    request GZ-2026-001 is applied (case file edited) and GZ-2026-002 is rejected."""
    root = tmp_path_factory.mktemp("corrections")
    wrong = fixture_case_text("2026-0012").replace(f"summary: {NEW_SUMMARY}", f"summary: {OLD_SUMMARY}")
    assert OLD_SUMMARY in wrong
    timeline = run_timeline(root, [("2026-03-05", [("2026-0012", wrong)])])
    _write_corrections(timeline.content, ACCEPTED, REJECTED)
    return run_timeline(root, [("2026-04-08", [("2026-0012", None)])], timeline)


def test_accepted_correction_shows_on_the_case_page(corrected):
    """R-CORR: the case page's 更正记录 shows the date and what changed (field, old → new)."""
    before = read(corrected["2026-03-05"].site, "cases/2026/2026-0012/index.html")
    assert "本条信息公示后未作更正" in before and OLD_SUMMARY in before
    html = read(corrected["2026-04-08"].site, "cases/2026/2026-0012/index.html")
    history = html[html.index('id="corr-h"'):]
    entry = re.search(r"<li><time datetime=\"2026-04-08\">2026年4月8日</time> 更正：(.*?)</li>\s*</ul>", history, re.S)
    assert entry, history
    assert f"处罚内容：由“{OLD_SUMMARY}”更正为“{NEW_SUMMARY}”" in entry.group(1)
    assert history.count("<time") == 1  # the rejected request leaves no entry


def test_correction_is_a_ledger_event_and_a_changelog_line(corrected):
    """R-CORR, SPEC §5: the ledger records "corrected" (not "updated") with the field label;
    the changelog line links to the case; a rejected request records nothing."""
    events = ledger_events(corrected["2026-04-08"].ledger)
    new = [e for e in events if e["date"] == "2026-04-08"]
    assert [(e["kind"], e["record"], e["summary"]) for e in new] == [
        ("corrected", "2026-0012", "更正 测医保罚〔2026〕12号：处罚内容")]
    row = next(r for r in changelog_rows(corrected["2026-04-08"].site) if "更正 测医保罚" in r)
    assert re.search(r'<a href="\.\./cases/2026/2026-0012/">更正 测医保罚〔2026〕12号：处罚内容</a>', row)


def test_applicant_never_reaches_the_site(corrected, fixture_site):
    """R-CORR: the applicant's name, contact, claim and evidence are in no output file
    (pages, feed, sitemap, exports, search index) — accepted or rejected request."""
    for site in (fixture_site[0], corrected["2026-04-08"].site):
        texts = all_output_text(site)
        for value in PRIVATE:
            assert not [name for name, text in texts.items() if value in text], value


def test_fixture_case_page_shows_its_correction(fixture_site):
    """R-CORR: the fixture's accepted GZ-2026-001 appears on 2026-0012's page, dated."""
    html = read(fixture_site[0], "cases/2026/2026-0012/index.html")
    assert "2026年4月8日" in html and f"由“{OLD_SUMMARY}”更正为“{NEW_SUMMARY}”" in html


def _reply(tmp_path, request_id, content=FIXTURE_CONTENT, output=None):
    output = output or tmp_path / "letters" / f"{request_id}.html"
    result = CliRunner().invoke(cli, ["correction", "reply", request_id, "--content", str(content),
                                      "--output", str(output), "--as-of", "2026-11-23"],
                                catch_exceptions=False)
    return result, output


def test_reply_letter_names_the_applicant_and_what_changed(tmp_path):
    """R-CORR (书面答复): the letter for GZ-2026-001 names the applicant and their contact,
    the case, the decision and the corrected values; it is private (mode 0600)."""
    result, letter = _reply(tmp_path, "GZ-2026-001")
    assert result.exit_code == 0, result.output
    html = letter.read_text(encoding="utf-8")
    for value in (ACCEPTED["applicant"], ACCEPTED["contact"], ACCEPTED["claim"], "测医保罚〔2026〕12号",
                  "予以更正", "处罚内容", OLD_SUMMARY, NEW_SUMMARY, ACCEPTED["reply"].strip(),
                  "2026年4月1日", "2026年4月9日", "测试市医疗保障局"):
        assert value in html, value
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
    assert stat.S_IMODE(letter.stat().st_mode) == 0o600


def test_reply_letter_for_a_rejected_request(tmp_path):
    """R-CORR: a rejected request also gets a written reply, without a change table."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    _write_corrections(content, REJECTED)
    result, letter = _reply(tmp_path, "GZ-2026-002", content)
    assert result.exit_code == 0, result.output
    html = letter.read_text(encoding="utf-8")
    assert "不予更正" in html and REJECTED["applicant"] in html and REJECTED["contact"] in html
    assert "<table" not in html and "2026年4月10日" in html


def test_reply_letter_is_refused_inside_a_site(tmp_path, fixture_site):
    """R-CORR: the letter names the applicant, so it is never written into a built site."""
    site = fixture_site[0]
    result, letter = _reply(tmp_path, "GZ-2026-001", output=site / "replies" / "GZ-2026-001.html")
    assert result.exit_code == 1 and "R-CORR" in result.output
    assert not letter.exists() and not (site / "replies").exists()


def test_reply_needs_a_known_decided_request(tmp_path):
    """R-CORR: an unknown id names the known ones; a pending request has no reply yet."""
    result, _ = _reply(tmp_path, "GZ-2099-999")
    assert result.exit_code == 1 and "GZ-2026-001" in result.output
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    pending = {k: v for k, v in REJECTED.items() if k not in ("decided_on", "reply_on", "reply")}
    _write_corrections(content, dict(pending, id="GZ-2026-003", decision="pending"))
    result, letter = _reply(tmp_path, "GZ-2026-003", content)
    assert result.exit_code == 1 and "no decision yet" in result.output and not letter.exists()
