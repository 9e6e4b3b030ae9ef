"""YAML from user-edited files (packs, operators, recognizers, recipes, scanner settings), read
with PyYAML's safe loader and two limits it lacks: a document nested too deeply to parse, and one
whose aliases expand past `MAX_VALUES` values (a "billion laughs"), are refused as BadInput
before anything walks them. Syntax errors stay `yaml.YAMLError`, for each caller to word.
"""

from __future__ import annotations

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
