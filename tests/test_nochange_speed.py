"""Issue 9: the shortcuts that make a no-change build cheap give the same answers.

Each shortcut (a remembered ledger prefix, cached per-case results, a cache file not
rewritten) is checked against the slow path it replaces, and against the tampering
the slow path catches.  No test measures time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline import load as load_module
from pipeline.errors import ContentInvalid, LedgerBroken
from pipeline.ledger import append_events, parse_ledger, plan_events, public_hash, verified_text
from pipeline.load import load_content
from pipeline.opendata import to_json
from pipeline.pii import personal_values
from pipeline.redact import redact_cases
from pipeline.validate import validate_content
from publish.cache import Cache, TrackingDict, parse_ledger_cached
from publish.redaction import CaseCaches
from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT, copy_content

D = dt.date


@pytest.fixture(scope="module")
def content():
    """The fixture corpus, validated."""
    return validate_content(load_content(FIXTURE_CONTENT), FIXTURE_AS_OF)


@pytest.fixture(scope="module")
def ledger_text(content) -> str:
    """A ledger of every fixture case and list, recorded over two days."""
    cases = sorted(content.cases, key=lambda c: c.id)
    day1 = plan_events(cases[: len(cases) // 2], {}, (), [], D(2026, 3, 5))
    day2 = plan_events(cases, content.lists, (), day1, D(2026, 3, 6))
    return append_events("", day1 + day2)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


# ---------------------------------------------------------------- ledger prefix


def test_grown_ledger_parses_as_a_full_parse(ledger_text):
    """SPEC §5: verifying only the appended lines gives exactly the full parse's events."""
    lines = _lines(ledger_text)
    head = "".join(lines[:5])
    known = verified_text(head, parse_ledger(head))
    assert parse_ledger(ledger_text, verified=known) == parse_ledger(ledger_text)


@pytest.mark.parametrize("tamper", ["edit", "delete", "swap"])
def test_remembered_prefix_still_catches_tampering(ledger_text, tamper):
    """SPEC §5 (append-only): an earlier line edited, deleted or moved after it was verified
    and remembered is still found."""
    lines = _lines(ledger_text)
    known = verified_text(ledger_text, parse_ledger(ledger_text))
    if tamper == "edit":
        lines[2] = lines[2].replace("公示", "公布", 1)
    elif tamper == "delete":
        del lines[2]
    else:
        lines[2], lines[3] = lines[3], lines[2]
    with pytest.raises(LedgerBroken, match="line 3"):
        parse_ledger("".join(lines) + _lines(ledger_text)[-1], verified=known)


def test_shorter_ledger_is_parsed_in_full(ledger_text):
    """SPEC §5: a ledger shorter than the remembered one is not taken for it."""
    known = verified_text(ledger_text, parse_ledger(ledger_text))
    head = "".join(_lines(ledger_text)[:-2])
    assert parse_ledger(head, verified=known) == parse_ledger(head)


def test_appended_line_is_still_checked(ledger_text):
    """SPEC §5: the lines after the remembered prefix are verified as before."""
    known = verified_text(ledger_text, parse_ledger(ledger_text))
    last = json.loads(_lines(ledger_text)[-1])
    forged = dict(last, seq=last["seq"] + 1, prev=last["hash"], summary="伪造")
    text = ledger_text + json.dumps(forged, ensure_ascii=False, sort_keys=True,
                                    separators=(",", ":")) + "\n"
    with pytest.raises(LedgerBroken, match="hash does not match"):
        parse_ledger(text, verified=known)


def test_cached_ledger_across_builds_catches_an_edited_old_line(ledger_text, tmp_path):
    """SPEC §5: the ledger cache kept between builds never hides an edit of a verified line."""
    assert parse_ledger_cached(ledger_text, tmp_path) == parse_ledger(ledger_text)
    assert (tmp_path / "ledger.pickle").is_file()
    assert parse_ledger_cached(ledger_text, tmp_path) == parse_ledger(ledger_text)
    lines = _lines(ledger_text)
    lines[1] = lines[1].replace("公示", "公布", 1)
    with pytest.raises(LedgerBroken, match="line 2"):
        parse_ledger_cached("".join(lines), tmp_path)


def test_append_events_verifies_new_lines_against_given_previous(ledger_text):
    """SPEC §5: append_events with the parsed previous events equals the full check."""
    previous = parse_ledger(ledger_text)
    bad = dataclasses.replace(previous[-1], seq=previous[-1].seq + 1)  # does not chain
    with pytest.raises(LedgerBroken):
        append_events(ledger_text, [bad], previous)
    assert append_events(ledger_text, [], previous) == ledger_text


# ---------------------------------------------------------------- public hash


def _asdict_hash(obj) -> str:
    """public_hash as first written: dataclasses.asdict, then canonical JSON."""
    data = dataclasses.asdict(obj)
    data.pop("source", None)
    data.pop("approval", None)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=lambda v: v.isoformat() if isinstance(v, dt.date)
                      else format(v.normalize(), "f") if hasattr(v, "normalize") else sorted(v))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_public_hash_is_unchanged_by_the_faster_encoding(content):
    """SPEC §5: content hashes already in ledgers stay valid (same canonical JSON)."""
    for obj in [*content.cases, *content.lists.values(), *content.corrections]:
        assert public_hash(obj) == _asdict_hash(obj)


# ---------------------------------------------------------------- per-case caches


def test_cached_redaction_and_personal_values_equal_the_pure_stage(content, tmp_path):
    """R-PII: cached (first run: computed; second: read back) equals pipeline.redact and
    pipeline.pii on every fixture case, and the remembered ledger hashes public_hash."""
    allow = frozenset({"0431-88886666"})
    expected = redact_cases(list(content.cases), allow)
    values = [personal_values(c) for c in content.cases]
    for _run in range(2):
        caches = CaseCaches(tmp_path)
        published, _holds, _stats = redacted = caches.redact(list(content.cases), allow)
        assert redacted == expected
        assert [caches.public_hash(c) for c in published] == [public_hash(c) for c in published]
        assert caches.personal_values(list(content.cases)) == values
    assert list((tmp_path / "personal").glob("*.pickle"))  # sharded: see the next test


def test_unchanged_cache_is_not_rewritten(tmp_path):
    """A content-keyed cache whose keys did not change keeps its file; new keys replace it,
    and a cache that is not content-keyed is always written."""
    Cache(tmp_path, "demo").save({b"k": 1}, content_keyed=True)
    (tmp_path / "demo.pickle").touch()
    touched = (tmp_path / "demo.pickle").stat().st_mtime_ns
    Cache(tmp_path, "demo").save({b"k": 1}, content_keyed=True)
    assert (tmp_path / "demo.pickle").stat().st_mtime_ns == touched
    Cache(tmp_path, "demo").save({b"k": 1, b"j": 2}, content_keyed=True)
    assert Cache(tmp_path, "demo").data == {b"k": 1, b"j": 2}
    Cache(tmp_path, "plain").save({"files": 1})
    Cache(tmp_path, "plain").save({"files": 2})  # same keys, new value (the verifier's cache)
    assert Cache(tmp_path, "plain").data == {"files": 2}


def test_sharded_cache_rewrites_only_the_files_whose_keys_changed(tmp_path):
    """Issue 9 (a one-case correction at 100,000 cases rewrote ~1 GB of cache): a sharded
    content-keyed cache rewrites the file of a changed key only; every entry reads back;
    an unreadable file loses its own entries only; a cache that is not content-keyed
    cannot be sharded (its parts could then disagree)."""
    entries = {bytes([i, 7]): i for i in range(0, 256, 3)}
    Cache(tmp_path, "demo", "v", shards=8).save(entries, content_keyed=True)
    files = sorted((tmp_path / "demo").glob("*.pickle"))
    assert len(files) == 8
    before = {f: f.stat().st_mtime_ns for f in files}
    for f in files:
        os.utime(f, ns=(1, 1))
    grown = {**entries, bytes([9, 1]): "new"}  # 9 % 8: file 01 only
    cache = Cache(tmp_path, "demo", "v", shards=8)
    assert cache.data == entries
    cache.save(grown, content_keyed=True)
    changed = [f.name for f in files if f.stat().st_mtime_ns != 1]
    assert changed == ["01.pickle"] and before
    assert Cache(tmp_path, "demo", "v", shards=8).data == grown
    (tmp_path / "demo/02.pickle").write_bytes(b"not a pickle")
    assert Cache(tmp_path, "demo", "v", shards=8).data == {k: v for k, v in grown.items() if k[0] % 8 != 2}
    with pytest.raises(ValueError, match="content-keyed"):
        Cache(tmp_path, "proof", shards=8).save({"files": 1})


# ---------------------------------------------------------------- validated cases


def _validate_twice(content_dir, as_of=FIXTURE_AS_OF):
    """(plain validation, validation from a filled cache, the cache): the second run is
    loaded with the cache, so remembered files are not parsed at all."""
    known: dict = {}
    plain = validate_content(load_content(content_dir), as_of)
    validate_content(load_content(content_dir, None, known), as_of, known)
    raw = load_content(content_dir, None, known)
    assert all(f.data == {} for f in raw.cases)  # every file came from the cache
    return plain, validate_content(raw, as_of, known), known


def test_cached_validation_equals_full_validation():
    """Validated cases remembered by file content give the same Content as validating again."""
    plain, cached, known = _validate_twice(FIXTURE_CONTENT)
    assert cached == plain and len(known) == len(plain.cases)


def test_remembered_case_is_checked_against_the_new_build_date():
    """A remembered case decided after an earlier --as-of date is refused, as without the cache."""
    _plain, _cached, known = _validate_twice(FIXTURE_CONTENT)
    early = D(2026, 5, 1)
    with pytest.raises(ContentInvalid) as uncached:
        validate_content(load_content(FIXTURE_CONTENT), early)
    with pytest.raises(ContentInvalid) as from_cache:
        validate_content(load_content(FIXTURE_CONTENT, None, known), early, known)
    assert sorted(map(str, from_cache.value.problems)) == sorted(map(str, uncached.value.problems))
    assert any(p.field == "decided_on" for p in from_cache.value.problems)


def test_duplicates_between_remembered_cases_are_still_found(tmp_path):
    """Cross-record checks (one 文号 per decision) are never cached: two files, each valid
    and remembered, that come to share a 文号 are refused."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    _plain, _cached, known = _validate_twice(content)
    a, b = sorted((content / "cases/2026").glob("*.md"))[:2]
    doc_no = next(line for line in a.read_text("utf-8").splitlines() if line.startswith("doc_no:"))
    text = b.read_text("utf-8")
    old = next(line for line in text.splitlines() if line.startswith("doc_no:"))
    b.write_text(text.replace(old, doc_no), "utf-8")
    with pytest.raises(ContentInvalid, match="文号"):
        validate_content(load_content(content, None, known), FIXTURE_AS_OF, known)


def test_file_with_a_problem_is_not_remembered(tmp_path):
    """Issue 11: a file with any problem (here a control character) is checked in full every
    build, so its problem is reported every time."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    case = sorted((content / "cases/2026").glob("*.md"))[0]
    case.write_text(case.read_text("utf-8").replace("facts: ", "facts: \x07", 1), "utf-8")
    known: dict = {}
    for _run in range(2):
        with pytest.raises(ContentInvalid, match="control character"):
            validate_content(load_content(content, None, known), FIXTURE_AS_OF, known)
    assert not any(key.endswith(case.name.encode()) for key in known)


# ---------------------------------------------------------------- page fingerprints


def test_page_fingerprint_follows_every_record_it_shows(content, tmp_path):
    """Issue 9: equal contexts (even built from other objects) give equal fingerprints; a
    change to one case on a list page changes that page's fingerprint, and only its."""
    from publish.incremental import page_fingerprints
    from publish.pages import Page
    from publish.settings import load_settings

    theme = Path(load_settings()["THEME"])
    cases = list(content.cases)
    copies = [dataclasses.replace(c) for c in cases]
    edited = [*cases[:-1], dataclasses.replace(cases[-1], facts=cases[-1].facts + "。")]

    def fingerprints(listed):
        pages = [Page("results/index.html", "results", {"items": [{"case": c} for c in listed]}),
                 Page("case/index.html", "case", {"case": cases[0], "corrections": []})]
        return page_fingerprints(pages, {"as_of": FIXTURE_AS_OF}, theme)

    same, other, changed = fingerprints(cases), fingerprints(copies), fingerprints(edited)
    assert same == other
    assert changed["results/index.html"] != same["results/index.html"]
    assert changed["case/index.html"] == same["case/index.html"]


# ---------------------------------------------------------------- open data


_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)
_SCALAR = st.one_of(_TEXT, st.integers(), st.floats(), st.booleans(), st.none())


@given(st.lists(st.one_of(
    st.dictionaries(st.one_of(_TEXT, st.integers()), _SCALAR, max_size=5),
    st.dictionaries(_TEXT, st.lists(_SCALAR, max_size=2), max_size=2),  # nested: json.dumps
), max_size=5))
def test_open_data_json_is_byte_identical_to_json_dumps(rows):
    """SPEC §6: the faster JSON writer of the open-data files writes what json.dumps did."""
    assert to_json(rows) == json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


def test_cases_named_by_their_file_redact_as_the_pure_stage(tmp_path):
    """R-PII: naming validated cases by their file (not their repr) in the redaction cache
    gives the pure stage's answer, and an edited file is redacted afresh."""
    content_dir = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    for edit in (False, True):
        if edit:
            case = sorted((content_dir / "cases/2026").glob("*.md"))[0]
            case.write_text(case.read_text("utf-8").replace("facts: ", "facts: 经查，", 1), "utf-8")
        known: dict = {}
        validated = validate_content(load_content(content_dir, None, known), FIXTURE_AS_OF, known)
        caches = CaseCaches(tmp_path / "cache", origins=known, origin_version="v1")
        assert caches.redact(list(validated.cases), frozenset()) == redact_cases(list(validated.cases))
        assert caches.personal_values(list(validated.cases)) == [
            personal_values(c) for c in validated.cases]


_CELL = st.one_of(st.text(alphabet="=+-@\t\r\x00a中 ", max_size=4), st.integers(), st.none())


@given(st.lists(st.dictionaries(st.sampled_from("abc"), _CELL, max_size=3), max_size=4))
def test_csv_cells_guard_formulas_as_before(rows):
    """Issue 11 (CSV injection): the quick scan for rows needing no change gives what
    spreadsheet_text on every value gave."""
    from pipeline.values import spreadsheet_text
    from publish.sections.opendata import _cells

    assert _cells(rows) == [{k: spreadsheet_text(v) for k, v in row.items()} for row in rows]


def test_one_file_cache_is_read_then_kept_in_shards(tmp_path):
    """Issue 9: upgrading keeps the work done: a cache saved as one file before shards
    existed is read by the sharded cache, saved in shards, and the old file removed."""
    entries = {bytes([i]): i for i in range(20)}
    Cache(tmp_path, "demo", "v").save(entries, content_keyed=True)
    cache = Cache(tmp_path, "demo", "v", shards=4)
    assert cache.data == entries
    cache.save(entries, content_keyed=True)
    assert not (tmp_path / "demo.pickle").exists() and len(list((tmp_path / "demo").iterdir())) == 4
    assert Cache(tmp_path, "demo", "v", shards=4).data == entries


# ---------------------------------------------------------------- stat stamps (load)


@pytest.fixture
def stamped(tmp_path, monkeypatch):
    """(content dir, validated cache, stamps, the sources load read): one build remembered
    with every file's stamp (settled at once here: the settling rule has its own test)."""
    monkeypatch.setattr(load_module, "STAMP_SETTLED_NS", 0)
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    time.sleep(0.05)  # file times move in steps of a few ms: the edits below are later ones
    known, stamps = TrackingDict({}), {}
    validate_content(load_content(content, None, known, stamps), FIXTURE_AS_OF, known)
    read: list[str] = []
    real = load_module._read_case_bytes
    monkeypatch.setattr(load_module, "_read_case_bytes",
                        lambda path, *rest: read.append(rest[-1]) or real(path, *rest))
    return content, known, stamps, read


def _reload(content, known, stamps):
    return validate_content(load_content(content, None, known, stamps), FIXTURE_AS_OF, known)


def test_an_unchanged_file_is_not_read_and_validates_the_same(stamped):
    """Issue 9: a case file with its recorded stamp and a validated key is not read."""
    content, known, stamps, read = stamped
    again = _reload(content, known, stamps)
    assert read == [] and len(stamps) == len(again.cases)
    assert again == validate_content(load_content(content), FIXTURE_AS_OF)


@pytest.mark.parametrize("how", ["in place, times set back", "replaced by a renamed file"])
def test_a_changed_file_is_read_whatever_its_times_say(stamped, how):
    """An edit that keeps the size and sets the modification time back still moves the
    change time; a file renamed over it has another inode."""
    content, known, stamps, read = stamped
    path = sorted((content / "cases/2026").glob("*.md"))[0]
    source = path.relative_to(content).as_posix()
    before = path.stat()
    text = path.read_text("utf-8")
    edited = text.replace("元", "圆", 1)
    assert edited != text and len(edited.encode()) == len(text.encode())
    if how.startswith("in place"):
        path.write_text(edited, "utf-8")
    else:
        other = path.with_suffix(".new")
        other.write_text(edited, "utf-8")
        other.replace(path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    again = _reload(content, known, stamps)
    assert read == [source]
    case = next(c for c in again.cases if c.source == source)
    assert case == next(c for c in validate_content(load_content(content), FIXTURE_AS_OF).cases
                        if c.source == source)


def test_a_file_changed_just_before_the_run_is_not_trusted_next_time(tmp_path):
    """Two writes within one step of the file clock look alike: a stamp is kept only for a
    file last changed STAMP_SETTLED_NS before the run began."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")  # just written
    known, stamps = TrackingDict({}), {}
    validate_content(load_content(content, None, known, stamps), FIXTURE_AS_OF, known)
    assert stamps == {}
