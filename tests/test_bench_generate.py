"""The benchmark content generator (issue 9): valid for the real pipeline, realistic, deterministic.

benchmarks/ is not a package: its scripts are loaded from their files.  No test here
asserts a time; the measurements themselves are `make bench`'s job.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

from pipeline.load import split_front_matter
from pipeline.values import check_credit_code
from publish.build import BuildReport, build, prepare
from publish.summary import format_summary

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


generate = _load("generate")
baseline = _load("baseline")
run = _load("run")
AS_OF = generate.AS_OF


def _cases(content: Path) -> list[tuple[Path, dict, str]]:
    out = []
    for path in sorted((content / "cases").glob("*/*.md")):
        data, body, problem = split_front_matter(path.read_text(encoding="utf-8"), path.name)
        assert problem is None, problem
        out.append((path, data, body))
    return out


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """60 generated results: (GenerateResult, content dir)."""
    content = tmp_path_factory.mktemp("bench") / "content"
    return generate.generate(60, content), content


@pytest.mark.slow
def test_generated_content_builds_with_only_the_planned_holds(small, tmp_path):
    """R-PII, R-APPROVAL, R-NOPUB, R-WITHDRAW, R-CORR: 60 generated results build and verify.

    Held back are exactly the records generated unapproved (R-APPROVAL) or ``disclose: none``
    (R-NOPUB); nothing is held for suspected personal data (every named person is declared);
    redaction removed real numbers and masked real names; the revoked result became a notice."""
    res, content = small
    report = build(content, tmp_path / "site", AS_OF)
    assert {h.record_id: h.rule for h in report.held} == res.held
    assert set(res.held.values()) == {"R-APPROVAL", "R-NOPUB"}
    assert report.withdrawn == len(res.revoked) >= 1
    assert report.published == 60 - len(res.held) - len(res.revoked)
    assert report.redaction["names_masked"] > 0 and report.redaction["values_removed"] > 0
    assert {"id_number", "mobile"} <= set(report.redaction["by_kind"])
    corrected = res.corrected[0]
    page = next((tmp_path / "site" / "cases").glob(f"*/{corrected}/index.html")).read_text(encoding="utf-8")
    assert "更正" in page


def test_many_records_pass_redaction_without_holds(tmp_path):
    """R-PII: over 400 results (every template, role word and personal-data kind) the redaction
    stage holds nothing back: no undeclared name, no leftover number."""
    res = generate.generate(400, tmp_path / "content")
    prepared = prepare(tmp_path / "content", AS_OF)
    held = {h.record_id: h.rule for h in prepared.report.held}
    assert held == res.held, [h.reason for h in prepared.report.held if h.rule == "R-PII"][:3]
    kinds = prepared.report.redaction["by_kind"]
    assert {"name", "id_number", "mobile", "hospital_no", "address", "birth_date"} <= set(kinds)


def test_records_are_realistic(small):
    """Every type and party kind, dates in the 5 years up to --as-of, valid credit codes,
    unique ids and 文号, full texts of 600–1,500 Chinese characters."""
    _res, content = small
    cases = _cases(content)
    assert len(cases) == 60
    assert {d["type"] for _p, d, _b in cases} == {"penalty", "inspection", "random_check", "other"}
    assert {d["party"]["kind"] for _p, d, _b in cases} == {"organisation", "individual_business",
                                                           "natural_person"}
    assert len({d["id"] for _p, d, _b in cases}) == len({d["doc_no"] for _p, d, _b in cases}) == 60
    for path, data, body in cases:
        assert AS_OF - dt.timedelta(days=5 * 366) < data["decided_on"] <= AS_OF
        assert path.parent.name == str(data["decided_on"].year)
        if data["party"].get("credit_code"):
            check_credit_code(data["party"]["credit_code"])
        assert generate.BODY_MIN <= generate.han_count(body) <= generate.BODY_MAX, path.name


def test_same_seed_gives_identical_files(tmp_path):
    """Determinism: the same count, --as-of and seed write byte-identical content dirs; another
    seed writes different results."""
    a = generate.generate(40, tmp_path / "a")
    generate.generate(40, tmp_path / "b")
    generate.generate(40, tmp_path / "c", seed=a.count + 1)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert _tree(tmp_path / "a") != _tree(tmp_path / "c")


def test_person_names_can_never_appear_inside_public_names():
    """R-PII: masked persons' given-name characters never occur in public names (legal
    representatives, officers) or organisation names, so the verifier cannot find a declared
    person's full name inside public text."""
    person = set("".join(generate.PERSON_GIVEN + generate.PERSON_GIVEN1))
    public = "".join(generate.PUBLIC_GIVEN + generate.BRANDS + list(generate.DISTRICTS)
                     + list(generate.BIG_HOSPITALS) + [k[0] for k in generate.ORG_KINDS]
                     + [a[0] for a in generate.AGENCIES])
    assert not person & set(public)


def test_generate_refuses_a_dir_with_cases(small):
    """A second run into the same dir would mix two corpora: refused."""
    _res, content = small
    with pytest.raises(ValueError, match="cases already exists"):
        generate.generate(5, content)


def test_baseline_writes_one_article_per_case(small, tmp_path):
    """Plain Pelican sees the same case texts: one Markdown article per case, titled 文号 + party."""
    _res, content = small
    md_dir, settings, count = baseline.prepare(content, tmp_path / "pelican")
    assert count == 60 == len(list(md_dir.glob("*.md")))
    _path, data, body = _cases(content)[0]
    text = (md_dir / f"{data['id']}.md").read_text(encoding="utf-8")
    assert text.startswith(f"Title: {data['doc_no']} {data['party']['name']}\n")
    assert body.strip() in text
    assert "PLUGINS = []" in settings.read_text(encoding="utf-8")


def test_harness_reads_the_build_summary_timings():
    """run.py parses the per-stage timings from the summary line gongshi really prints."""
    report = BuildReport(as_of=AS_OF, published=3, pages=9,
                         timings={"load": 1.25, "redact": 2.0, "search": 3.5, "verify": 0.4})
    text = format_summary(report)
    stages = dict(run.STAGE_RE.findall(run.TIME_RE.search(text).group(2)))
    assert {k: float(v) for k, v in stages.items()} == {"load": 1.2, "redact": 2.0, "search": 3.5,
                                                         "verify": 0.4}
    assert run.SUMMARY_RE.search(text).groups() == ("3", "0", "0", "9")


def test_results_round_trip(tmp_path):
    """results.md keeps the raw data of every size, so a later run at another N can merge."""
    runs = {k: {"ok": True, "wall": 2.0 * (i + 1), "rss_max_kib": 2048, "rss_tree_kib": 4096,
                "out_bytes": 2**20, "out_files": 10, "stages": {"search": 1.0}, "note": ""}
            for i, k in enumerate(("full", "rebuild", "pelican"))}
    rec = {"n": 100, "measured": "x", "load_before": 0.0, "load_after": 0.0, "commit": "abc",
           "waive": "", "generate_s": 0.1, "content_bytes": 1, "content_files": 1,
           "gongshi": {}, "pelican_articles": 100, "runs": runs, "machine": run.machine()}
    path = tmp_path / "results.md"
    run.write_results(path, {100: rec, 1000: dict(rec, n=1000)})
    assert run.load_records(path) == {100: rec, 1000: dict(rec, n=1000)}
    text = path.read_text(encoding="utf-8")
    assert "| full build: wall time | 2.0 s | 6.0 s | 0.33 |" in text
    assert "From N = 100 to N = 1,000" in text
