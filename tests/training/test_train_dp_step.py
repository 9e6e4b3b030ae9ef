"""Real Opacus steps on the tiny model, one test per known DP-LoRA trap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from govern.training.data import Collator, encode_records
from govern.training.engine import DPEngine
from govern.training.loss import per_example_loss
from govern.training.model import (
    build_training_model,
    load_tokenizer,
    trainable_parameters,
)
from govern.training.plan import plan_run
from govern.training.randomness import CSPRNG, RunRandomness


def _batch(recipe: Any, support_data: Any, indices: list[int]) -> dict[str, Any]:
    tokenizer = load_tokenizer(recipe.tokenizer_path)
    records = list(support_data.read())
    examples = encode_records([records[i] for i in indices], tokenizer, recipe["data"])
    return Collator(tokenizer.pad_token_id)(examples)


def _engine(
    recipe: Any,
    *,
    sigma: float,
    clip: float,
    mode: str = "hooks",
    lr: float = 1.0,
    randomise_b: bool = True,
) -> Any:
    model = build_training_model(recipe, torch.device("cpu"))
    if (
        randomise_b
    ):  # LoRA starts with B = 0, which makes A's gradient 0; give B values so both move
        gen = torch.Generator().manual_seed(3)
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.data = torch.randn(p.shape, generator=gen) * 0.1
    optimizer = torch.optim.SGD(trainable_parameters(model), lr=lr)
    plan = plan_run(recipe, 160)
    plan = type(plan)(**{**plan.as_dict(), "noise_multiplier": sigma, "max_grad_norm": clip})
    return model, DPEngine.build(
        model, optimizer, plan, mode, RunRandomness(CSPRNG, torch.device("cpu"))
    )


def _adapter(model: Any) -> dict[str, Any]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def test_every_lora_tensor_changes_after_the_first_step_and_frozen_ones_do_not(
    make_recipe: Any, tmp_path: Path, support_data: Any
) -> None:
    from safetensors.torch import load_file

    from govern.training import train

    recipe = make_recipe(schedule={"steps": 1}, dp={"noise_multiplier": 0.5})
    initial = build_training_model(recipe, torch.device("cpu"))
    before = {n: p.detach().clone() for n, p in initial.named_parameters()}
    train(recipe, support_data, run_dir=tmp_path / "run")
    after = load_file(tmp_path / "run" / "adapter" / "adapter_model.safetensors")
    assert after, "no adapter weights saved"
    for key, value in after.items():
        name = next(n for n in before if n.replace(".default", "") == key)
        assert not torch.equal(before[name], value), f"{key} did not change after the first step"
    trainable = [n for n, p in initial.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    frozen = [n for n, p in initial.named_parameters() if not p.requires_grad]
    assert any("embed_tokens" in n for n in frozen) and any("lm_head" in n for n in frozen)


def test_the_trainer_changes_no_frozen_weight(make_recipe: Any, support_data: Any) -> None:
    recipe = make_recipe()
    model, engine = _engine(recipe, sigma=1.0, clip=1.0, lr=0.5)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    lora = _adapter(model)
    engine.physical_step(
        model, engine.optimizer, _batch(recipe, support_data, [0, 1, 2]), torch.device("cpu"), 16
    )
    for n, p in model.named_parameters():
        if n in frozen:
            assert torch.equal(frozen[n], p), f"frozen {n} changed"
        else:
            assert not torch.equal(lora[n], p), f"adapter {n} did not change"


def test_per_sample_gradients_match_a_loop_over_single_example_batches(
    make_recipe: Any, support_data: Any
) -> None:
    recipe = make_recipe(data={"format": "text", "max_length": 128})
    model, engine = _engine(recipe, sigma=0.0, clip=1e6)
    indices = [0, 3, 5, 11]  # different lengths: right padding inside the batch
    batch = _batch(recipe, support_data, indices)
    assert (batch["attention_mask"] == 0).any()
    losses = per_example_loss(
        engine.module(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits,
        batch["labels"],
    )
    losses.mean().backward()
    params = trainable_parameters(model)
    per_sample = [p.grad_sample.clone() for p in params]
    engine.optimizer.zero_grad(set_to_none=True)
    engine.close()
    for row, index in enumerate(indices):
        single = _batch(recipe, support_data, [index])
        loss = per_example_loss(
            model(input_ids=single["input_ids"], attention_mask=single["attention_mask"]).logits,
            single["labels"],
        )[0]
        grads = torch.autograd.grad(loss, params)
        for p_index, grad in enumerate(grads):
            torch.testing.assert_close(per_sample[p_index][row], grad, rtol=1e-4, atol=1e-6)


def test_ghost_clipping_gives_the_same_step_as_per_sample_hooks(
    make_recipe: Any, support_data: Any
) -> None:
    recipe = make_recipe()
    batch = _batch(recipe, support_data, [1, 2, 4, 7, 9])
    results = {}
    for mode in ("hooks", "ghost"):
        model, engine = _engine(
            recipe, sigma=0.0, clip=0.05, mode=mode
        )  # small C: clipping is active
        start = _adapter(model)
        engine.physical_step(model, engine.optimizer, batch, torch.device("cpu"), 16)
        results[mode] = {
            n: p.detach() - start[n] for n, p in model.named_parameters() if p.requires_grad
        }
    for name in results["hooks"]:
        torch.testing.assert_close(
            results["ghost"][name], results["hooks"][name], rtol=1e-4, atol=1e-7
        )
        assert results["hooks"][name].abs().sum() > 0


def test_per_example_loss_is_not_the_models_batch_token_mean(
    make_recipe: Any, support_data: Any
) -> None:
    recipe = make_recipe()
    model = build_training_model(recipe, torch.device("cpu"))
    with torch.no_grad():  # sharpen the untrained model so examples' losses differ
        model.get_output_embeddings().weight.mul_(30.0)
    batch = _batch(recipe, support_data, [0, 1, 2, 8])
    counts = (batch["labels"][:, 1:] != -100).sum(dim=1)
    assert len(set(counts.tolist())) > 1, "examples need different numbers of supervised tokens"
    with torch.no_grad():
        out = model(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            labels=batch["labels"],
        )
        ours = per_example_loss(out.logits, batch["labels"])
        singles = torch.stack(
            [
                per_example_loss(
                    model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits,
                    b["labels"],
                )[0]
                for b in (_batch(recipe, support_data, [i]) for i in [0, 1, 2, 8])
            ]
        )
    torch.testing.assert_close(
        ours, singles, rtol=1e-5, atol=1e-6
    )  # one number per example, padding-free
    token_mean = (ours * counts).sum() / counts.sum()
    torch.testing.assert_close(
        out.loss, token_mean, rtol=1e-5, atol=1e-6
    )  # the model's loss: a token mean
    assert not torch.isclose(out.loss, ours.mean(), rtol=1e-4), (
        "trap not exercised: token mean equals example mean"
    )


def test_an_empty_poisson_batch_still_adds_noise_of_the_planned_scale(make_recipe: Any) -> None:
    recipe = make_recipe(lora={"r": 8, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"]})
    sigma, clip, lr, logical = 2.0, 0.5, 1.0, 16
    model, engine = _engine(recipe, sigma=sigma, clip=clip, lr=lr)
    start = _adapter(model)
    empty = Collator(0)([])
    assert empty["input_ids"].shape[0] == 0
    _, n = engine.physical_step(model, engine.optimizer, empty, torch.device("cpu"), logical)
    assert n == 0
    delta = torch.cat(
        [
            (p.detach() - start[name]).flatten()
            for name, p in model.named_parameters()
            if p.requires_grad
        ]
    )
    expected_std = lr * sigma * clip / logical
    assert delta.abs().sum() > 0, "the empty step added no noise"
    assert abs(delta.std().item() - expected_std) / expected_std < 0.1


@pytest.fixture
def step_batch_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every logical batch the loop runs, seen from inside (no file records them)."""
    from govern.training.loop import StepLoop

    sizes: list[int] = []
    original = StepLoop._logical_step

    def spy(self: Any, batches: Any) -> tuple[float, int]:
        loss, count = original(self, batches)
        sizes.append(count)
        return loss, count

    monkeypatch.setattr(StepLoop, "_logical_step", spy)
    return sizes


def test_splitting_a_logical_batch_into_physical_batches_gives_the_same_step(
    make_recipe: Any,
    tmp_path: Path,
    support_data: Any,
    predictable_randomness: Any,
    step_batch_sizes: list[int],
) -> None:
    from safetensors.torch import load_file

    from govern.training import train

    adapters = {}
    for physical in (16, 3):
        predictable_randomness(
            7
        )  # the same sampling and noise for both runs (a test-only monkeypatch)
        recipe = make_recipe(
            schedule={"steps": 2, "physical_batch_size": physical}, data={"format": "text"}
        )
        run_dir = tmp_path / f"p{physical}"
        train(recipe, support_data, run_dir=run_dir)
        adapters[physical] = load_file(run_dir / "adapter" / "adapter_model.safetensors")
    assert (
        step_batch_sizes[:2] == step_batch_sizes[2:] and max(step_batch_sizes) > 3
    )  # the batches really were split
    for key in adapters[16]:
        torch.testing.assert_close(adapters[3][key], adapters[16][key], rtol=1e-4, atol=1e-6)


def test_private_runs_use_poisson_sampling_and_account_for_it(
    make_recipe: Any, tmp_path: Path, support_data: Any, step_batch_sizes: list[int]
) -> None:
    from govern.training import train

    recipe = make_recipe(schedule={"steps": 8, "logical_batch_size": 8})
    result = train(recipe, support_data, run_dir=tmp_path / "dp")
    assert len(step_batch_sizes) == 8 and len(set(step_batch_sizes)) > 1, (
        f"batch sizes never varied: {step_batch_sizes}"
    )
    charges = [
        json.loads(line) for line in (tmp_path / "dp" / "charges.jsonl").read_text().splitlines()
    ]
    assert [c["sample_rate"] for c in charges] == [8 / 160] * 8
    assert result["sample_rate"] == 8 / 160 and result["accountant_history"] == [[1.0, 0.05, 8]]

    step_batch_sizes.clear()
    plain = train(
        make_recipe(schedule={"steps": 4, "logical_batch_size": 8}, dp={"enabled": False}),
        support_data,
        run_dir=tmp_path / "plain",
    )
    assert step_batch_sizes == [8, 8, 8, 8]  # fixed-size batches only where nothing is accounted
    assert (
        plain["private"] is False and plain["epsilon"] is None and plain["accountant_history"] == []
    )
    assert not (tmp_path / "plain" / "charges.jsonl").exists()


def test_empty_batches_in_a_real_run_are_charged_and_stepped(
    make_recipe: Any, tmp_path: Path, support_data: Any, step_batch_sizes: list[int]
) -> None:
    from govern.training import RecordingHooks, train

    hooks = RecordingHooks()
    recipe = make_recipe(schedule={"steps": 12, "logical_batch_size": 1, "physical_batch_size": 1})
    result = train(recipe, support_data, run_dir=tmp_path / "run", hooks=hooks)
    assert 0 in step_batch_sizes, f"no empty batch drawn in 12 steps at q=1/160: {step_batch_sizes}"
    assert [step for step, _, _ in hooks.named("charged")] == list(range(1, 13))
    assert result["charged_steps"] == 12
