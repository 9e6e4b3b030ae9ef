"""YAML from user-edited files (packs, operators, recognizers, recipes, scanner settings, suites),
read with PyYAML's safe loader and two limits it lacks: a document nested too deeply to parse, and
one whose aliases expand past `MAX_VALUES` values (a "billion laughs"), are refused as BadInput
before anything walks them. `load`/`compose` leave syntax errors as `yaml.YAMLError`, for each
caller to word; `load_located` is the line-aware loader every configuration goes through
(govern/config_models.py): it keeps the line of each key and words syntax errors itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from govern.errors import BadInput

MAX_VALUES = 1_000_000  # values a document may expand to once every alias is followed


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document holds with every alias expanded (no recursion, no expansion)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if children_done or not children:
            sizes[id(node)] = min(
                1 + sum(sizes.get(id(child), 0) for child in children), MAX_VALUES + 1
            )
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def compose(text: str, source: object) -> yaml.Node | None:
    """The document's node graph; BadInput when it is too deep or expands too far."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise BadInput(f"{source}: nested too deeply to read") from None
    if node is not None and _expanded_size(node) > MAX_VALUES:
        raise BadInput(
            f"{source}: its aliases expand to more than {MAX_VALUES:,} values; write the values out"
        )
    return node


def construct(node: yaml.Node | None, source: object) -> Any:
    """The Python data of a composed document."""
    if node is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except RecursionError:
        raise BadInput(f"{source}: nested too deeply to read") from None
    finally:
        loader.dispose()


def load(text: str, source: object) -> Any:
    """`yaml.safe_load` with the limits above."""
    return construct(compose(text, source), source)


PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class LocatedYaml:
    """Parsed YAML data plus the 1-based line of every mapping key and sequence item."""

    source: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[PathKey, int]] = field(default_factory=list)

    def line_of(self, path: PathKey) -> int | None:
        """Line of `path`, or of its nearest ancestor that has one."""
        probe = tuple(_path_part(part) for part in path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), None)


def _path_part(part: Any) -> str | int:
    return part if isinstance(part, int) and not isinstance(part, bool) else str(part)


def _walk(node: yaml.Node, path: PathKey, out: LocatedYaml, seen: set[int]) -> None:
    if id(node) in seen:  # an alias to a node already walked
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys_here: set[str] = set()
        for key_node, value_node in node.value:
            key = (
                str(key_node.value)
                if isinstance(key_node, yaml.ScalarNode)
                else repr(key_node.value)
            )
            child = path + (key,)
            line = key_node.start_mark.line + 1
            if key in keys_here and key != "<<":
                out.duplicate_keys.append((child, line))
            keys_here.add(key)
            out.lines.setdefault(child, line)
            _walk(value_node, child, out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = path + (index,)
            out.lines.setdefault(child, item.start_mark.line + 1)
            _walk(item, child, out, seen)


def load_located(text: str, source: str | Path) -> LocatedYaml:
    """Parse one YAML document, keeping the line of each key; BadInput names the line on a syntax error."""
    try:
        node = compose(text, source)
        data = construct(node, source)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise BadInput(
            f"{source}{line}: not valid YAML: {error.problem or error.context}; fix the syntax there"
        ) from error
    except yaml.YAMLError as error:
        raise BadInput(f"{source}: not valid YAML: {error}") from error
    located = LocatedYaml(source=str(source), data=data)
    if node is not None:
        located.lines[()] = node.start_mark.line + 1
        _walk(node, (), located, set())
    return located


def plain(value: Any) -> Any:
    """YAML data as JSON data: dates and times become ISO 8601 strings (naive times read as UTC)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
