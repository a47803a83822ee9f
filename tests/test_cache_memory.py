"""Issue 9 (memory at 100,000 cases): saving a build cache and spreading redaction over
worker processes must not leave a UTF-8 copy attached to every text of the build.

CPython keeps the UTF-8 form of a str inside the object once pickle has asked for it;
sys.getsizeof counts it, which is how these tests see it.
"""

from __future__ import annotations

import os
import pickle
import sys

import pytest

from publish.cache import Cache, background_writes
from publish.redaction import _map


def _text(n: int) -> str:
    return "".join(chr(0x4E00 + (n * 7 + i) % 2000) for i in range(500))  # fresh, non-ASCII


def test_pickling_a_text_does_grow_it():
    """The effect the other tests guard against is real (so they can fail)."""
    text = _text(1)
    before = sys.getsizeof(text)
    pickle.dumps(text)
    assert sys.getsizeof(text) > before


def test_saving_a_cache_leaves_the_texts_as_they_were(tmp_path):
    texts = {f"k{i}": _text(i) for i in range(20)}
    sizes = {k: sys.getsizeof(v) for k, v in texts.items()}
    cache = Cache(tmp_path, "demo", "v1")
    cache.save(texts)
    assert {k: sys.getsizeof(v) for k, v in texts.items()} == sizes
    assert Cache(tmp_path, "demo", "v1").data == texts  # and the file holds them all


def test_a_failed_cache_write_says_so_and_leaves_no_file(tmp_path):
    cache = Cache(tmp_path, "demo", "v1")
    try:
        cache.save({"k": lambda: None})  # not picklable: the child fails
    except OSError as err:
        assert "build cache" in str(err)
    else:
        raise AssertionError("a cache that could not be written was reported as saved")
    assert not list(tmp_path.glob("demo*"))


def test_workers_get_the_cases_by_index_and_return_the_same_results():
    items = [_text(i) for i in range(50)]
    sizes = [sys.getsizeof(t) for t in items]
    assert _map(len, items, workers=2, min_parallel=10) == [len(t) for t in items]
    assert _map(str.upper, items, workers=2, min_parallel=10) == [t.upper() for t in items]
    assert [sys.getsizeof(t) for t in items] == sizes  # nothing pickled here


# ---------------------------------------------------------------- background writes (issue 9)


def _unreaped(pid: int) -> bool:
    """True while ``pid`` is a child of this process not yet waited for."""
    try:
        os.waitpid(pid, os.WNOHANG)
        return True
    except ChildProcessError:
        return False


def test_a_save_in_a_background_block_is_written_by_the_end_of_the_block(tmp_path):
    """Issue 9: inside the block the writer is left running; the block waits for it."""
    texts = {f"k{i}": _text(i) for i in range(20)}
    with background_writes() as writers:
        Cache(tmp_path, "demo", "v1").save(texts)
        [(pid, _files)] = writers.running  # not waited for yet
    assert not _unreaped(pid)
    assert Cache(tmp_path, "demo", "v1").data == texts


def test_wait_waits_for_the_writers_started_so_far(tmp_path):
    with background_writes() as writers:
        Cache(tmp_path, "one", "v1").save({"a": 1})
        writers.wait()
        assert Cache(tmp_path, "one", "v1").data == {"a": 1} and not writers.running


def test_a_failed_background_write_is_a_warning_when_asked(tmp_path):
    """A cache only saves time: publish is told of a failed writer, its release stays live."""
    warned: list[str] = []
    with background_writes(warned.append):
        Cache(tmp_path, "demo", "v1").save({"k": lambda: None})  # not picklable: the child fails
    assert len(warned) == 1 and "build cache" in warned[0]
    assert not list(tmp_path.glob("demo*"))


def test_a_failed_background_write_raises_without_a_warn(tmp_path):
    with pytest.raises(OSError, match="build cache"):
        with background_writes():
            Cache(tmp_path, "demo", "v1").save({"k": lambda: None})


def test_a_block_ending_on_an_error_keeps_that_error_and_still_waits(tmp_path):
    class Stop(Exception):
        pass

    with pytest.raises(Stop):
        with background_writes() as writers:
            Cache(tmp_path, "demo", "v1").save({"k": lambda: None})
            [(pid, _files)] = writers.running
            raise Stop
    assert not _unreaped(pid)
