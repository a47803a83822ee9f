"""Write content files the way people write them by hand (pure: text in, text out).

Short rows become one-line flow mappings (``- {name: 赵立新, gender: 男}``), long
ones block mappings; multi-line text uses ``|`` blocks.  A list file that already
exists keeps its envelope byte for byte: only the ``rows:`` block, the
``updated_on:`` line and (when asked) a new ``history`` entry are replaced, and the
result is parsed back and compared; if that check fails the whole file is written
afresh from the parsed data, so the envelope's values are kept either way.
"""

from __future__ import annotations

import datetime as dt
import re

import yaml

from pipeline.catalogue import APPROVAL_FIELDS
from pipeline.load import parse_yaml

_FLOW_WIDTH = 100  # characters of a mapping or list still written on one line
CASE_KEY_ORDER = (
    "id", "type", "doc_no", "item", "agency", "decided_on", "published_on", "party", "persons",
    "category", "task", "facts", "basis", "method", "check_items", "outcome", "problems",
    "rectification", "follow_up", "conclusion", "result", "disclose", "disclose_reason",
    "status", "status_changed_on", "status_note", "replaced_by", "approval",
)
_NESTED_ORDER = {
    "party": ("kind", "name", "credit_code", "registration_no", "legal_rep", "operator"),
    "result": ("category", "fine", "confiscated", "refund", "summary"),
    "approval": APPROVAL_FIELDS,
}
LIST_KEY_ORDER = ("title", "updated_on", "intro", "history", "approval", "rules", "rows")


class Block(dict):
    """A mapping always written in block style (the root of a file)."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # Indent sequences under their key ("rows:\n  - …"), as the content files do.
        return super().increase_indent(flow, False)


def _scalar_length(value) -> int | None:
    """Printed length of a one-line scalar, or None if it is not one."""
    if isinstance(value, str):
        return None if "\n" in value else len(value) + 2
    if value is None or isinstance(value, (bool, int, float, dt.date)):
        return len(str(value)) + 2
    return None


def _flow(items) -> bool:
    lengths = [_scalar_length(v) for v in items]
    return bool(lengths) and None not in lengths and sum(lengths) <= _FLOW_WIDTH


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_dict(dumper: yaml.SafeDumper, value: dict):
    flow = _flow([*value.values(), *value.keys()])
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=flow)


def _represent_block(dumper: yaml.SafeDumper, value: Block):
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=False)


def _represent_list(dumper: yaml.SafeDumper, value: list):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=_flow(value))


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(Block, _represent_block)
_Dumper.add_representer(list, _represent_list)


def dump(data: dict) -> str:
    """YAML text of ``data`` as a block mapping; deterministic for equal input."""
    return yaml.dump(Block(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=10**6, default_flow_style=False)


def _ordered(data: dict, order) -> dict:
    keys = [k for k in order if k in data] + [k for k in data if k not in order]
    return {k: data[k] for k in keys}


def render_case(data: dict, body: str) -> str:
    """A case file: front matter in the documented key order, then the full text."""
    front = _ordered(data, CASE_KEY_ORDER)
    for key, order in _NESTED_ORDER.items():
        if isinstance(front.get(key), dict):
            front[key] = _ordered(front[key], order)
    text = "---\n" + dump(front) + "---\n"
    return text + (f"\n{body}\n" if body else "")


def render_list(old_text: str | None, envelope: dict, rows: list[dict],
                history_entry: dict | None = None) -> str:
    """A list file with ``rows`` and the envelope of ``old_text`` (or ``envelope`` if new).

    ``envelope`` holds the values to set (title for a new file, updated_on); a
    ``history_entry`` is added first in ``history``.  Returns the new file text.
    """
    old_data = _parse(old_text) if old_text else None
    expected = dict(old_data) if isinstance(old_data, dict) else {}
    for key, value in envelope.items():
        if key not in expected or key == "updated_on":
            expected[key] = value
    if history_entry:
        old_history = expected.get("history")
        expected["history"] = [history_entry, *(old_history if isinstance(old_history, list) else [])]
    expected["rows"] = rows
    if old_text:
        text = _splice(old_text, expected.get("updated_on"), rows, history_entry)
        if text is not None and _parse(text) == expected:
            return text
    return dump(_ordered(expected, LIST_KEY_ORDER))


def _parse(text: str):
    data, problem = parse_yaml(text, "")
    return None if problem else data


_TOP_KEY_RE = re.compile(r"^[^\s#-]", re.M)


def _block_span(text: str, key: str) -> tuple[int, int] | None:
    """Start and end offsets of a top-level ``key:`` whose value is an indented block."""
    match = re.search(rf"^{key}:[ \t]*(#[^\n]*)?\n", text, re.M)
    if not match:
        return None
    following = _TOP_KEY_RE.search(text, match.end())
    return match.start(), following.start() if following else len(text)


def _splice(text: str, updated_on, rows: list[dict], history_entry: dict | None) -> str | None:
    span = _block_span(text, "rows")
    if span is None:
        return None
    text = text[:span[0]] + dump({"rows": rows}) + text[span[1]:]
    if updated_on is not None:
        line = f"updated_on: {updated_on.isoformat() if isinstance(updated_on, dt.date) else updated_on}"
        text, count = re.subn(r"^updated_on:[^\n]*$", line, text, count=1, flags=re.M)
        if not count:
            return None
    if history_entry:
        entry = dump({"history": [history_entry]})
        span = _block_span(text, "history")
        if span is not None:
            body = text[span[0]:span[1]].split("\n", 1)[1]
            if not body.lstrip().startswith("-"):
                return None
            text = text[:span[0]] + entry + body + text[span[1]:]
        else:
            rows_at = _block_span(text, "rows")[0]
            text = text[:rows_at] + entry + text[rows_at:]
    return text
