"""Issue 9: a section's post-build step run apart (the open-data exports, in a forked
child beside the rendering) gives the same site, fails the build with its own error,
and is verified like any other file (R-PII): the verifier waits for it."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from pipeline import leaks
from pipeline.errors import LeakFound
from publish import apart, heap, incremental, postbuild, search, verify
from publish.opendata_state import OpendataStateError
from publish.sections import opendata, timeliness
from publish.settings import load_settings
from tests.support import FIXTURE_CONTENT, build_site, copy_content

HELD_DOC_NO = "测医保罚〔2026〕30号"  # fixture 2026-0030: held back (no secrecy review)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def content(tmp_path):
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    (content / "ledger.jsonl").write_text("", encoding="utf-8")
    return content


def test_open_data_written_apart_equals_written_in_line(content, tmp_path, monkeypatch):
    """Same site, same open-data state, whether the exports were written in this process
    (one worker) or in a child beside the rendering (two)."""
    started: dict = {}
    real_start = apart.start
    monkeypatch.setattr(apart, "start", lambda *a: started.update(real_start(*a)) or started)
    one = build_site(content, tmp_path / "one", settings=load_settings(BUILD_WORKERS=1), record_ledger=False)
    assert not started
    two = build_site(content, tmp_path / "two", settings=load_settings(BUILD_WORKERS=2), record_ledger=False)
    assert list(started) == ["opendata"]
    assert "data/results.json" in _tree(tmp_path / "two")
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")
    assert one.state_files == two.state_files and opendata.STATE_PATH in two.state_files
    assert "opendata" in two.timings and "opendata-wait" in two.timings


def test_the_verifier_waits_for_a_step_apart(content, tmp_path, monkeypatch):
    """R-APPROVAL/R-PII: a file the child writes last (here: a held-back 文号) is still
    scanned.  The child holds its file back until the verifier has started (or 2 s have
    passed): a verifier that did not wait for it would list the tree without the file."""
    real, real_verify = opendata.postbuild, postbuild.verify_site
    verifying = tmp_path / "verifying"

    def late_leak(prepared, out, settings):
        real(prepared, out, settings)
        deadline = time.monotonic() + 2
        while not verifying.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        (Path(out) / "data" / "late.json").write_text(f'["{HELD_DOC_NO}"]', encoding="utf-8")

    def verify_site(*args, **kwargs):
        verifying.touch()
        time.sleep(0.5)  # the child's file, if it is still to come, is written meanwhile
        return real_verify(*args, **kwargs)

    monkeypatch.setattr(opendata, "postbuild", late_leak)
    monkeypatch.setattr(postbuild, "verify_site", verify_site)
    out = tmp_path / "out"
    with pytest.raises(LeakFound, match="data/late.json: hidden_doc_no"):
        build_site(content, out, settings=load_settings(BUILD_WORKERS=2))
    assert not out.exists()  # nothing was moved into place


def test_an_error_apart_fails_the_build_with_its_own_message(content, tmp_path, monkeypatch):
    """Fail closed, say why: the child's error is the build's error; the output stays."""
    def broken(prepared, out, settings):
        raise OpendataStateError("opendata/state.json: broken on purpose")

    out = tmp_path / "out"
    build_site(content, out, settings=load_settings(BUILD_WORKERS=1), record_ledger=False)
    before = _tree(out)
    monkeypatch.setattr(opendata, "postbuild", broken)
    with pytest.raises(OpendataStateError, match="broken on purpose"):
        build_site(content, out, settings=load_settings(BUILD_WORKERS=2), record_ledger=False)
    assert _tree(out) == before


def test_a_step_apart_that_dies_fails_the_build(content, tmp_path, monkeypatch):
    """A child killed without an answer (out of memory, say) is a failed build, not a
    build without open data."""
    monkeypatch.setattr(opendata, "postbuild", lambda *args: os._exit(3))
    with pytest.raises(apart.ApartFailed, match="opendata step stopped without an answer"):
        build_site(content, tmp_path / "out", settings=load_settings(BUILD_WORKERS=2))
    assert not (tmp_path / "out").exists()


def test_the_open_data_rows_are_made_in_the_child_only(content, tmp_path, monkeypatch):
    """The open-data rows and their history (the data page needs the day's counts) are
    made once, in the child: the build's own process plans and renders meanwhile."""
    calls = tmp_path / "export-pids"
    real = opendata.export

    def export(*args):
        with open(calls, "a") as f:
            f.write(f"{os.getpid()}\n")
        return real(*args)

    monkeypatch.setattr(opendata, "export", export)
    build_site(content, tmp_path / "out", settings=load_settings(BUILD_WORKERS=2), record_ledger=False)
    pids = calls.read_text().split()
    assert pids and str(os.getpid()) not in pids
    assert "data/index.html" in _tree(tmp_path / "out")


def test_the_child_keeps_the_open_data_parts_for_the_next_build(content, tmp_path, monkeypatch):
    """Issue 9: the open-data parts made in the child are in the build cache when the
    build ends (the child waits for its writer), and the next build, in a new child,
    takes every unchanged result's part from there: it makes a row only for the
    corrected case.  Its site is the one a build without any cache makes."""
    made = tmp_path / "made"
    real = opendata.open_row

    def open_row(case, *args):
        with open(made, "a") as f:
            f.write(case.id + "\n")
        return real(case, *args)

    monkeypatch.setattr(opendata, "open_row", open_row)
    two = load_settings(BUILD_WORKERS=2)
    build_site(content, tmp_path / "out", settings=two, record_ledger=False)
    first = made.read_text().split()
    assert first and any((tmp_path / ".out.cache" / "opendata").iterdir())
    path = content / "cases" / "2026" / "2026-0012.md"
    path.write_text(path.read_text(encoding="utf-8").replace("经查，", "经查实，", 1), encoding="utf-8")
    made.unlink()
    build_site(content, tmp_path / "out", settings=two, record_ledger=False)
    assert made.read_text().split() == ["2026-0012"]
    build_site(content, tmp_path / "fresh", settings=two, record_ledger=False)
    assert _tree(tmp_path / "out" / "data") == _tree(tmp_path / "fresh" / "data")


def test_the_leak_matcher_is_compiled_beside_the_sections_steps(content, tmp_path, monkeypatch):
    """Issue 9: the verifier's matcher is made, and its kept proofs read, on a thread while
    Pagefind runs (not beside a step in Python, nor while the links Pagefind reads are
    made), and the verifier uses that one (it does not compile its own); R-PII still
    holds: a held-back 文号 written by a step is found with it."""
    compiled_on: list[str] = []
    indexing: list[str] = []
    linking: list[str] = []
    real_compile, real_pagefind = leaks.compile_leak_matcher, search._pagefind

    index_started = threading.Event()

    def compile_matcher(*args):
        compiled_on.append(threading.current_thread().name)
        assert index_started.wait(60), "the index was not built while the matcher compiled"
        if len(compiled_on) == 1:
            time.sleep(3)  # outlasts Pagefind on the fixture: the step must still wait for it
        return real_compile(*args)

    def pagefind(args, started):
        linking.append(str([t.name for t in threading.enumerate()]))  # its links are made

        def running():
            index_started.set()
            started()
            indexing.append(str([t.name for t in threading.enumerate()]))

        return real_pagefind(args, running)

    def late_leak(prepared, out, settings):
        (Path(out) / "data").mkdir(exist_ok=True)
        (Path(out) / "data" / "late.json").write_text(f'["{HELD_DOC_NO}"]', encoding="utf-8")

    before_index: list[str] = []
    real_timeliness = timeliness.postbuild
    monkeypatch.setattr(timeliness, "postbuild", lambda *a: before_index.append(
        str([t.name for t in threading.enumerate()])) or real_timeliness(*a))
    settled_beside: list[str] = []  # a freeze must not catch the thread's half-made objects
    real_settle = heap.settle
    monkeypatch.setattr(heap, "settle", lambda: settled_beside.extend(
        t.name for t in threading.enumerate() if t.name == "leak-matcher") or real_settle())
    monkeypatch.setattr(postbuild, "compile_leak_matcher", compile_matcher)
    monkeypatch.setattr(verify, "compile_leak_matcher", lambda *a: pytest.fail("compiled twice"))
    proofs_read_on: list[str] = []
    real_cache = postbuild.Cache
    monkeypatch.setattr(postbuild, "Cache", lambda *a, **k: proofs_read_on.append(
        threading.current_thread().name) or real_cache(*a, **k))
    monkeypatch.setattr(search, "_pagefind", pagefind)
    build_site(content, tmp_path / "clean", settings=load_settings(BUILD_WORKERS=1), record_ledger=False)
    assert len(compiled_on) == 1 and compiled_on[0].startswith("leak-matcher")
    assert proofs_read_on == compiled_on
    assert "leak-matcher" not in linking[0]  # the links were made first …
    assert "leak-matcher" in indexing[0]  # … then the two ran at the same time …
    assert "leak-matcher" not in before_index[0]  # … and not beside a step in Python
    assert settled_beside == []  # the search step waited for it before its stage ended
    monkeypatch.setattr(opendata, "postbuild", late_leak)
    with pytest.raises(LeakFound, match="data/late.json: hidden_doc_no"):
        build_site(content, tmp_path / "leak", settings=load_settings(BUILD_WORKERS=1), record_ledger=False)


def test_proofs_read_beside_a_stage_leave_the_heap_to_its_end(tmp_path, monkeypatch):
    """Issue 9: read on the thread, the verifier's kept proofs do not settle (freeze) the heap,
    which would also freeze what the stage is still making; read in the stage itself, they
    do.  Either way the proofs are the ones kept."""
    cache = postbuild.Cache(tmp_path, "verified", "proof")
    cache.save({"files": {b"k": ("", 1)}})
    settled: list[str] = []
    real_settle = heap.settle
    monkeypatch.setattr(heap, "settle", lambda: settled.append(threading.current_thread().name) or real_settle())
    read: list = []
    thread = threading.Thread(target=lambda: read.append(postbuild._matcher_and_proofs({"张三"}, frozenset(), tmp_path)),
                              name="beside")
    thread.start()
    thread.join()
    assert settled == [] and read[0][1].data == {"files": {b"k": ("", 1)}}
    _matcher, here = postbuild._matcher_and_proofs({"张三"}, frozenset(), tmp_path)
    assert settled == ["MainThread"] and here.data == read[0][1].data


def test_no_matcher_thread_outlives_a_failed_step(content, tmp_path, monkeypatch):
    def broken(prepared, out, settings):
        raise OpendataStateError("opendata/state.json: broken on purpose")

    monkeypatch.setattr(opendata, "postbuild", broken)
    with pytest.raises(OpendataStateError, match="broken on purpose"):
        build_site(content, tmp_path / "out", settings=load_settings(BUILD_WORKERS=1), record_ledger=False)
    assert not [t for t in threading.enumerate() if t.name.startswith("leak-matcher")]


def test_the_plan_does_not_wait_for_the_pages_made_apart(content, tmp_path, monkeypatch):
    """Issue 9: the pages planned in this process are fingerprinted before the plan waits for
    the child's pages; the site is the one a single process builds (see the first test)."""
    calls: list[str] = []
    real_fingerprints, real_pages = incremental.page_fingerprints, apart.Apart.pages
    monkeypatch.setattr(incremental, "page_fingerprints",
                        lambda pages, *a: calls.append(f"fingerprints of {len(pages)}") or real_fingerprints(pages, *a))
    monkeypatch.setattr(apart.Apart, "pages", lambda self: calls.append("wait") or real_pages(self))
    report = build_site(content, tmp_path / "two", settings=load_settings(BUILD_WORKERS=2), record_ledger=False)
    first = calls.index("wait")
    assert first > 0 and calls[0].startswith("fingerprints of ") and int(calls[0].split()[-1]) == report.pages - 1
    assert (tmp_path / "two" / "data" / "index.html").is_file()
