"""Lineage says a decision's status in the words `policy check` and the datasheet use
(govern.policy.status), in text, Mermaid, DOT and JSON, before and after the approval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern.cli import cli
from govern.lineage import build_graph, render_dot, render_json, render_mermaid, render_text
from govern.reports import build_report

PENDING = "data rules passed · pending approval"
APPROVED = "data rules passed · approved"


@pytest.fixture
def checked_snapshot(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A governed workspace whose scanned snapshot was checked under the active pack, not yet approved."""
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl
    from tests.pipeline import EXAMPLES, governed_workspace

    model = build_tiny_model(tmp_path / "model", corpus_from_jsonl(EXAMPLES, ("text",)))
    workspace, engineer, officer, snapshot = governed_workspace(tmp_path, model)
    workspace.policy.check(engineer, snapshot.id, None)
    return workspace, engineer, officer, snapshot


def _policy_check_status(workspace, snapshot_id: str) -> str:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(
        cli,
        [
            "policy",
            "check",
            snapshot_id[:12],
            "--json",
            "--key",
            str(workspace.root / "erin.key"),
            "--workspace",
            str(workspace.root),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return str(json.loads(result.output)["status"])


def _lineage_statuses(workspace, snapshot_id: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    graph = build_graph(workspace, snapshot_id)
    in_force = [n for n in graph.of_kind("decision") if n.attrs["status_now"]]
    assert len(in_force) == 1, [n.label for n in graph.of_kind("decision")]
    rendered = {
        "text": render_text(graph),
        "mermaid": render_mermaid(graph),
        "dot": render_dot(graph),
        "json": render_json(graph),
    }
    for name, text in rendered.items():
        assert ": passed" not in text and ": failed" not in text, name
    node = json.loads(rendered["json"])["nodes"]
    decision = next(n for n in node if n["id"] == in_force[0].id)
    assert decision["label"].endswith(decision["attrs"]["status"])
    for name in ("text", "mermaid", "dot"):
        assert in_force[0].attrs["status"] in rendered[name], name
    return {"lineage": in_force[0].attrs["status"], "json": decision["attrs"]["status"]}


def test_datasheet_policy_check_and_lineage_agree_before_and_after_approval(
    checked_snapshot,
) -> None:  # type: ignore[no-untyped-def]
    from govern.policy.approvals import approve

    workspace, _engineer, officer, snapshot = checked_snapshot
    datasheet = build_report(workspace, "dataset", snapshot.id)["readiness"]["status"]
    assert datasheet == PENDING
    assert _policy_check_status(workspace, snapshot.id) == PENDING
    assert set(_lineage_statuses(workspace, snapshot.id).values()) == {PENDING}

    approve(workspace, officer, snapshot.id)
    assert build_report(workspace, "dataset", snapshot.id)["readiness"]["status"] == APPROVED
    assert _policy_check_status(workspace, snapshot.id) == APPROVED
    assert set(_lineage_statuses(workspace, snapshot.id).values()) == {APPROVED}
    decision = next(n for n in build_graph(workspace, snapshot.id).of_kind("decision"))
    sheet = build_report(workspace, "dataset", snapshot.id)["policy"]["decisions"]
    assert [d["status_when_checked"] for d in sheet] == [decision.attrs["status_when_checked"]]
    assert decision.attrs["status_when_checked"] == PENDING  # checked before the approval
