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
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin

from pipeline.pii import compile_leak_matcher, normalise_text

from pipeline.errors import LeakFound

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


def read_output_text(path: Path) -> str | None:
    """The searchable text of one output file, or None for binary files we skip (images)."""
    suffix = path.suffix.lower()
    if suffix in GZIP_SUFFIXES:
        data = path.read_bytes()
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            pass  # some Pagefind files are stored uncompressed
        # Pagefind fragments start with a "pagefind_dcd" signature before the JSON.
        return normalise_text(data.decode("utf-8", errors="ignore"))
    if suffix in TEXT_SUFFIXES or suffix in {".mjs", ".wasm"} or suffix == "":
        return normalise_text(path.read_bytes().decode("utf-8", errors="ignore"))
    return None


def scan_site(root: Path, secrets: set, allow: frozenset[str] = frozenset(),
              check_links: bool = True) -> list[Finding]:
    """Every finding in the site at ``root``; an empty list means the site is clean."""
    root = Path(root)
    matcher = compile_leak_matcher(secrets, allow)
    findings: list[Finding] = []
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        text = read_output_text(path)
        if text is None:
            continue
        rel = path.relative_to(root).as_posix()
        kinds = matcher.find(text, patterns=path.suffix.lower() not in CODE_SUFFIXES)
        findings += [Finding(rel, kind) for kind in kinds]
        if check_links and path.suffix == ".html":
            findings += _broken_links(root, path, rel, text)
    return findings


def _broken_links(root: Path, path: Path, rel: str, text: str) -> list[Finding]:
    out = []
    base = "/" + rel
    for href in set(HREF_RE.findall(text)):
        if not href or "://" in href or href.startswith(("mailto:", "tel:", "data:", "//")):
            continue
        target = urljoin(base, unquote(href))
        candidate = root / target.lstrip("/")
        if target.endswith("/"):
            candidate = candidate / "index.html"
        if not candidate.exists():
            out.append(Finding(rel, f"broken_link:{href}"))
    return out


def verify_site(root: Path, secrets: set, allow: frozenset[str] = frozenset()) -> None:
    """Raise LeakFound listing every finding (file + kind) if the site is not clean."""
    findings = scan_site(root, secrets, allow)
    if findings:
        shown = "\n".join(f"  {f}" for f in findings[:50])
        more = f"\n  … and {len(findings) - 50} more" if len(findings) > 50 else ""
        raise LeakFound(
            f"输出校验失败 / the built site is not clean: {len(findings)} finding(s)\n{shown}{more}\n"
            "Nothing was published. Fix the source records (declare persons, remove numbers) "
            "and build again."
        )
