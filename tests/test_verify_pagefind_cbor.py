"""R-PII verifier on Pagefind's CBOR index files: each string is checked on its own.

Found at 100,000 cases: a month bundle's metadata lists each word chunk's first and last
word, so 住所 (the last word of one chunk) followed by a CBOR length byte (an ASCII
letter) and the next chunk's first words read, as raw bytes, like a labelled home
address that no page contains.  The verifier now reads the strings of those files one
by one; a value inside any one string is still found.
"""

from __future__ import annotations

import gzip

from publish.search_canonical import _array, _encode_text
from publish.verify import scan_site

SIGNATURE = b"pagefind_dcd"
ADDRESS = "春城市南关区幸福街道长青路18号3栋2单元501室"


def _pf(tmp_path, *strings: str, name="pagefind/pagefind.zh_1.pf_meta"):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = _array([_encode_text("1.5.2"), _array([_encode_text(s) for s in strings])])
    path.write_bytes(gzip.compress(SIGNATURE + payload, mtime=0))
    return path


def test_neighbouring_index_words_are_not_one_address(tmp_path):
    """R-PII: two separate index words do not make a labelled address."""
    _pf(tmp_path, "住所", "春城市", "南关区", "长青路", "18号", "3栋")  # short: length bytes 'c'…'i'
    assert scan_site(tmp_path, set(), check_links=False) == []


def test_an_address_inside_one_index_string_is_found(tmp_path):
    """R-PII: a labelled home address within one string of the index is a finding."""
    _pf(tmp_path, "甲", f"住所：{ADDRESS}", "乙", name="pagefind/2026-04/index/zh_2.pf_index")
    assert [f.kind for f in scan_site(tmp_path, set(), check_links=False)] == ["address"]


def test_a_known_name_in_an_index_string_is_found(tmp_path):
    """R-PII: a personal value of the sources in one index word is a finding."""
    _pf(tmp_path, "医保", "刘秀英", name="pagefind/2025/filter/zh_3.pf_filter")
    kinds = [f.kind for f in scan_site(tmp_path, {("name", "刘秀英")}, check_links=False)]
    assert kinds == ["name"]


def test_a_file_that_is_not_cbor_is_scanned_as_raw_text(tmp_path):
    """Fail closed: a signature followed by broken CBOR is read as plain bytes."""
    path = tmp_path / "pagefind/pagefind.zh_4.pf_meta"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(SIGNATURE + b"\x9f\xff" + f"住所：{ADDRESS}".encode()))
    assert [f.kind for f in scan_site(tmp_path, set(), check_links=False)] == ["address"]


# ---- the reader itself: every text string, in order, of any definite-length CBOR ----
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from publish.search_canonical import _encode_head, cbor_texts  # noqa: E402

_ints = st.integers(min_value=0, max_value=2**64 - 1)
_leaves = st.one_of(
    _ints.map(lambda n: (_encode_head(0, n), [])),
    _ints.map(lambda n: (_encode_head(1, n), [])),
    st.binary(max_size=30).map(lambda b: (_encode_head(2, len(b)) + b, [])),
    st.text(max_size=30).map(lambda t: (_encode_text(t), [t])),
    st.sampled_from([b"\xf4", b"\xf5", b"\xf6", b"\xfb" + bytes(8)]).map(lambda b: (b, [])),
)


def _container(children):
    def array(items):
        return _encode_head(4, len(items)) + b"".join(b for b, _ in items), [
            t for _, ts in items for t in ts]

    def cmap(items):
        items = items[: len(items) // 2 * 2]
        return _encode_head(5, len(items) // 2) + b"".join(b for b, _ in items), [
            t for _, ts in items for t in ts]

    return st.one_of(
        st.lists(children, max_size=6).map(array),
        st.lists(children, max_size=6).map(cmap),
        st.tuples(_ints, children).map(lambda p: (_encode_head(6, p[0]) + p[1][0], p[1][1])),
    )


_items = st.recursive(_leaves, _container, max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(st.lists(_items, max_size=4))
def test_cbor_texts_reads_every_text_string_in_order(items):
    """R-PII: the verifier's CBOR reader returns each text string of the index, in order."""
    buf = b"".join(b for b, _ in items)
    assert cbor_texts(buf) == [t for _, ts in items for t in ts]


@given(st.lists(_items, max_size=3), st.text(min_size=1, max_size=30), st.data())
def test_cbor_texts_refuses_a_cut_file(items, last, data):
    """Fail closed: a file cut inside a string is not read as CBOR (scanned as raw bytes)."""
    head = b"".join(b for b, _ in items)
    tail = _encode_text(last)
    cut = data.draw(st.integers(len(tail) - len(last.encode()), len(tail) - 1))
    assert cbor_texts(head + tail[:cut]) is None
