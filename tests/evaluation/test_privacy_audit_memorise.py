"""A non-private run trained to memorise its canaries: a clearly positive ε lower bound and high exposure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govern.evaluation.privacy_audit.audit import audit_run
from govern.ledger.verify import verify_workspace


@pytest.mark.slow
def test_memorising_non_private_run_gives_a_positive_bound_and_high_exposure(
    tmp_path, eval_tiny_model
) -> None:  # type: ignore[no-untyped-def]
    from govern.training.runs import start_run
    from tests.evaluation.conftest import make_world

    world = make_world(tmp_path, eval_tiny_model)
    result = start_run(
        world.workspace, world.engineer, Path("train/memorise.toml"), [world.train_snapshot.id]
    )
    assert not result["private"] and result["canaries"]["count"] == 100
    row = audit_run(
        world.workspace, world.auditor, result["run_id"], confidence=0.95, references=1000
    )
    report = json.loads(row.result)
    print(
        f"\nmemorising run: ε lower bound {row.epsilon_lower_bound:.3f} ({report['bound']['correct']}/"
        f"{report['bound']['guesses']} right), AUC {row.auc:.3f}, exposure included mean {row.exposure_mean:.2f} "
        f"max {row.exposure_max:.2f} bits, excluded mean {report['exposure']['excluded_mean']:.2f}, "
        f"fitted included mean {report['exposure']['included_fitted_mean']:.1f} bits"
    )
    assert (
        row.epsilon_lower_bound > 1.0
    )  # the most 100 canaries can show at 95% (grid-corrected) is ≈ 3.0
    assert row.auc > 0.9
    assert row.exposure_mean > 6.0 and report["exposure"]["excluded_mean"] < 3.0
    assert report["exposure"]["included_fitted_mean"] > row.exposure_mean
    assert row.accountant_epsilon is None and row.consistent and "non-private" in report["note"]
    assert verify_workspace(world.workspace).ok
