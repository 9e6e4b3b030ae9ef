"""Training runs in the catalog survive a crash: SIGKILL mid-run, resume, and every step that ran
is charged to the privacy budget."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

pytest.importorskip("opacus", reason="run tests train: they need govern[train]")

from govern.ledger.verify import verify_workspace
from govern.policy.approvals import approve
from govern.training.run_status import get_run, run_status
from govern.training.runs import resume_run
from tests.test_gate import _pipeline, tiny_model  # noqa: F401


def _charges(workspace) -> int:  # type: ignore[no-untyped-def]
    with workspace.catalog.reading() as session:
        return int(session.execute(text("SELECT count(*) FROM privacy_charges")).scalar())


@pytest.mark.slow
def test_killed_run_resumes_and_counts_every_charged_step(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    recipe = workspace.root / "train" / "gate.toml"
    recipe.write_text(
        recipe.read_text()
        .replace("steps = 3", "steps = 40")
        .replace("checkpoint_every = 2", "checkpoint_every = 5")
    )
    approve(workspace, officer, snapshot.id)
    code = "import sys; from govern.cli import main; main(sys.argv[1:])"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "train",
            "train/gate.toml",
            "--snapshot",
            snapshot.id,
            "--key",
            str(engineer.path),
            "--workspace",
            str(workspace.root),
        ],
        cwd=workspace.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 240
    while _charges(workspace) < 8 and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert process.poll() is None, process.communicate()
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    charged_before = _charges(workspace)
    assert 8 <= charged_before < 40
    with workspace.catalog.reading() as session:
        run_id = session.execute(text("SELECT id FROM training_runs")).scalar()
        assert run_status(session, get_run(session, run_id))["status"] == "running"
    result = resume_run(workspace, engineer, run_id)
    assert result["steps"] == 40
    charged_after = _charges(workspace)
    # Steps after the last checkpoint ran twice (before the crash and again): both are charged.
    assert charged_after >= 40 + (charged_before % 5)
    assert result["charged_steps"] == charged_after
    with workspace.catalog.reading() as session:
        status = run_status(session, get_run(session, run_id))
    assert status["status"] == "completed"
    assert status["epsilon_spent"] == pytest.approx(result["epsilon"], rel=1e-6)
    events = [e["kind"] for e in status["events"]]
    assert "resumed" in events and events[-1] == "completed"
    assert verify_workspace(workspace).ok
