"""`govern eval` and `govern audit privacy` on a real catalog: a DP run with canaries, held-out data.

The module shares one finished DP run (fixture dp_world); the held-out snapshot starts unapproved.
"""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from govern.catalog.models import Evaluation, PrivacyAudit
from govern.errors import BadInput, IntegrityFailure, Refused
from govern.evaluation.heldout import evaluate_run
from govern.evaluation.privacy_audit.audit import audit_run
from govern.evaluation.privacy_audit.canaries import CANARY_FILE
from govern.ledger.verify import verify_workspace


def _db_bytes(world: Any) -> bytes:
    path = world.workspace.root / ".govern" / "catalog.db"
    if not path.exists():
        path = next(world.workspace.root.rglob("*.db"))
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT payload FROM ledger_entries").fetchall()
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        dump = "\n".join(
            str(row) for table in tables for row in connection.execute(f"SELECT * FROM {table}")
        )
    return (dump + "\n".join(r[0] for r in rows)).encode() + path.read_bytes()


def test_canary_secrets_stay_out_of_catalog_and_ledger_until_the_audit(dp_world) -> None:  # type: ignore[no-untyped-def]
    world, result = dp_world
    run_dir = Path(result["adapter_dir"]).parent
    secret_file = run_dir / CANARY_FILE
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert not (run_dir / "adapter" / CANARY_FILE).exists()
    secrets = json.loads(secret_file.read_text())["secrets"]
    started = world.events("run.started")[-1]
    from govern.canonical import file_sha256

    assert started["canaries"]["file_sha256"] == file_sha256(secret_file)
    assert started["canaries"]["count"] == 40 and "included" not in started["canaries"]
    before = _db_bytes(world)
    assert not any(secret.encode() in before for secret in secrets)
    for name in ("run.json", "result.json", "adapter/README.md"):
        assert not any(secret in (run_dir / name).read_text() for secret in secrets)


def test_eval_refuses_a_training_snapshot_as_held_out(dp_world) -> None:  # type: ignore[no-untyped-def]
    world, result = dp_world
    with pytest.raises(Refused, match="evaluation gate refused") as caught:
        evaluate_run(world.workspace, world.engineer, result["run_id"], world.train_snapshot.id)
    assert "used to train run" in str(caught.value)
    refusal = world.events("gate.refused")[-1]
    assert refusal["purpose"] == "evaluation" and any(
        "not held-out" in r for r in refusal["reasons"]
    )


def test_eval_refuses_an_unapproved_snapshot(dp_world) -> None:  # type: ignore[no-untyped-def]
    world, result = dp_world
    with pytest.raises(Refused, match="evaluation gate refused") as caught:
        evaluate_run(world.workspace, world.engineer, result["run_id"], world.heldout_snapshot.id)
    assert "approvals.min_approvers" in str(caught.value)


def test_eval_refuses_a_snapshot_sharing_records_with_the_training_data(dp_world) -> None:  # type: ignore[no-untyped-def]
    from govern.policy.approvals import approve
    from tests.evaluation.conftest import EXAMPLES

    world, result = dp_world
    lines = EXAMPLES.read_text().splitlines(keepends=True)
    mixed = world.add_dataset(
        "support-mixed", lines[118:125]
    )  # two training records, five held-out ones
    approve(world.workspace, world.officer, mixed.id)
    with pytest.raises(Refused, match="shares 2 record"):
        evaluate_run(world.workspace, world.engineer, result["run_id"], mixed.id)


def test_eval_refuses_keys_that_may_not_evaluate(dp_world) -> None:  # type: ignore[no-untyped-def]
    world, result = dp_world
    with pytest.raises(Refused, match="needs the role engineer or reviewer"):
        evaluate_run(world.workspace, world.auditor, result["run_id"], world.heldout_snapshot.id)


def test_eval_on_approved_held_out_data_stores_base_and_adapter_loss(dp_world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from govern.cli import cli
    from govern.policy.approvals import approve

    world, result = dp_world
    approve(world.workspace, world.officer, world.heldout_snapshot.id)
    row, detail = evaluate_run(
        world.workspace, world.engineer, result["run_id"], world.heldout_snapshot.id[:10]
    )
    assert row.examples == 40 and row.snapshot_id == world.heldout_snapshot.id
    assert 0 < row.base_loss < 20 and 0 < row.adapter_loss < 20
    assert row.base_perplexity == pytest.approx(pytest.importorskip("math").exp(row.base_loss))
    assert row.base_loss != row.adapter_loss  # the adapter changed the model
    assert detail["privacy_charge"].startswith("none")
    entry = world.events("run.evaluated")[-1]
    assert (
        entry["row"]["base_loss"] == row.base_loss
        and entry["row"]["adapter_loss"] == row.adapter_loss
    )
    with world.workspace.catalog.reading() as session:
        assert session.get(Evaluation, row.id) is not None
        charges = session.exec(
            __import__("sqlmodel").text("SELECT count(*) FROM privacy_charges")
        ).one()[0]
    assert charges == 4  # only the training steps; evaluation charged nothing

    monkeypatch.chdir(world.workspace.root)
    out = CliRunner().invoke(
        cli,
        [
            "eval",
            result["run_id"],
            "--snapshot",
            world.heldout_snapshot.id,
            "--key",
            str(world.workspace.root / "erin.key"),
            "--json",
        ],
        catch_exceptions=False,
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["run_id"] == result["run_id"] and data["adapter_loss"] == pytest.approx(
        row.adapter_loss, rel=1e-5
    )
    assert verify_workspace(world.workspace).ok


def test_dp_audit_bound_does_not_exceed_the_accountant_epsilon(dp_world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from govern.cli import cli

    world, result = dp_world
    run_dir = Path(result["adapter_dir"]).parent
    canaries = json.loads((run_dir / CANARY_FILE).read_text())
    row = audit_run(
        world.workspace, world.auditor, result["run_id"], confidence=0.95, references=200
    )
    assert row.canaries == 40 and row.included == sum(canaries["included"])
    assert row.accountant_epsilon == pytest.approx(result["epsilon"])
    assert 0.0 <= row.epsilon_lower_bound <= row.accountant_epsilon and row.consistent
    assert 0.0 <= row.auc <= 1.0 and row.exposure_max >= row.exposure_mean >= 0
    audited = world.events("run.privacy_audited")[-1]["row"]
    result_json = json.loads(audited["result"])
    assert (
        result_json["secrets"] == canaries["secrets"]
        and result_json["included"] == canaries["included"]
    )
    assert result_json["delta"] == 1e-5 and result_json["private"]
    with world.workspace.catalog.reading() as session:
        assert session.get(PrivacyAudit, row.id).consistent

    monkeypatch.chdir(world.workspace.root)
    out = CliRunner().invoke(
        cli,
        [
            "audit",
            "privacy",
            result["run_id"],
            "--references",
            "50",
            "--key",
            str(world.workspace.root / "aude.key"),
        ],
        catch_exceptions=False,
    )
    assert out.exit_code == 0, out.output
    assert "CONSISTENT" in out.output and "empirical ε lower bound" in out.output
    assert verify_workspace(world.workspace).ok


def test_audit_refuses_an_altered_canary_file_and_bad_options(dp_world) -> None:  # type: ignore[no-untyped-def]
    world, result = dp_world
    path = Path(result["adapter_dir"]).parent / CANARY_FILE
    original = path.read_bytes()
    with pytest.raises(BadInput, match="confidence"):
        audit_run(world.workspace, world.auditor, result["run_id"], confidence=1.5)
    data = json.loads(original)
    data["included"] = [not x for x in data["included"]]
    path.write_text(json.dumps(data))
    try:
        with pytest.raises(IntegrityFailure, match="committed when the run started"):
            audit_run(world.workspace, world.auditor, result["run_id"])
    finally:
        path.write_bytes(original)


def test_a_run_without_canaries_cannot_be_audited(tmp_path, eval_tiny_model) -> None:  # type: ignore[no-untyped-def]
    from govern.training.runs import start_run
    from tests.evaluation.conftest import make_world

    world = make_world(tmp_path, eval_tiny_model)
    recipe = world.workspace.root / "train" / "dp.toml"
    recipe.write_text(recipe.read_text().split("[audit]")[0].replace("steps = 4", "steps = 1"))
    result = start_run(
        world.workspace, world.engineer, Path("train/dp.toml"), [world.train_snapshot.id]
    )
    assert "canaries" not in world.events("run.started")[-1] and result["canaries"] is None
    with pytest.raises(BadInput, match="planted no canaries"):
        audit_run(world.workspace, world.auditor, result["run_id"])
