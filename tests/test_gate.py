"""The training gate over a real catalog: approved data trains, and every refusal is recorded.

Real parts throughout: a SQLite catalog, signed approvals, a tiny Llama built on the spot, real
Opacus DP-LoRA steps.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

pytest.importorskip("opacus", reason="gate tests train: they need govern[train]")

from govern import ledger
from govern.consent.registry import revoke
from govern.errors import IntegrityFailure, Refused
from govern.ledger.verify import verify_workspace
from govern.pii.scans import scan_snapshot
from govern.policy.approvals import approve
from govern.training.runs import start_run
from tests.conftest import _new_key
from tests.pipeline import EXAMPLES, governed_workspace


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl

    return build_tiny_model(
        tmp_path_factory.mktemp("tiny") / "model", corpus_from_jsonl(EXAMPLES, ("text",))
    )


def _pipeline(tmp_path: Path, tiny_model: Path, budget: float = 100.0):  # type: ignore[no-untyped-def]
    return governed_workspace(tmp_path, tiny_model, pack="gate", budget=budget)


def _events(workspace, name: str) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    with workspace.catalog.reading() as session:
        return [json.loads(e.payload) for e in ledger.iter_entries(session) if e.event == name]


def test_approved_snapshot_trains_and_the_run_is_recorded(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    result = start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id[:10]])
    assert result["private"] and result["steps"] == 3
    assert 0 < result["epsilon"] <= 3.0 + 1e-6
    from opacus.accountants import RDPAccountant

    independent = RDPAccountant()
    independent.history = [(result["noise_multiplier"], result["sample_rate"], 3)]
    assert independent.get_epsilon(delta=1e-5) == pytest.approx(result["epsilon"], rel=1e-6)
    started, completed = _events(workspace, "run.started"), _events(workspace, "run.completed")
    assert started[0]["row"]["snapshot_ids"] == json.dumps([snapshot.id])
    assert completed[0]["adapter_hash"] == result["adapter_hash"]
    with workspace.catalog.reading() as session:
        charges = session.execute(text("SELECT count(*) FROM privacy_charges")).scalar()
    assert charges == 3
    assert verify_workspace(workspace).ok


def _refused(workspace, engineer, snapshot, match: str) -> None:  # type: ignore[no-untyped-def]
    before = len(_events(workspace, "gate.refused"))
    with pytest.raises(Refused, match="the training gate refused") as caught:
        start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])
    assert match in str(caught.value)
    refusals = _events(workspace, "gate.refused")
    assert len(refusals) == before + 1 and any(
        match in reason for reason in refusals[-1]["reasons"]
    )
    with workspace.catalog.reading() as session:
        assert (
            session.execute(text("SELECT count(*) FROM training_runs")).scalar() == 0
            or match == "lifetime"
        )


def test_gate_refuses_an_unapproved_snapshot(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    workspace, engineer, _, snapshot = _pipeline(tmp_path, tiny_model)
    _refused(workspace, engineer, snapshot, "approvals.min_approvers")


def test_gate_refuses_tampered_bytes(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    path = workspace.objects_dir / "snapshots" / snapshot.id[:2] / snapshot.id / "records.jsonl"
    path.chmod(0o640)
    path.write_text(path.read_text().replace("password", "passw0rd", 1))
    _refused(workspace, engineer, snapshot, "does not match its hash")


def test_gate_refuses_after_consent_is_revoked(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    revoke(workspace, officer, "subj-0010")
    _refused(workspace, engineer, snapshot, "consent.coverage")


def test_gate_refuses_a_key_without_the_engineer_role(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    workspace, _, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    other_officer = _new_key(workspace, "officer", "oscar")
    _refused(workspace, other_officer, snapshot, "this needs the role engineer")


def test_gate_refuses_a_forged_approval_row(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    from govern.policy.decisions import check_snapshot

    decision, row = check_snapshot(workspace, officer, snapshot.id)
    with workspace.catalog.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO approvals (id, snapshot_id, decision_id, pack_hash, verdict, note, approver_key_id, signed_at, signature, ledger_seq) "
                "VALUES (:id, :s, :d, :p, 'approved', NULL, :k, '2030-01-01T00:00:00.000000Z', :sig, :seq)"
            ),
            {
                "id": "a" * 32,
                "s": snapshot.id,
                "d": decision.hash,
                "p": decision.pack_hash,
                "k": officer.key_id,
                "sig": "00" * 64,
                "seq": row.ledger_seq,
            },
        )
    _refused(workspace, engineer, snapshot, "signature does not verify")


def test_gate_refuses_when_the_lifetime_budget_is_spent(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model, budget=3.2)
    approve(workspace, officer, snapshot.id)
    start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])
    _refused(workspace, engineer, snapshot, "lifetime")


def test_runs_on_the_same_subjects_compose_their_epsilon_rather_than_add_it(
    tmp_path, tiny_model
) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.11): admission added ε values (3 + 3 > 4 refused a run the accountant allows)."""
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model, budget=4.0)
    approve(workspace, officer, snapshot.id)
    start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])
    start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])
    started = _events(workspace, "run.started")
    assert len(started) == 2 and started[1]["budget_pool_runs"] == [started[0]["row"]["id"]]


def test_bytes_changed_after_admission_stop_training_before_use(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    from govern.gate import Gate
    from govern.training.runs import load_workspace_recipe

    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    admission = Gate(workspace).admit(
        engineer, [snapshot.id], load_workspace_recipe(workspace, Path("train/gate.toml"))
    )
    path = workspace.objects_dir / "snapshots" / snapshot.id[:2] / snapshot.id / "records.jsonl"
    path.chmod(0o640)
    path.write_text(path.read_text().replace("refund", "r3fund", 1))
    with pytest.raises(IntegrityFailure, match="changed after the gate admitted it"):
        list(admission.data.read())


def test_a_snapshot_named_twice_or_two_sharing_records_are_refused(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    """Regression (review): repeating a snapshot multiplied every record and shrank the stated ε."""
    from govern.errors import BadInput
    from govern.ingest.datasets import add_version
    from tests.pipeline import EXAMPLES

    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    with pytest.raises(BadInput, match="named twice"):
        start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id, snapshot.id[:8]])
    lines = EXAMPLES.read_text().splitlines(keepends=True)
    later = tmp_path / "later.jsonl"
    later.write_text("".join(lines[:100]))
    second = add_version(workspace, engineer, "support", later).snapshot
    scan_snapshot(workspace, engineer, second.id, processes=1)
    approve(workspace, officer, second.id)
    with pytest.raises(Refused, match="hold the same records"):
        start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id, second.id])


def test_a_running_run_reserves_its_planned_budget(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    """Regression (review): two admissions side by side could overspend the lifetime budget."""
    from govern.gate import Gate
    from govern.training.runs import _create_run, load_workspace_recipe

    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model, budget=3.2)
    approve(workspace, officer, snapshot.id)
    recipe = load_workspace_recipe(workspace, Path("train/gate.toml"))
    admission = Gate(workspace).admit(engineer, [snapshot.id], recipe)
    _create_run(workspace, engineer, recipe, admission, workspace.root / "runs" / "run-first", None)
    with pytest.raises(Refused, match="lifetime"):
        Gate(workspace).admit(engineer, [snapshot.id], recipe)


def test_a_non_private_run_is_refused_where_the_pack_requires_dp(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    recipe = workspace.root / "train" / "gate.toml"
    text_ = recipe.read_text()
    dp_start = text_.index("[dp]")
    recipe.write_text(
        text_[:dp_start] + "[dp]\nenabled = false\n" + text_[text_.index("[schedule]") :]
    )
    _refused(workspace, engineer, snapshot, "dp.required")


def test_two_runs_admitted_side_by_side_cannot_both_reserve_the_budget(
    tmp_path, tiny_model
) -> None:  # type: ignore[no-untyped-def]
    """Both admissions pass the gate before either run exists; the second reservation is refused."""
    from govern.gate import Gate
    from govern.training.runs import _create_run, load_workspace_recipe

    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model, budget=3.2)
    approve(workspace, officer, snapshot.id)
    recipe = load_workspace_recipe(workspace, Path("train/gate.toml"))
    first, second = (Gate(workspace).admit(engineer, [snapshot.id], recipe) for _ in range(2))
    _create_run(workspace, engineer, recipe, first, workspace.root / "runs" / "run-first", None)
    with pytest.raises(Refused, match="lifetime budget"):
        _create_run(
            workspace, engineer, recipe, second, workspace.root / "runs" / "run-second", None
        )
    with workspace.catalog.reading() as session:
        assert session.execute(text("SELECT count(*) FROM training_runs")).scalar() == 1
