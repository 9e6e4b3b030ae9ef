"""The trainer's per-sample gradients (tensor hooks) are Opacus's GradSampleModule's, bit for bit."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("opacus")


def _per_sample_grads(recipe: Any, module_class: type, sizes: tuple[int, ...]) -> list[Any]:
    """Per-sample gradients of LoRA weights over batches of `sizes` examples, one backward each."""
    from govern.training.loss import per_example_loss
    from govern.training.model import build_training_model

    model = build_training_model(recipe, torch.device("cpu"))
    generator = torch.Generator().manual_seed(1)
    for _, parameter in sorted(model.named_parameters()):
        if parameter.requires_grad:  # lora_B starts at zero: give both factors a gradient
            with torch.no_grad():
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)
    module = module_class(model, batch_first=True, loss_reduction="mean")
    grads = []
    for size in sizes:
        ids = torch.randint(4, 200, (size, 16), generator=generator)
        mask = torch.ones_like(ids)
        mask[0, 12:] = 0  # one padded example
        torch.manual_seed(7)  # the same LoRA dropout in both modules
        logits = module(input_ids=ids, attention_mask=mask).logits
        per_example_loss(logits, ids).mean().backward()
        grads.append(
            {n: p.grad_sample.clone() for n, p in model.named_parameters() if p.requires_grad}
        )
        module.zero_grad(set_to_none=True)
    module._close()
    return grads


@pytest.mark.parametrize("checkpointing", [False, True])
def test_per_sample_gradients_are_opacus_own(make_recipe: Any, checkpointing: bool) -> None:
    from opacus.grad_sample import GradSampleModule

    from govern.training.grad_sample import tensor_hook_grad_sample_module

    reference = _per_sample_grads(make_recipe(), GradSampleModule, (3, 5))
    ours = _per_sample_grads(
        make_recipe(model={"gradient_checkpointing": checkpointing}),
        tensor_hook_grad_sample_module(),
        (3, 5),
    )
    assert len(ours) == len(reference) == 2
    for mine, theirs in zip(ours, reference, strict=True):
        assert mine.keys() == theirs.keys() and mine
        for name, grad in mine.items():
            assert torch.equal(grad, theirs[name]), name


def test_the_dp_engine_puts_no_backward_hook_on_any_layer(make_recipe: Any) -> None:
    """Full backward hooks wrapped every LoRA call in autograd's BackwardHook (issue 18's cost)."""
    from govern.training.engine import DPEngine
    from govern.training.model import build_training_model
    from govern.training.optimizer import make_optimizer
    from govern.training.plan import plan_run
    from govern.training.randomness import RunRandomness

    recipe = make_recipe(dp={"clipping": "hooks"})
    model = build_training_model(recipe, torch.device("cpu"))
    optimizer = make_optimizer(
        [p for p in model.parameters() if p.requires_grad], recipe["schedule"]
    )
    engine = DPEngine.build(
        model,
        optimizer,
        plan_run(recipe, 160),
        "hooks",
        RunRandomness("torch", torch.device("cpu")),
    )
    hooked = [m for m in model.modules() if m._forward_hooks]
    assert hooked, "no layer captures activations"
    assert not [m for m in model.modules() if m._backward_hooks or m._backward_pre_hooks]
    engine.close()
