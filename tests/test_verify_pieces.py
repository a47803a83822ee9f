"""Large exports are proven piece by piece (R-PII, issue 9).

A correction rewrites every open-data export (hundreds of MB at 100,000 results); the
verifier cuts a large text file after a quote (or ``>``/``}``) that ends a line, at places
chosen by the content, proves each piece on its own, and after a one-row change rescans
only the piece that row is in.  Cutting must never hide a finding: the pieces report
exactly what the whole file reports.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.leaks import LeakMatcher
from pipeline.opendata import to_csv
from publish import verify
from publish.verify import scan_site

SECRETS = {("name", "刘秀英"), ("mobile", "13806360837"), ("id_number", "220102198001011234")}


@pytest.fixture
def small_pieces(monkeypatch):
    """Pieces at the size of a test: files from 2 KB, a cut at about one row in two."""
    monkeypatch.setattr(verify, "PIECE_MIN", 2048)
    monkeypatch.setattr(verify, "PIECE_SPREAD", 2)


def _rows(n: int, text: str = "经查，该机构存在违规行为。") -> list[dict]:
    return [{"记录编号": f"2026-{i:06d}", "行政相对人名称": f"春城市第{i}大药房", "主要事实": text}
            for i in range(n)]


def _export(root: Path, rows: list[dict]) -> Path:
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "results.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    (data / "results.csv").write_text(to_csv(rows, list(rows[0])), encoding="utf-8")
    return root


def _counting(monkeypatch) -> list[int]:
    """The length of every text the matchers read."""
    seen: list[int] = []
    real = LeakMatcher.find_forms

    def find_forms(self, norm, stripped, patterns=True):
        seen.append(len(norm))
        return real(self, norm, stripped, patterns)

    monkeypatch.setattr(LeakMatcher, "find_forms", find_forms)
    return seen


def test_one_changed_row_rescans_one_piece(tmp_path, monkeypatch, small_pieces):
    """Issue 9: after a one-row correction, the JSON and CSV exports are rescanned only
    around that row (a few pieces, a small part of each file), and stay proven."""
    rows = _rows(400)
    root = _export(tmp_path, rows)
    known: dict = {}
    assert scan_site(root, SECRETS, known=known) == []
    pieces = len(known["files"])
    assert pieces > 100  # both files were cut (about 200 rows per piece would be 2)
    rows[200]["主要事实"] = "经核实更正：" + rows[200]["主要事实"]
    _export(root, rows)
    seen = _counting(monkeypatch)
    assert scan_site(root, SECRETS, known=known) == []
    sizes = [(root / "data" / n).stat().st_size for n in ("results.json", "results.csv")]
    assert 2 <= len(seen) <= 6 and sum(seen) < sum(sizes) / 20


def test_leak_in_a_corrected_row_is_found(tmp_path, small_pieces):
    """R-PII: a personal value written into one row of a proven export is found, in the
    JSON and in the CSV, and reported for the file (by kind, never the value)."""
    rows = _rows(300)
    root = _export(tmp_path, rows)
    known: dict = {}
    assert scan_site(root, SECRETS, known=known) == []
    rows[150]["主要事实"] = "患者刘秀英，身份证号220102198001011234。"
    _export(root, rows)
    found = {(f.path, f.kind) for f in scan_site(root, SECRETS, known=known)}
    assert found == {(f"data/results.{s}", k) for s in ("json", "csv") for k in ("id_number", "name")}


def test_identical_exports_are_scanned_once(tmp_path, monkeypatch, small_pieces):
    """Issue 9: delta/base.json is results.json on the first day: its pieces are read
    once, and a finding in them is reported for both files."""
    rows = _rows(200)
    rows[7]["主要事实"] = "电话13806360837"
    root = _export(tmp_path, rows)
    (root / "data" / "delta").mkdir()
    (root / "data" / "delta" / "base.json").write_bytes((root / "data" / "results.json").read_bytes())
    (root / "data" / "results.csv").unlink()
    seen = _counting(monkeypatch)
    found = scan_site(root, SECRETS)
    assert [(f.path, f.kind) for f in found] == [("data/delta/base.json", "mobile"),
                                                 ("data/results.json", "mobile")]
    whole = (root / "data" / "results.json").stat().st_size
    assert sum(seen) < whole  # characters read: about one file's, not two


def test_forked_workers_cut_the_exports_as_one_process_does(tmp_path, small_pieces):
    """Issue 9: with workers, the large files are read and cut on them (not on one thread
    of the build); the findings, the proofs kept and the digests handed to the release
    are the same as in one process, and each digest is its whole file's."""
    rows = _rows(300)
    rows[7]["主要事实"] = "电话13806360837"
    root = _export(tmp_path, rows)
    (root / "data" / "delta").mkdir()
    (root / "data" / "delta" / "base.json").write_bytes((root / "data" / "results.json").read_bytes())
    for i in range(220):  # enough files for the pool
        (root / f"p{i}.html").write_text(f"<p>第{i}页</p>", encoding="utf-8")
    answers = []
    for workers in (1, 2):
        known, digests = {}, {}
        found = scan_site(root, SECRETS, known=known, workers=workers, digests=digests)
        answers.append((found, known["files"], digests))
    assert answers[0] == answers[1]
    found, proofs, digests = answers[1]
    assert {(f.path, f.kind) for f in found} == {(f"data/{name}", "mobile") for name in
                                                 ("delta/base.json", "results.json", "results.csv")}
    assert len(proofs) > 100  # the exports were proven in pieces
    files = [p for p in root.rglob("*") if p.is_file()]
    assert digests == {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                       for p in files}


def test_lines_that_share_a_long_beginning_are_still_cut():
    """Issue 9: every line of the sitemap starts with the same 64 bytes (the site URL, the
    year); a cut chosen by the bytes after it alone never fell there, and the 8 MB file
    was one piece, scanned again by every correction.  The bytes before count too."""
    base = "<url><loc>https://ybj.chuncheng.gov.cn/gongshi/cases/2026/2026-0"
    lines = [f"{base}{i:05d}/</loc></url>" for i in range(4000)]
    blob = ("<urlset>\n" + "\n".join(lines) + "\n</urlset>\n").encode()
    bounds = verify._piece_bounds(blob, b'">}')
    assert 4000 / verify.PIECE_SPREAD / 3 < len(bounds) < 4000 / verify.PIECE_SPREAD * 3
    assert bounds[0][0] == 0 and bounds[-1][1] == len(blob)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))


def test_cut_characters_are_safe_only_when_no_value_or_rule_can_hold_them():
    """A quote is a safe cut for these values; a value holding the character, a letter, a
    digit or a separator the matcher removes never is (then files are scanned whole)."""
    plain = LeakMatcher(SECRETS)
    assert plain.cut_safe('"') and plain.cut_safe("}") and plain.cut_safe(">")
    assert not any(plain.cut_safe(c) for c in ("a", "7", " ", "\n", "-", "，"))
    odd = LeakMatcher({("address", "春城市}北区8号")})
    assert not odd.cut_safe("}") and odd.cut_safe('"')


TOKENS = ['"', '"\n }', '"\r\n"', "\n", ">\n<", "}\n {", "刘秀英", "刘秀", "英", "1380636",
          "0837", "138 0636 0837", "220102198001011234", "身份证号", "电话", "住址", "：", ",",
          "春城市", "x@mail.example.org", "a", "7", " "]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=40, max_size=400))
def test_pieces_find_what_the_whole_file_finds(tokens):
    """R-PII: for any text, proving a large file in pieces reports exactly what scanning
    it whole reports (values and patterns next to a cut included)."""
    text = "".join(tokens)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("a.json", "b.csv", "c.xml"):
            (root / name).write_text(text, encoding="utf-8")
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(verify, "PIECE_MIN", 10**9)
            whole = scan_site(root, SECRETS)
            mp.setattr(verify, "PIECE_MIN", 16)
            mp.setattr(verify, "PIECE_SPREAD", 1)  # cut at every candidate place
            pieced = scan_site(root, SECRETS)
    assert pieced == whole


@given(st.lists(st.sampled_from(['"', ">", "}", "\r", "\n", " ", "<", "{", "[", "]", "a", "，",
                                 '"\r\n', '>\n', '}\r\n ', "\n ", "\r\n"]), max_size=60),
       st.sets(st.sampled_from(verify.CUT_CHARS), min_size=1))
@example(chars=["\n", "<", '"'], cut_chars={'"'})  # a line break first: nothing before it
@example(chars=["\r\n", "<", '"'], cut_chars={'"'})
def test_cut_points_are_each_cut_character_that_ends_a_line_before_a_value(chars, cut_chars):
    """Where a cut may fall, by its definition (one regex over the cut characters); the
    verifier finds them from the line breaks instead (issue 9: 3x faster)."""
    blob = "".join(chars).encode()
    safe = "".join(sorted(cut_chars)).encode()
    definition = re.compile(b"[" + re.escape(safe) + rb"""](?=\r?\n ?["<{}\[\]])""")
    assert list(verify._cut_points(blob, safe)) == [m.end() for m in definition.finditer(blob)]


def test_built_site_proven_in_pieces_is_the_same_site(tmp_path, monkeypatch, fixture_site):
    """R-PII on a real build: with every export over 2 KB proven in pieces, the build
    passes and writes the very files of a normal build; a personal value then written
    into one row of its results.json is found, though every other piece is proven."""
    from publish.assemble import bureau_allow_list
    from publish.build import prepare
    from publish.cache import Cache, cache_dir_for
    from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT, build_site

    monkeypatch.setattr(verify, "PIECE_MIN", 2048)
    monkeypatch.setattr(verify, "PIECE_SPREAD", 1)  # a few rows here: cut after every one
    out = tmp_path / "site"
    build_site(FIXTURE_CONTENT, out)
    normal = fixture_site[0]
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(normal).as_posix() for p in normal.rglob("*") if p.is_file())
    assert all((out / f).read_bytes() == (normal / f).read_bytes() for f in files)
    export = out / "data" / "results.json"
    assert export.stat().st_size > 4 * 2048
    prepared = prepare(FIXTURE_CONTENT, FIXTURE_AS_OF)
    known = dict(Cache(cache_dir_for(out), "verified", "proof").data)
    assert len(known["files"]) > len(files)  # the exports' pieces are proven one by one
    name = next(v for k, v in sorted(prepared.secrets) if k == "name" and len(v) >= 2)
    text = export.read_text(encoding="utf-8")
    at = text.index('"主要事实": "', len(text) // 2) + len('"主要事实": "')
    export.write_text(text[:at] + f"患者{name}，" + text[at:], encoding="utf-8")
    seen = _counting(monkeypatch)
    found = scan_site(out, prepared.secrets, bureau_allow_list(prepared.content), known=known)
    assert [(f.path, f.kind) for f in found] == [("data/results.json", "name")]
    assert sum(seen) < len(text) / 2  # characters read: the changed row's piece, not the export
