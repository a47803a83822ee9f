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

import gzip
import hashlib
import multiprocessing
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin

from pipeline.errors import LeakFound
from pipeline.pii import compile_leak_matcher, normalise_text

TEXT_SUFFIXES = {".html", ".xml", ".json", ".csv", ".txt", ".js", ".css", ".svg", ".atom"}
GZIP_SUFFIXES = {".pf_fragment", ".pf_index", ".pf_meta", ".pf_filter", ".gz"}
# Program code shipped with the site (theme and search-library JS/CSS/WASM): scanned for
# every known personal value, but not for number or e-mail patterns, which in code are
# code.  Every content-bearing file (HTML, XML, JSON, CSV, index fragments) gets both.
CODE_SUFFIXES = {".js", ".mjs", ".css", ".wasm"}
HREF_RE = re.compile(r"""(?:href|src)="([^"#?]*)[^"]*\"""")


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the site root
    kind: str  # e.g. "name", "id_number", "hidden_doc_no", "broken_link"

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}"


def read_output_text(path: Path, normalise: bool = True) -> str | None:
    """The searchable text of one output file, or None for binary files we skip (images).

    Gzip files (Pagefind fragments) are decompressed.  With ``normalise`` the text is
    NFKC-normalised and invisible characters (Pagefind's zero-width word separators)
    removed; the leak matcher normalises by itself, so the verifier reads raw text.
    """
    suffix = path.suffix.lower()
    if suffix in GZIP_SUFFIXES:
        data = path.read_bytes()
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            pass  # some Pagefind files are stored uncompressed
        # Pagefind fragments start with a "pagefind_dcd" signature before the JSON.
        text = data.decode("utf-8", errors="ignore")
    elif suffix in TEXT_SUFFIXES or suffix in {".mjs", ".wasm"} or suffix == "":
        text = path.read_bytes().decode("utf-8", errors="ignore")
    else:
        return None
    return normalise_text(text) if normalise else text


def secrets_fingerprint(secrets: set, allow: frozenset[str]) -> str:
    """Identifies a secret set: files verified clean under it need no second scan."""
    return hashlib.sha256(repr((sorted(secrets), sorted(allow))).encode("utf-8")).hexdigest()


_MATCHER = None  # the compiled matcher, shared with forked scan workers


def _scan_file(args: tuple[str, str]) -> tuple[str, str, list[str], tuple[str, ...]]:
    """(rel, digest, leak kinds, link targets) of one file; digest "" for skipped files."""
    root, rel = args
    path = Path(root) / rel
    blob = path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    text = read_output_text(path, normalise=False)
    if text is None:
        return rel, digest, [], ()
    kinds = _MATCHER.find(text, patterns=path.suffix.lower() not in CODE_SUFFIXES)
    targets = _link_targets(rel, text) if path.suffix == ".html" else ()
    return rel, digest, kinds, targets


def scan_site(root: Path, secrets: set, allow: frozenset[str] = frozenset(),
              check_links: bool = True, known: dict | None = None,
              workers: int = 1) -> list[Finding]:
    """Every finding in the site at ``root``; an empty list means the site is clean.

    ``known`` ({sha256 of file bytes: link targets}) lists files already verified clean
    under the SAME secrets (see secrets_fingerprint); they are not scanned again, only
    their links are re-checked.  The dict is updated with every clean file of this run.
    Files are scanned on ``workers`` forked processes.
    """
    global _MATCHER
    root = Path(root)
    _MATCHER = compile_leak_matcher(secrets, allow)
    previous = known or {}
    rels = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    existing = set(rels)
    todo, results = [], []
    for rel in rels:
        digest = hashlib.sha256((root / rel).read_bytes()).hexdigest() if previous else ""
        if digest in previous:
            results.append((rel, digest, [], known[digest]))
        else:
            todo.append((str(root), rel))
    if workers > 1 and len(todo) > 200:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results += pool.map(_scan_file, todo, chunksize=64)
    else:
        results += map(_scan_file, todo)
    findings: list[Finding] = []
    clean = {}
    for rel, digest, kinds, targets in sorted(results):
        findings += [Finding(rel, kind) for kind in kinds]
        if not kinds:
            clean[digest] = targets
        if check_links:
            findings += [Finding(rel, f"broken_link:{href}") for href, target in targets
                         if target not in existing]
    if known is not None:  # keep exactly this run's clean files
        known.clear()
        known.update(clean)
    return findings


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
                known: dict | None = None, workers: int = 1) -> None:
    """Raise LeakFound listing every finding (file + kind) if the site is not clean.

    ``known`` and ``workers``: see scan_site.
    """
    findings = scan_site(root, secrets, allow, known=known, workers=workers)
    if findings:
        shown = "\n".join(f"  {f}" for f in findings[:50])
        more = f"\n  … and {len(findings) - 50} more" if len(findings) > 50 else ""
        raise LeakFound(
            f"输出校验失败 / the built site is not clean: {len(findings)} finding(s)\n{shown}{more}\n"
            "Nothing was published. Fix the source records (declare persons, remove numbers) "
            "and build again."
        )
