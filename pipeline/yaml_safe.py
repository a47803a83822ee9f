"""Strict, bounded YAML parsing for content files (issue 11; split from pipeline.load).

Safe constructors only, duplicate keys refused, and documents that nest too deeply or
that aliases would blow up are refused before they reach code that recurses.
"""

from __future__ import annotations

import gc

import yaml

# libyaml's C parser when available (about 10× faster on 100,000 case files); the
# constructors stay PyYAML's safe ones, so the result is the same.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):
    """Safe loader that refuses duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:  # "? [a, b]" or "{[1]: 2}": a list or mapping as a key
            raise yaml.constructor.ConstructorError(
                None, None, "a field name must be a single word, not a list or mapping",
                key_node.start_mark,
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)

# Content files nest four levels at most.  Deeper documents are refused before they
# reach code that recurses (repr; libyaml's C composer crashes the process somewhere
# past 20,000 levels, so long texts are measured from parser events before composing),
# and aliases may not multiply a document (a "billion laughs" bomb of 100 nodes expands
# to 10^9 values): issue 11.
MAX_DEPTH = 32
_COMPOSE_SAFE_CHARS = 16_000  # a text this short cannot nest deep enough to crash
_ALIAS_ALLOWANCE = 10_000  # values that aliases may add beyond doubling the document


class YAMLShapeError(yaml.YAMLError):
    """A document nested too deeply, recursive, or expanded too far by its aliases."""


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _too_deep() -> YAMLShapeError:
    return YAMLShapeError(f"nested more than {MAX_DEPTH} levels deep")


def _check_depth_events(text: str) -> None:
    """Raise YAMLShapeError if ``text`` nests deeper than MAX_DEPTH (parser events only)."""
    depth = 0
    for event in yaml.parse(text, Loader=_SafeBase):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep()
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_depth(root: yaml.Node) -> None:
    """Raise YAMLShapeError if the tree ``root`` (no aliases) nests deeper than MAX_DEPTH."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        if not isinstance(node, yaml.ScalarNode):
            stack.extend((kid, depth + 1) for kid in _children(node))


def _check_aliases(root: yaml.Node) -> None:
    """Raise YAMLShapeError if ``root`` has a recursive alias, nests deeper than MAX_DEPTH,
    or its aliases more than double it (+10,000 values).  Iterative, each node once."""
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    opened: set[int] = set()
    stack = [root]
    while stack:
        node = stack[-1]
        if id(node) in size:
            stack.pop()
            continue
        kids = _children(node)
        if id(node) not in opened:  # first visit: children first
            opened.add(id(node))
            for kid in kids:
                if id(kid) in size:
                    continue
                if id(kid) in opened:  # open and not measured: an ancestor
                    raise YAMLShapeError("a recursive alias (*name inside &name)")
                stack.append(kid)
            continue
        stack.pop()  # second visit: every child is measured
        size[id(node)] = 1 + sum(size[id(k)] for k in kids)
        height[id(node)] = 1 + max((height[id(k)] for k in kids), default=0)
        if height[id(node)] > MAX_DEPTH:
            raise _too_deep()
    if size[id(root)] > 2 * len(size) + _ALIAS_ALLOWANCE:
        raise YAMLShapeError(
            f"its aliases (*name) expand it to {size[id(root)]:,} values (a YAML bomb?)")


def load_yaml(text: str) -> object:
    """Parse ``text`` with the strict loader after the shape checks; raises yaml.YAMLError
    (YAMLShapeError for a bomb or a too-deep document) or ValueError (e.g. 2026-02-30)."""
    try:
        return _load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        # libyaml 0.2.5+ (PyYAML 6.0.3+ wheels) stops at its own depth limit (1,000
        # levels) before ours can: the same refusal, said in our words.
        if "nesting depth" in str(exc.problem or ""):
            raise _too_deep() from exc
        raise


def _load_yaml(text: str) -> object:
    long_text = len(text) > _COMPOSE_SAFE_CHARS
    if long_text:
        _check_depth_events(text)
    loader = _StrictLoader(text)
    # Python's cycle collector rescans every object parsed so far on each pass, which made
    # a 20,000-row list take 7x as long as 4,000 rows (issue 11).  A parsed document holds
    # no reference cycle (recursive aliases are refused), so the collector waits.
    collecting = gc.isenabled()
    gc.disable()
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "&" in text:  # without an anchor there is no alias
            _check_aliases(node)
        elif not long_text:
            _check_depth(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
        if collecting:
            gc.enable()
