"""The output verifier: proves on every build that nothing personal or hidden got out.

It reads EVERY file of a built site — HTML, XML feeds and sitemaps, CSV/JSON
exports and the Pagefind index (gzip-compressed fragments whose words are
separated by zero-width spaces: decompressed, invisible characters removed) —
and looks for (R-PII, SPEC §4):

* every personal value found in the sources (names as written, numbers with or
  without separators), and ID / phone / card number patterns;
* the 文号 and party names of held-back, withdrawn and expired records
  (R-APPROVAL, R-WITHDRAW, R-RET5/R-RET2);
* internal links that point nowhere.

Findings name the file and the KIND of value, never the value, so logs stay clean.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import multiprocessing
import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin

import pipeline
from pipeline.errors import LeakFound
from pipeline.leaks import LeakMatcher, admits, compile_leak_matcher, needs, sketch, text_forms
from pipeline.pii import normalise_text

from . import heap
from .deploy import list_files
from .search_canonical import SIGNATURE, cbor_texts

TEXT_SUFFIXES = {".html", ".xml", ".json", ".csv", ".txt", ".js", ".css", ".svg", ".atom"}
GZIP_SUFFIXES = {".pf_fragment", ".pf_index", ".pf_meta", ".pf_filter", ".gz"}
# Program code shipped with the site (theme and search-library JS/CSS/WASM): scanned for
# every known personal value, but not for number or e-mail patterns, which in code are
# code.  Every content-bearing file (HTML, XML, JSON, CSV, index fragments) gets both.
CODE_SUFFIXES = {".js", ".mjs", ".css", ".wasm"}
HREF_RE = re.compile(r"""(?:href|src)="([^"#?]*)[^"]*\"""")
# Bump when what a cached "clean" means changes in a way the source hash below misses.
VERIFY_CACHE_FORMAT = 3
# Large text files (the open-data exports: hundreds of MB at 100,000 results, rewritten by
# every correction) are proven piece by piece: a correction rescans the pieces its rows
# are in, not the file, and a file's pieces spread over the workers.  A piece ends just
# after a cut character that ends a line followed by a line starting with a quote or a
# bracket (a JSON object's last field, a CSV row, an XML element); of those, only where
# the PIECE_PROBE bytes before it and after it hash to 0 modulo PIECE_SPREAD, so cuts
# follow the content and an edit moves no cut but those in its own piece.  (The bytes
# after alone were the same on every line of the sitemap, a URL's first 64 bytes: it was
# one 8 MB piece, scanned again whenever a correction added a value.)  A cut character must be
# LeakMatcher.cut_safe: then the pieces hold exactly the findings of the whole file.
PIECE_MIN = 4 << 20  # bytes; smaller files are proven whole
PIECE_SPREAD = 64  # about one cut in 64 rows: pieces of ~100 KB of JSON
PIECE_PROBE = 64
CUT_CHARS = '">}'


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the site root
    kind: str  # e.g. "name", "id_number", "hidden_doc_no", "broken_link"

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}"


def _mode(rel: str) -> str:
    """How a file is read and checked: "gz" (decompressed), "html" (text with links),
    "text", "code" (no number/e-mail patterns) or "skip" (binary: images)."""
    suffix = _suffix(rel)
    low = suffix.lower()
    if low in GZIP_SUFFIXES:
        return "gz"
    if low in CODE_SUFFIXES:
        return "code"
    if low in TEXT_SUFFIXES or low == "":
        return "html" if suffix == ".html" else "text"
    return "skip"


def _suffix(rel: str) -> str:
    """``PurePosixPath(rel).suffix`` without making a path object (210,000 of them cost
    5 s of a correction at 100,000 results: issue 9)."""
    name = rel.rstrip("/").rpartition("/")[2]
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def _decode(blob: bytes, mode: str) -> str:
    """The raw text of a file's bytes read in ``mode`` (not "skip")."""
    if mode == "gz":
        try:
            blob = gzip.decompress(blob)
        except (OSError, EOFError):
            pass  # some Pagefind files are stored uncompressed
    # Pagefind files start with a "pagefind_dcd" signature: fragments hold JSON after it,
    # the other index files (meta, word index, filters) CBOR.
    if mode == "gz" and blob.startswith(SIGNATURE):
        payload = blob[len(SIGNATURE):]
        strings = None if payload[:1] == b"{" else cbor_texts(payload)
        if strings is not None:
            return CBOR_SEPARATOR.join(strings)
    return blob.decode("utf-8", errors="ignore")


# Each CBOR text string of a Pagefind index file is scanned on its own: read as one run
# of bytes, the index's neighbouring words (a chunk's last word 住所, the next chunk's
# first word) and the CBOR length bytes between them (ASCII letters) read as one
# "labelled address" that no page contains.  ';' ends every number and address pattern.
CBOR_SEPARATOR = ";"


def read_output_text(path: Path, normalise: bool = True) -> str | None:
    """The searchable text of one output file, or None for binary files we skip (images).

    Gzip files (Pagefind fragments) are decompressed.  With ``normalise`` the text is
    NFKC-normalised and invisible characters (Pagefind's zero-width word separators)
    removed; the leak matcher normalises by itself, so the verifier reads raw text.
    """
    mode = _mode(Path(path).name)
    if mode == "skip":
        return None
    text = _decode(Path(path).read_bytes(), mode)
    return normalise_text(text) if normalise else text


def secrets_fingerprint(secrets: set, allow: frozenset[str]) -> str:
    """Identifies a secret set (kept for callers; the verifier's cache no longer needs it)."""
    return hashlib.sha256(repr((sorted(secrets), sorted(allow))).encode("utf-8")).hexdigest()


def _value_digest(value: str) -> bytes:
    """What the cache keeps of a canonical value: a hash, so no personal value is
    copied into the build cache."""
    return hashlib.blake2b(value.encode("utf-8"), digest_size=16).digest()


@functools.cache
def _code_identity() -> str:
    """A hash of the matcher's and verifier's source: a new version rescans everything."""
    here = Path(pipeline.__file__).parent
    parts = [here / name for name in ("pii.py", "pii_patterns.py", "leaks.py")]
    parts.append(Path(__file__))
    blob = b"".join(p.read_bytes() for p in parts)
    return f"{VERIFY_CACHE_FORMAT}:{hashlib.sha256(blob).hexdigest()}"


def _proven(known: dict, matcher: LeakMatcher) -> tuple[dict, tuple[str, ...]]:
    """(files already proven clean, values they still need scanning for).

    A file proven clean against values V and allow list A is clean against V + added
    values and any A' ⊇ A once it is shown not to contain an added value: the number
    and e-mail patterns do not depend on the values, and allowing more only removes
    findings.  A removed value never makes a clean file dirty.  Anything else (allow
    list shrank, another verifier version, no or an unreadable cache): nothing is known.
    """
    if not known or known.get("code") != _code_identity():
        return {}, ()
    if not known["allow"] <= {_value_digest(a) for a in matcher.allow}:
        return {}, ()
    old = known["values"]
    return known["files"], tuple(sorted(k for k in matcher.keys if _value_digest(k) not in old))


_STATE: dict = {}  # matcher, delta matcher, added values' needs, proven files: shared with forked workers


def _read(root: str, rel: str, span: tuple[int, int] | tuple = ()) -> bytes:
    """A file's bytes, or those from ``span`` = (start, end) of it."""
    if not span:
        return (Path(root) / rel).read_bytes()
    with open(Path(root) / rel, "rb") as f:
        f.seek(span[0])
        return f.read(span[1] - span[0])


def _still_holds(entry: tuple) -> bool:
    """True if a kept proof (targets, sketch) still holds: no added value may be in its text
    (a plain loop: it runs for each of 210,000 trusted files)."""
    mask = entry[1]
    for need in _STATE["needs"]:
        if admits(mask, need):
            return False
    return True


def _proof_key(digest: bytes, mode: str, rel: str) -> tuple:
    """What a proof is kept under: the bytes and how they are read, and for a page also
    where it stands: its link targets are resolved from its path, so the same bytes
    elsewhere have other targets."""
    return (digest, mode, rel) if mode == "html" else (digest, mode)


def _scan_file(args: tuple) -> tuple[str, tuple, list[str], str | tuple | None, int | None]:
    """(rel, cache key, leak kinds, link targets packed by _pack, sketch) of one file,
    or of the piece (root, rel, start, end) of a large one.  A file whose proof still
    holds returns None for both (the caller has them: sending them back cost more than
    reading the file)."""
    root, rel, *span = args
    blob = _read(root, rel, span)
    mode = _mode(rel)
    key = _proof_key(hashlib.sha256(blob).digest(), mode, rel)
    if mode == "skip":
        return rel, key, [], "", 0
    entry = _STATE["proven"].get(key)
    if entry is not None:  # same bytes read the same way: only the added values are new
        if _still_holds(entry):
            return rel, key, [], None, None
        targets, mask = entry
        kinds = _STATE["delta"].find_forms(*text_forms(_decode(blob, mode)), patterns=False)
        return rel, key, kinds, targets, mask
    text = _decode(blob, mode)
    norm, stripped = text_forms(text)
    kinds = _STATE["matcher"].find_forms(norm, stripped, patterns=mode != "code")
    targets = _pack(_link_targets(rel, text)) if mode == "html" else ""
    return rel, key, kinds, targets, sketch(stripped)


def scan_site(root: Path, secrets: set, allow: frozenset[str] = frozenset(),
              check_links: bool = True, known: dict | None = None,
              workers: int = 1, trusted: dict[str, str] | None = None,
              files: Iterable[str] | None = None, matcher: LeakMatcher | None = None,
              digests: dict[str, str] | None = None) -> list[Finding]:
    """Every finding in the site at ``root``; an empty list means the site is clean.

    ``known`` is the verifier's cache (a dict, empty at first): what earlier runs proved
    clean, and against which values (kept as hashes).  Files with the same bytes are not
    scanned again; if values were added since, only for the added ones, and only where
    the file's sketch cannot rule them out (see _proven).  Links are always re-checked.
    The dict is replaced by this run's proof.  Large text files are proven piece by
    piece (see PIECE_MIN).  Files are scanned on ``workers`` forked processes.

    ``trusted``: {path: hex SHA-256} of files whose bytes are known without reading them
    — hard links of a sealed release's files, whose manifest holds their digests (see
    deploy.linked_files).  Such a file with a proof that still holds is not read at all:
    at 100,000 results a correction leaves ~210,000 of 213,000 files linked (issue 9).

    ``files``: every file under ``root`` (relative posix paths), when the caller has
    listed the tree already (publish lists it once for this and the manifest).
    ``matcher``: ``compile_leak_matcher(secrets, allow)`` when the caller made it already.
    ``digests``: a dict that receives {path: hex SHA-256} of every file this scan read (the
    release manifest needs them: they are not read a second time).
    """
    root = Path(root)
    matcher = matcher or compile_leak_matcher(secrets, allow)
    proven, added = _proven(known or {}, matcher)
    if known and not proven:
        known.clear()  # stale proofs (another verifier version): free them before scanning
    _STATE.update(matcher=matcher, delta=matcher.restricted(added), proven=proven,
                  needs=[needs(value) for value in added])
    existing = set(list_files(root, lambda entry: None) if files is None else files)
    trusted = trusted or {}
    clean: dict = {}
    twins: dict[tuple, list[str]] = {}  # a piece's key → every file it was found in
    cut_chars = _cut_chars(matcher)
    found: set[Finding] = set()
    broken: dict = {}  # packed link targets -> the hrefs among them whose target is missing

    def check_links_of(rel: str, targets) -> None:
        # Pages at one depth share their packed targets (7,000 distinct among 107,000
        # pages at 100,000 results): each is resolved once.
        missing = broken.get(targets)
        if missing is None:
            missing = broken[targets] = [href for href, target in _unpack(targets) if target not in existing]
        if missing:
            found.update(Finding(rel, f"broken_link:{href}") for href in missing)

    def take_proofs() -> set[str]:
        """Keep the proofs of the trusted files whose proofs hold, and check their links;
        returns the other trusted files (to read).  Such a file is neither read nor even
        stat'ed (210,000 of them at 100,000 results)."""
        known_bytes = _known_results(trusted, existing)
        with heap.paused():
            for rel, (key, proof) in known_bytes.items():
                clean[key] = proof
                if check_links and proof[0]:
                    check_links_of(rel, proof[0])
        return (existing & trusted.keys()) - known_bytes.keys()

    def tasks(files: set[str]) -> tuple[list, list]:
        """(whole-file tasks, large files to cut), each largest first."""
        sizes = {rel: os.stat(os.path.join(root, rel)).st_size for rel in files}
        order = sorted(sizes, key=lambda rel: (-sizes[rel], rel))
        large = {rel for rel in order
                 if sizes[rel] >= PIECE_MIN and cut_chars is not None and _mode(rel) == "text"}
        return ([(str(root), rel) for rel in order if rel not in large],
                [(str(root), rel, cut_chars) for rel in order if rel in large])

    fresh = existing - trusted.keys()  # not the live release's own files: read
    # With workers, the fresh files are scanned while this process takes the others' proofs.
    beside = workers > 1 and len(fresh) > 200
    rest = set() if beside else take_proofs()
    try:
        if workers > 1 and len(fresh | rest) > 200:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                # The large files are read and cut on the workers first, largest first (one
                # thread cutting 500 MB of exports kept them waiting ~1.5 s of a correction at
                # 100,000 results: issue 9), the whole files after them; then the pieces
                # left to scan, which fill the workers evenly.
                def submit(files: set[str]) -> tuple:
                    whole, cuts = tasks(files)
                    return (pool.map_async(_cut_file, cuts, chunksize=1),
                            pool.imap_unordered(_scan_file, whole, chunksize=16))

                jobs = [submit(fresh | rest)]
                if beside:  # ~1 s of a correction at 100,000 results, beside the workers
                    rest = take_proofs()
                    if rest:
                        jobs.append(submit(rest))
                cut = [answer for cutting, _ in jobs for answer in cutting.get()]
                pieces = pool.imap_unordered(_scan_file, _piece_tasks(str(root), cut, clean, twins), chunksize=4)
                results = [result for _, scanning in jobs for result in scanning]
                whole_count = len(results)
                results += pieces
        else:
            whole, cuts = tasks(fresh | rest)
            cut = list(map(_cut_file, cuts))
            results = list(map(_scan_file, whole))
            whole_count = len(results)
            results += map(_scan_file, _piece_tasks(str(root), cut, clean, twins))
    finally:
        _STATE.clear()
    if digests is not None:  # a piece's key is not its file's digest: whole files only
        digests.update((rel, key[0].hex()) for rel, key, *_ in results[:whole_count])
        digests.update((rel, digest) for rel, digest, *_ in cut)
    with heap.paused():
        for rel, key, kinds, targets, mask in results:
            if targets is None:  # proven before, the same bytes: its proof and links as they were
                targets, mask = proven[key]
            where = twins[key] if rel in twins.get(key, ()) else [rel]  # a piece: every file it is in
            found.update(Finding(path, kind) for path in where for kind in kinds)
            if not kinds:
                clean[key] = (targets, mask)
            if check_links and targets:
                check_links_of(rel, targets)
    # In path order, whatever finished first; a file's leaks before its broken links.
    findings = sorted(found, key=lambda f: (f.path, f.kind.startswith("broken_link:"), f.kind))
    if known is not None:  # keep exactly this run's clean files
        known.clear()
        known.update(code=_code_identity(), files=clean,
                     values={_value_digest(k) for k in matcher.keys},
                     allow={_value_digest(a) for a in matcher.allow})
    return findings


def _known_results(trusted: dict[str, str], candidates: set[str]) -> dict[str, tuple]:
    """{path: (cache key, proof)} of each trusted file among ``candidates`` whose kept proof
    (link targets, sketch) still holds, made without reading it (needs _STATE set).  One
    loop over 210,000 files at 100,000 results: _proof_key and _still_holds are written
    out in it, and a file's mode is found once per suffix."""
    out = {}
    proven, need_list, fromhex = _STATE["proven"], _STATE["needs"], bytes.fromhex
    modes: dict[str, str] = {}
    nothing = ("", 0)  # what a file read as "skip" holds: no links, an empty sketch
    with heap.paused():
        for rel in candidates & trusted.keys():
            suffix = _suffix(rel)
            mode = modes.get(suffix)
            if mode is None:
                mode = modes[suffix] = _mode(rel)
            digest = fromhex(trusted[rel])
            if mode == "skip":
                out[rel] = ((digest, mode), nothing)
                continue
            key = (digest, mode, rel) if mode == "html" else (digest, mode)  # _proof_key
            entry = proven.get(key)
            if entry is None:
                continue
            mask = entry[1]
            for need in need_list:  # _still_holds
                if admits(mask, need):
                    break
            else:
                out[rel] = (key, entry)
    return out


def _cut_chars(matcher: LeakMatcher) -> bytes | None:
    """The characters a large file may be cut after (see PIECE_MIN), or None: none."""
    safe = "".join(c for c in CUT_CHARS if matcher.cut_safe(c))
    return safe.encode() or None


# A line break that a cut may precede: the next line starts a JSON string or value, or a tag.
_CUT_LINE_RE = re.compile(rb"""\n(?= ?["<{}\[\]])""")


def _cut_points(blob: bytes, cut_chars: bytes):
    """Each place just after one of ``cut_chars`` that ends a line (``\n`` or ``\r\n``)
    before a line that starts a JSON value or a tag.  The line breaks are searched for
    (a literal: the regex engine skips to each), not the far commoner cut characters:
    3x faster on a 170 MB export (issue 9)."""
    for m in _CUT_LINE_RE.finditer(blob):
        at = m.start()
        if at > 1 and blob[at - 1] == 13:  # \r\n
            at -= 1
        if at > 0 and blob[at - 1] in cut_chars:
            yield at


def _piece_bounds(blob: bytes, cut_chars: bytes) -> list[tuple[int, int]]:
    """(start, end) of each piece of ``blob``: cut at the content-chosen places among
    :func:`_cut_points`, so the same rows give the same pieces wherever they stand."""
    crc, probe, spread = zlib.crc32, PIECE_PROBE, PIECE_SPREAD
    cuts = [at for at in _cut_points(blob, cut_chars) if crc(blob[max(at - probe, 0):at + probe]) % spread == 0]
    edges = [0, *cuts, len(blob)]
    return list(zip(edges, edges[1:], strict=False))


def _cut_file(args: tuple) -> tuple[str, str, list[tuple[int, int, tuple]], list[tuple]]:
    """(rel, hex SHA-256 of the whole file, the pieces still to scan as (start, end, key),
    the keys of the pieces whose proof still holds) of the large file (root, rel,
    cut_chars): cut into pieces at the places :func:`_piece_bounds` chooses."""
    root, rel, cut_chars = args
    blob = _read(root, rel)
    todo, held = [], []
    for start, end in _piece_bounds(blob, cut_chars):
        key = (hashlib.sha256(blob[start:end]).digest(), "text")
        entry = _STATE["proven"].get(key)
        if entry is not None and _still_holds(entry):
            held.append(key)
        else:
            todo.append((start, end, key))
    return rel, hashlib.sha256(blob).hexdigest(), todo, held


def _piece_tasks(root: str, cut: list[tuple], clean: dict, twins: dict[tuple, list[str]]) -> list[tuple]:
    """The pieces of the large files (:func:`_cut_file` answers) still to scan, as
    _scan_file tasks.

    A piece whose proof still holds goes straight into ``clean``; a piece with the same
    bytes as one already queued (delta/base.json is results.json on the first day) is
    scanned once, and ``twins`` records every file it stands in.
    """
    tasks = []
    proven = _STATE["proven"]
    for rel, _digest, todo, held in sorted(cut, key=lambda answer: answer[0]):
        clean.update((key, proven[key]) for key in held)
        for start, end, key in todo:
            if key in twins:
                twins[key].append(rel)
            else:
                twins[key] = [rel]
                tasks.append((root, rel, start, end))
    return tasks


def _pack(targets: tuple[tuple[str, str], ...]) -> str | tuple:
    """``targets`` as one string (href NUL target NUL …): a page's proof is kept for the
    next run, and at 100,000 pages tuples of small strings held ~0.5 GB twice over."""
    flat = [part for pair in targets for part in pair]
    return targets if any("\0" in part for part in flat) else "\0".join(flat)


def _unpack(packed: str | tuple) -> tuple[tuple[str, str], ...]:
    """The (href, target) pairs :func:`_pack` packed."""
    if isinstance(packed, tuple):
        return packed
    parts = packed.split("\0") if packed else []
    return tuple(zip(parts[::2], parts[1::2], strict=True))


def _link_targets(rel: str, text: str) -> tuple[tuple[str, str], ...]:
    """(href, site-relative file it needs) for every internal link of an HTML page."""
    out = []
    base = "/" + rel
    for href in sorted(set(HREF_RE.findall(text))):
        if not href or "://" in href or href.startswith(("mailto:", "tel:", "data:", "//")):
            continue
        target = urljoin(base, unquote(href)).lstrip("/")
        if target.endswith("/") or not target:
            target += "index.html"
        out.append((href, target))
    return tuple(out)


def verify_site(root: Path, secrets: set, allow: frozenset[str] = frozenset(),
                known: dict | None = None, workers: int = 1,
                trusted: dict[str, str] | None = None, files: Iterable[str] | None = None,
                matcher: LeakMatcher | None = None, digests: dict[str, str] | None = None) -> None:
    """Raise LeakFound listing every finding (file + kind) if the site is not clean.

    ``known``, ``workers``, ``trusted``, ``files``, ``matcher`` and ``digests``: see scan_site.
    """
    findings = scan_site(root, secrets, allow, known=known, workers=workers, trusted=trusted,
                         files=files, matcher=matcher, digests=digests)
    if findings:
        shown = "\n".join(f"  {f}" for f in findings[:50])
        more = f"\n  … and {len(findings) - 50} more" if len(findings) > 50 else ""
        raise LeakFound(
            f"输出校验失败 / the built site is not clean: {len(findings)} finding(s)\n{shown}{more}\n"
            "Nothing was published. Fix the source records (declare persons, remove numbers) "
            "and build again."
        )
