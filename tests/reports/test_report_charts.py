"""Inline SVG charts and Markdown escaping: pure functions, no resources."""

from __future__ import annotations

import re

import pytest

from govern.reports.charts import findings_chart, line_chart, lineage_svg, lineage_tree, nice_ticks
from govern.reports.render import _md


def test_a_line_chart_draws_every_point_and_skips_missing_ones() -> None:
    svg = str(line_chart([(1, 2.0), (2, None), (3, 1.5)], "loss <per step>", "loss"))
    assert svg.startswith("<svg") and svg.count("<circle") == 2 and "loss &lt;per step&gt;" in svg
    assert "http" not in svg and "href" not in svg


def test_a_chart_without_data_says_so() -> None:
    assert "no data recorded" in str(line_chart([], "ε", "ε"))
    assert str(line_chart([(1, 3.0)], "one point", "ε")).count("<circle") == 1


def test_lineage_is_drawn_left_to_right_and_listed_as_a_tree() -> None:
    graph = {
        "nodes": [
            {"id": "d", "kind": "dataset", "label": "support", "detail": ""},
            {"id": "s1", "kind": "snapshot", "label": "s1", "detail": ""},
            {"id": "s2", "kind": "snapshot", "label": "s2", "detail": ""},
            {"id": "r", "kind": "run", "label": "run-1", "detail": ""},
        ],
        "edges": [
            {"from": "d", "to": "s1", "label": "ingest"},
            {"from": "s1", "to": "s2", "label": "anonymize"},
            {"from": "s2", "to": "r", "label": "trained on"},
        ],
    }
    svg = str(lineage_svg(graph))
    assert svg.count("<rect") == 4 and svg.count("<polygon") == 3
    assert [(level, node["id"], label) for level, node, label in lineage_tree(graph)] == [
        (0, "d", ""),
        (1, "s1", "ingest"),
        (2, "s2", "anonymize"),
        (3, "r", "trained on"),
    ]


def test_markdown_cells_cannot_break_tables_or_inject_html() -> None:
    assert _md("a|b\nc <img src=x>") == "a\\|b c &lt;img src=x&gt;"
    assert _md(None) == ""


def _xticks(svg: str) -> list[str]:
    return re.findall(r'class="chart-tick chart-xtick"[^>]*>([^<]*)<', svg)


def _polyline_ys(svg: str) -> list[float]:
    points = re.search(r'class="chart-line" points="([^"]*)"', svg)
    assert points is not None
    return [float(p.split(",")[1]) for p in points.group(1).split()]


def test_step_axes_tick_at_whole_steps_only() -> None:
    three = str(line_chart([(1, 0.5), (2, 1.0), (3, 1.4)], "ε", "ε"))
    assert _xticks(three) == ["1", "2", "3"]
    many = str(line_chart([(s, s / 10) for s in range(0, 38)], "ε", "ε"))
    ticks = _xticks(many)
    assert len(ticks) >= 3 and all(t.isdigit() for t in ticks), ticks
    two = str(line_chart([(1, 0.5), (2, 1.0)], "ε", "ε"))  # no 1.25, 1.5, 1.75 steps
    assert _xticks(two) == ["1", "2"]
    assert nice_ticks(0, 3, 5, integer=True) == [0, 1, 2, 3]


def test_a_small_change_looks_small_on_a_zero_based_axis() -> None:
    """Loss going from 2.000 to 1.992 (0.4%) spans under 2% of the plot's height, not all of it."""
    points = [(s, 2.0 - 0.008 * s / 9) for s in range(10)]
    svg = str(line_chart(points, "held-out loss", "loss", height=220))
    ys = _polyline_ys(svg)
    plot_height = 220 - 28 - 40
    assert (max(ys) - min(ys)) / plot_height < 0.02
    assert ">0<" in svg  # the axis is labelled from 0
    assert "axis does not start at 0" not in svg


def test_a_zoomed_axis_says_it_is_zoomed() -> None:
    points = [(s, 2.0 - 0.008 * s / 9) for s in range(10)]
    svg = str(line_chart(points, "held-out loss", "loss", zero_based=False))
    assert "axis does not start at 0" in svg and 'class="chart-break"' in svg


def test_the_findings_chart_compares_types_before_and_after() -> None:
    rows = [
        {"entity_type": "EMAIL_ADDRESS", "field": "completion", "before": 10, "after": 0},
        {"entity_type": "PERSON", "field": "completion", "before": 7, "after": 1},
        {"entity_type": "PERSON", "field": "prompt", "before": 3, "after": 0},
    ]
    svg = str(findings_chart(rows))
    widths = {
        title: float(width)
        for width, title in re.findall(r'width="([\d.]+)" height="\d+"><title>([^<]+)</title>', svg)
    }
    assert widths["PERSON before: 10"] == widths["EMAIL_ADDRESS before: 10"] > 0
    assert widths["PERSON after: 1"] == pytest.approx(widths["PERSON before: 10"] / 10, rel=0.01)
    assert widths["EMAIL_ADDRESS after: 0"] == 0
    ticks = re.findall(r'text-anchor="middle">(\d+)</text>', svg)
    assert ticks[0] == "0" and all(t.isdigit() for t in ticks)
    assert "not scanned" in str(
        findings_chart([{"entity_type": "PERSON", "field": "f", "before": 4, "after": None}])
    )


def test_the_datasheet_draws_the_findings_chart(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    from govern.reports import build_report, render, shipped_templates

    p = trained_pipeline
    if not p.anonymized:
        pytest.skip(p.scan_skip_reason or "the scanner did not run")
    facts = build_report(p.workspace, "dataset", p.trained_snapshot)
    facts["report"] = {
        "id": "t",
        "format": "html",
        "rendered_by": "k",
        "rendered_at": "t",
        "marker": "m",
    }
    html = render(facts, "html", shipped_templates())
    chart = html[html.index('class="chart chart-findings"') :]
    chart = chart[: chart.index("</svg>")]
    assert "EMAIL_ADDRESS before: 10" in chart and "EMAIL_ADDRESS after: 0" in chart
