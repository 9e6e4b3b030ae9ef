"""The lineage graph over a real catalog: from the source file through derived snapshots, decisions
and approvals to runs, adapters and the runs that continued from them; rendered as text, JSON,
Mermaid and DOT, with no subject id or record text anywhere."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from govern.errors import BadInput, NotFound
from govern.lineage import (
    build_graph,
    render_dot,
    render_json,
    render_mermaid,
    render_text,
)
from tests.conftest import SAMPLE_RECORDS


def _ids(graph, kind: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {n.id.split(":", 1)[1] for n in graph.of_kind(kind)}


def _has_edge(graph, source: str, target: str, relation: str | None = None) -> bool:  # type: ignore[no-untyped-def]
    return any(
        e.source == source and e.target == target and (relation is None or e.relation == relation)
        for e in graph.edges
    )


@pytest.fixture
def derived_snapshot(fresh_workspace, engineer, registered_snapshot):  # type: ignore[no-untyped-def]
    """The sample snapshot without record r2 (cust-2's only record)."""
    from govern.ingest.derive import exclude_records

    return exclude_records(
        fresh_workspace, engineer, registered_snapshot.snapshot.id, ["r2"], "no consent"
    ).snapshot


def test_a_derived_snapshot_traces_back_to_its_source_file(
    fresh_workspace, registered_snapshot, derived_snapshot, sample_file
) -> None:  # type: ignore[no-untyped-def]
    from govern.canonical import file_sha256

    root = registered_snapshot.snapshot
    graph = build_graph(fresh_workspace, derived_snapshot.id[:10])
    source = f"source:{file_sha256(sample_file)}"
    assert graph.focus == [f"snapshot:{derived_snapshot.id}"]
    assert graph.nodes[source].attrs["name"] == "sample.jsonl"
    assert _has_edge(graph, source, f"snapshot:{root.id}", "ingested")
    assert _has_edge(graph, f"dataset:{root.dataset_id}", f"snapshot:{root.id}", "version")
    filtered = [e for e in graph.edges if e.target == f"snapshot:{derived_snapshot.id}"]
    assert [e.source for e in filtered] == [f"snapshot:{root.id}"]
    assert filtered[0].relation == f"filter {derived_snapshot.transform_hash[:12]}"
    assert graph.nodes[f"snapshot:{derived_snapshot.id}"].attrs["records"] == 2


def test_a_dataset_by_name_or_id_shows_every_snapshot_downstream(
    fresh_workspace, registered_snapshot, derived_snapshot
) -> None:  # type: ignore[no-untyped-def]
    by_name = build_graph(fresh_workspace, "support")
    by_id = build_graph(fresh_workspace, registered_snapshot.dataset.id)
    assert (
        _ids(by_name, "snapshot")
        == _ids(by_id, "snapshot")
        == {registered_snapshot.snapshot.id, derived_snapshot.id}
    )
    assert by_name.focus == [f"dataset:{registered_snapshot.dataset.id}"]


def test_unknown_short_and_ambiguous_refs_are_refused_with_a_hint(
    fresh_workspace, registered_snapshot
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound, match="govern runs list"):
        build_graph(fresh_workspace, "ffffffffffff")
    with pytest.raises(BadInput, match="at least 6"):
        build_graph(fresh_workspace, "ab")


def test_renderings_hold_no_subject_id_or_record_text(
    fresh_workspace, registered_snapshot, derived_snapshot
) -> None:  # type: ignore[no-untyped-def]
    graph = build_graph(fresh_workspace, "support")
    outputs = [render_text(graph), render_json(graph), render_mermaid(graph), render_dot(graph)]
    for record in SAMPLE_RECORDS:
        for output in outputs:
            assert record["subject"] not in output and record["text"] not in output


def test_the_graph_runs_from_source_to_the_continued_run(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    first, second = p.first["run_id"], p.second["run_id"]
    graph = build_graph(p.workspace, second)
    root, derived = f"snapshot:{p.root.id}", f"snapshot:{p.derived.id}"
    adapter_1, adapter_2 = (
        f"adapter:{p.first['adapter_hash']}",
        f"adapter:{p.second['adapter_hash']}",
    )
    assert any(e.target == root and e.relation == "ingested" for e in graph.edges)
    assert _has_edge(graph, root, derived)
    assert _has_edge(graph, derived, f"run:{first}", "trained on") and _has_edge(
        graph, derived, f"run:{second}", "trained on"
    )
    assert _has_edge(graph, f"run:{first}", adapter_1, "produced")
    assert _has_edge(graph, adapter_1, f"run:{second}", "continued by")
    assert _has_edge(graph, f"run:{second}", adapter_2, "produced")
    approvals = graph.of_kind("approval")
    assert approvals and all(
        _has_edge(graph, a.id, f"run:{second}", "authorised") for a in approvals
    )
    decisions = graph.of_kind("decision")
    assert decisions and all(d.attrs["snapshot_id"] == p.derived.id for d in decisions)
    if p.scanned:
        scans = graph.of_kind("scan")
        assert scans and _has_edge(graph, root, scans[0].id, "scanned")
    assert graph.nodes[adapter_2].attrs["files"] == p.second["adapter_files"]
    assert p.recovered["run_id"] not in _ids(
        graph, "run"
    )  # a sibling run is neither up- nor downstream


def test_a_run_shows_the_runs_that_continued_from_it(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    graph = build_graph(p.workspace, p.first["run_id"])
    assert p.second["run_id"] in _ids(graph, "run")
    assert p.second["adapter_hash"] in _ids(graph, "adapter")


def test_an_adapter_is_found_by_its_hash_prefix(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    graph = build_graph(p.workspace, p.first["adapter_hash"][:12])
    assert graph.focus == [f"adapter:{p.first['adapter_hash']}"]
    assert {p.first["run_id"], p.second["run_id"]} <= _ids(graph, "run")
    assert p.derived.id in _ids(graph, "snapshot")


def test_text_tree_starts_at_the_source_file_and_marks_the_focus(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    text = render_text(build_graph(p.workspace, p.second["run_id"]))
    lines = text.splitlines()
    assert lines[0].startswith("source support_records.jsonl")
    assert sum("◀ focus" in line for line in lines) == 1 and p.second["run_id"] in next(
        line for line in lines if "◀ focus" in line
    )
    assert "continued by → run " + p.second["run_id"] in text


def test_mermaid_declares_every_node_and_edge(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    graph = build_graph(p.workspace, "support")
    lines = render_mermaid(graph).splitlines()
    assert lines[0] == "flowchart LR"
    declared = [
        line for line in lines if line.strip().startswith("n") and '"' in line and "-->" not in line
    ]
    arrows = [line for line in lines if "-->" in line]
    assert len(declared) == len(graph.nodes) and len(arrows) == len(graph.edges)
    assert any("continued by" in line for line in arrows)


def test_dot_output_is_a_graph_graphviz_accepts(trained_pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    graph = build_graph(p.workspace, "support")
    dot = render_dot(graph)
    assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == len(graph.edges)
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed; the DOT text was checked, not rendered")
    svg = subprocess.run(
        ["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True
    ).stdout
    assert "<svg" in svg


def test_json_lists_nodes_and_edges(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    data = json.loads(render_json(build_graph(p.workspace, p.derived.id)))
    kinds = {n["kind"] for n in data["nodes"]}
    assert {"source", "dataset", "snapshot", "decision", "approval", "run", "adapter"} <= kinds
    ids = {n["id"] for n in data["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in data["edges"])
