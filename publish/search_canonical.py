"""Byte-identical Pagefind bundles (SPEC §7 deterministic output).

Pagefind 1.5.2 writes filter values and the filter list in hash-map order; this module
puts them in byte order and renames the files after their new content.  It also holds
the small CBOR reader the verifier uses to read Pagefind's index files.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

from pipeline.errors import GongshiError


class SearchIndexError(GongshiError):
    """Pagefind is missing, failed, or indexed something other than what we planned."""


# ---- deterministic output -------------------------------------------------
# Pagefind 1.5.2 writes the values inside each filter file, and the filter list in
# pagefind.<hash>.pf_meta, in hash-map order, which changes from run to run (fixed
# upstream after 1.5.2, Pagefind PR #1124).  SPEC §7 wants byte-identical output, so
# we put both in byte order, as later Pagefind versions do, and rename the files
# after their new content (sha1, Pagefind's own naming).  Files are gzip'd CBOR
# behind a "pagefind_dcd" signature; only definite-length items occur.

SIGNATURE = b"pagefind_dcd"  # what every Pagefind index file starts with (verify.py reads it too)


def _head(buf: bytes, i: int) -> tuple[int, int, int]:
    """(major type, argument, index after the head) of the CBOR item at ``i``."""
    major, info = buf[i] >> 5, buf[i] & 31
    if info < 24:
        return major, info, i + 1
    size = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
    if size is None:
        raise SearchIndexError("unexpected indefinite-length item in a Pagefind file")
    return major, int.from_bytes(buf[i + 1:i + 1 + size], "big"), i + 1 + size


def _skip(buf: bytes, i: int) -> int:
    """Index just past the CBOR item starting at ``i``."""
    major, arg, j = _head(buf, i)
    if major in (2, 3):
        return j + arg
    if major in (4, 5):
        for _ in range(arg * (2 if major == 5 else 1)):
            j = _skip(buf, j)
        return j
    if major == 6:
        return _skip(buf, j)
    return j  # unsigned/negative integers and simple values: head only (no floats here)


# Heads that carry no payload after their argument: integers, array/map/tag heads and
# simple values (major types 0, 1, 4, 5, 6, 7), with a 0-, 1-, 2-, 4- or 8-byte argument.
_NO_PAYLOAD = bytes(m << 5 for m in (0, 1, 4, 5, 6, 7))
_RUN_RE = re.compile(b"(?:[%s]|[%s].|[%s]..|[%s]....|[%s]........)*" % tuple(
    re.escape(b"".join(bytes([m + lo + k]) for m in _NO_PAYLOAD for k in range(hi - lo)))
    for lo, hi in ((0, 24), (24, 25), (25, 26), (26, 27), (27, 28))), re.DOTALL)


def cbor_texts(buf: bytes) -> list[str] | None:
    """Every CBOR text string in ``buf`` (a sequence of definite-length items), in order;
    None if ``buf`` is not well-formed that way.

    Containers hold their elements right after their head, so the strings are found by
    reading head after head without tracking nesting; runs of payload-free heads (the
    page numbers and word positions that make up most of an index) are skipped by one
    regex.
    """
    out: list[str] = []
    i, n = 0, len(buf)
    run = _RUN_RE.match
    try:
        while True:
            i = run(buf, i).end()
            if i >= n:
                break
            major, arg, j = _head(buf, i)
            if major not in (2, 3) or j + arg > n:
                return None  # a head the run cannot cross (indefinite length) or a cut string
            if major == 3:
                out.append(buf[j:j + arg].decode("utf-8", errors="ignore"))
            i = j + arg
    except (SearchIndexError, IndexError):
        return None
    return out if i == n else None


def _items(raw: bytes) -> list[bytes]:
    """The encoded elements of the CBOR array ``raw``."""
    major, count, j = _head(raw, 0)
    if major != 4:
        raise SearchIndexError("unexpected Pagefind file layout (expected an array)")
    out = []
    for _ in range(count):
        end = _skip(raw, j)
        out.append(raw[j:end])
        j = end
    return out


def _text(raw: bytes) -> str:
    _, length, j = _head(raw, 0)
    return raw[j:j + length].decode("utf-8")


def _encode_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError(n)


def _array(items: list[bytes]) -> bytes:
    return _encode_head(4, len(items)) + b"".join(items)


def _encode_text(text: str) -> bytes:
    data = text.encode("utf-8")
    return _encode_head(3, len(data)) + data


def _read_pf(path: Path) -> bytes:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(SIGNATURE):
        raise SearchIndexError(f"{path.name} is not a Pagefind file")
    return data[len(SIGNATURE):]


def _write_pf(path: Path, payload: bytes) -> None:
    path.write_bytes(gzip.compress(SIGNATURE + payload, 9, mtime=0))


def _pf_hash(payload: bytes) -> str:
    """Pagefind's full_hash: sha1 hex with each byte unpadded ({:x?} per byte)."""
    return "".join(format(b, "x") for b in hashlib.sha1(payload).digest())


def _sorted_filter(payload: bytes) -> bytes:
    """A filter file's CBOR with its values in byte order of the value text."""
    name, values = _items(payload)
    ordered = sorted(_items(values), key=lambda v: _text(_items(v)[0]).encode())
    return _array([name, _array(ordered)])


def canonicalise_bundle(bundle: Path) -> None:
    """Rewrite one Pagefind bundle's filter files and meta file in a stable order."""
    entry_path = bundle / "pagefind-entry.json"
    entry_text = entry_path.read_text(encoding="utf-8")
    for lang, info in json.loads(entry_text)["languages"].items():
        old_meta = bundle / f"pagefind.{info['hash']}.pf_meta"
        top = _items(_read_pf(old_meta))
        taken: set[str] = set()
        filters = []
        for raw in sorted(_items(top[3]), key=lambda f: _text(_items(f)[0]).encode()):
            name, old_hash = (_text(x) for x in _items(raw))
            old_file = bundle / "filter" / f"{old_hash}.pf_filter"
            payload = _sorted_filter(_read_pf(old_file))
            full = f"{lang}_{_pf_hash(payload)}"
            short = full[:len(lang) + 8]
            while short in taken and len(short) < len(full):  # Pagefind's collision rule
                short = full[:len(short) + 1]
            taken.add(short)
            old_file.unlink()
            _write_pf(bundle / "filter" / f"{short}.pf_filter", payload)
            filters.append(_array([_encode_text(name), _encode_text(short)]))
        meta = _array(top[:3] + [_array(filters)] + top[4:])
        meta_hash = f"{lang}_{_pf_hash(meta)[:len(lang) + 8]}"
        old_meta.unlink()
        _write_pf(bundle / f"pagefind.{meta_hash}.pf_meta", meta)
        entry_text = entry_text.replace(f'"{info["hash"]}"', f'"{meta_hash}"')
    entry_path.write_text(entry_text, encoding="utf-8")
