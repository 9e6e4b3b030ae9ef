"""The adapter's model card: README.md with Hugging Face metadata, stating the DP guarantee
and the approved snapshots the adapter was trained on."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _yaml_list(items: list[str], indent: str = "  ") -> str:
    return "\n".join(f"{indent}- {item}" for item in items) if items else f"{indent}[]"


def guarantee_sentence(result: dict[str, Any]) -> str:
    """One sentence stating the privacy guarantee (or its absence)."""
    if not result["private"]:
        return (
            "This adapter was trained WITHOUT differential privacy, as the policy pack allowed; "
            "it offers no formal privacy guarantee for the training examples."
        )
    return (
        f"This adapter is (ε = {result['epsilon']:.4g}, δ = {result['delta']:.3g})-differentially private "
        f"with respect to adding or removing one training example, by the {result['accountant'].upper()} "
        f"accountant over {result['charged_steps']} charged steps of the Poisson-subsampled Gaussian mechanism "
        f"(sample rate {result['sample_rate']:.4g}, noise multiplier {result['noise_multiplier']:.4g}, "
        f"per-example clipping norm {result['max_grad_norm']:g})."
    )


def write_model_card(folder: Path, run: dict[str, Any], result: dict[str, Any]) -> Path:
    """Write README.md into the adapter folder and return its path."""
    base = run["base_model"]
    tags = ["lora", "peft", "govern"] + (["differential-privacy", "opacus"] if result["private"] else ["non-private"])
    lines = [
        "---",
        f"base_model: {Path(base['path']).name}",
        "library_name: peft",
        "pipeline_tag: text-generation",
        "tags:",
        _yaml_list(tags),
        "govern:",
        f"  run_id: {run['run_id']}",
        f"  private: {str(result['private']).lower()}",
        f"  epsilon: {result['epsilon'] if result['epsilon'] is not None else 'null'}",
        f"  delta: {result['delta'] if result['delta'] is not None else 'null'}",
        f"  accountant: {result['accountant'] or 'null'}",
        f"  noise_multiplier: {result['noise_multiplier'] if result['noise_multiplier'] is not None else 'null'}",
        f"  sample_rate: {result['sample_rate']}",
        f"  max_grad_norm: {result['max_grad_norm'] if result['max_grad_norm'] is not None else 'null'}",
        f"  steps: {result['steps']}",
        f"  charged_steps: {result['charged_steps']}",
        f"  clipping_mode: {result['clipping_mode']}",
        "  snapshot_ids:",
        _yaml_list(result["snapshot_ids"], "    "),
        f"  base_model_sha256: {base['hash']}",
        f"  recipe_sha256: {run['recipe_hash']}",
        "---",
        "",
        f"# LoRA adapter `{run['run_id']}`",
        "",
        "## Privacy guarantee",
        "",
        guarantee_sentence(result),
        "",
        (
            "The privacy unit is one training example (one record). A data subject with k records is "
            "protected at the group level of k examples, which is weaker."
        ),
        "",
        "## Training data",
        "",
        "Trained only on these approved snapshots, read through the govern gate:",
        "",
        *[f"- `{sid}`" for sid in result["snapshot_ids"]],
        "",
        "## Training",
        "",
        f"- Base model: `{base['path']}` (weights SHA-256 `{base['hash']}`)",
        f"- Quantization: {run['quantization']}",
        f"- Recipe SHA-256: `{run['recipe_hash']}`",
        (
            f"- LoRA: r={run['recipe']['lora']['r']}, alpha={run['recipe']['lora']['alpha']}, "
            f"targets {', '.join(run['recipe']['lora']['target_modules'])}"
        ),
        f"- Steps: {result['steps']}; final loss: "
        + (f"{result['final_loss']:.4f}" if result["final_loss"] is not None else "n/a"),
        "",
        "## Use",
        "",
        "```python",
        "from peft import PeftModel",
        "from transformers import AutoModelForCausalLM",
        f"base = AutoModelForCausalLM.from_pretrained({base['path']!r})",
        "model = PeftModel.from_pretrained(base, 'path/to/this/folder')",
        "```",
        "",
    ]
    path = folder / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
