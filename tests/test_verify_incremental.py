"""The verifier's cache: a rebuild rescans only what it must, never less (R-PII, issue 9).

Files proven clean keep their proof while their bytes (and how they are read) stay the
same.  When values are added to the secret set (a correction's applicant), unchanged
files are scanned for the added values only, and only where their sketch cannot rule
them out; a shrunk allow list or another verifier version rescans everything.
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.leaks import LeakMatcher
from publish import verify
from publish.verify import scan_site

SECRETS = {("name", "刘秀英"), ("mobile", "13806360837")}
BUREAU = frozenset({"0431-88906000"})
PAGE = '<html><body><p>{}</p><a href="b.html">b</a></body></html>'


def _site(root: Path, texts: dict[str, str]) -> Path:
    for rel, text in texts.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".pf_fragment"):
            path.write_bytes(gzip.compress(("pagefind_dcd" + text).encode()))
        else:
            path.write_text(text, encoding="utf-8")
    return root


def _clean_site(root: Path) -> Path:
    return _site(root, {
        "a.html": PAGE.format("当事人：长春市某某大药房，罚款5000元。电话 0431-88906000"),
        "b.html": PAGE.format("王某某，2024年3月1日。"),
        "f/x.pf_fragment": '{"content":"张\u200b晓\u200b明 患者"}',
        "theme/app.js": "var a = 'x@y.zz';",
        "logo.png": "\x89PNG",
    })


def _counting(monkeypatch) -> list:
    """Record the texts the matchers read (full scans and delta scans alike)."""
    seen: list = []
    real = LeakMatcher.find_forms

    def find_forms(self, norm, stripped, patterns=True):
        seen.append((stripped, patterns))
        return real(self, norm, stripped, patterns)

    monkeypatch.setattr(LeakMatcher, "find_forms", find_forms)
    return seen


def test_unchanged_site_is_not_rescanned(tmp_path, monkeypatch):
    """R-PII: a second scan under the same secrets reads no file's text again, and
    still checks links (a page whose link target disappeared fails)."""
    root = _clean_site(tmp_path)
    known: dict = {}
    assert scan_site(root, SECRETS, BUREAU, known=known) == []
    seen = _counting(monkeypatch)
    assert scan_site(root, SECRETS, BUREAU, known=known) == []
    assert seen == []
    (root / "b.html").unlink()
    assert [f.kind for f in scan_site(root, SECRETS, BUREAU, known=known)] == ["broken_link:b.html"]


def test_pages_with_the_same_links_each_report_a_missing_target(tmp_path):
    """Pages at one depth share their resolved link targets (the verifier resolves each set
    once, issue 9): every page that links to a missing file is named, trusted or read."""
    texts = {f"d/{n}.html": '<html><body><a href="../x.html">x</a><a href="../y.html">y</a></body></html>'
             for n in ("p", "q", "r")}
    root = _site(tmp_path, {**texts, "x.html": PAGE.format("x").replace("b.html", "x.html"),
                            "y.html": PAGE.format("y").replace("b.html", "y.html")})
    known: dict = {}
    assert scan_site(root, SECRETS, BUREAU, known=known) == []
    (root / "y.html").unlink()
    digests = {rel: hashlib.sha256((root / rel).read_bytes()).hexdigest() for rel in ("d/p.html", "d/q.html")}
    for trusted in ({}, digests):
        found = scan_site(root, SECRETS, BUREAU, known=dict(known), trusted=trusted)
        assert [(f.path, f.kind) for f in found] == [(f"d/{n}.html", "broken_link:../y.html") for n in "pqr"]


def test_added_value_is_found_in_unchanged_file(tmp_path, monkeypatch):
    """R-PII, R-CORR: a value added to the secret set (a correction applicant) is found in
    a file proven clean before, however it is written (zero-width space, full width)."""
    root = _clean_site(tmp_path)
    known: dict = {}
    assert scan_site(root, SECRETS, BUREAU, known=known) == []
    grown = SECRETS | {("correction_applicant", "张晓明"), ("correction_contact", "13912345678")}
    _site(root, {"c.html": PAGE.format("联系 １３９ １２３４ ５６７８")})  # new file: full scan
    found = scan_site(root, grown, BUREAU, known=dict(known))
    assert {(f.path, f.kind) for f in found} == {
        ("f/x.pf_fragment", "correction_applicant"), ("c.html", "correction_contact"),
        ("c.html", "mobile")}
    # Same bytes, secret set grown: only the added values are looked for, and only in
    # the file the sketch cannot rule out.
    (root / "c.html").unlink()
    seen = _counting(monkeypatch)
    found = scan_site(root, grown, BUREAU, known=known, check_links=False)
    assert [(f.path, f.kind) for f in found] == [("f/x.pf_fragment", "correction_applicant")]
    assert len(seen) == 1 and seen[0][1] is False


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file()}


def test_trusted_files_are_not_read(tmp_path, monkeypatch):
    """Issue 9: a file whose digest the caller knows (a hard link of a sealed release's file,
    from its manifest) and whose proof holds is not read: its bytes here may even differ
    (this test swaps them) and the proof still answers.  Its links are still checked."""
    root = _clean_site(tmp_path)
    known: dict = {}
    assert scan_site(root, SECRETS, BUREAU, known=known) == []
    trusted = _digests(root)
    (root / "b.html").write_text(PAGE.format("刘秀英"), encoding="utf-8")  # not what was proven
    reads = []
    real = verify._read
    monkeypatch.setattr(verify, "_read", lambda *a: reads.append(a[1]) or real(*a))
    assert scan_site(root, SECRETS, BUREAU, known=dict(known), trusted=trusted) == []
    assert reads == []
    assert [f.kind for f in scan_site(root, SECRETS, BUREAU, known=dict(known))] == ["name"]
    (root / "b.html").unlink()
    found = scan_site(root, SECRETS, BUREAU, known=dict(known), trusted=trusted)
    assert [(f.path, f.kind) for f in found] == [("a.html", "broken_link:b.html")]


def test_trusted_file_is_read_for_an_added_value(tmp_path):
    """R-PII, R-CORR: trust skips reading only while the proof holds: a value added since
    (a correction's applicant) that the file's sketch cannot rule out is looked for in it."""
    root = _clean_site(tmp_path)
    known: dict = {}
    scan_site(root, SECRETS, BUREAU, known=known)
    grown = SECRETS | {("correction_applicant", "张晓明")}
    found = scan_site(root, grown, BUREAU, known=known, trusted=_digests(root))
    assert [(f.path, f.kind) for f in found] == [("f/x.pf_fragment", "correction_applicant")]


def test_removed_value_keeps_proofs(tmp_path, monkeypatch):
    """Issue 9: a smaller secret set never makes a clean file dirty: nothing is rescanned."""
    root = _clean_site(tmp_path)
    known: dict = {}
    scan_site(root, SECRETS, BUREAU, known=known)
    seen = _counting(monkeypatch)
    assert scan_site(root, {("name", "刘秀英")}, BUREAU, known=known) == []
    assert seen == []


def test_shrunk_allow_list_or_new_version_rescans_everything(tmp_path, monkeypatch):
    """R-PII: the bureau's phone, allowed before and no longer, is found in an unchanged
    file; a cache from another verifier version is not trusted."""
    root = _clean_site(tmp_path)
    known: dict = {}
    scan_site(root, SECRETS, BUREAU, known=known)
    found = scan_site(root, SECRETS, frozenset(), known=dict(known))
    assert [(f.path, f.kind) for f in found] == [("a.html", "landline")]
    seen = _counting(monkeypatch)
    scan_site(root, SECRETS, BUREAU, known=dict(known, code="another version"))
    assert len(seen) == 4  # every text file (the image is skipped)


def test_same_bytes_read_another_way_are_scanned(tmp_path):
    """R-PII: the proof belongs to bytes AND the way they are read: an image or a script
    with the same bytes as a page does not vouch for the page."""
    leak = "电话13806360837 刘秀英 x@mail.example.org"
    root = _site(tmp_path, {"theme/a.js": leak, "img.png": leak})
    known: dict = {}
    found = scan_site(root, {("name", "刘秀英")}, known=known)
    assert [(f.path, f.kind) for f in found] == [("theme/a.js", "name")]
    _site(root, {"theme/a.js": "var a = 1;", "p.html": leak})
    found = scan_site(root, {("name", "刘秀英")}, known=known)
    assert {(f.path, f.kind) for f in found} == {
        ("p.html", "name"), ("p.html", "mobile"), ("p.html", "email")}


def test_same_page_in_two_places_keeps_the_links_of_each(tmp_path):
    """Broken links: a page's link targets depend on where it stands, so the same bytes
    in two directories are two proofs, in the run that proves them and in the next."""
    page = PAGE.format("同一页面")  # links to b.html beside it
    root = _site(tmp_path, {"x/p.html": page, "x/b.html": "<p>b</p>", "y/p.html": page})
    known: dict = {}
    first = scan_site(root, SECRETS, BUREAU, known=known)
    assert [(f.path, f.kind) for f in first] == [("y/p.html", "broken_link:b.html")]
    assert scan_site(root, SECRETS, BUREAU, known=known) == first


def test_cache_holds_no_personal_value(tmp_path):
    """R-PII: the cache keeps hashes of the values, never the values themselves."""
    root = _clean_site(tmp_path)
    known: dict = {}
    scan_site(root, SECRETS, BUREAU, known=known)
    blob = pickle.dumps(known)
    assert "刘秀英".encode() not in blob and b"13806360837" not in blob
    assert "刘秀英".encode("utf-16-le") not in blob


def test_forked_workers_agree(tmp_path):
    """Issue 9: the forked pool (over 200 files) gives the same findings and proofs."""
    texts = {f"p{i}.html": PAGE.format(f"第{i}页") for i in range(230)}
    texts["b.html"] = PAGE.format("刘秀英")
    root = _site(tmp_path, texts)
    one, two = {}, {}
    a = scan_site(root, SECRETS, BUREAU, known=one, workers=1)
    b = scan_site(root, SECRETS, BUREAU, known=two, workers=2)
    assert a == b and [f.path for f in a] == ["b.html"] and one == two


def test_workers_scan_the_fresh_files_while_the_trusted_proofs_are_taken(tmp_path):
    """Issue 9: with workers, the files that are not the live release's own are scanned
    while this process takes the trusted files' proofs; a trusted file whose proof no
    longer holds (an added value may be in it) is then read too.  Same findings, proofs
    and digests as one process, and R-PII holds: the added value is found."""
    texts = {f"p{i}.html": PAGE.format(f"第{i}页") for i in range(230)}
    texts["b.html"] = PAGE.format("张晓明")
    root = _site(tmp_path, texts)
    known: dict = {}
    assert scan_site(root, SECRETS, BUREAU, known=known) == []
    trusted = _digests(root)
    for i in range(210):  # changed: not trusted any more
        (root / f"p{i}.html").write_text(PAGE.format(f"第{i}页，已更正"), encoding="utf-8")
        del trusted[f"p{i}.html"]
    grown = SECRETS | {("name", "张晓明")}  # b.html is trusted, but its proof cannot rule it out
    answers = []
    for workers in (1, 2):
        proofs, digests = dict(known), {}
        found = scan_site(root, grown, BUREAU, known=proofs, workers=workers, trusted=trusted,
                          digests=digests)
        answers.append((found, proofs, digests))
    assert answers[0] == answers[1]
    found, proofs, digests = answers[1]
    assert [(f.path, f.kind) for f in found] == [("b.html", "name")]
    assert set(digests) == {f"p{i}.html" for i in range(210)} | {"b.html"}


WORDS = ["刘", "秀", "英", "张", "晓", "明", "1", "3", "9", "8", "0", "５", "\u200b", " ",
         "-", "患者", "<p>", "</p>", "大药房", "\u3164"]
ADDED = ["张晓明", "13912345678", "刘秀", "晓明大药房", "98013"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=25).map("".join), min_size=1,
                max_size=5),
       st.lists(st.sampled_from(ADDED), min_size=1, max_size=3))
def test_grown_scan_equals_full_scan(pages, added):
    """R-PII, issue 9: for any pages and any added values, the scan that reuses the
    cache reports exactly what a scan from scratch reports."""
    base = {("name", "王芳芳")}
    grown = base | {("correction_applicant", v) for v in added}
    with tempfile.TemporaryDirectory() as tmp:
        root = _site(Path(tmp), {f"p{i}.html": p for i, p in enumerate(pages)})
        known: dict = {}
        scan_site(root, base, known=known)
        # Only files proven clean are reused; a full scan decides the truth.
        assert scan_site(root, grown, known=known) == scan_site(root, grown)


def test_read_output_text_modes(tmp_path):
    """The text the tests and the verifier read: gzip fragments decompressed, images None."""
    root = _clean_site(tmp_path)
    assert verify.read_output_text(root / "logo.png") is None
    assert "张晓明" in verify.read_output_text(root / "f/x.pf_fragment")


def test_packed_link_targets_read_back_as_they_were():
    """Issue 9 (memory): a page's links are kept as one string; NUL inside falls back."""
    from publish.verify import _pack, _unpack

    for targets in [(), (("../", "index.html"),),
                    (("a/", "a/index.html"), ("b.css", "b.css"), ("../c/", "c/index.html")),
                    (("x\0y", "x\0y"), ("z", "z"))]:
        assert _unpack(_pack(targets)) == targets
    assert isinstance(_pack((("a/", "a/index.html"),)), str)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab.", min_size=1, max_size=5).filter(lambda n: n != "."),
                min_size=1, max_size=3))
def test_a_files_mode_comes_from_its_suffix_as_pathlib_reads_it(parts):
    """R-PII, issue 9: the verifier reads suffixes without path objects; it must read
    the same suffix pathlib does ("x." and ".x" have none), or a file could be skipped.
    (Paths as a directory listing gives them: no empty or "." parts.)"""
    from pathlib import PurePosixPath
    rel = "/".join(parts)
    assert verify._suffix(rel) == PurePosixPath(rel).suffix


def test_long_file_holding_a_names_characters_apart_is_not_rescanned(tmp_path, monkeypatch):
    """Issue 9, R-PII: an export holds every character of a correction's applicant 张晓明,
    never side by side; its sketch's character pairs rule the name out, so only the file
    that holds the name is scanned for it (and found), not the export."""
    rows = ",".join(f'{{"party":"张某某","date":"{i}年","note":"晓谕明示"}}' for i in range(800))
    root = _site(_clean_site(tmp_path), {"data/rows.json": f"[{rows}]"})
    known: dict = {}
    assert scan_site(root, SECRETS, BUREAU, known=known) == []
    seen = _counting(monkeypatch)
    grown = SECRETS | {("correction_applicant", "张晓明")}
    found = scan_site(root, grown, BUREAU, known=known, check_links=False)
    assert [(f.path, f.kind) for f in found] == [("f/x.pf_fragment", "correction_applicant")]
    assert len(seen) == 1 and "张晓明" in seen[0][0]
