"""Crash, Ctrl-C and resume: every step that ran is counted, and resumes are checked."""

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

from training_helpers import BASE_RECIPE, merged

from govern.errors import IntegrityFailure, Refused
from govern.training import (
    RecordingHooks,
    TrainingHooks,
    read_run,
    resume,
    train,
)
from govern.training.accounting import epsilon_of_history

CHILD = Path(__file__).resolve().parent / "run_child.py"


def _child(
    raw: dict[str, Any], base_dir: Path, run_dir: Path, mode: str, step: int, world: Any
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    gate = [str(world.workspace.root), str(world.engineer.path), world.snapshot_id]
    return subprocess.Popen(
        [
            sys.executable,
            str(CHILD),
            json.dumps(raw),
            str(base_dir),
            str(run_dir),
            mode,
            str(step),
            *gate,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _journal_steps(run_dir: Path) -> list[int]:
    return [
        json.loads(line)["step"] for line in (run_dir / "charges.jsonl").read_text().splitlines()
    ]


def test_sigkill_mid_run_then_resume_finishes_and_counts_every_step_that_ran(
    tiny_model_dir: Path, tmp_path: Path, support_data: Any, gate_world: Any
) -> None:
    raw = merged(BASE_RECIPE, {"schedule": {"steps": 8}, "checkpoint_every": 2})
    run_dir = tmp_path / "run"
    child = _child(raw, tiny_model_dir.parent, run_dir, "block", 6, gate_world)
    marker = tmp_path / "blocked"
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert child.poll() is None, child.communicate()[1].decode()[-3000:]
        assert time.monotonic() < deadline, "child never reached step 6"
        time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL

    assert read_run(run_dir)["status"] == "running"  # it never got to say otherwise
    assert _journal_steps(run_dir) == [1, 2, 3, 4, 5, 6]  # step 6 was charged before it could run
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "step-0000002",
        "step-0000004",
    ]

    hooks = RecordingHooks()
    result = resume(run_dir, support_data, hooks=hooks)
    assert result["status"] == "completed" and result["steps"] == 8 and result["attempts"] == 2
    assert [step for step, _, _ in hooks.named("charged")] == [
        5,
        6,
        7,
        8,
    ]  # resumed from checkpoint 4
    assert result["charged_steps"] == 6 + 4
    expected = epsilon_of_history([(1.0, 0.1, 10)], result["delta"], "rdp")
    assert result["epsilon"] == pytest.approx(expected, rel=1e-12)
    assert result["epsilon"] > epsilon_of_history([(1.0, 0.1, 8)], result["delta"], "rdp")


def test_ctrl_c_stops_at_a_step_boundary_with_a_checkpoint(
    tiny_model_dir: Path, tmp_path: Path, support_data: Any, gate_world: Any
) -> None:
    raw = merged(BASE_RECIPE, {"schedule": {"steps": 6}, "checkpoint_every": 5})
    run_dir = tmp_path / "run"
    child = _child(raw, tiny_model_dir.parent, run_dir, "sigint", 3, gate_world)
    _, stderr = child.communicate(timeout=240)
    assert child.returncode == 130, stderr.decode()[-3000:]
    assert b"stopped at step 3 of 6" in stderr and b"--resume" in stderr
    info = read_run(run_dir)
    assert info["status"] == "interrupted"
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["step-0000003"]
    assert _journal_steps(run_dir) == [1, 2, 3]

    result = resume(run_dir, support_data)
    assert result["steps"] == 6 and result["charged_steps"] == 6


class _FailAt(TrainingHooks):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_charged(self, step: int, noise_multiplier: float, sample_rate: float) -> None:
        if step == self.step:
            raise RuntimeError("ledger unavailable")


@pytest.fixture
def failed_run(make_recipe: Any, tmp_path: Path, support_data: Any) -> Path:
    """A run that stopped at step 3 (its hook raised), with a checkpoint at step 2."""
    run_dir = tmp_path / "failed"
    with pytest.raises(RuntimeError, match="ledger unavailable"):
        train(make_recipe(), support_data, run_dir=run_dir, hooks=_FailAt(3))
    assert read_run(run_dir)["status"] == "failed"
    return run_dir


def test_resume_refuses_another_snapshot_set(failed_run: Path, gate_world: Any) -> None:
    from training_helpers import EXAMPLES

    other = gate_world.add_approved(
        "support-copy", EXAMPLES.read_text().splitlines(keepends=True)[:120]
    )
    with pytest.raises(Refused, match="snapshot set differs"):
        resume(failed_run, other)


def test_resume_refuses_another_sample_rate(failed_run: Path, support_data: Any) -> None:
    from govern.gate.handle import _ISSUED, GatedData

    # Built by hand with the gate's own token (test only): the same snapshot with 60 records erased.
    fewer = GatedData(
        support_data.workspace,
        support_data.snapshot_ids,
        support_data.manifests,
        {sid: set(range(60)) for sid in support_data.snapshot_ids},
        _ISSUED,
    )
    with pytest.raises(Refused, match="sample rate differs"):
        resume(failed_run, fewer)


def test_resume_refuses_another_noise_multiplier_or_clipping_norm(
    failed_run: Path, make_recipe: Any, support_data: Any
) -> None:
    with pytest.raises(Refused) as info:
        resume(
            failed_run,
            support_data,
            recipe=make_recipe(dp={"noise_multiplier": 2.0, "max_grad_norm": 0.5}),
        )
    assert "noise multiplier differs" in str(info.value) and "clipping norm" in str(info.value)


def test_resume_refuses_a_tampered_checkpoint(failed_run: Path, support_data: Any) -> None:
    adapter = failed_run / "checkpoints" / "step-0000002" / "adapter_model.safetensors"
    data = bytearray(adapter.read_bytes())
    data[-1] ^= 0xFF
    adapter.write_bytes(bytes(data))
    with pytest.raises(IntegrityFailure, match="does not match its recorded hash"):
        resume(failed_run, support_data)


def test_checkpoints_never_unpickle_arbitrary_objects(failed_run: Path, support_data: Any) -> None:
    import pickle

    import torch

    from govern.canonical import file_sha256

    folder = failed_run / "checkpoints" / "step-0000002"
    torch.save({"state": {}, "param_groups": [], "payload": _Payload()}, folder / "optimizer.pt")
    state = json.loads((folder / "state.json").read_text())
    state["files"]["optimizer.pt"] = file_sha256(
        folder / "optimizer.pt"
    )  # a forger would fix the hash too
    (folder / "state.json").write_text(json.dumps(state))
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        resume(failed_run, support_data)


class _Payload:
    def __reduce__(self) -> Any:
        return (os.system, ("echo pwned",))


def test_resume_after_a_failure_counts_the_charged_steps(
    failed_run: Path, support_data: Any
) -> None:
    result = resume(failed_run, support_data)
    # steps 1-3 charged in the first attempt (3 never ran), steps 3-4 again after the resume
    assert result["steps"] == 4 and result["charged_steps"] == 5
    assert result["accountant_history"] == [[1.0, 0.1, 5]]
    with pytest.raises(Refused, match="already completed"):
        resume(failed_run, support_data)
