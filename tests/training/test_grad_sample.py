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


def test_lora_layers_take_the_lean_capture_and_other_layers_opacus_own(monkeypatch: Any) -> None:
    """Bias-free layers called once skip Opacus's general capture; a layer with a bias, and one
    called twice in a forward pass, go through it, and every per-sample gradient is Opacus's."""
    from opacus.grad_sample import GradSampleModule

    from govern.training.grad_sample import tensor_hook_grad_sample_module

    class Net(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.once = torch.nn.Linear(6, 4, bias=False)
            self.biased = torch.nn.Linear(4, 4)
            self.twice = torch.nn.Linear(4, 4, bias=False)

        def forward(self, x: Any) -> Any:
            return self.twice(self.twice(self.biased(self.once(x))))

    def grads(module_class: type, calls: list[str]) -> dict[str, Any]:
        torch.manual_seed(3)
        net = Net()
        module = module_class(net, batch_first=True, loss_reduction="mean")
        original = module_class.capture_backprops_hook

        def counting(self: Any, layer: Any, *args: Any) -> Any:
            calls.append(next(n for n, m in net.named_children() if m is layer))
            return original(self, layer, *args)

        monkeypatch.setattr(module_class, "capture_backprops_hook", counting)
        x = torch.randn(5, 3, 6, generator=torch.Generator().manual_seed(4))
        module(x).pow(2).sum(dim=(1, 2)).mean().backward()
        monkeypatch.setattr(module_class, "capture_backprops_hook", original)
        found = {n: p.grad_sample for n, p in net.named_parameters()}
        module._close()
        return found

    ours_calls: list[str] = []
    ours = grads(tensor_hook_grad_sample_module(), ours_calls)
    reference = grads(GradSampleModule, [])
    assert "once" not in ours_calls and "biased" in ours_calls and "twice" in ours_calls
    assert ours.keys() == reference.keys()
    for name, grad in ours.items():
        assert torch.equal(grad, reference[name]), name
