"""Erasure reaches the model: each run trained on an erased subject gets a remediation that blocks
release until an officer decides (retrain, withdraw, accept), each decision signed and ledgered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

pytest.importorskip("opacus", reason="remediation tests train runs: they need govern[train]")

from govern.cli import cli
from govern.consent.erasure import erase_subject
from govern.consent.remediation import (
    decide,
    list_remediations,
    remediation_states,
    run_lineage_successors,
)
from govern.errors import Refused
from govern.evaluation.release import release_run
from govern.ledger.verify import verify_workspace
from govern.policy.approvals import approve
from govern.training.runs import start_run
from tests.test_gate import _pipeline, tiny_model  # noqa: F401

ACCEPT = "subject-level DP at ε 1.8 per person, within the pack's limit of 3.0"


def _release_refusal(workspace: Any, officer: Any, run_id: str) -> str:
    with pytest.raises(Refused) as caught:
        release_run(workspace, officer, run_id)
    return str(caught.value)


@pytest.mark.slow
def test_an_erasure_blocks_release_until_each_affected_run_is_retrained_withdrawn_or_accepted(
    tmp_path: Path,
    tiny_model: Path,  # noqa: F811
) -> None:
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    first = start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])["run_id"]

    found = erase_subject(workspace, officer, "subj-0010")
    assert found.runs == [first] and len(found.remediations) == 1
    (opened,) = list_remediations(workspace, open_only=True)
    assert opened["run_id"] == first and opened["status"] == "open" and opened["age_days"] >= 0
    assert "subj-0010" not in json.dumps(opened)  # a keyed hash only
    assert "release.remediation" in _release_refusal(workspace, officer, first)

    from govern.reports.audit import build_audit_report

    listed = build_audit_report(workspace)["open_remediations"]
    assert [m["id"] for m in listed] == [opened["id"]]

    with pytest.raises(Refused, match="written reason"):
        decide(workspace, officer, opened["id"], "accept", "fine")
    with pytest.raises(Refused, match="needs the role officer"):
        decide(workspace, engineer, opened["id"], "accept", ACCEPT)
    with pytest.raises(Refused, match="started before the erasure"):
        decide(workspace, officer, opened["id"], "retrain", successor_run_id=first)

    approve(workspace, officer, snapshot.id)  # the blanked snapshot is a new decision to approve
    second = start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])["run_id"]
    closed = decide(workspace, officer, opened["id"], "retrain", successor_run_id=second)
    assert closed.successor_run_id == second and closed.signature
    from govern.lineage.graph import node_id, workspace_graph

    with workspace.catalog.reading() as session:
        assert run_lineage_successors(session, first) == [second]
        graph = workspace_graph(session)
    assert node_id("run", second) in graph.children(node_id("run", first))
    assert "retrained without an erased subject" in _release_refusal(workspace, officer, first)
    with pytest.raises(Refused, match="already decided"):
        decide(workspace, officer, opened["id"], "accept", ACCEPT)

    # a second erasure reaches both runs; the new one is withdrawn, the old one accepted
    again = erase_subject(workspace, officer, "subj-0040")
    assert sorted(again.runs) == sorted([first, second]) and len(again.remediations) == 2
    by_run = {m["run_id"]: m["id"] for m in list_remediations(workspace, open_only=True)}
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "remediate",
            "decide",
            by_run[second],
            "--decision",
            "withdraw",
            "--workspace",
            str(workspace.root),
            "--key",
            str(officer.path),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["decision"] == "withdraw"
    assert "withdrawn by remediation decision" in _release_refusal(workspace, officer, second)
    decide(workspace, officer, by_run[first], "accept", ACCEPT)
    listing = runner.invoke(
        cli, ["remediate", "list", "--all", "--json", "--workspace", str(workspace.root)]
    )
    statuses = sorted(m["status"] for m in json.loads(listing.output))
    assert statuses == ["accept", "retrain", "withdraw"]

    from govern.lineage.attest import build_statement
    from govern.reports.run import build_run_report
    from govern.training.run_status import get_run

    report = build_run_report(workspace, second)["release"]
    assert report["withdrawn"] is not None
    with workspace.catalog.reading() as session:
        statement = build_statement(session, get_run(session, second))
    assert '"withdrawn": true' in json.dumps(statement["predicate"])

    from govern.consent.receipt import issue_receipt, public_key_pem, verify_receipt

    receipt = issue_receipt(workspace, officer, "subj-0010", tmp_path / "receipt.json")
    runs = receipt.document["receipt"]["runs_affected"]
    assert [(r["run_id"], r["decision"], r["retrained_as"]) for r in runs] == [
        (first, "retrain", second)
    ]
    assert verify_receipt(receipt.path, public_key_pem(officer.public_key_hex)).ok
    assert verify_workspace(workspace).ok


@pytest.mark.slow
def test_a_decision_row_written_around_govern_closes_nothing(
    tmp_path: Path,
    tiny_model: Path,  # noqa: F811
) -> None:
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    run_id = start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])["run_id"]
    (remediation,) = erase_subject(workspace, officer, "subj-0010").remediations
    forged = {
        "id": "f" * 32,
        "remediation_id": remediation,
        "decision": "accept",
        "justification": ACCEPT,
        "successor_run_id": None,
        "decided_by": officer.key_id,
        "decided_at": "2026-12-03T00:00:00Z",
        "signature": "00" * 64,
        "ledger_seq": 1,
    }
    with workspace.catalog.engine.begin() as connection:
        connection.execute(
            text(
                f"INSERT INTO remediation_decisions ({', '.join(forged)}) "
                f"VALUES ({', '.join(':' + k for k in forged)})"
            ),
            forged,
        )
    with workspace.catalog.reading() as session:
        assert [s.open for s in remediation_states(session, run_id=run_id)] == [True]
    assert "release.remediation" in _release_refusal(workspace, officer, run_id)
    assert not verify_workspace(workspace).ok  # and verify names the row
