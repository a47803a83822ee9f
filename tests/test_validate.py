"""Validation: bad input fails closed with file, field and fix; nothing is written.

Each case edits one file of a copy of the fixture corpus and runs `gongshi build`.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from gongshi.cli import cli
from tests.support import FIXTURE_CONTENT, copy_content

CASE = "cases/2026/2026-0012.md"


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _run(content, out):
    return CliRunner().invoke(
        cli, ["build", "--content", str(content), "--output", str(out), "--as-of", "2026-11-23", "-q"],
        catch_exceptions=False,
    )


# (description, file, old, new, expected words in the message)
INVALID = [
    ("broken YAML", CASE, "type: penalty", "type: [penalty", ["2026-0012.md", "YAML error", "line"]),
    ("unknown field", CASE, "type: penalty", "type: penalty\ncolour: red", ["[colour]", "unknown field"]),
    ("decision in the future", CASE, "decided_on: 2026-03-02", "decided_on: 2026-12-02",
     ["[decided_on]", "after the build date"]),
    ("unknown 执法事项", CASE, "item: XZCF-001", "item: XZCF-999", ["[item]", "unknown 执法事项", "items.yaml"]),
    ("bad credit-code check digit", CASE, "credit_code: 91220101MA00011111",
     "credit_code: 91220101MA00011112", ["[party.credit_code]", "check digit"]),
    ("natural person with a credit code", "cases/2026/2026-0020.md",
     "party: {kind: natural_person, name: 欧阳振华}",
     "party: {kind: natural_person, name: 欧阳振华, credit_code: 91220101MA00011111}",
     ["[party.credit_code]", "natural person"]),
    ("withdrawn without status_changed_on", "cases/2025/2025-0011.md",
     "status_changed_on: 2025-08-01\n", "", ["[status_changed_on]", "R-WITHDRAW"]),
    ("duplicate key", CASE, "type: penalty", "type: penalty\ntype: inspection", ["duplicate key"]),
    ("tab indentation", CASE, "  kind: organisation", "\tkind: organisation", ["tab"]),
    ("date that does not exist", CASE, "decided_on: 2026-03-02", "decided_on: 2026-02-30",
     ["2026-0012.md", "date"]),
    ("duplicate 文号", "cases/2026/2026-0020.md", "doc_no: 测医保罚〔2026〕20号",
     "doc_no: 测医保罚〔2026〕12号", ["[doc_no]", "测医保罚〔2026〕12号"]),
    ("id differs from file name", CASE, "id: 2026-0012", "id: 2026-0099", ["[id]", "rename"]),
    ("id with a path", CASE, "id: 2026-0012", "id: ../../x", ["[id]", "letters, digits"]),
    ("unknown result category", CASE, "category: [罚款, 责令退回]", "category: [罚金]", ["[result.category]"]),
    ("amount in words", CASE, "fine: 52000", "fine: 伍万元", ["[result.fine]", "not an amount"]),
    ("disclose none without reason", CASE, "disclose: full", "disclose: none", ["[disclose_reason]", "R-NOPUB"]),
]


@pytest.mark.parametrize("desc,rel,old,new,words", INVALID, ids=[i[0] for i in INVALID])
def test_invalid_content_fails_closed(tmp_path, desc, rel, old, new, words):
    """Bad input gives a clear error naming file, field and fix; exit 1; no output written."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    _edit(content / rel, old, new)
    out = tmp_path / "site"
    result = _run(content, out)
    assert result.exit_code == 1, result.output
    for word in words:
        assert word in result.output, f"{word!r} missing from:\n{result.output}"
    assert not out.exists(), "a failed build must not write output"
    assert "Traceback" not in result.output


def test_every_problem_reported_at_once(tmp_path):
    """All errors of a build are listed together, not just the first."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    _edit(content / CASE, "item: XZCF-001", "item: NOPE-1")
    _edit(content / "cases/2026/2026-0020.md", "type: penalty", "type: penalty\nfoo: 1")
    result = _run(content, tmp_path / "site")
    assert result.exit_code == 1
    assert "2026-0012.md [item]" in result.output
    assert "2026-0020.md [foo]" in result.output
    assert re.search(r"(\d+) problem", result.output).group(1) == "2"


def test_failed_build_keeps_previous_output(tmp_path):
    """A failed run leaves the previous output exactly as it was."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    out = tmp_path / "site"
    assert _run(content, out).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    _edit(content / CASE, "item: XZCF-001", "item: NOPE-1")
    assert _run(content, out).exit_code == 1
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert before == after


def test_gbk_file_with_crlf_is_read(tmp_path):
    """A case exported as GBK with CRLF line ends builds like its UTF-8 twin."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    path = content / "cases/2026/2026-0021.md"
    path.write_bytes(path.read_text(encoding="utf-8").replace("\n", "\r\n").encode("gbk"))
    result = _run(content, tmp_path / "site")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "site/cases/2026/2026-0021/index.html").read_text(encoding="utf-8")
    assert "依法对有关财务账册予以查封" in page


def test_bad_as_of_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["build", "--content", str(FIXTURE_CONTENT), "--output",
                                      str(tmp_path / "o"), "--as-of", "2026/13/01"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output
