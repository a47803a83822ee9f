"""Releases share unchanged folders through ROOT/store (issue 9, SPEC §7): a year of case
pages and a search bundle are made once and linked from every release that has them
unchanged.  Real publishes of the fixture corpus; what a reader gets is compared file by
file with a full build."""

from __future__ import annotations

import os
import shutil

import pytest

from pipeline.errors import LeakFound
from publish import build as build_module
from publish import deploy, store, verify
from publish.assemble import bureau_allow_list
from publish.build import build, prepare
from publish.publish import publish, rollback
from publish.settings import load_settings
from tests.support import FIXTURE_AS_OF, FIXTURE_CONTENT, copy_content, served_files, served_tree
from tests.test_publish_e2e import assert_intact, copy_root, edit_case, site_of

pytestmark = pytest.mark.slow


def links(site) -> dict[str, str]:
    """{site folder: store entry} of every folder link in ``site``."""
    found = {}
    for top in ("cases", "pagefind"):
        for entry in os.scandir(site / top):
            if entry.is_symlink():
                found[f"{top}/{entry.name}"] = os.path.basename(os.readlink(entry.path))
    return found


def publish_failing_at(monkeypatch, module, name: str, content, root) -> None:
    """A publish during which ``module.name`` raises: it fails with that error."""

    def broken(*_args, **_kw):
        raise RuntimeError(f"{name} failed")

    with monkeypatch.context() as patch:
        patch.setattr(module, name, broken)
        with pytest.raises(RuntimeError, match=f"{name} failed"):
            publish(content, root, FIXTURE_AS_OF, load_settings())


def entries(root) -> set[str]:
    return {p.name for p in store.store_dir(root).iterdir()}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The corpus published, one 2026 case corrected, published again."""
    base = tmp_path_factory.mktemp("store")
    content = copy_content(FIXTURE_CONTENT, base / "content")
    root = base / "root"
    first = publish(content, root, FIXTURE_AS_OF, load_settings())
    first_site = deploy.releases_dir(root) / first.release / deploy.SITE
    first_tree = served_tree(first_site)
    edit_case(content, "2026-0020", "骗取医保基金3200元", "骗取医保基金3300元")
    second = publish(content, root, FIXTURE_AS_OF, load_settings())
    return {"content": content, "root": root, "first": first, "second": second,
            "first_site": first_site, "first_tree": first_tree, "base": base}


def test_a_correction_relinks_only_its_year(published):
    """Issue 9: the corrected case's year of pages and its search bundle are new store
    entries; every other year is the entry the live release already had."""
    before, after = links(published["first_site"]), links(site_of(published["root"]))
    assert {"cases/2025", "cases/2026", "pagefind/2025", "pagefind/2026"} <= set(before)
    assert set(after) == set(before)
    assert {f for f in before if before[f] != after[f]} == {"cases/2026", "pagefind/2026"}
    assert set(before.values()) | set(after.values()) == entries(published["root"])
    # The older release, kept for a rollback, still serves exactly what it served.
    assert served_tree(published["first_site"]) == published["first_tree"]


def test_served_tree_equals_a_full_build(published, tmp_path):
    """Issue 9 (incremental result == full build): through its links, the release serves
    the very bytes a fresh build of the same content writes, file for file."""
    content = copy_content(published["content"], tmp_path / "content")
    out = build(content, tmp_path / "out", FIXTURE_AS_OF).output
    site = site_of(published["root"])
    assert not any(p.is_symlink() for p in (tmp_path / "out").iterdir())  # build: no store
    assert served_tree(site) == served_tree(out)
    assert deploy.hash_tree(site) == deploy.read_manifest(site.parent)["files"]


def test_pruning_removes_entries_no_kept_release_links_to(published, tmp_path):
    """SPEC §7 (keep the last N releases): an entry goes with the last release that links
    to it, never before; every link of the kept releases resolves."""
    root = copy_root(published["root"], tmp_path / "root")
    content = copy_content(published["content"], tmp_path / "content")
    old_2026 = links(published["first_site"])["cases/2026"]
    edit_case(content, "2026-0020", "骗取医保基金3300元", "骗取医保基金3400元")
    third = publish(content, root, FIXTURE_AS_OF, load_settings(KEEP_RELEASES=2))
    assert third.pruned == [published["first"].release]
    assert old_2026 not in entries(root)
    kept = [r / deploy.SITE for r in deploy.list_releases(root)]
    assert entries(root) == set().union(*(set(links(site).values()) for site in kept))
    for site in kept:
        assert deploy.hash_tree(site) == deploy.read_manifest(site.parent)["files"]
    # Roll back one release: the second is whole although its predecessor was pruned.
    second_tree = served_tree(site_of(published["root"]))
    rollback(root, load_settings())
    assert served_tree(site_of(root)) == second_tree


def test_a_failed_run_leaves_no_half_made_entry(published, tmp_path, monkeypatch):
    """SPEC §7 (a failed run leaves the live site as it was): a render that fails removes
    the entries it was making; those of a killed run are removed by the next run."""
    root = copy_root(published["root"], tmp_path / "root")
    content = copy_content(published["content"], tmp_path / "content")
    live, before = deploy.current_release(root), entries(root)
    edit_case(content, "2026-0020", "骗取医保基金3300元", "骗取医保基金3500元")
    publish_failing_at(monkeypatch, build_module, "_run_pelican", content, root)  # a worker died
    assert entries(root) == before
    assert_intact(root, live)
    # A run killed while making an entry leaves its .build- folder: the next run removes it.
    debris = store.start(store.store_dir(root), "cases-2026-killed")
    (debris / "half.html").write_text("half", encoding="utf-8")
    result = publish(content, root, FIXTURE_AS_OF, load_settings())
    assert f"store/{debris.name}" in result.cleaned and not debris.exists()
    assert not [n for n in entries(root) if n.startswith(store.BUILD_PREFIX)]


def test_a_retried_or_reverted_run_serves_the_search_of_its_pages(published, tmp_path, monkeypatch):
    """Issue 9 (incremental result == full build), R-CORR: a run that links an entry an
    earlier run made (a retry after a failure once its entries were sealed; a correction
    reverted, which links the older release's entry) indexes those pages' bytes, not the
    live release's: the search serves what a full build writes (review of the store)."""
    root = copy_root(published["root"], tmp_path / "root")
    content = copy_content(published["content"], tmp_path / "content")
    edit_case(content, "2026-0020", "骗取医保基金3300元", "骗取医保基金3600元")
    publish_failing_at(monkeypatch, deploy, "finalize_release", content, root)  # after the render
    publish(content, root, FIXTURE_AS_OF, load_settings())  # the same content again
    fresh = build(copy_content(content, tmp_path / "fresh-content"), tmp_path / "fresh", FIXTURE_AS_OF).output
    assert served_tree(site_of(root)) == served_tree(fresh)
    edit_case(content, "2026-0020", "骗取医保基金3600元", "骗取医保基金3200元")  # back to the first
    publish(content, root, FIXTURE_AS_OF, load_settings(KEEP_RELEASES=10))
    assert links(site_of(root))["cases/2026"] == links(published["first_site"])["cases/2026"]
    fresh = build(copy_content(content, tmp_path / "fresh-content2"), tmp_path / "fresh2", FIXTURE_AS_OF).output
    assert served_tree(site_of(root)) == served_tree(fresh)


def test_a_later_run_leaves_the_files_of_shared_entries_alone(tmp_path):
    """SPEC §7 (a kept release is a rollback target as it was): a run that links an entry
    an earlier release made gives its files no new mtime (nginx's ETag and Last-Modified),
    even where the live release has the same bytes as another file."""
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    root, keep = tmp_path / "root", dict(KEEP_RELEASES=10)
    theme = tmp_path / "theme"
    shutil.copytree(load_settings()["THEME"], theme)
    first = publish(content, root, FIXTURE_AS_OF, load_settings(**keep))
    first_site = deploy.releases_dir(root) / first.release / deploy.SITE
    stamps = {p: os.stat(p).st_mtime_ns for p in served_files(first_site / "cases/2026")}
    edit_case(content, "2026-0020", "骗取医保基金3200元", "骗取医保基金3300元")
    publish(content, root, FIXTURE_AS_OF, load_settings(**keep))
    # Reverted, under another theme that renders the same bytes: every page is made again,
    # and the reverted one gets a new mtime (the live page was another).
    edit_case(content, "2026-0020", "骗取医保基金3300元", "骗取医保基金3200元")
    (theme / "templates" / "404.html").write_text(
        (theme / "templates" / "404.html").read_text(encoding="utf-8") + "{# another theme #}\n",
        encoding="utf-8")
    publish(content, root, FIXTURE_AS_OF, load_settings(THEME=str(theme), **keep))
    # The first theme again: the first release's entry is linked, the live files have its
    # bytes in other inodes (one with another mtime).
    last = publish(content, root, FIXTURE_AS_OF, load_settings(**keep))
    assert links(site_of(root))["cases/2026"] == links(first_site)["cases/2026"]
    assert last.changed == [] and last.removed == []
    assert {p: os.stat(p).st_mtime_ns for p in stamps} == stamps


def test_pruning_killed_while_deleting_leaves_no_half_entry(tmp_path, monkeypatch):
    """SPEC §7: an entry is unnamed before it is deleted, so a run killed half way leaves a
    .build- folder (removed by the next run), never a half entry a later run would link."""
    entry = store.adopt(store.store_dir(tmp_path), "cases-2024-abc", _folder(tmp_path / "a"))
    (entry / "more.html").write_text("y", encoding="utf-8")
    real = store.shutil.rmtree

    def killed(path, *args, **kwargs):
        if os.path.isdir(path) and not kwargs.get("ignore_errors"):
            os.unlink(os.path.join(path, "index.html"))  # half deleted, then the kill
            raise KeyboardInterrupt
        return real(path, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(store.shutil, "rmtree", killed)
        with pytest.raises(KeyboardInterrupt):
            store.collect(tmp_path, [])
    assert not store.has(store.store_dir(tmp_path), entry.name)
    assert store.clean_builds(store.store_dir(tmp_path)) == [f"store/{store.BUILD_PREFIX}{entry.name}"]
    assert list(store.store_dir(tmp_path).iterdir()) == []


def _listing(root, release):
    """The listing a run would keep for ``release``: walked in full."""
    dirs: dict = {}
    return deploy.list_files(release / deploy.SITE, os.DirEntry.inode, dirs=dirs), dirs


def test_a_release_listing_takes_unchanged_entries_from_the_live_one(published, monkeypatch):
    """Issue 9: the listing the verifier and the manifest use is the whole served tree, but
    a folder linked to the very entry the live release links to, none of whose folders
    changed since, is not read again: its files and inodes are the live release's kept
    listing."""
    root = published["root"]
    first = deploy.releases_dir(root) / published["first"].release
    site, kept = site_of(root), _listing(root, first)
    read: list[str] = []
    real = os.scandir

    def scandir(path):
        read.append(os.fspath(path))
        return real(path)

    with monkeypatch.context() as patch:
        patch.setattr(deploy.os, "scandir", scandir)
        listed = deploy.release_listing(site, first, kept, store.store_dir(root))
    assert listed == _listing(root, site.parent)
    assert any("/cases/2026/" in path for path in read)  # a new entry: walked
    assert not any("/cases/2025/" in path or "/pagefind/2025" in path for path in read)
    # Without a kept listing, everything is walked.
    assert deploy.release_listing(site, first, None, store.store_dir(root)) == listed


@pytest.mark.parametrize("change", ["added", "replaced", "restored"])
def test_a_shared_entry_changed_by_hand_is_walked_and_verified(published, tmp_path, change):
    """R-PII, SPEC §7: a file put into a shared entry behind the tool's back (a hand fix, a
    stray copy, a store restored from backup) is listed and verified, not taken from the
    kept listing: the publish stops and names it.  (A review of the kept listing.)"""
    root = copy_root(published["root"], tmp_path / "root")
    content = copy_content(published["content"], tmp_path / "content")
    publish(content, root, FIXTURE_AS_OF, load_settings())  # a copied root: its listing is kept anew
    entry = store.store_dir(root) / links(site_of(root))["cases/2025"]
    page = next(p for p in served_files(entry) if p.name == "index.html")
    leak = page.read_text(encoding="utf-8") + "<p>13912345678</p>"
    if change == "added":
        (page.parent / "stray.html").write_text("<p>13912345678</p>", encoding="utf-8")
    elif change == "replaced":  # a new inode, as editors and rsync write
        (page.parent / "tmp").write_text(leak, encoding="utf-8")
        os.replace(page.parent / "tmp", page)
    else:  # the same bytes in new folders and files, then the leak
        shutil.copytree(entry, tmp_path / "backup", symlinks=True)
        os.rename(entry, tmp_path / "old")
        shutil.copytree(tmp_path / "backup", entry, symlinks=True)
        (entry / page.relative_to(entry)).write_text(leak, encoding="utf-8")
    edit_case(content, "2026-0020", "骗取医保基金3300元", "骗取医保基金3700元")
    with pytest.raises(LeakFound) as caught:
        publish(content, root, FIXTURE_AS_OF, load_settings())
    assert "cases/2025/" in str(caught.value)


def test_the_verifier_reads_through_the_links(published, tmp_path):
    """R-PII: the verifier proves the files inside linked folders, not the links: a phone
    number planted in a store entry is found in the release that links to it."""
    root = copy_root(published["root"], tmp_path / "root")
    site = site_of(root)
    page = site / "cases/2025"
    assert page.is_symlink()
    target = next(p for p in served_files(page) if p.name == "index.html")
    target.write_text(target.read_text(encoding="utf-8") + "<p>13912345678</p>", encoding="utf-8")
    full = prepare(published["content"], FIXTURE_AS_OF)
    found = verify.scan_site(site, full.secrets, bureau_allow_list(full.content))
    assert {f.path for f in found} == {f"cases/2025/{target.parent.name}/index.html"}


def test_a_link_out_of_the_store_is_never_collected(tmp_path):
    """SPEC §7: collect removes only store entries; what a link points at outside the store
    (a stray link in a hand-edited release) is left alone, and a missing store is no error."""
    assert store.collect(tmp_path, []) == []
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    site = tmp_path / "releases" / "r1" / deploy.SITE
    store.link(site, "cases/2020", outside)
    kept = store.adopt(store.store_dir(tmp_path), "cases-2021-abc", _folder(tmp_path / "a"))
    gone = store.adopt(store.store_dir(tmp_path), "cases-2022-def", _folder(tmp_path / "b"))
    store.link(site, "cases/2021", kept)
    assert store.collect(tmp_path, [site]) == [gone.name]
    assert outside.is_dir() and kept.is_dir() and not gone.exists()


def _folder(path):
    path.mkdir()
    (path / "index.html").write_text("x", encoding="utf-8")
    return path
