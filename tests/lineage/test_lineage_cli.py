"""`govern lineage show|subject|export` and `govern attest`: thin commands over the library."""

from __future__ import annotations

import json

from click.testing import CliRunner

from govern.cli import cli
from tests.lineage.conftest import KEPT_SUBJECT


def _run(workspace, *args: str, **env: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, [*args, "--workspace", str(workspace.root)], env=env or None)


def test_show_prints_a_tree_json_mermaid_or_dot(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    text = _run(p.workspace, "lineage", "show", p.second["run_id"])
    assert text.exit_code == 0 and text.output.startswith("source support_records.jsonl")
    data = json.loads(_run(p.workspace, "lineage", "show", "support", "--json").output)
    assert {"nodes", "edges", "focus"} <= set(data)
    assert _run(p.workspace, "lineage", "show", "support", "--format", "mermaid").output.startswith(
        "flowchart LR"
    )
    assert _run(p.workspace, "lineage", "show", "support", "--format", "dot").output.startswith(
        "digraph lineage {"
    )


def test_show_of_an_unknown_id_exits_2_with_a_hint(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    result = _run(trained_pipeline.workspace, "lineage", "show", "run-nothere000")
    assert result.exit_code == 2 and "govern runs list" in result.output


def test_subject_lists_snapshots_runs_and_adapters_without_the_id(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    text = _run(p.workspace, "lineage", "subject", KEPT_SUBJECT)
    assert (
        text.exit_code == 0 and p.first["run_id"] in text.output and KEPT_SUBJECT not in text.output
    )
    data = json.loads(_run(p.workspace, "lineage", "subject", KEPT_SUBJECT, "--json").output)
    assert p.second["adapter_hash"] in {a["hash"] for a in data["adapters"]}
    unknown = _run(p.workspace, "lineage", "subject", "nobody")
    assert unknown.exit_code == 0 and "No snapshot holds this subject" in unknown.output


def test_export_writes_openlineage_events(trained_pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    out = tmp_path / "ol.jsonl"
    result = _run(
        p.workspace,
        "lineage",
        "export",
        p.first["run_id"],
        "--format",
        "openlineage",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(e["job"]["name"].split(".")[0], e["eventType"]) for e in events] == [
        ("ingest", "START"),
        ("ingest", "COMPLETE"),
        ("filter", "START"),
        ("filter", "COMPLETE"),
        ("train", "START"),
        ("train", "COMPLETE"),
    ]


def test_attest_shortcut_signs_and_verify_accepts(trained_pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    out = tmp_path / "a.intoto.json"
    made = _run(
        p.workspace,
        "attest",
        p.first["run_id"],
        "--out",
        str(out),
        "--json",
        GOVERN_KEY=str(p.engineer.path),
    )
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["run_id"] == p.first["run_id"]
    checked = _run(p.workspace, "attest", "verify", str(out), "--json")
    assert checked.exit_code == 0 and json.loads(checked.output)["ok"] is True


def test_attesting_an_unfinished_run_is_refused(trained_pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _run(
        trained_pipeline.workspace,
        "attest",
        "create",
        "run-nothere000",
        "--out",
        str(tmp_path / "x.json"),
        GOVERN_KEY=str(trained_pipeline.engineer.path),
    )
    assert result.exit_code == 2 and "no training run" in result.output
