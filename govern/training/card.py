"""The adapter's model card: README.md with Hugging Face metadata (card_metadata.py: license,
base_model, datasets, tags, model-index), stating the DP guarantee, the randomness it rests on,
the approved snapshots the adapter was trained on, its intended use and limitations (from the
recipe) and, once evaluated, its suite results (`govern runs card RUN`, card_render.py).

Only ε-covered or plan-fixed figures appear: no training loss, no batch size (noise-free
statistics of the private data)."""

from __future__ import annotations

from collections.abc import Sequence
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


def _use_sections(settings: dict[str, Any]) -> list[str]:
    intended = settings.get("intended_use")
    limitations = settings.get("limitations") or []
    return [
        "## Intended use",
        "",
        str(intended)
        if intended
        else "The recipe states no intended use (recipe key `intended_use`).",
        "",
        "## Limitations",
        "",
        *(
            [f"- {item}" for item in limitations]
            or ["- The recipe states none (recipe key `limitations`)."]
        ),
        "- A LoRA adapter inherits its base model's weaknesses and biases.",
        "",
    ]


def _evaluation_section(evaluations: Sequence[dict[str, Any]]) -> list[str]:
    if not evaluations:
        return [
            "## Evaluation",
            "",
            "Not evaluated yet: `govern eval RUN --suite NAME`, then `govern runs card RUN` renders this card "
            "with the results.",
            "",
        ]
    lines = [
        "## Evaluation",
        "",
        "| suite | metric | adapter (interval) | base model |",
        "| --- | --- | --- | --- |",
    ]
    for evaluation in evaluations:
        for name, estimate in sorted(evaluation["metrics"].items()):
            a, b = estimate["adapter"], estimate["base"]
            lines.append(
                f"| {evaluation['suite']} | {name} | {a['mean']:.4g} ({a['low']:.4g}–{a['high']:.4g}) | {b['mean']:.4g} |"
            )
    return [
        *lines,
        "",
        "Scores from held-out snapshots read through the gate; no privacy charge (no gradient).",
        "",
    ]


def model_card_text(
    run: dict[str, Any],
    result: dict[str, Any],
    data_licenses: Sequence[str] = (),
    evaluations: Sequence[dict[str, Any]] = (),
) -> str:
    """The card: Hugging Face front matter (card_metadata.py, dumped by yaml.safe_dump so every
    number reads back as a number), then the guarantee, data, use, limitations and evaluation."""
    import yaml

    from govern.training.card_metadata import front_matter

    base = run["base_model"]
    front = front_matter(run, result, data_licenses, evaluations)
    front["govern"] = {
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
        **({"shard": _shard_fields(run["shard"])} if run.get("shard") else {}),
        **front["govern"],
    }
    licence = front["govern"]["license_expression"]
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
        *_shard_lines(run.get("shard")),
        f"Licence: {licence}" if licence else "Licence: not stated (set `license` in the recipe).",
        "",
        *_use_sections(run.get("recipe") or {}),
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
        *_evaluation_section(list(evaluations)),
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
    return "\n".join(lines)


def _shard_fields(shard: dict[str, Any]) -> dict[str, Any]:
    return {key: shard[key] for key in ("family", "index", "of", "assignment")}


def _shard_lines(shard: dict[str, Any] | None) -> list[str]:
    """A shard run saw only its slot's subjects: the card says so, and of which family."""
    if not shard:
        return []
    return [
        f"This adapter is shard {int(shard['index']) + 1} of {shard['of']} of family "
        f"`{shard['family']}` (`train.shards`): it was trained only on the records of the subjects "
        f"whose slot, {shard['assignment']}, is {shard['index']}; the family's other shards hold "
        "the rest.",
        "",
    ]


def write_model_card(
    folder: Path, run: dict[str, Any], result: dict[str, Any], data_licenses: Sequence[str] = ()
) -> Path:
    """Write README.md into the adapter folder and return its path."""
    path = folder / "README.md"
    atomic.write(path, model_card_text(run, result, data_licenses), mode=0o644)
    return path
