"""Issue 11, broken input: whatever arrives gives a clear error or is handled correctly —
never a traceback, never a crash, never a file outside the output dir.

tests/test_validate.py already covers, through the CLI: broken YAML, unknown fields,
duplicate keys, tab indentation, 2026-02-30, 伍万元, ``../../x`` as an id, GBK with CRLF.
This file adds the rest: BOM and UTF-16, empty and binary files, ids and file names with
spaces, unclosed front matter, non-mapping rows and files, YAML bombs and deep nesting,
links out of the content dir, control characters, NaN and negative amounts, list ids
that would become paths outside the site — first on the loader's functions, then
through ``gongshi build``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongshi.cli import cli
from pipeline.load import MAX_DEPTH, decode_text, parse_yaml, split_front_matter
from pipeline.values import check_slug, controls_in, parse_amount
from tests.support import FIXTURE_CONTENT, ROOT, all_output_text, build_site, copy_content

CASE = "cases/2026/2026-0012.md"

BOMB = "\n".join(
    ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    + ["type: *a9", "facts: *a9", ""]
)


# ------------------------------------------------------------------ the loader


def test_billion_laughs_fails_fast_and_small():
    """Issue 11: a billion-laughs document (10^9 values from 100 nodes) is refused in
    milliseconds and without memory growth, with a message saying what to write instead."""
    tracemalloc.start()
    start = time.perf_counter()
    data, problem = parse_yaml(BOMB, "cases/2026/x.md")
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert data is None and "too complex" in problem.message and "alias" in problem.message
    assert "anchors" in problem.fix
    assert elapsed < 1.0 and peak < 5_000_000, (elapsed, peak)


@pytest.mark.parametrize("text", [
    "x: " + "[" * 1000 + "]" * 1000 + "\n",
    "x: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n",
    "".join(" " * i + "- \n" for i in range(1000)),
    "".join(" " * i + f"k{i}:\n" for i in range(1000)) + " " * 1000 + "v\n",
], ids=["flow-seq", "flow-map", "block-seq", "block-map"])
def test_a_thousand_levels_are_refused(text):
    """Issue 11: a 1,000-level nested document is refused (repr, deepcopy and the C
    composer recurse per level), naming the limit."""
    data, problem = parse_yaml(text, "lists/x.yaml")
    assert data is None and f"more than {MAX_DEPTH} levels" in problem.message


def test_a_hundred_thousand_levels_do_not_crash_the_process():
    """Issue 11: libyaml's C composer recurses per level and kills the process (SIGSEGV)
    somewhere past 20,000 levels; a long text is measured from parser events first.
    Run in a child process so a crash fails this test instead of the whole run."""
    code = ("from pipeline.load import parse_yaml\n"
            "d, p = parse_yaml('x: ' + '[' * 100000 + ']' * 100000, 'x')\n"
            "print(p.message)\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-500:]
    assert "levels deep" in run.stdout


def test_recursive_alias_is_refused():
    """Issue 11: an alias inside its own anchor (a list containing itself) is refused."""
    data, problem = parse_yaml("a: &a [1, *a]\n", "x.yaml")
    assert data is None and "recursive" in problem.message


def test_ordinary_anchors_still_load():
    """Shared values written once with an anchor are fine (they do not multiply)."""
    text = "ap: &ap {reviewed_by: 法规科}\nrows:\n" + "".join(f"  - {{n: {i}, a: *ap}}\n" for i in range(500))
    data, problem = parse_yaml(text, "x.yaml")
    assert problem is None and len(data["rows"]) == 500 and data["rows"][-1]["a"] == {"reviewed_by": "法规科"}


@pytest.mark.parametrize("text", ["? [a, b]\n: c\n", "{[1]: 2}\n", "[1]: 2\n", "{a: 1}: 2\n"])
def test_a_list_or_mapping_as_a_key_is_a_clear_error(text):
    """Issue 11: a list or mapping used as a field name gave a TypeError; now a Problem."""
    data, problem = parse_yaml(text, "x.yaml")
    assert data is None and "field name" in problem.message and "line" in problem.message


def test_decoding():
    """Issue 11: UTF-8 with or without BOM, UTF-16 with BOM (Excel "Unicode text"), GBK;
    CRLF and CR become LF; binary data is refused."""
    text = "---\nid: 1\n---\n正文\n"
    assert decode_text(text.encode("utf-8-sig"), "x")[0] == text
    assert decode_text(text.encode("utf-16"), "x")[0] == text
    assert decode_text(text.replace("\n", "\r\n").encode("gbk"), "x")[0] == text
    assert decode_text(b"a\rb\r\nc", "x")[0] == "a\nb\nc"
    garbage = bytes(range(256)) * 8
    text, problem = decode_text(garbage, "cases/2026/x.md")
    assert text is None and "neither UTF-8 nor GBK" in problem.message and problem.fix


def test_pasted_line_separators():
    """Issue 11: Word's manual line break (\\v), form feed, U+0085, U+2028 and U+2029 are
    spaces in a YAML value (a bare line break would end it) and line breaks in a body;
    any other control character is a clear error naming the line."""
    data, body, problem = split_front_matter(
        "---\nfacts: 第一句\x0b第二句\u2028第三句\nbasis: 条例\n---\n一\x0b二\u2029三\x0c四\n", "x.md")
    assert problem is None and data == {"facts": "第一句 第二句 第三句", "basis": "条例"}
    assert body == "一\n二\n三\n四"
    data, problem = parse_yaml("a: 1\nb: x\x07y\n", "x.yaml")
    assert data is None and problem.message == "line 2 contains the invisible control character U+0007"


def test_unclosed_front_matter_says_so():
    """Issue 11: a front matter without its closing '---' is named as such."""
    data, body, problem = split_front_matter("---\nid: 2026-0012\ntype: penalty\n正文\n", "x.md")
    assert data is None and "not closed" in problem.message and "---" in problem.fix
    _, _, problem = split_front_matter("id: 2026-0012\n", "x.md")
    assert "no YAML front matter" in problem.message


def test_amount_values():
    """Issue 11: "5万" is 50000; NaN, infinity, negatives and 伍万元 are refused."""
    assert parse_amount("5万") == 50000 and parse_amount("5万元") == 50000
    for bad in (float("nan"), float("inf"), -1, -0.5, "伍万元", "-5"):
        with pytest.raises(ValueError):
            parse_amount(bad)


def test_slugs_and_controls():
    """Issue 11: ids that become folders are plain; control characters are found anywhere."""
    assert check_slug("XZCF-001") == "XZCF-001"
    for bad in ("../x", "/tmp/x", "a b", "", "x" * 65, "案件"):
        with pytest.raises(ValueError):
            check_slug(bad)
    found = list(controls_in({"party": {"name": "a\x1bb"}, "rows": [{"t": "ok"}, {"t": "\x00"}]}))
    assert found == [("party.name", "U+001B"), ("rows[2].t", "U+0000")]


# ------------------------------------------------------------------ through gongshi build


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _run(content: Path, out: Path):
    return CliRunner().invoke(
        cli, ["build", "--content", str(content), "--output", str(out), "--as-of", "2026-11-23", "-q"],
        catch_exceptions=False,
    )


def _symlink_out(c: Path) -> None:
    outside = c.parent / "outside"
    outside.mkdir()
    secret = outside / "2026-0099.md"
    secret.write_text((c / CASE).read_text(encoding="utf-8").replace("2026-0012", "2026-0099")
                      .replace("测医保罚〔2026〕12号", "外部文件〔2026〕99号"), encoding="utf-8")
    (c / "cases/2026/2026-0099.md").symlink_to(secret)


def _symlink_folder(c: Path) -> None:
    (c.parent / "y2024").mkdir()
    (c / "cases/2024").symlink_to(c.parent / "y2024", target_is_directory=True)


BROKEN = [
    ("empty case file", lambda c: (c / CASE).write_bytes(b""), ["2026-0012.md", "empty"]),
    ("BOM only", lambda c: (c / CASE).write_bytes(b"\xef\xbb\xbf \n"), ["2026-0012.md", "empty"]),
    ("empty list file", lambda c: (c / "lists/av.yaml").write_bytes(b""), ["lists/av.yaml", "empty"]),
    ("id with spaces", lambda c: _edit(c / CASE, "id: 2026-0012", "id: 2026 0012"),
     ["[id]", "not a valid id", "letters, digits"]),
    ("file name with unicode and spaces", lambda c: (c / CASE).rename(c / "cases/2026/案件 一.md"),
     ["案件 一.md [id]", "rename the file to 2026-0012.md"]),
    ("front matter not closed",
     lambda c: (c / CASE).write_text((c / CASE).read_text(encoding="utf-8").replace("\n---\n", "\n", 1)),
     ["2026-0012.md", "not closed"]),
    ("list row that is not a mapping",
     lambda c: _edit(c / "lists/av.yaml", "rows:\n", "rows:\n  - just a string\n"),
     ["lists/av.yaml [rows[1]]", "expected a mapping"]),
    ("bureau.yaml that is a list", lambda c: (c / "bureau.yaml").write_text("- a\n- b\n"),
     ["bureau.yaml", "expected a mapping"]),
    ("binary garbage in a case file", lambda c: (c / CASE).write_bytes(os.urandom(4096) + bytes(range(256))),
     ["2026-0012.md", "neither UTF-8 nor GBK"]),
    ("binary after the front matter",
     lambda c: (c / CASE).write_bytes((c / CASE).read_bytes() + b"\x00\x01\xff\xfe\x80"),
     ["2026-0012.md", "neither UTF-8 nor GBK"]),
    ("YAML bomb", lambda c: (c / CASE).write_text("---\n" + BOMB + "---\n"),
     ["2026-0012.md", "too complex", "YAML bomb"]),
    ("1,000-level nesting", lambda c: _edit(c / "lists/av.yaml", "rows:\n",
                                            "intro: " + "[" * 1000 + "]" * 1000 + "\nrows:\n"),
     ["lists/av.yaml", "levels deep"]),
    ("a list as a field name", lambda c: _edit(c / CASE, "type: penalty", "type: penalty\n[a]: b"),
     ["2026-0012.md", "field name"]),
    ("symlink out of the content dir", _symlink_out,
     ["cases/2026/2026-0099.md", "outside the content directory"]),
    ("linked year folder", _symlink_folder, ["cases/2024", "link to a folder"]),
    ("a folder named like a case", lambda c: (c / "cases/2026/2026-0098.md").mkdir(),
     ["2026-0098.md", "not a regular file"]),
    ("NaN fine", lambda c: _edit(c / CASE, "fine: 52000", "fine: .nan"), ["[result.fine]", "not an amount"]),
    ("infinite fine", lambda c: _edit(c / CASE, "fine: 52000", "fine: .inf"), ["[result.fine]", "not an amount"]),
    ("negative fine", lambda c: _edit(c / CASE, "fine: 52000", "fine: -52000"), ["[result.fine]", "negative"]),
    ("control character in a 文号", lambda c: _edit(c / CASE, "doc_no: 测医保罚〔2026〕12号",
                                                 'doc_no: "测医保罚〔2026〕\\e12号"'),
     ["2026-0012.md [doc_no]", "control character U+001B"]),
    ("control character in a full text", lambda c: (c / CASE).write_text(
        (c / CASE).read_text(encoding="utf-8") + "\x07响铃\n"), ["2026-0012.md [body]", "U+0007"]),
    ("control character in a list row", lambda c: _edit(c / "lists/officers.yaml", "name: 赵立新",
                                                         'name: "赵立新\\0"'),
     ["lists/officers.yaml [rows[1].name]", "U+0000"]),
    ("item code with a path", lambda c: _edit(c / "lists/items.yaml", "code: XZJC-001",
                                               "code: ../../../escaped-item"),
     ["lists/items.yaml [rows[2].code]", "cannot name a page"]),
    ("guide id with a path", lambda c: _edit(c / "lists/guides.yaml", "id: G01", "id: ../../../escaped-guide"),
     ["lists/guides.yaml [rows[1].id]", "cannot name a page"]),
    ("flow id that is absolute", lambda c: _edit(c / "lists/flows.yaml", "id: penalty-general",
                                                  "id: /tmp/escaped-flow"),
     ["lists/flows.yaml [rows[1].id]", "cannot name a page"]),
    ("a number as the 处罚类别", lambda c: _edit(c / CASE, "category: [罚款, 责令退回]", "category: 1"),
     ["[result.category]", "expected a 处罚类别"]),
    ("bureau site that is text", lambda c: _edit(c / "bureau.yaml", "site:\n", "site: 0\nx_site:\n"),
     ["bureau.yaml [site]", "expected a mapping"]),
    ("bureau units that are text", lambda c: _edit(c / "bureau.yaml", "units:\n", "units: 基金监管科\nx_units:\n"),
     ["bureau.yaml [units]", "name and duties"]),
    ("bureau site address that is a script", lambda c: _edit(c / "bureau.yaml", "url: https://ybj.ceshi.gov.cn/gongshi/",
                                                             "url: javascript:alert(1)"),
     ["bureau.yaml [site.url]", "http://"]),
    ("guide materials that are a number", lambda c: _edit(c / "lists/guides.yaml", "materials: [听证申请书, 身份证明]",
                                                          "materials: 0"),
     ["lists/guides.yaml [rows[1].materials]", "expected a list of texts"]),
    ("flow steps that are numbers", lambda c: _edit(c / "lists/flows.yaml", "      - {name: 立案, limit: 15个工作日}",
                                                    "      - 1"),
     ["lists/flows.yaml [rows[1].steps]", "expected a list of mappings"]),
    ("guide for an unknown 执法事项", lambda c: _edit(c / "lists/guides.yaml", "item: XZCF-001", "item: XZCF-999"),
     ["lists/guides.yaml [rows[1].item]", "unknown 执法事项"]),
    ("ledger that is not UTF-8", lambda c: (c / "ledger.jsonl").write_bytes(b"\xff\xfe\x00garbage"),
     ["ledger.jsonl", "not UTF-8"]),
]


@pytest.mark.parametrize("desc,mutate,words", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_input_fails_closed(tmp_path, desc, mutate, words):
    """Issue 11: each broken input gives a clear error naming the file (and field) — exit 1,
    no traceback, nothing written, nothing outside the output dir."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    mutate(content)
    before = {p for p in tmp_path.parent.rglob("*escaped*")}
    out = tmp_path / "site"
    result = _run(content, out)
    assert result.exit_code == 1, result.output
    for word in words:
        assert word in result.output, f"{word!r} missing from:\n{result.output}"
    assert "Traceback" not in result.output
    assert not out.exists(), "a failed build must not write output"
    assert {p for p in tmp_path.parent.rglob("*escaped*")} == before
    assert not Path("/tmp/escaped-flow").exists()
    assert "外部文件" not in result.output


def test_tolerated_quirks_build(tmp_path):
    """Issue 11: what a Windows case system or a spreadsheet produces builds correctly —
    a UTF-8 BOM, UTF-16 with BOM and CRLF, "5万" as an amount (50,000元), Word's manual line
    break inside a text, numbers where text is expected (职责, a flowchart title)."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    case = content / CASE
    _edit(case, "fine: 52000", "fine: 5万")
    _edit(case, "summary: 责令退回医保基金26000元，并处违规金额2倍罚款52000元。",
          "summary: 责令退回医保基金26000元，\x0b并处罚款5万元。")
    case.write_bytes(case.read_text(encoding="utf-8").encode("utf-8-sig"))
    _edit(content / "bureau.yaml", "duties: |\n  负责本市医疗保障基金监督管理，依法查处医疗保障领域违法违规行为。\n",
          "duties: 12345\n")
    _edit(content / "lists/flows.yaml", "title: 行政处罚一般程序流程图", "title: 2026")
    other = content / "cases/2026/2026-0021.md"
    other.write_bytes(other.read_text(encoding="utf-8").replace("\n", "\r\n").encode("utf-16"))
    result = _run(content, tmp_path / "site")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "site/cases/2026/2026-0012/index.html").read_text(encoding="utf-8")
    assert "50,000元" in page and 'data-amount="50000"' in page
    assert "26000元， 并处罚款5万元" in page and "\x0b" not in page
    assert "<dd><p>12345</p></dd>" in (tmp_path / "site/body/index.html").read_text(encoding="utf-8")
    assert "<h1>2026</h1>" in (tmp_path / "site/flows/penalty-general/index.html").read_text(encoding="utf-8")
    assert "依法对有关财务账册予以查封" in (tmp_path / "site/cases/2026/2026-0021/index.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------ disguised personal data


def _id_number(first17: str) -> str:
    """A resident ID number with a valid GB 11643 check digit."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


WIDE = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ID_WIDE = _id_number("22010419750312002")
ID_ZW = _id_number("22010519800421003")
ID_BREAK = _id_number("22010619850530004")
ID_SOFT = _id_number("22010719900611005")
PHONE = "13945671234"
DISGUISED_CASE = f"""---
id: 2026-0040
type: penalty
doc_no: 测医保罚〔2026〕40号
item: XZCF-001
agency: 测试市医疗保障局
decided_on: 2026-07-01
party: {{kind: organisation, name: 测试康泰医院有限公司, credit_code: 91220101MA00011111, legal_rep: 韩立}}
persons: [宋雅琴, 欧阳建国]
facts: |
  经查，该院为参保人宋\u200b雅琴（身份证号{ID_WIDE.translate(WIDE)}，电话{PHONE.translate(WIDE)}）
  超量开药；参保人欧\u2060阳\u00ad建国（公民身份号码{ID_ZW[:6]}\u200b{ID_ZW[6:14]}\u200c{ID_ZW[14:]}）
  的住院病历记载身份证号{ID_BREAK[:10]}
  {ID_BREAK[10:]}；另有身份证号{ID_SOFT[:9]}\u00ad{ID_SOFT[9:]}。
basis: 《医疗保障基金使用监督管理条例》第三十八条
result: {{category: [罚款], fine: 3000, summary: 处罚款3000元。}}
disclose: full
approval: {{reviewed_by: 法规科, secrecy_review: 办公室, approved_by: 局长办公会, approved_on: 2026-07-03}}
---
经查，医师为参保人宋\ufeff雅琴超量开具药品，宋\u200d雅琴的身份证号为{ID_WIDE[:6]}\u2060{ID_WIDE[6:]}。
"""


def test_disguised_personal_data_never_reaches_the_site(tmp_path):
    """R-PII, issue 11 item 2: full-width digits, ID numbers split by zero-width spaces,
    soft hyphens or a line break, and declared names with invisible characters inside
    are still found: the built site holds none of them (the verifier ran at the end of
    the build; every output file is searched again here, raw and normalised), or the
    record is held back with an R-PII reason."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    (content / "cases/2026/2026-0040.md").write_text(DISGUISED_CASE, encoding="utf-8")
    report = build_site(content, tmp_path / "site")
    held = {h.record_id: h for h in report.held}
    page = tmp_path / "site/cases/2026/2026-0040/index.html"
    if "2026-0040" in held:
        assert held["2026-0040"].rule == "R-PII" and not page.exists()
    else:
        text = page.read_text(encoding="utf-8")
        assert "宋某某" in text and "欧阳某某" in text, "published, so the names must be masked"
    secrets = [ID_WIDE, ID_ZW, ID_BREAK, ID_SOFT, PHONE, "宋雅琴", "欧阳建国", "雅琴", "建国",
               ID_WIDE[6:14], ID_ZW[6:14], ID_BREAK[6:14], ID_SOFT[6:14]]
    raw_forms = [ID_WIDE.translate(WIDE), PHONE.translate(WIDE), "宋\u200b雅琴", "宋\ufeff雅琴"]
    texts = all_output_text(tmp_path / "site")  # normalised: invisible characters removed
    for name, text in texts.items():
        flat = text.replace("\n", "")
        assert not [s for s in secrets if s in flat], name
    for path in (tmp_path / "site").rglob("*.html"):
        raw = path.read_text(encoding="utf-8")
        assert not [s for s in raw_forms if s in raw], path
