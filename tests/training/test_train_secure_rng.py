"""Issue 10.14: noise and sampling from a CSPRNG by default, and no completed run keeps RNG state.

A checkpoint that kept the noise and sampler generators let anyone with the run folder replay a
finished run bit for bit. With dp.secure_rng (the default) there is no generator state at all;
with it off, the states live in checkpoints only until the run completes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from govern.training import TrainingHooks, resume, train
from govern.training.checkpoint import RNG_FILE, list_checkpoints, load_checkpoint


class StopAtStep(TrainingHooks):
    """Fails the run when step `step` is charged (after the checkpoint before it)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_charged(self, step: int, noise_multiplier: float, sample_rate: float) -> None:
        if step == self.step:
            raise RuntimeError("simulated crash")


def _adapter(run_dir: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(run_dir / "adapter" / "adapter_model.safetensors")


def _states(run_dir: Path) -> list[dict[str, Any]]:
    return [
        json.loads((c / "state.json").read_text())
        for c in list_checkpoints(run_dir / "checkpoints")
    ]


def test_secure_noise_is_hardened_gaussian_that_no_torch_seed_reproduces() -> None:
    from govern.training import secure_rng

    reference = [torch.zeros(200_000), torch.zeros(3, 7, dtype=torch.float64)]
    torch.manual_seed(0)
    first = secure_rng.gaussian_like(reference, 2.5)
    torch.manual_seed(0)
    second = secure_rng.gaussian_like(reference, 2.5)
    assert (
        first[0].dtype == torch.float32
        and first[1].dtype == torch.float64
        and first[1].shape == (3, 7)
    )
    assert not torch.equal(first[0], second[0])
    assert abs(first[0].std().item() - 2.5) < 0.02 and abs(first[0].mean().item()) < 0.02
    kurtosis = ((first[0] / first[0].std()) ** 4).mean().item()
    assert abs(kurtosis - 3.0) < 0.1  # Gaussian tails, not a sum of few uniforms


def test_secure_noise_is_the_sum_of_four_draws_halved(monkeypatch: pytest.MonkeyPatch) -> None:
    from govern.training import secure_rng

    asked: list[int] = []

    def fixed(count: int, device: Any = None) -> Any:
        asked.append(count)
        return torch.arange(count, dtype=torch.float64)

    monkeypatch.setattr(secure_rng, "standard_normal", fixed)
    (noise,) = secure_rng.gaussian_like([torch.zeros(3, dtype=torch.float64)], 1.0)
    assert asked == [12]
    assert noise.tolist() == [(0 + 3 + 6 + 9) / 2, (1 + 4 + 7 + 10) / 2, (2 + 5 + 8 + 11) / 2]


def test_secure_uniforms_are_the_top_52_bits_of_each_keystream_word_strictly_inside_0_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    from govern.training import secure_rng

    stream = np.random.default_rng(7).integers(0, 2**63, size=4096, dtype=np.uint64)
    stream[:3] = [0, 2**64 - 1, 2**63]  # the extremes and the sign bit of a signed word
    monkeypatch.setattr(secure_rng, "random_bytes", lambda count: stream[: count // 8].tobytes())
    expected = ((stream >> np.uint64(12)).astype(np.float64) + 0.5) * 2.0**-52
    got = secure_rng.uniform(len(stream))
    assert got.dtype == torch.float64 and np.array_equal(got.numpy(), expected)
    assert got.min().item() > 0.0 and got.max().item() < 1.0
    if torch.cuda.is_available():  # the GPU path computes the very same values
        assert np.array_equal(secure_rng.uniform(len(stream), "cuda").cpu().numpy(), expected)


def test_secure_poisson_sampling_includes_each_example_at_the_planned_rate() -> None:
    from govern.training.sampling import poisson_sampler

    sizes = [len(batch) for batch in poisson_sampler(160, 0.1, 2000, generator=None)]
    assert len(sizes) == 2000
    assert abs(sum(sizes) / len(sizes) - 16.0) < 0.6
    assert len(set(sizes)) > 10


def test_a_secure_run_keeps_no_rng_state_and_a_resume_draws_fresh_noise(
    make_recipe: Any, support_data: Any, tmp_path: Path
) -> None:
    recipe = make_recipe(schedule={"steps": 4}, checkpoint_every=2)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(recipe, support_data, run_dir=tmp_path / "a", hooks=StopAtStep(3))
    (state,) = _states(tmp_path / "a")
    assert state["rng"] == {"kind": "csprng", "saved": False} and RNG_FILE not in state["files"]
    assert not any(p.name == RNG_FILE for p in (tmp_path / "a").rglob("*"))
    assert load_checkpoint(list_checkpoints(tmp_path / "a" / "checkpoints")[0])["rng"] is None
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    first, second = resume(tmp_path / "a", support_data), resume(tmp_path / "b", support_data)
    assert first["privacy_rng"]["kind"] == second["privacy_rng"]["kind"] == "csprng"
    a, b = _adapter(tmp_path / "a"), _adapter(tmp_path / "b")
    assert any(not torch.equal(a[k], b[k]) for k in a), (
        "two resumes of one checkpoint replayed the same noise"
    )


def test_with_secure_rng_off_the_states_live_only_until_the_run_completes(
    make_recipe: Any, support_data: Any, tmp_path: Path
) -> None:
    import yaml

    recipe = make_recipe(schedule={"steps": 4}, checkpoint_every=2, dp={"secure_rng": False})
    run_dir = tmp_path / "run"
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(recipe, support_data, run_dir=run_dir, hooks=StopAtStep(3))
    (state,) = _states(run_dir)
    assert (
        state["rng"] == {"kind": "torch", "saved": True}
        and (list_checkpoints(run_dir / "checkpoints")[0] / RNG_FILE).is_file()
    )

    shutil.copytree(run_dir, tmp_path / "copy")
    result = resume(run_dir, support_data)  # resumed, then completed
    resume(tmp_path / "copy", support_data)
    replayed = _adapter(tmp_path / "copy")
    assert all(
        torch.equal(v, replayed[k]) for k, v in _adapter(run_dir).items()
    )  # what kept states allow
    assert result["privacy_rng"]["kind"] == "torch"
    assert json.loads((run_dir / "run.json").read_text())["privacy_rng"]["kind"] == "torch"
    front = yaml.safe_load((run_dir / "adapter" / "README.md").read_text().split("---")[1])
    assert front["govern"]["privacy_rng"] == "torch"
    states = _states(run_dir)
    assert [s["step"] for s in states] == [2, 4]
    assert all(
        s["rng"]["saved"] is False and s["rng"]["stripped"] == "the run completed" for s in states
    )
    assert not any(p.name == RNG_FILE for p in run_dir.rglob("*"))
    assert all(load_checkpoint(c)["rng"] is None for c in list_checkpoints(run_dir / "checkpoints"))

    straight = train(
        recipe, support_data, run_dir=tmp_path / "straight"
    )  # completed without a crash
    assert straight["status"] == "completed" and not any(
        p.name == RNG_FILE for p in (tmp_path / "straight").rglob("*")
    )
