"""Read a content directory into plain dicts (the only pipeline stage that touches disk).

``load_content`` never raises on a bad file: it collects a :class:`Problem` per file
so that one build reports every broken file at once.  Validation of the values is
``pipeline.validate``'s job.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import time
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import Problem

# Strict YAML (libyaml, duplicate keys refused, shape checks) lives in yaml_safe; MAX_DEPTH
# and load_yaml are re-exported for the callers that imported them from here.
from .yaml_safe import MAX_DEPTH, YAMLShapeError, load_yaml  # noqa: F401

LEDGER_NAME = "ledger.jsonl"
CASE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*(?:\n|\Z)(.*)\Z", re.S)


@dataclass
class RawFile:
    """One parsed source file: its data, optional Markdown body, and path."""

    source: str  # relative to the content dir, with forward slashes
    data: dict
    body: str = ""
    digest: bytes = b""  # sha256 of a case file's bytes (validation results are cached by it)

    @property
    def key(self) -> bytes:
        """What a case file's own checks depend on: its bytes (by hash) and its path."""
        return self.digest + self.source.encode("utf-8")


@dataclass
class RawContent:
    bureau: RawFile | None = None
    lists: dict[str, RawFile] = field(default_factory=dict)
    cases: list[RawFile] = field(default_factory=list)
    corrections: list[RawFile] = field(default_factory=list)
    calendar: list[RawFile] = field(default_factory=list)
    ledger_text: str = ""
    problems: list[Problem] = field(default_factory=list)


# Word's manual line break (vertical tab), form feeds and the Unicode line and paragraph
# separators arrive in copy-pasted text (issue 11).  In a Markdown body they are line
# breaks; in YAML, where a bare line break would end a value, they are spaces.  Other
# control characters are refused (libyaml, then validation).
_SEPARATORS = "\x0b\x0c\x85\u2028\u2029"
_LINE_BREAKS = str.maketrans(dict.fromkeys(_SEPARATORS, "\n"))
_SPACES = str.maketrans(dict.fromkeys(_SEPARATORS, " "))


def decode_text(raw: bytes, source: str) -> tuple[str | None, Problem | None]:
    """Decode a file's bytes: UTF-8 (a BOM is dropped), UTF-16 with its BOM (Excel's
    "Unicode text"), else GBK; CRLF and CR become LF.

    Case systems on Windows often export GBK; we accept it rather than fail,
    since the characters are unambiguous once decoded.  Bytes that are none of
    these (a binary file) give a Problem.
    """
    encodings = ("utf-8-sig", "gb18030")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # binary data, or text in another encoding
        return None, Problem(source, "", "file is neither UTF-8 nor GBK text", "save it as UTF-8")
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def parse_yaml(text: str, source: str) -> tuple[object, Problem | None]:
    """Parse YAML text strictly; return (data, None) or (None, Problem)."""
    if "\t" in "".join(
        line[: len(line) - len(line.lstrip())] for line in text.splitlines()
    ):
        return None, Problem(
            source, "", "a line is indented with a tab", "indent YAML with spaces only"
        )
    try:
        return load_yaml(text.translate(_SPACES)), None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text[: exc.position].count("\n") + 1
        return None, Problem(source, "", f"line {line} contains the invisible control character "
                             f"U+{exc.character:04X}" if isinstance(exc.character, int)
                             else f"line {line}: {exc.reason}",
                             "delete it (it often comes from copying out of another program)")
    except YAMLShapeError as exc:
        return None, Problem(source, "", f"the YAML is too complex: {exc}",
                             "write plain fields and lists, without anchors (&) and aliases (*)")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return None, Problem(
            source, "", f"YAML error{where}: {exc.problem or exc.context}",
            "check quoting and indentation near that line",
        )
    except (yaml.YAMLError, ValueError) as exc:
        # ValueError: e.g. 2026-02-30 is a date PyYAML cannot construct
        return None, Problem(
            source, "", f"invalid value: {exc}", "dates are YYYY-MM-DD and must exist"
        )


def _read_bytes(path: Path, root: Path, source: str) -> tuple[bytes | None, Problem | None]:
    """A content file's bytes, or a Problem: a link that leads out of the content dir
    (issue 11: a build reads only what the content dir holds), something that is not a
    regular file (a folder, a pipe), or a file that cannot be read."""
    try:
        if not path.resolve().is_relative_to(root):
            return None, Problem(source, "", "is a link to a file outside the content directory",
                                 "copy the file into the content directory instead of linking to it")
        if not path.is_file():
            return None, Problem(source, "", "is not a regular file", "replace it with a text file")
        return path.read_bytes(), None
    except OSError as exc:
        return None, Problem(source, "", f"cannot be read: {exc.strerror or exc}",
                             "check that the file exists and may be read")


def _read_yaml_file(path: Path, root: Path, source: str) -> tuple[dict | None, Problem | None]:
    blob, problem = _read_bytes(path, root, source)
    if problem:
        return None, problem
    text, problem = decode_text(blob, source)
    if problem:
        return None, problem
    if not text.strip():
        return None, Problem(source, "", "the file is empty", "fill it in or delete it")
    data, problem = parse_yaml(text, source)
    if problem:
        return None, problem
    if not isinstance(data, dict):
        return None, Problem(source, "", "expected a mapping of field: value", "see docs/content-format.md")
    return data, None


def split_front_matter(text: str, source: str) -> tuple[dict | None, str, Problem | None]:
    """Split a case file into (front matter dict, Markdown body, problem)."""
    match = FRONT_MATTER_RE.match(text)
    if not match and re.match(r"---[ \t]*\n", text):
        return None, "", Problem(
            source, "", "the front matter is not closed", "add a line '---' after the last field"
        )
    if not match:
        return None, "", Problem(
            source, "", "no YAML front matter", "start the file with a line '---', the fields, and '---'"
        )
    data, problem = parse_yaml(match.group(1), source)
    if problem:
        return None, "", problem
    if not isinstance(data, dict):
        return None, "", Problem(source, "", "front matter is not a mapping", "see docs/content-format.md")
    return data, match.group(2).translate(_LINE_BREAKS).strip("\n"), None


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def load_content(root: Path, parse_cache: dict | None = None,
                 validated: Container[bytes] | None = None,
                 stamps: dict[str, tuple] | None = None) -> RawContent:
    """Read every source file under ``root``.

    Returns a RawContent whose ``problems`` lists every unreadable file; the
    caller stops the build if it is not empty.  Files that are not ours (README,
    hidden files) are ignored; case files must sit in ``cases/<year>/``.
    ``parse_cache`` (optional, {sha256 of file bytes: (data, body)}) is consulted and
    filled for case files, so an unchanged file is never parsed twice; parsed data
    is treated as read-only.  A case file whose ``RawFile.key`` is in ``validated`` is not
    parsed at all (its data is left empty): validation takes it from the same mapping
    (``pipeline.validate.validate_content(..., known=validated)``).

    ``stamps`` (optional, {case file source: (stat stamp, sha256)}, see :func:`_stamp`): a
    case file whose stamp is the recorded one and whose RawFile.key is in ``validated``
    is not even read (issue 9: reading and hashing 100,000 files took ~2 s of every
    run).  The dict is then replaced by the stamps that may be trusted next time.
    """
    root = Path(root)
    raw = RawContent()
    if not root.is_dir():
        raw.problems.append(Problem(str(root), "", "content directory not found", "pass --content DIR"))
        return raw
    _load_bureau(raw, root)
    for path in sorted((root / "lists").glob("*.yaml")):
        item = _read_raw(raw, path, root)
        if item:
            raw.lists[path.stem] = item
    raw.corrections = _read_all(raw, root / "corrections", root)
    raw.calendar = _read_all(raw, root / "calendar", root)
    _load_cases(raw, root, parse_cache, validated, stamps)
    _load_ledger(raw, root)
    return raw


def _load_ledger(raw: RawContent, root: Path) -> None:
    ledger = root / LEDGER_NAME
    if not ledger.exists():
        return
    blob, problem = _read_bytes(ledger, root.resolve(), LEDGER_NAME)
    if not _keep(raw, problem):
        try:
            raw.ledger_text = blob.decode("utf-8")
        except UnicodeDecodeError:
            raw.problems.append(Problem(LEDGER_NAME, "", "the ledger is not UTF-8 text",
                                        "restore it from the last release or a backup"))


def _keep(raw: RawContent, problem: Problem | None) -> bool:
    """Record ``problem`` if any; True when the file must be skipped."""
    if problem:
        raw.problems.append(problem)
        return True
    return False


def _read_raw(raw: RawContent, path: Path, root: Path) -> RawFile | None:
    source = _rel(path, root)
    data, problem = _read_yaml_file(path, root.resolve(), source)
    return None if _keep(raw, problem) else RawFile(source, data)


def _read_all(raw: RawContent, folder: Path, root: Path) -> list[RawFile]:
    items = (_read_raw(raw, path, root) for path in sorted(folder.glob("*.yaml")))
    return [item for item in items if item]


def _load_bureau(raw: RawContent, root: Path) -> None:
    path = root / "bureau.yaml"
    if not path.exists():
        raw.problems.append(
            Problem("bureau.yaml", "", "missing", "create it: see docs/content-format.md")
        )
        return
    raw.bureau = _read_raw(raw, path, root)


def _case_paths(cases_dir: Path) -> list[tuple[str, ...]]:
    """The parts below ``cases_dir`` of every ``*.md`` entry, in the order
    ``sorted(cases_dir.rglob("*.md"))`` gives; folder links are not followed.

    os.walk on strings: pathlib's per-path objects took seconds at 100,000 files (issue 9).
    """
    found = []
    for folder, dirs, files in os.walk(cases_dir):
        rel = os.path.relpath(folder, cases_dir)
        prefix = () if rel == os.curdir else tuple(rel.split(os.sep))
        found += [(*prefix, name) for name in (*dirs, *files) if name.endswith(".md")]
    return sorted(found)


def _read_case_bytes(path: str, folder_inside: bool, real_root: Path,
                     source: str) -> tuple[bytes | None, Problem | None]:
    """:func:`_read_bytes` without resolving a plain file (not a link) in a folder already
    known to be inside the content dir: its real path is that folder's plus its name."""
    if folder_inside:
        try:
            if stat.S_ISREG(os.lstat(path).st_mode):
                with open(path, "rb") as f:
                    return f.read(), None
        except OSError:
            pass  # _read_bytes says what is wrong
    return _read_bytes(Path(path), real_root, source)


# A stamp recorded for a file changed this long before the run started is trusted: a later
# write gives the file another mtime or ctime (file times move in steps of a few ms).
STAMP_SETTLED_NS = 2_000_000_000


def _stamp(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """What tells a file's bytes changed without reading them, as git's index does: device,
    inode, size, modification and change times (a write moves the ctime, and no tool can
    set it back; a file replaced by another has another inode)."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _load_cases(raw: RawContent, root: Path, cache: dict | None,
                validated: Container[bytes] | None, stamps: dict[str, tuple] | None = None) -> None:
    cases_dir = root / "cases"
    if not cases_dir.is_dir():
        return
    real_root = root.resolve()
    _linked_folders(raw, cases_dir, root)
    inside: dict[str, bool] = {}  # year folder -> its real path is in the content dir
    recorded, settled = dict(stamps or {}), time.time_ns() - STAMP_SETTLED_NS
    if stamps is not None:
        stamps.clear()
    for parts in _case_paths(cases_dir):
        source = "/".join(("cases", *parts))
        if len(parts) != 2 or not re.fullmatch(r"\d{4}", parts[0]):
            raw.problems.append(Problem(source, "", "case file outside cases/<year>/", "move it to cases/<year>/<id>.md"))
            continue
        folder = os.path.join(cases_dir, parts[0])
        if parts[0] not in inside:
            inside[parts[0]] = Path(os.path.realpath(folder)).is_relative_to(real_root)
        path = os.path.join(folder, parts[1])
        st = _plain_file(path) if stamps is not None and inside[parts[0]] else None
        if st is not None and validated is not None and source in recorded:
            stamp, digest = recorded[source]
            unread = RawFile(source, {}, "", digest)
            if stamp == _stamp(st) and unread.key in validated:
                raw.cases.append(unread)  # validation has its Case
                stamps[source] = (stamp, digest)
                continue
        blob, problem = _read_case_bytes(path, inside[parts[0]], real_root, source)
        if not _keep(raw, problem):
            digest = _add_case(raw, source, blob, cache, validated)
            if st is not None and max(st.st_mtime_ns, st.st_ctime_ns) < settled:
                stamps[source] = (_stamp(st), digest)  # the stamp from before the read


def _plain_file(path: str) -> os.stat_result | None:
    """``os.lstat(path)`` if it is a regular file (not a link), else None."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def _add_case(raw: RawContent, source: str, blob: bytes, cache: dict | None,
              validated: Container[bytes] | None) -> bytes:
    """Parse one case file's bytes (or take them from ``cache``) into ``raw``; returns
    their sha256."""
    digest = hashlib.sha256(blob).digest()
    unparsed = RawFile(source, {}, "", digest)
    if validated is not None and unparsed.key in validated:
        raw.cases.append(unparsed)  # validation has its Case
        return digest
    if cache is not None and digest in cache:
        data, body = cache[digest]
        raw.cases.append(RawFile(source, data, body, digest))
        return digest
    text, problem = decode_text(blob, source)
    if _keep(raw, problem):
        return digest
    if not text.strip():
        raw.problems.append(Problem(source, "", "the file is empty", "fill it in or delete it"))
        return digest
    data, body, problem = split_front_matter(text, source)
    if not _keep(raw, problem):
        raw.cases.append(RawFile(source, data, body, digest))
        if cache is not None:
            cache[digest] = (data, body)
    return digest


def _linked_folders(raw: RawContent, cases_dir: Path, root: Path) -> None:
    """A linked year folder would be skipped without a word: report it instead."""
    for path in sorted(cases_dir.iterdir()):
        if path.is_symlink() and path.is_dir():
            raw.problems.append(Problem(
                _rel(path, root), "", "is a link to a folder; case folders are not followed",
                "move the case files into a real folder cases/<year>/"))
