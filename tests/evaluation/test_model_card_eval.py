"""`govern runs card RUN`: after `govern eval --suite`, the card is rendered again with the
model-index of the ledgered suite results (huggingface_hub reads them back), the licence of the
training data, and a ledger entry; the adapter's own README.md, which is attested, is untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern.cli import cli

SUITE = """\
name: card-answers
snapshot: {snapshot}
prompt_field: prompt
reference_field: completion
metrics: [exact_match, loss]
limit: 6
generation:
  max_new_tokens: 4
  batch_size: 6
bootstrap:
  resamples: 100
  confidence: 0.9
"""


@pytest.mark.slow
def test_the_card_is_rendered_again_with_the_suite_results(dp_world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from huggingface_hub import ModelCard

    from govern.canonical import file_sha256, sha256_hex
    from govern.evaluation.suite_run import evaluate_suite
    from govern.ledger.verify import verify_workspace
    from govern.policy.approvals import approve

    world, result = dp_world
    readme = file_sha256(Path(result["adapter_dir"]) / "README.md")
    first = ModelCard.load(f"{result['adapter_dir']}/README.md")
    assert first.data.license == "cc-by-4.0"  # the training data's CC-BY-4.0
    assert first.data.datasets == [world.train_snapshot.id] and first.data.eval_results is None

    approve(world.workspace, world.officer, world.heldout_snapshot.id)
    (world.workspace.root / "evals" / "card-answers.yaml").write_text(
        SUITE.format(snapshot=world.heldout_snapshot.id)
    )
    evaluated = evaluate_suite(world.workspace, world.engineer, result["run_id"], "card-answers")
    out = tmp_path / "card" / "README.md"
    out.parent.mkdir()
    shown = CliRunner().invoke(
        cli,
        [
            "runs",
            "card",
            result["run_id"],
            "--out",
            str(out),
            "--json",
            "--key",
            str(world.workspace.root / "erin.key"),
            "--workspace",
            str(world.workspace.root),
        ],
        catch_exceptions=False,
    )
    assert shown.exit_code == 0, shown.output
    done = json.loads(shown.output)
    assert done["evaluations"] == [evaluated["ledger_seq"]]
    assert done["card_sha256"] == sha256_hex(out.read_bytes())
    card = ModelCard.load(out)
    results = {r.metric_type: r for r in card.data.eval_results}
    assert set(results) == {"exact_match", "loss"}
    loss = evaluated["metrics"]["loss"]["adapter"]["mean"]
    assert results["loss"].metric_value == pytest.approx(loss, abs=1e-6)
    assert results["loss"].dataset_revision == world.heldout_snapshot.id
    assert card.data.license == "cc-by-4.0" and card.data.base_model == first.data.base_model
    # The attested README.md is what the run wrote; the ledger records the new card and verifies.
    assert file_sha256(Path(result["adapter_dir"]) / "README.md") == readme
    assert result["adapter_files"]["README.md"] == readme
    [entry] = world.events("run.card_rendered")
    assert entry["card_sha256"] == done["card_sha256"] and entry["run_id"] == result["run_id"]
    assert verify_workspace(world.workspace).ok
    refused = CliRunner().invoke(
        cli,
        [
            "runs",
            "card",
            result["run_id"],
            "--key",
            str(world.workspace.root / "aude.key"),
            "--workspace",
            str(world.workspace.root),
        ],
    )
    assert refused.exit_code == 1, refused.output  # an auditor makes no claims about the run
