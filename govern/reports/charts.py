"""Inline SVG charts for reports: pure functions from numbers to markup, no external resources.

The SVG is styled by the report's own CSS classes (chart-*, node-*), so it prints in black and
white as well as it shows on screen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup, escape


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def nice_step(span: float, count: int = 5, integer: bool = False) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `count` intervals."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    step = float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))
    return max(1.0, float(round(step))) if integer else step


def nice_ticks(low: float, high: float, count: int = 5, integer: bool = False) -> list[float]:
    """Round ticks covering [low, high]: multiples of a 1/2/5 step, whole numbers when `integer`."""
    if high < low:
        low, high = high, low
    step = nice_step(high - low, count, integer)
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    intervals = max(1, round((last - first) / step))
    return [round(first + i * step, 10) for i in range(intervals + 1)]


def _x_ticks(xs: list[float], integer: bool) -> list[float]:
    distinct = sorted(set(xs))
    if len(distinct) <= 8 and (not integer or all(float(x).is_integer() for x in distinct)):
        return distinct
    return [t for t in nice_ticks(min(xs), max(xs), 5, integer) if min(xs) <= t <= max(xs)]


def line_chart(
    points: Sequence[tuple[float, float | None]],
    title: str,
    y_label: str,
    x_label: str = "step",
    width: int = 470,
    height: int = 220,
    x_format: Callable[[float], str] = _fmt,
    limit: tuple[float, str] | None = None,
    integer_x: bool | None = None,
    zero_based: bool = True,
) -> Markup:
    """A line chart of (x, y) points as inline SVG; points with y None are skipped.

    Honest axes: the y axis starts at 0 (`zero_based`), so a 0.4% change looks like one; with
    `zero_based=False` it is zoomed to the data and the chart says so ("axis does not start at
    0", with a break mark). Step axes (`integer_x`, the default when x_label is "step") tick at
    whole numbers only. `x_format` writes the x ticks (e.g. as dates); `limit` draws a labelled
    horizontal line (a budget)."""
    data = [(float(x), float(y)) for x, y in points if y is not None and math.isfinite(float(y))]
    integer_x = x_label == "step" if integer_x is None else integer_x
    left, right, top, bottom = 64, 16, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        (
            f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        ),
        f'<text class="chart-title" x="{left}" y="16">{escape(title)}</text>',
    ]
    if not data:
        parts.append(
            f'<text class="chart-empty" x="{left}" y="{top + plot_h / 2:.1f}">no data recorded</text></svg>'
        )
        return Markup("".join(parts))
    xs, ys = [p[0] for p in data], [p[1] for p in data]
    x_low, x_high = min(xs), max(xs)
    values = ys + ([limit[0]] if limit is not None else [])
    y_low, y_high = min(values), max(values)
    broken = False
    if zero_based:
        y_low, y_high = min(y_low, 0.0), max(y_high, 0.0)
    else:
        broken = y_low > 0 or y_high < 0
    if y_high == y_low:
        y_high = y_low + (abs(y_low) or 1.0)
    y_ticks = nice_ticks(y_low, y_high, 4)
    y_low, y_high = min(y_ticks[0], y_low), max(y_ticks[-1], y_high)

    def sx(x: float) -> float:
        return left + (plot_w / 2 if x_high == x_low else (x - x_low) / (x_high - x_low) * plot_w)

    def sy(y: float) -> float:
        return top + plot_h - (y - y_low) / (y_high - y_low) * plot_h

    for tick in y_ticks:
        y = sy(tick)
        parts.append(
            f'<line class="chart-grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="chart-tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>'
        )
    for tick in _x_ticks(xs, integer_x):
        x = sx(tick)
        label = str(int(tick)) if integer_x else x_format(tick)
        parts.append(
            f'<text class="chart-tick chart-xtick" x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{escape(label)}</text>'
        )
    if limit is not None:
        y = sy(limit[0])
        parts.append(
            f'<line class="chart-limit" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="chart-limit-label" x="{left + plot_w - 4}" y="{y - 5:.1f}" text-anchor="end">'
            f"{escape(limit[1])}</text>"
        )
    parts.append(
        f'<line class="chart-axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"/>'
    )
    parts.append(
        f'<line class="chart-axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"/>'
    )
    if broken:  # a zigzag across the y axis near its foot, and words for those who miss it
        base = top + plot_h - 8
        parts.append(
            f'<polyline class="chart-break" points="{left - 5},{base + 3} {left + 5},{base - 1} '
            f'{left - 5},{base - 5} {left + 5},{base - 9}"/>'
        )
        parts.append(
            f'<text class="chart-note" x="{left + plot_w}" y="16" text-anchor="end">'
            "axis does not start at 0</text>"
        )
    parts.append(
        f'<text class="chart-label" x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">{escape(x_label)}</text>'
    )
    parts.append(
        f'<text class="chart-label" x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in data)
    parts.append(f'<polyline class="chart-line" points="{path}"/>')
    for x, y in data:
        shown = str(int(x)) if integer_x else x_format(x)
        parts.append(
            f'<circle class="chart-point" cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3"><title>{escape(x_label)} '
            f"{escape(shown)}: {escape(y_label)} {_fmt(y)}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def findings_chart(
    comparison: Sequence[dict[str, Any]], title: str = "PII findings per type", width: int = 560
) -> Markup:
    """Grouped horizontal bars: findings per entity type before and after anonymization (the
    datasheet's comparison rows, summed over fields). The count axis starts at 0 and ticks at
    whole numbers."""
    totals: dict[str, dict[str, int | None]] = {}
    for row in comparison:
        item = totals.setdefault(str(row.get("entity_type")), {"before": None, "after": None})
        for phase in ("before", "after"):
            value = row.get(phase)
            if value is not None:
                item[phase] = int(item[phase] or 0) + int(value)
    left, right, top, bar, gap = 150, 40, 46, 12, 14
    rows = sorted(totals.items())
    height = top + max(1, len(rows)) * (2 * bar + gap) + 34
    plot_w = width - left - right
    parts = [
        (
            f'<svg class="chart chart-findings" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        ),
        f'<text class="chart-title" x="8" y="16">{escape(title)}</text>',
        f'<rect class="bar-before" x="{left}" y="24" width="10" height="10"/>'
        f'<text class="chart-tick" x="{left + 14}" y="33">before anonymization</text>',
        f'<rect class="bar-after" x="{left + 160}" y="24" width="10" height="10"/>'
        f'<text class="chart-tick" x="{left + 174}" y="33">after</text>',
    ]
    if not rows:
        parts.append(
            f'<text class="chart-empty" x="{left}" y="{top + 16}">no findings</text></svg>'
        )
        return Markup("".join(parts))
    highest = max(max(v or 0 for v in item.values()) for _, item in rows)
    ticks = nice_ticks(0, max(highest, 1), 4, integer=True)
    scale = plot_w / ticks[-1]
    axis_y = top + len(rows) * (2 * bar + gap)
    for tick in ticks:
        x = left + tick * scale
        parts.append(
            f'<line class="chart-grid" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{axis_y}"/>'
            f'<text class="chart-tick" x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle">{int(tick)}</text>'
        )
    for index, (entity, item) in enumerate(rows):
        y = top + index * (2 * bar + gap)
        parts.append(
            f'<text class="chart-label" x="{left - 8}" y="{y + bar + 4}" text-anchor="end">{escape(entity)}</text>'
        )
        for offset, phase in enumerate(("before", "after")):
            value = item[phase]
            by = y + offset * bar
            if value is None:
                parts.append(
                    f'<text class="chart-tick" x="{left + 4}" y="{by + bar - 2}">not scanned</text>'
                )
                continue
            parts.append(
                f'<rect class="bar-{phase}" x="{left}" y="{by}" width="{value * scale:.1f}" height="{bar - 1}">'
                f"<title>{escape(entity)} {phase}: {value}</title></rect>"
                f'<text class="chart-tick" x="{left + value * scale + 4:.1f}" y="{by + bar - 2}">{value}</text>'
            )
    parts.append(
        f'<line class="chart-axis" x1="{left}" y1="{top - 4}" x2="{left}" y2="{axis_y}"/>'
        f'<text class="chart-label" x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">findings</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def metric_chart(metrics: Sequence[dict[str, Any]], key: str, title: str, y_label: str) -> Markup:
    """A line chart of one metric (loss, epsilon) over steps, from a run's metrics rows."""
    return line_chart(
        [(row["step"], row.get(key)) for row in metrics if row.get("step") is not None],
        title,
        y_label,
    )


def lineage_svg(
    graph: dict[str, Any], box_w: int = 168, box_h: int = 46, gap_x: int = 44, gap_y: int = 16
) -> Markup:
    """A left-to-right layered drawing of a lineage graph (nodes placed by their longest path from a root)."""
    nodes = {n["id"]: n for n in graph.get("nodes", [])}
    edges = [e for e in graph.get("edges", []) if e["from"] in nodes and e["to"] in nodes]
    if not nodes:
        return Markup('<p class="muted">No lineage recorded.</p>')
    depth = {node_id: 0 for node_id in nodes}
    for _ in range(len(nodes)):
        changed = False
        for e in edges:
            if depth[e["to"]] < depth[e["from"]] + 1:
                depth[e["to"]] = depth[e["from"]] + 1
                changed = True
        if not changed:
            break
    columns: dict[int, list[str]] = {}
    for node_id in nodes:
        columns.setdefault(depth[node_id], []).append(node_id)
    rows = max(len(c) for c in columns.values())
    width = len(columns) * (box_w + gap_x) - gap_x + 8
    height = rows * (box_h + gap_y) - gap_y + 8
    where: dict[str, tuple[float, float]] = {}
    for col_index, ids in sorted(columns.items()):
        offset = (rows - len(ids)) * (box_h + gap_y) / 2
        for row_index, node_id in enumerate(ids):
            where[node_id] = (
                4 + col_index * (box_w + gap_x),
                4 + offset + row_index * (box_h + gap_y),
            )
    parts = [
        (
            f'<svg class="lineage" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="lineage graph"><title>lineage graph</title>'
        )
    ]
    for e in edges:
        (x1, y1), (x2, y2) = where[e["from"]], where[e["to"]]
        ax, ay, bx, by = x1 + box_w, y1 + box_h / 2, x2, y2 + box_h / 2
        parts.append(
            f'<line class="edge" x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx - 6:.1f}" y2="{by:.1f}"><title>{escape(e.get("label", ""))}</title></line>'
        )
        angle = math.atan2(by - ay, bx - ax)
        tip = (bx, by)
        wing1 = (bx - 8 * math.cos(angle - 0.4), by - 8 * math.sin(angle - 0.4))
        wing2 = (bx - 8 * math.cos(angle + 0.4), by - 8 * math.sin(angle + 0.4))
        parts.append(
            f'<polygon class="arrow" points="{tip[0]:.1f},{tip[1]:.1f} {wing1[0]:.1f},{wing1[1]:.1f} {wing2[0]:.1f},{wing2[1]:.1f}"/>'
        )
    for node_id, node in nodes.items():
        x, y = where[node_id]
        kind = escape(node.get("kind", ""))
        parts.append(
            f'<g class="node node-{kind}"><rect x="{x:.1f}" y="{y:.1f}" width="{box_w}" height="{box_h}" rx="6"/>'
            f'<text class="node-kind" x="{x + 8:.1f}" y="{y + 16:.1f}">{kind}</text>'
            f'<text class="node-label" x="{x + 8:.1f}" y="{y + 33:.1f}">{escape(str(node.get("label", ""))[:24])}</text>'
            f"<title>{escape(node_id)}: {escape(node.get('detail', ''))}</title></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def lineage_tree(graph: dict[str, Any]) -> list[tuple[int, dict[str, Any], str]]:
    """The graph as (indent, node, edge label) lines of a nested list, roots first (for Markdown)."""
    nodes = {n["id"]: n for n in graph.get("nodes", [])}
    children: dict[str, list[tuple[str, str]]] = {}
    has_parent = set()
    for e in graph.get("edges", []):
        if e["from"] in nodes and e["to"] in nodes:
            children.setdefault(e["from"], []).append((e["to"], e.get("label", "")))
            has_parent.add(e["to"])
    lines: list[tuple[int, dict[str, Any], str]] = []

    def walk(node_id: str, level: int, label: str, seen: frozenset[str]) -> None:
        lines.append((level, nodes[node_id], label))
        for child, edge_label in children.get(node_id, []):
            if child not in seen:
                walk(child, level + 1, edge_label, seen | {child})

    for root in [n for n in nodes if n not in has_parent]:
        walk(root, 0, "", frozenset({root}))
    return lines


# The scale each suite metric lives on, so a chart's axis is the metric's whole range, not the data's.
METRIC_RANGES = {"exact_match": 1.0, "rouge_l": 1.0, "accuracy": 1.0, "chrf": 100.0}


def interval_chart(name: str, estimates: dict[str, Any], width: int = 470) -> Markup:
    """Base and adapter as horizontal bars (the mean) with their confidence interval as whiskers.

    Honest axes: the axis starts at 0 and runs over the metric's whole range (0..1, chrF 0..100;
    loss from 0 to the highest interval end), so a small gain looks small."""
    rows = [(side, estimates.get(side)) for side in ("base", "adapter")]
    left, right, top, bar, gap = 80, 24, 30, 16, 12
    height = top + 2 * (bar + gap) + 34
    plot_w = width - left - right
    title = f"{name}: base vs adapter (mean, interval)"
    parts = [
        (
            f'<svg class="chart chart-interval" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        ),
        f'<text class="chart-title" x="8" y="16">{escape(title)}</text>',
    ]
    found = [e for _, e in rows if e]
    if not found:
        parts.append(f'<text class="chart-empty" x="{left}" y="{top + 16}">no data</text></svg>')
        return Markup("".join(parts))
    highest = METRIC_RANGES.get(name) or max(max(e["high"], e["mean"]) for e in found)
    ticks = nice_ticks(0.0, max(float(highest), 1e-9), 4)
    scale = plot_w / ticks[-1]
    axis_y = top + 2 * (bar + gap)
    for tick in ticks:
        x = left + tick * scale
        parts.append(
            f'<line class="chart-grid" x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{axis_y}"/>'
            f'<text class="chart-tick" x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle">{_fmt(tick)}</text>'
        )
    for index, (side, estimate) in enumerate(rows):
        y = top + index * (bar + gap)
        parts.append(
            f'<text class="chart-label" x="{left - 8}" y="{y + bar - 4}" text-anchor="end">{side}</text>'
        )
        if not estimate:
            continue
        mean, low, high = (max(0.0, float(estimate[k])) for k in ("mean", "low", "high"))
        parts.append(
            f'<rect class="bar-{"after" if side == "adapter" else "before"}" x="{left}" y="{y}" '
            f'width="{mean * scale:.1f}" height="{bar}"><title>{side} {name}: {_fmt(mean)} '
            f"(interval {_fmt(low)} to {_fmt(high)})</title></rect>"
            f'<line class="chart-axis chart-whisker" x1="{left + low * scale:.1f}" y1="{y + bar / 2}" '
            f'x2="{left + high * scale:.1f}" y2="{y + bar / 2}"/>'
            f'<line class="chart-axis" x1="{left + low * scale:.1f}" y1="{y + 3}" '
            f'x2="{left + low * scale:.1f}" y2="{y + bar - 3}"/>'
            f'<line class="chart-axis" x1="{left + high * scale:.1f}" y1="{y + 3}" '
            f'x2="{left + high * scale:.1f}" y2="{y + bar - 3}"/>'
        )
    parts.append(
        f'<line class="chart-axis" x1="{left}" y1="{top - 4}" x2="{left}" y2="{axis_y}"/>'
        f'<text class="chart-label" x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">'
        f"{escape(name)}</text></svg>"
    )
    return Markup("".join(parts))
