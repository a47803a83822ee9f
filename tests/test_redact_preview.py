"""`gongshi redact FILE`: the legal unit's review preview (issue 5 item 4, R-PII)."""

from __future__ import annotations

from click.testing import CliRunner

from gongshi.cli import cli
from tests.support import FIXTURE_CONTENT


def _run(*args):
    return CliRunner().invoke(cli, ["redact", *args, "--as-of", "2026-11-23"], catch_exceptions=False)


def test_preview_marks_every_replacement():
    """The record as published, masks marked «…», and each replacement listed."""
    result = _run(str(FIXTURE_CONTENT / "cases/2026/2026-0012.md"), "--content", str(FIXTURE_CONTENT))
    assert result.exit_code == 0, result.output
    published = result.output.split("replacements:")[0]
    assert "«刘某某»" in published and "«陈某某»" in published
    assert "刘秀英" not in published and "220102196602160295" not in published
    assert "name: 刘秀英 → 刘某某" in result.output
    assert "publishable: yes" in result.output


def test_preview_says_when_a_record_would_be_held(tmp_path):
    """An undeclared patient name makes the preview say HELD BACK, with the reason."""
    src = (FIXTURE_CONTENT / "cases/2026/2026-0012.md").read_text(encoding="utf-8")
    path = tmp_path / "cases/2026/2026-0012.md"
    path.parent.mkdir(parents=True)
    path.write_text(src.replace("超量开具胰岛素；", "超量开具胰岛素；患者孙立平等人", 1), encoding="utf-8")
    result = _run(str(path))
    assert result.exit_code == 0, result.output
    assert "HELD BACK" in result.output and "患者" in result.output


def test_preview_of_an_invalid_file_is_a_clean_error(tmp_path):
    path = tmp_path / "x.md"
    path.write_text("---\ntype: penalty\n---\n", encoding="utf-8")
    result = _run(str(path))
    assert result.exit_code == 1 and "required" in result.output and "Traceback" not in result.output
