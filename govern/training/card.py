"""The adapter's model card: README.md with Hugging Face metadata, stating the DP guarantee,
the randomness it rests on, and the approved snapshots the adapter was trained on.

Only ε-covered or plan-fixed figures appear: no training loss, no batch size (noise-free
statistics of the private data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govern import atomic


def guarantee_sentence(result: dict[str, Any]) -> str:
    """One sentence stating the privacy guarantee (or its absence)."""
    if not result["private"]:
        return (
            "This adapter was trained WITHOUT differential privacy, as the policy pack allowed; "
            "it offers no formal privacy guarantee for the training examples."
        )
    by_subject = result.get("privacy_unit") == "subject"
    unit = "one data subject (all of their records)" if by_subject else "one training example"
    clipping = "per-subject" if by_subject else "per-example"
    return (
        f"This adapter is (ε = {result['epsilon']:.4g}, δ = {result['delta']:.3g})-differentially private "
        f"with respect to adding or removing {unit}, by the {result['accountant'].upper()} "
        f"accountant over {result['charged_steps']} charged steps of the Poisson-subsampled Gaussian mechanism "
        f"(sample rate {result['sample_rate']:.4g}, noise multiplier {result['noise_multiplier']:.4g}, "
        f"{clipping} clipping norm {result['max_grad_norm']:g})."
    )


def unit_sentence(result: dict[str, Any]) -> str:
    """What one ε protects, and at what cap."""
    if result.get("privacy_unit") == "subject":
        return (
            "The privacy unit is one data subject: each step samples subjects, takes at most "
            f"{result['max_records_per_subject']} of a sampled subject's records, and clips the subject's "
            "combined gradient as one unit, so ε holds for everything one person contributed."
        )
    return (
        "The privacy unit is one training example (one record). A data subject with k records is "
        "protected at the group level of k examples, which is weaker."
    )


def write_model_card(folder: Path, run: dict[str, Any], result: dict[str, Any]) -> Path:
    """Write README.md into the adapter folder and return its path (the front matter by yaml.safe_dump,
    so every number reads back as a number)."""
    import yaml

    base = run["base_model"]
    tags = ["lora", "peft", "govern"] + (
        ["differential-privacy", "opacus"] if result["private"] else ["non-private"]
    )
    front = {
        "base_model": Path(base["path"]).name,
        "library_name": "peft",
        "pipeline_tag": "text-generation",
        "tags": tags,
        "govern": {
            "run_id": run["run_id"],
            **{
                key: result[key]
                for key in (
                    "private",
                    "epsilon",
                    "delta",
                    "accountant",
                    "noise_multiplier",
                    "sample_rate",
                    "max_grad_norm",
                    "privacy_unit",
                    "steps",
                    "charged_steps",
                    "clipping_mode",
                )
            },
            **(
                {"max_records_per_subject": result["max_records_per_subject"]}
                if result.get("privacy_unit") == "subject"
                else {}
            ),
            "privacy_rng": result["privacy_rng"]["kind"],
            "snapshot_ids": list(result["snapshot_ids"]),
            "base_model_sha256": base["hash"],
            "recipe_sha256": run["recipe_hash"],
        },
    }
    lines = [
        "---",
        yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip(),
        "---",
        "",
        f"# LoRA adapter `{run['run_id']}`",
        "",
        "## Privacy guarantee",
        "",
        guarantee_sentence(result),
        "",
        f"Randomness: {result['privacy_rng']['description']}.",
        "",
        unit_sentence(result),
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
        f"- Weights dtype: {run.get('dtype', 'float32')} (adapter and per-sample gradients in float32)",
        f"- Gradient checkpointing: {'on' if run.get('gradient_checkpointing') else 'off'}",
        f"- Recipe SHA-256: `{run['recipe_hash']}`",
        (
            f"- LoRA: r={run['recipe']['lora']['r']}, alpha={run['recipe']['lora']['alpha']}, "
            f"targets {', '.join(run['recipe']['lora']['target_modules'])}"
        ),
        f"- Steps: {result['steps']} (charged: {result['charged_steps']})",
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
    atomic.write(path, "\n".join(lines), mode=0o644)
    return path
