"""What a run leaves: a loadable PEFT adapter, a model card stating the guarantee, metrics, events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from govern.training import RecordingHooks, TrainingHooks, train


@pytest.fixture
def finished_run(
    make_recipe: Any, tmp_path: Path, support_data: Any
) -> tuple[Path, dict[str, Any], RecordingHooks]:
    hooks = RecordingHooks()
    result = train(
        make_recipe(schedule={"steps": 3}), support_data, run_dir=tmp_path / "run", hooks=hooks
    )
    return tmp_path / "run", result, hooks


def test_the_adapter_loads_with_peft_on_the_base_model(
    finished_run: Any, tiny_model_dir: Path
) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    run_dir, result, _ = finished_run
    adapter = run_dir / "adapter"
    assert (adapter / "adapter_model.safetensors").is_file() and (
        adapter / "adapter_config.json"
    ).is_file()
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    ids = torch.tensor([[1, 40, 50, 60, 70]])
    with torch.no_grad():
        plain = base(input_ids=ids).logits
        tuned = PeftModel.from_pretrained(base, adapter)(input_ids=ids).logits
    assert not torch.allclose(plain, tuned), "the adapter changes nothing"
    from govern.canonical import file_sha256

    assert result["adapter_files"]["adapter_model.safetensors"] == file_sha256(
        adapter / "adapter_model.safetensors"
    )


def test_the_model_card_states_the_guarantee_and_the_snapshots(
    finished_run: Any, support_data: Any
) -> None:
    import yaml

    run_dir, result, _ = finished_run
    snapshot = support_data.snapshot_ids[0]
    text = (run_dir / "adapter" / "README.md").read_text()
    front = yaml.safe_load(text.split("---")[1])
    assert front["library_name"] == "peft" and "differential-privacy" in front["tags"]
    assert front["govern"]["epsilon"] == pytest.approx(result["epsilon"])
    assert front["govern"]["snapshot_ids"] == [snapshot]
    assert front["govern"]["delta"] == result["delta"]
    assert front["govern"]["privacy_rng"] == "csprng" and "OS CSPRNG" in text
    assert f"ε = {result['epsilon']:.4g}" in text and f"`{snapshot}`" in text


def test_metrics_hold_epsilon_at_checkpoints_and_the_end_only(finished_run: Any) -> None:
    run_dir, result, _ = finished_run
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert (
        rows[0]["epsilon"] is None and 0 < rows[1]["epsilon"] < rows[2]["epsilon"]
    )  # checkpoint every 2, and the end
    assert rows[-1]["epsilon"] == pytest.approx(result["epsilon"])


def test_no_noise_free_statistic_of_the_data_leaves_the_loss_file(
    finished_run: Any, support_data: Any
) -> None:
    """Issue 10.15: the un-noised loss and the exact Poisson batch sizes stay out of everything ε covers."""
    from govern.training.run_files import LOSS_FILE

    run_dir, result, hooks = finished_run
    assert "final_loss" not in result and "final_loss" not in hooks.named("complete")[0]
    assert "loss" not in json.dumps(result).lower()
    for name in ("metrics.jsonl", "result.json", "run.json", "adapter/README.md", "charges.jsonl"):
        text = (run_dir / name).read_text().lower()
        assert "loss" not in text and '"batch_size"' not in text, name
    for folder in (run_dir / "checkpoints").iterdir():
        assert "loss" not in (folder / "state.json").read_text().lower()
    assert "NOT-COVERED-BY-EPSILON" in LOSS_FILE
    lines = [json.loads(line) for line in (run_dir / LOSS_FILE).read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3] and all(
        isinstance(line["loss"], float) for line in lines
    )
    assert all(line["privacy"].startswith("NOT covered by ε") for line in lines)
    assert all(
        set(line) == {"step", "loss", "attempt", "privacy"} for line in lines
    )  # no batch size


def test_events_reach_the_hooks_in_order(finished_run: Any, support_data: Any) -> None:
    _, result, hooks = finished_run
    names = [name for name, _ in hooks.events]
    assert names == [
        "start",
        "charged",
        "charged",
        "checkpoint",
        "charged",
        "checkpoint",
        "complete",
    ]
    start = hooks.named("start")[0]
    assert (
        start["snapshot_ids"] == list(support_data.snapshot_ids)
        and len(start["base_model"]["hash"]) == 64
    )
    assert start["plan"]["noise_multiplier"] == 1.0 and start["clipping_mode"] == "hooks"
    assert hooks.named("checkpoint")[0]["accountant_history"] == [[1.0, 0.1, 2]]
    assert hooks.named("complete")[0] == result


def test_each_charge_is_recorded_before_its_step_runs(
    make_recipe: Any, tmp_path: Path, support_data: Any
) -> None:
    run_dir = tmp_path / "run"
    seen: list[tuple[int, int, int]] = []

    class Check(TrainingHooks):
        def on_step_charged(self, step: int, noise_multiplier: float, sample_rate: float) -> None:
            journal = (run_dir / "charges.jsonl").read_text().splitlines()
            metrics = (
                (run_dir / "metrics.jsonl").read_text().splitlines()
                if (run_dir / "metrics.jsonl").exists()
                else []
            )
            seen.append((step, len(journal), len(metrics)))

    train(make_recipe(schedule={"steps": 3}), support_data, run_dir=run_dir, hooks=Check())
    assert seen == [(1, 1, 0), (2, 2, 1), (3, 3, 2)]  # journaled and fsynced, the step not yet done


def test_a_non_private_run_is_recorded_as_such(
    make_recipe: Any, tmp_path: Path, support_data: Any
) -> None:
    hooks = RecordingHooks()
    result = train(
        make_recipe(dp={"enabled": False}, schedule={"steps": 2}),
        support_data,
        run_dir=tmp_path / "run",
        hooks=hooks,
    )
    assert result["private"] is False and result["epsilon"] is None
    assert hooks.named("charged") == [] and hooks.named("start")[0]["private"] is False
    card = (tmp_path / "run" / "adapter" / "README.md").read_text()
    assert "WITHOUT differential privacy" in card and "non-private" in card


def test_a_second_stage_starts_from_the_first_runs_adapter(
    make_recipe: Any, tmp_path: Path, support_data: Any
) -> None:
    from safetensors.torch import load_file

    first = train(make_recipe(schedule={"steps": 2}), support_data, run_dir=tmp_path / "a")
    second = train(
        make_recipe(schedule={"steps": 1, "learning_rate": 1e-12, "optimizer": "sgd"}),
        support_data,
        run_dir=tmp_path / "b",
        init_adapter=Path(first["adapter_dir"]),
    )
    a = load_file(Path(first["adapter_dir"]) / "adapter_model.safetensors")
    b = load_file(Path(second["adapter_dir"]) / "adapter_model.safetensors")
    for key in a:
        torch.testing.assert_close(b[key], a[key], rtol=0, atol=1e-6)
    info = json.loads((tmp_path / "b" / "run.json").read_text())
    assert info["init_adapter"]["path"] == first["adapter_dir"]


def test_a_run_folder_is_never_reused(
    finished_run: Any, make_recipe: Any, support_data: Any
) -> None:
    from govern.errors import BadInput

    run_dir, _, _ = finished_run
    with pytest.raises(BadInput, match="a run already lives here"):
        train(make_recipe(), support_data, run_dir=run_dir)
