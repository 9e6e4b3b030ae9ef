"""Inline SVG charts and Markdown escaping: pure functions, no resources."""

from __future__ import annotations

from govern.reports.charts import line_chart, lineage_svg, lineage_tree
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
