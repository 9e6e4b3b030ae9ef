"""Renderers for a lineage graph: an indented text tree, Mermaid and Graphviz DOT.

Each is a pure function of the graph; `RENDERERS` maps a `--format` name to one.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from govern.lineage.graph import LineageGraph, Node

_SHAPES_DOT = {
    "source": "note",
    "dataset": "folder",
    "snapshot": "cylinder",
    "scan": "box",
    "decision": "diamond",
    "approval": "hexagon",
    "run": "box3d",
    "adapter": "component",
}
_SHAPES_MERMAID = {  # (open, close) brackets of a Mermaid flowchart node
    "source": ("[/", "/]"),
    "dataset": ("[(", ")]"),
    "snapshot": ("[(", ")]"),
    "scan": ("[", "]"),
    "decision": ("{", "}"),
    "approval": ("{{", "}}"),
    "run": ("[[", "]]"),
    "adapter": ("([", "])"),
}


def _details(node: Node) -> str:
    a = node.attrs
    if node.kind == "source":
        return f"sha256 {a['sha256'][:16]}"
    if node.kind == "dataset":
        return f"license {a['license']}, legal basis {a['legal_basis']}"
    if node.kind == "snapshot":
        return f"{a['records']} records"
    if node.kind == "run":
        return f"{a['status']}, {'DP' if a['dp'] else 'not DP'}"
    if node.kind == "adapter":
        eps = a.get("epsilon")
        return f"{len(a['files'])} files" + (
            f", ε = {eps:.3f}" if isinstance(eps, (int, float)) else ""
        )
    return ""


_EVIDENCE = (
    "scanned",
    "evaluated",
    "approved",
    "rejected",
    "authorised",
)  # listed after the data's own path


def render_text(graph: LineageGraph) -> str:
    """An indented tree from the graph's roots (source files first); data flow is listed before
    evidence, and a node reached twice is shown once, then referred to."""
    shown: set[str] = set()
    lines: list[str] = []
    children: dict[str, list[tuple[str, str]]] = {}
    for edge in graph.edges:
        children.setdefault(edge.source, []).append((edge.relation, edge.target))
    for below in children.values():
        below.sort(key=lambda item: item[0] in _EVIDENCE)

    def line(node_id: str, prefix: str, relation: str | None, last: bool, depth: int) -> None:
        node = graph.nodes[node_id]
        branch = "" if depth == 0 else ("└─ " if last else "├─ ")
        via = f"{relation} → " if relation else ""
        marker = "  ◀ focus" if node_id in graph.focus else ""
        if node_id in shown:
            lines.append(f"{prefix}{branch}{via}{node.kind} {node.label} (see above)")
            return
        shown.add(node_id)
        details = _details(node)
        lines.append(
            f"{prefix}{branch}{via}{node.kind} {node.label}"
            + (f"  [{details}]" if details else "")
            + marker
        )
        below = children.get(node_id, [])
        inner = prefix if depth == 0 else prefix + ("   " if last else "│  ")
        for index, (rel, child) in enumerate(below):
            line(child, inner, rel, index == len(below) - 1, depth + 1)

    for root in sorted(graph.roots(), key=lambda n: graph.nodes[n].kind != "source"):
        line(root, "", None, True, 0)
    for node_id in graph.nodes:  # anything on a cycle (none expected) still appears
        if node_id not in shown:
            line(node_id, "", None, True, 0)
    return "\n".join(lines) if lines else "(empty lineage)"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def render_mermaid(graph: LineageGraph) -> str:
    """A Mermaid flowchart (left to right), one class per node kind and the focus highlighted."""
    ids = {node_id: f"n{index}" for index, node_id in enumerate(graph.nodes)}
    out = ["flowchart LR"]
    for node_id, node in graph.nodes.items():
        left, right = _SHAPES_MERMAID.get(node.kind, ("[", "]"))
        out.append(
            f'    {ids[node_id]}{left}"{_mermaid_text(node.kind + ": " + node.label)}"{right}'
        )
    for edge in graph.edges:
        out.append(
            f'    {ids[edge.source]} -->|"{_mermaid_text(edge.relation)}"| {ids[edge.target]}'
        )
    for kind in sorted({n.kind for n in graph.nodes.values()}):
        members = ",".join(ids[n] for n, node in graph.nodes.items() if node.kind == kind)
        out.append(f"    class {members} {kind}")
    if graph.focus:
        out.append("    classDef focus stroke-width:3px")
        out.append(f"    class {','.join(ids[f] for f in graph.focus if f in ids)} focus")
    return "\n".join(out)


def _dot_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a DOT quoted string escapes like JSON's


def render_dot(graph: LineageGraph) -> str:
    """A Graphviz digraph (left to right), shapes by node kind and the focus drawn bold."""
    out = ["digraph lineage {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for node_id, node in graph.nodes.items():
        style = ", penwidth=3" if node_id in graph.focus else ""
        out.append(
            f"  {_dot_text(node_id)} [label={_dot_text(node.kind + ': ' + node.label)}, "
            f"shape={_SHAPES_DOT.get(node.kind, 'box')}{style}];"
        )
    for edge in graph.edges:
        out.append(
            f"  {_dot_text(edge.source)} -> {_dot_text(edge.target)} [label={_dot_text(edge.relation)}];"
        )
    out.append("}")
    return "\n".join(out)


def render_json(graph: LineageGraph) -> str:
    """Nodes and edges as JSON."""
    return json.dumps(graph.to_dict(), indent=2, sort_keys=True, default=str)


RENDERERS: dict[str, Callable[[LineageGraph], str]] = {
    "text": render_text,
    "json": render_json,
    "mermaid": render_mermaid,
    "dot": render_dot,
}
