"""The downstream check: a run trained with synthetic data beside one without, on held-out real data."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.evaluation.conftest import eval_tiny_model, make_world  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow  # two DP training runs on the tiny model, two evaluations


def test_the_run_report_shows_runs_with_and_without_synthetic_data_on_held_out_real_data(
    tmp_path: Path,
    eval_tiny_model: Path,  # noqa: F811
) -> None:
    from govern.cli import cli
    from govern.evaluation.heldout import evaluate_run
    from govern.pii.scans import scan_snapshot
    from govern.policy.approvals import approve
    from govern.reports import make_report
    from govern.synthetic.downstream import downstream_comparison
    from govern.synthetic.provenance import GeneratorSpec, register_synthetic
    from govern.training.run_status import get_run
    from govern.training.runs import start_run
    from tests.synthetic.conftest import spec

    world = make_world(tmp_path, eval_tiny_model)
    workspace, engineer, officer = world.workspace, world.engineer, world.officer
    lines = [
        json.loads(line) for line in (tmp_path / "support-train.jsonl").read_text().splitlines()
    ]
    generated = tmp_path / "generated.jsonl"
    generated.write_text(
        "".join(
            json.dumps({**r, "id": f"syn-{i}"}) + "\n"  # the plumbing is under test
            for i, r in enumerate(lines[:60])
        )
    )
    config = tmp_path / "gen.yaml"
    config.write_text("prompt: rephrase the customer\n")
    declared = dataclasses.replace(
        spec("support-synth"), subject_field="subject_id", text_fields=("prompt", "completion")
    )
    synthetic = register_synthetic(
        workspace,
        engineer,
        declared,
        GeneratorSpec("llama-synth@3.1", config, (world.train_snapshot.id,)),
        generated,
    ).snapshot
    scan_snapshot(workspace, engineer, synthetic.id, processes=1)
    approve(workspace, officer, synthetic.id)

    recipe = Path("train/dp.toml")
    with_run = start_run(workspace, engineer, recipe, [world.train_snapshot.id, synthetic.id])
    without_run = start_run(workspace, engineer, recipe, [world.train_snapshot.id])
    for result in (with_run, without_run):
        evaluate_run(workspace, engineer, result["run_id"], world.heldout_snapshot.id)

    with workspace.catalog.reading() as session:
        rows = downstream_comparison(session, get_run(session, without_run["run_id"]))
    assert len(rows) == 1
    row = rows[0]
    assert row["with_synthetic_run"] == with_run["run_id"]
    assert row["without_synthetic_run"] == without_run["run_id"]
    assert row["heldout_snapshot"] == world.heldout_snapshot.id
    assert row["loss_change"] == pytest.approx(
        row["with_synthetic"]["adapter_loss"] - row["without_synthetic"]["adapter_loss"], abs=1e-6
    )

    shown = CliRunner().invoke(
        cli, ["synth", "compare", with_run["run_id"], "--workspace", str(workspace.root), "--json"]
    )
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == rows
    report = make_report(workspace, world.auditor, "run", with_run["run_id"], "md").path.read_text()
    assert "Trained with and without synthetic data" in report
    assert without_run["run_id"] in report
