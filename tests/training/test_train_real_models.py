"""Real-model settings: model.dtype (bfloat16/float16/float32) and model.gradient_checkpointing,
on the tiny Llama, with real Opacus steps. The adapter and its per-sample gradients stay float32
whatever the base's dtype; checkpointing leaves per-sample gradients exactly as they were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from govern.errors import BadInput  # noqa: E402  (after the skip)
from govern.training import train  # noqa: E402


def test_a_setting_left_at_its_default_keeps_the_recipe_hash(make_recipe: Any) -> None:
    plain = make_recipe()
    explicit = make_recipe(model={"dtype": "float32", "gradient_checkpointing": False})
    assert explicit.hash == plain.hash and explicit.dtype == "float32"
    assert not explicit.gradient_checkpointing
    half = make_recipe(model={"dtype": "bfloat16", "gradient_checkpointing": True})
    assert half.hash != plain.hash and half.dtype == "bfloat16" and half.gradient_checkpointing


def test_an_unknown_dtype_is_refused_naming_the_key(make_recipe: Any) -> None:
    with pytest.raises(BadInput, match=r"model\.dtype: 'int8' is not one of float32, bfloat16"):
        make_recipe(model={"dtype": "int8"})
    with pytest.raises(BadInput, match=r"model\.gradient_checkpointing"):
        make_recipe(model={"gradient_checkpointing": "yes"})


def _per_sample_grads(recipe: Any) -> tuple[dict[str, Any], Any]:
    """Per-sample gradients of one physical batch through Opacus's hooks, and the base's weight dtype."""
    from opacus.grad_sample import GradSampleModule

    from govern.training.loss import per_example_loss
    from govern.training.model import build_training_model

    model = build_training_model(recipe, torch.device("cpu"))
    generator = torch.Generator().manual_seed(1)
    for _, parameter in sorted(model.named_parameters()):
        if parameter.requires_grad:  # lora_B starts at zero: give both factors a gradient
            with torch.no_grad():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)
    module = GradSampleModule(model, batch_first=True, loss_reduction="mean")
    ids = torch.randint(4, 200, (3, 16), generator=generator)
    logits = module(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
    per_example_loss(logits, ids).mean().backward()
    grads = {
        n: p.grad_sample.detach().clone() for n, p in model.named_parameters() if p.requires_grad
    }
    base_dtype = model.get_base_model().model.embed_tokens.weight.dtype
    module._close()
    return grads, base_dtype


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_half_precision_bases_train_float32_adapters_with_close_per_sample_grads(
    make_recipe: Any, dtype: str
) -> None:
    reference, base32 = _per_sample_grads(make_recipe())
    grads, base = _per_sample_grads(make_recipe(model={"dtype": dtype}))
    assert base32 == torch.float32 and base == getattr(torch, dtype)
    assert set(grads) == set(reference)
    for name, grad in grads.items():
        assert grad.dtype == torch.float32, name  # Opacus clips and sums in float32
        assert grad.shape == reference[name].shape
        scale = float(reference[name].abs().max())
        assert float((grad - reference[name]).abs().max()) <= 0.05 * scale, name


def test_gradient_checkpointing_keeps_per_sample_gradients_exact(make_recipe: Any) -> None:
    reference, _ = _per_sample_grads(make_recipe())
    grads, _ = _per_sample_grads(make_recipe(model={"gradient_checkpointing": True}))
    for name, grad in grads.items():
        assert torch.equal(grad, reference[name]), name


@pytest.mark.parametrize(
    "model,clipping",
    [
        ({"dtype": "bfloat16"}, "hooks"),
        ({"dtype": "float16", "gradient_checkpointing": True}, "hooks"),
        ({"gradient_checkpointing": True}, "ghost"),
    ],
)
def test_a_dp_run_with_real_model_settings_records_them(
    make_recipe: Any, support_data: Any, tmp_path: Path, model: dict[str, Any], clipping: str
) -> None:
    from safetensors.torch import load_file

    recipe = make_recipe(model=model, dp={"clipping": clipping}, schedule={"steps": 2})
    result = train(recipe, support_data, run_dir=tmp_path / "run")
    assert result["private"] and result["steps"] == 2 and result["epsilon"] > 0
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["dtype"] == recipe.dtype
    assert info["gradient_checkpointing"] is recipe.gradient_checkpointing
    card = (tmp_path / "run" / "adapter" / "README.md").read_text()
    assert f"Weights dtype: {recipe.dtype}" in card
    assert f"Gradient checkpointing: {'on' if recipe.gradient_checkpointing else 'off'}" in card
    weights = load_file(tmp_path / "run" / "adapter" / "adapter_model.safetensors")
    assert weights and all(w.dtype == torch.float32 for w in weights.values())
    assert all(bool(torch.isfinite(w).all()) for w in weights.values())


def _ghost_clipped_gradients(recipe: Any) -> list[Any]:
    """The clipped, summed gradient of one batch by Opacus's ghost clipping (no noise), at a norm that clips."""
    from opacus.grad_sample import GradSampleModuleFastGradientClipping
    from opacus.optimizers import get_optimizer_class
    from opacus.utils.fast_gradient_clipping_utils import DPTensorFastGradientClipping

    from govern.training.loss import per_example_loss
    from govern.training.model import build_training_model

    model = build_training_model(recipe, torch.device("cpu"))
    generator = torch.Generator().manual_seed(1)
    params = [p for _, p in sorted(model.named_parameters()) if p.requires_grad]
    with torch.no_grad():
        for parameter in params:
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)
    module = GradSampleModuleFastGradientClipping(
        model, batch_first=True, loss_reduction="mean", max_grad_norm=0.01
    )
    optimizer = get_optimizer_class(clipping="flat", distributed=False, grad_sample_mode="ghost")(
        torch.optim.SGD(params, lr=0.1),
        noise_multiplier=0.0,
        max_grad_norm=0.01,
        expected_batch_size=3,
        loss_reduction="mean",
    )
    ids = torch.randint(4, 200, (3, 16), generator=generator)
    losses = per_example_loss(
        module(input_ids=ids, attention_mask=torch.ones_like(ids)).logits, ids
    )
    DPTensorFastGradientClipping(module, optimizer, losses, "mean").backward()
    out = [p.grad.detach().clone() for p in params]
    module._close()
    return out


def test_gradient_checkpointing_keeps_ghost_clipping_exact(make_recipe: Any) -> None:
    reference = _ghost_clipped_gradients(make_recipe())
    checkpointed = _ghost_clipped_gradients(make_recipe(model={"gradient_checkpointing": True}))
    assert any(float(g.abs().max()) > 0 for g in reference)
    for got, want in zip(checkpointed, reference, strict=True):
        assert torch.equal(got, want)
