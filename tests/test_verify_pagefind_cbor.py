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
