"""`govern train` under torchrun (issue 10.16): two gloo processes on a governed workspace.

Rank 0 admits and catalogues the run; rank 1 joins it with its own gate handle. Exactly one run
is catalogued, its ε is the single-process ε of the same plan, and a rank that dies leaves the
run recorded as failed (no longer reserving its unspent plan), not "running" forever.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opacus")
psutil = pytest.importorskip("psutil")

from sqlalchemy import text

CLI = "import sys; from govern.cli import main; main(sys.argv[1:])"


def _torchrun(
    workspace: Any, engineer: Any, snapshot: Any, recipe: str = "train/gate.toml"
) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "--no-python",
        sys.executable,
        "-c",
        CLI,
        "train",
        recipe,
        "--snapshot",
        snapshot.id,
        "--key",
        str(engineer.path),
        "--workspace",
        str(workspace.root),
        "--json",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        command,
        cwd=workspace.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _runs(workspace: Any) -> list[dict[str, Any]]:
    from govern.training.run_status import list_runs, run_status

    with workspace.catalog.reading() as session:
        return [run_status(session, run) for run in list_runs(session)]


def _charges(workspace: Any) -> int:
    with workspace.catalog.reading() as session:
        return int(session.execute(text("SELECT count(*) FROM privacy_charges")).scalar())


@pytest.fixture
def governed(tmp_path: Path, tiny_model_dir: Path) -> Any:
    from govern.policy.approvals import approve
    from tests.pipeline import governed_workspace

    workspace, engineer, officer, snapshot = governed_workspace(tmp_path, tiny_model_dir)
    approve(workspace, officer, snapshot.id)
    return workspace, engineer, snapshot


@pytest.mark.slow
def test_torchrun_govern_train_catalogues_one_run_with_the_single_process_epsilon(
    governed: Any,
) -> None:
    from govern.ledger.verify import verify_workspace
    from govern.training.runs import start_run

    workspace, engineer, snapshot = governed
    process = _torchrun(workspace, engineer, snapshot)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-4000:]
    result = json.loads(out)  # one answer: rank 0's (rank 1 prints nothing)
    (run,) = _runs(workspace)
    assert (
        run["id"] == result["run_id"] and run["status"] == "completed" and run["charged_steps"] == 3
    )
    info = json.loads((Path(run["output_dir"]) / "run.json").read_text())
    assert info["world_size"] == 2
    assert (
        len((Path(run["output_dir"]) / "charges.jsonl").read_text().splitlines()) == 3
    )  # charged by rank 0 only

    single = start_run(
        workspace, engineer, Path("train/gate.toml"), [snapshot.id]
    )  # the same plan, one process
    for key in (
        "epsilon",
        "delta",
        "noise_multiplier",
        "sample_rate",
        "steps",
        "charged_steps",
        "accountant_history",
    ):
        assert result[key] == single[key], key
    distributed_run = next(r for r in _runs(workspace) if r["id"] == result["run_id"])
    assert distributed_run["epsilon_spent"] == pytest.approx(single["epsilon"], rel=1e-12)
    assert verify_workspace(workspace).ok


def _rank_process(launcher: subprocess.Popen[str], rank: int) -> Any:
    for child in psutil.Process(launcher.pid).children(recursive=True):
        try:
            if child.environ().get("RANK") == str(rank):
                return child
        except psutil.Error:
            continue
    return None


@pytest.mark.slow
def test_a_rank_that_dies_leaves_the_run_recorded_as_failed(governed: Any) -> None:
    from govern.training.accounting import epsilon_of_history
    from govern.training.spending import spent_epsilon

    workspace, engineer, snapshot = governed
    recipe = workspace.root / "train" / "gate.toml"
    recipe.write_text(
        recipe.read_text()
        .replace("steps = 3", "steps = 60")
        .replace("checkpoint_every = 2", "checkpoint_every = 5")
    )
    process = _torchrun(workspace, engineer, snapshot)
    deadline = time.monotonic() + 420
    while _charges(workspace) < 3:
        assert process.poll() is None, process.communicate()[1][-4000:]
        assert time.monotonic() < deadline, "the run never got to step 3"
        time.sleep(0.2)
    rank1 = _rank_process(process, 1)
    assert rank1 is not None
    rank1.send_signal(signal.SIGKILL)
    process.communicate(timeout=300)
    assert process.returncode != 0

    (run,) = _runs(workspace)  # still exactly one run, and it says what happened
    assert run["status"] == "failed", run["events"]
    assert 3 <= run["charged_steps"] < 60
    with workspace.catalog.reading() as session:
        snapshot_ids = json.loads(
            session.execute(text("SELECT snapshot_ids FROM training_runs")).scalar()
        )
        reserved = spent_epsilon(session, snapshot_ids, run["delta"], run["accountant"])
    charged = epsilon_of_history(
        [(run["noise_multiplier"], run["sample_rate"], run["charged_steps"])],
        run["delta"],
        run["accountant"],
    )
    assert reserved == pytest.approx(
        charged, rel=1e-9
    )  # the steps that ran count; the rest of the plan is released
    assert json.loads((Path(run["output_dir"]) / "run.json").read_text())["status"] == "failed"
