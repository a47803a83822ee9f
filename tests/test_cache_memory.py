"""Issue 9 (memory at 100,000 cases): saving a build cache and spreading redaction over
worker processes must not leave a UTF-8 copy attached to every text of the build.

CPython keeps the UTF-8 form of a str inside the object once pickle has asked for it;
sys.getsizeof counts it, which is how these tests see it.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys

import pytest

from publish import cache as cache_module
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


def test_deferred_saves_are_held_for_one_writer(tmp_path, monkeypatch):
    """Issue 9: with ``defer`` no save forks (every fork made the process fault on each
    page it wrote to afterwards); ``start`` forks one writer for every held save, the
    latest save of a file winning, and the block waits for it."""
    forks: list[list[str]] = []
    real = cache_module._fork_writer
    monkeypatch.setattr(cache_module, "_fork_writer",
                        lambda files: forks.append(sorted(p.name for p in files)) or real(files))
    with background_writes(defer=True) as writers:
        Cache(tmp_path, "one", "v1").save({"a": 1})
        Cache(tmp_path, "two", "v1").save({"b": 2})
        Cache(tmp_path, "one", "v1").save({"a": 3})
        assert not forks and not writers.running and not list(tmp_path.iterdir())
        writers.start()
        assert forks == [["one.pickle", "two.pickle"]]
    assert Cache(tmp_path, "one", "v1").data == {"a": 3} and Cache(tmp_path, "two", "v1").data == {"b": 2}
    with background_writes(defer=True):
        Cache(tmp_path, "two", "v1").save({"b": 4})
    assert forks[1:] == [["two.pickle"]] and Cache(tmp_path, "two", "v1").data == {"b": 4}


def test_a_deferred_save_that_fails_is_a_warning_naming_it(tmp_path):
    """One writer holds several caches: the one it could not write is named (and its
    temporary file removed), the others are written all the same."""
    warned: list[str] = []
    with background_writes(warned.append, defer=True):
        Cache(tmp_path, "good", "v1").save({"k": 1})
        Cache(tmp_path, "bad", "v1").save({"k": lambda: None})
        Cache(tmp_path, "also", "v1").save({"k": 2})
    assert len(warned) == 1 and "bad.pickle" in warned[0] and "good" not in warned[0]
    assert Cache(tmp_path, "good", "v1").data == {"k": 1} and Cache(tmp_path, "also", "v1").data == {"k": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["also.pickle", "good.pickle"]
    # One that cannot even be opened (its temporary name is taken by a folder) is named alone too.
    (tmp_path / "stuck.tmp").mkdir()
    with background_writes(warned.append, defer=True):
        Cache(tmp_path, "stuck", "v1").save({"k": 3})
        Cache(tmp_path, "good", "v1").save({"k": 4})
    assert len(warned) == 2 and "stuck.pickle" in warned[1] and "good" not in warned[1]
    assert Cache(tmp_path, "good", "v1").data == {"k": 4}


def test_a_held_save_survives_the_cache_folder_being_deleted(tmp_path):
    """docs/deploy.md: the .cache folder is safe to delete, also while a run holds saves."""
    folder = tmp_path / ".cache"
    folder.mkdir()  # there when the run started
    with background_writes(defer=True) as writers:
        Cache(folder, "demo", "v1", shards=4).save({b"\x01": 1}, content_keyed=True)
        Cache(folder, "one", "v1").save({"a": 1})
        shutil.rmtree(folder)
        writers.start()
    assert Cache(folder, "demo", "v1", shards=4).data == {b"\x01": 1} and Cache(folder, "one", "v1").data == {"a": 1}
