"""Training recipes: TOML or YAML files, validated before any data or compute.

A recipe names the base model, the data format, the LoRA adapter, quantization, differential
privacy and the schedule; its structure and defaults are the models of recipe_model.py (a new
setting goes there). `load_recipe` collects every problem (unknown keys, wrong types, a
missing model folder, target modules the model lacks, a physical batch larger than the logical
one or than memory, a value past a planning ceiling of limits.py) and raises one `BadInput`
listing them all, each naming its key. The model is probed by model.py (meta device, no weights). The recipe hash is the
canonical hash of the normalised recipe (defaults filled in), so two files that mean the same
thing hash the same.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.canonical import hash_value
from govern.config_models import check
from govern.errors import BadInput
from govern.safe_yaml import LocatedYaml, load_located
from govern.training.limits import MAX_EPSILON, MAX_STEPS
from govern.training.model import hash_model_folder  # noqa: F401  (govern.training.runs hashes the model through here)
from govern.training.recipe_model import AuditSection, RecipeModel, default_of, normalised
from govern.training.recipe_options import option_problems
from govern.training.shard_settings import shard_problems

SCHEMA: dict[str, Any] = RecipeModel.model_json_schema()  # generated from recipe_model.py
AUDIT_DEFAULTS: dict[str, Any] = {
    key: spec.default for key, spec in AuditSection.model_fields.items() if not spec.is_required()
}


def optional_setting(settings: dict[str, Any], section: str, key: str) -> Any:
    """A setting a normalised recipe may leave out (recipe_model.OMITTED_WHEN_DEFAULT), or its default."""
    return settings[section].get(key, default_of(section, key))


@dataclass(frozen=True)
class Recipe:
    """A validated recipe: the normalised settings, where they came from, and their hash."""

    settings: dict[str, Any]
    source: str
    base_dir: Path
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hash", hash_value(self.settings))

    def __getitem__(self, section: str) -> Any:
        return self.settings[section]

    @property
    def model_path(self) -> Path:
        """The base model folder, resolved against the recipe's base folder."""
        return _resolve(self.base_dir, self.settings["model"]["path"])

    @property
    def tokenizer_path(self) -> Path:
        """The tokenizer folder (the model folder unless `model.tokenizer` is set)."""
        return _resolve(
            self.base_dir, self.settings["model"]["tokenizer"] or self.settings["model"]["path"]
        )

    @property
    def output_dir(self) -> Path:
        """The folder runs are written under."""
        return _resolve(self.base_dir, self.settings["output_dir"])

    @property
    def private(self) -> bool:
        """Whether this recipe trains with differential privacy."""
        return bool(self.settings["dp"]["enabled"])

    @property
    def privacy_unit(self) -> str:
        """What one ε protects: "record" (one example) or "subject" (every record of one person)."""
        return str(self.settings["dp"].get("unit", "record"))

    @property
    def max_records_per_subject(self) -> int | None:
        """Subject-level DP: at most this many of a sampled subject's records per step (else None)."""
        if self.privacy_unit != "subject":
            return None
        return int(self.settings["dp"]["max_records_per_subject"])

    @property
    def canaries(self) -> dict[str, Any] | None:
        """The [audit] section when it plants canaries, else None."""
        audit = self.settings.get("audit")
        return audit if audit and int(audit["canaries"]) > 0 else None

    @property
    def dtype(self) -> str:
        """The base model's weight dtype (model.dtype): float32, bfloat16 or float16."""
        return str(optional_setting(self.settings, "model", "dtype"))

    @property
    def gradient_checkpointing(self) -> bool:
        """Whether activations are recomputed in the backward pass (model.gradient_checkpointing)."""
        return bool(optional_setting(self.settings, "model", "gradient_checkpointing"))

    @property
    def physical_batch_size(self) -> int:
        """The largest batch one forward pass sees, in records (defaults to the logical batch size;
        by subject, to the logical batch's subjects times their cap)."""
        schedule = self.settings["schedule"]
        default = int(schedule["logical_batch_size"]) * (self.max_records_per_subject or 1)
        return int(schedule["physical_batch_size"] or default)


def _resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _semantic_problems(settings: dict[str, Any]) -> list[str]:
    problems = []
    schedule = settings["schedule"]
    if (schedule["epochs"] is None) == (schedule["steps"] is None):
        problems.append("schedule: set exactly one of schedule.epochs and schedule.steps")
    physical = schedule["physical_batch_size"]
    logical = schedule["logical_batch_size"]
    by_subject = (
        settings["dp"].get("unit") == "subject"
    )  # logical counts subjects, physical records
    if physical is not None and physical > logical and not by_subject:
        problems.append(
            f"schedule.physical_batch_size: {physical} is larger than schedule.logical_batch_size "
            f"({logical}); lower it to at most {logical}"
        )
    if schedule["steps"] is not None and schedule["steps"] > MAX_STEPS:
        problems.append(
            f"schedule.steps: {schedule['steps']:,} is above the ceiling of {MAX_STEPS:,} steps"
        )
    dp = settings["dp"]
    if dp["target_epsilon"] is not None and dp["target_epsilon"] > MAX_EPSILON:
        problems.append(
            f"dp.target_epsilon: {dp['target_epsilon']:g} is above the ceiling of {MAX_EPSILON:g}, beyond which a DP "
            "guarantee promises nothing (e^ε bounds how much one example can change any outcome); choose at most "
            f"{MAX_EPSILON:g}, and 10 or less for a guarantee worth stating"
        )
    if dp["enabled"] and (dp["target_epsilon"] is None) == (dp["noise_multiplier"] is None):
        problems.append(
            "dp: set exactly one of dp.target_epsilon (noise calibrated to it) and dp.noise_multiplier "
            "(ε reported for it)"
        )
    problems += _unit_problems(settings) + shard_problems(settings) + option_problems(settings)
    audit = settings.get("audit")
    if audit and dp["enabled"] and int(audit["canary_repeats"]) > 1:
        problems.append(
            "audit.canary_repeats: repeated canaries are a group of examples, which the accountant's per-example ε "
            "does not cover; use 1 with dp.enabled = true"
        )
    if audit and audit["canaries"] == 1:
        problems.append("audit.canaries: an audit needs at least 2 canaries (0 plants none)")
    data = settings["data"]
    if data["format"] == "prompt_completion" and data["prompt_field"] == data["completion_field"]:
        problems.append("data.completion_field: must differ from data.prompt_field")
    return problems


def _unit_problems(settings: dict[str, Any]) -> list[str]:
    """Subject-level DP needs DP, per-sample hooks, and a physical batch that holds one subject's cap."""
    dp, schedule = settings["dp"], settings["schedule"]
    if dp.get("unit", "record") != "subject":
        if "max_records_per_subject" in dp:
            return [
                'dp.max_records_per_subject: applies only with dp.unit = "subject"; remove it or set the unit'
            ]
        return []
    problems = []
    if not dp["enabled"]:
        problems.append('dp.unit: "subject" needs dp.enabled = true')
    if dp["clipping"] == "ghost":
        problems.append(
            "dp.clipping: subject-level DP clips each subject's combined gradient, which needs per-sample "
            'gradients; use "hooks" or "auto"'
        )
    cap = int(dp["max_records_per_subject"])
    physical = schedule["physical_batch_size"]
    if physical is not None and physical < cap:
        problems.append(
            f"schedule.physical_batch_size: {physical} cannot hold one subject's {cap} records "
            f"(dp.max_records_per_subject); raise it to at least {cap}"
        )
    return problems


def _model_problems(recipe: Recipe) -> list[str]:
    from govern.training.model import (
        WEIGHT_SUFFIXES,
        leaves_of_linear,
        module_names,
        quantization_unavailable,
        weight_files,
    )

    problems = []
    model_dir = recipe.model_path
    if not model_dir.is_dir():
        return [
            f"model.path: folder {model_dir} does not exist; point it at a local Hugging Face model folder"
        ]
    if not (model_dir / "config.json").is_file():
        return [
            f"model.path: {model_dir} has no config.json; it is not a Hugging Face model folder"
        ]
    if not weight_files(model_dir):
        problems.append(
            f"model.path: {model_dir} holds no weight files ({', '.join(WEIGHT_SUFFIXES)})"
        )
    tokenizer_dir = recipe.tokenizer_path
    if not tokenizer_dir.is_dir():
        problems.append(f"model.tokenizer: folder {tokenizer_dir} does not exist")
    names = module_names(model_dir)
    if names is None:
        problems.append(f"model.path: could not build the model from {model_dir / 'config.json'}")
    else:
        leaves = {n.rsplit(".", 1)[-1] for n in names}
        for target in recipe["lora"]["target_modules"]:
            if target not in leaves and target not in names:
                linear = sorted(leaves_of_linear(model_dir))
                problems.append(
                    f"lora.target_modules: the model has no module named {target!r}; "
                    f"its linear modules are: {', '.join(linear)}"
                )
        frozen = {"embed_tokens", "lm_head", "wte", "wpe", "embed_out"}
        for target in recipe["lora"]["target_modules"]:
            if target in frozen:
                problems.append(
                    f"lora.target_modules: {target!r} is an embedding or the LM head, which stay frozen"
                )
    quantization = recipe["model"]["quantization"]
    if quantization != "none":
        reason = quantization_unavailable(quantization)
        if reason:
            problems.append(
                f'model.quantization: {quantization!r} is not available here: {reason}; use "none"'
            )
    if names is not None:
        problems += _memory_problems(recipe)
    return problems


def _memory_problems(recipe: Recipe) -> list[str]:
    """A physical batch that cannot fit in this machine's memory, by a rough estimate."""
    from govern.training.model import machine_memory_bytes, training_memory_bytes

    physical, max_length = recipe.physical_batch_size, int(recipe["data"]["max_length"])
    needed = training_memory_bytes(
        recipe.model_path,
        recipe["lora"],
        recipe["model"]["quantization"],
        physical,
        max_length,
        dtype=recipe.dtype,
    )
    available = machine_memory_bytes()
    if needed is None or needed <= available:
        return []
    return [
        (
            f"schedule.physical_batch_size: a forward pass of {physical:,} examples of up to {max_length:,} tokens "
            f"(data.max_length) needs roughly {needed / 2**30:,.1f} GiB (weights, activations, logits, per-sample "
            f"gradients), more than this machine's {available / 2**30:,.1f} GiB; lower schedule.physical_batch_size "
            "(the logical batch stays; Opacus's BatchMemoryManager splits it) or data.max_length"
        )
    ]


def parse_recipe_text(text: str, source: str) -> dict[str, Any]:
    """Parse TOML (.toml) or YAML (.yaml/.yml) text; errors name the file and line."""
    return _parse(text, source)[0]


def _parse(text: str, source: str) -> tuple[dict[str, Any], LocatedYaml | None]:
    if source.endswith(".toml"):
        try:
            return tomllib.loads(text), None
        except tomllib.TOMLDecodeError as error:
            raise BadInput(f"{source}: not valid TOML: {error}") from error
        except RecursionError:
            raise BadInput(f"{source}: nested too deeply to read") from None
    if source.endswith((".yaml", ".yml")):
        located = load_located(text, source)
        if not isinstance(located.data, dict):
            raise BadInput(
                f"{source}: a recipe is a mapping of sections (model, data, lora, dp, schedule)"
            )
        return located.data, located
    raise BadInput(f"{source}: a recipe is a .toml, .yaml or .yml file")


def recipe_from_dict(
    raw: dict[str, Any],
    *,
    source: str = "<recipe>",
    base_dir: Path | str = ".",
    check_model: bool = True,
    located: LocatedYaml | None = None,
) -> Recipe:
    """Validate a parsed recipe; raise one BadInput listing every problem, each naming its key
    (and its line, given the `located` YAML it was read from).

    A key set to None counts as unset (normalised recipes, as stored in run.json, carry them).
    """
    model, found = check(RecipeModel, _drop_none(raw), located)
    if model is None:
        raise BadInput(_problem_message(source, [p.render(source) for p in found]))
    settings = normalised(model)
    problems = _semantic_problems(settings)
    recipe = Recipe(settings=settings, source=source, base_dir=Path(base_dir))
    if check_model:
        problems += _model_problems(recipe)
    if problems:
        raise BadInput(_problem_message(source, problems))
    return recipe


def _drop_none(raw: Any) -> Any:
    if isinstance(raw, dict):
        return {k: _drop_none(v) for k, v in raw.items() if v is not None}
    return raw


def _problem_message(source: str, problems: list[str]) -> str:
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    return f"{source}: recipe has {count}:\n" + "\n".join(f"  - {p}" for p in problems)


def load_recipe(
    path: str | Path, *, base_dir: str | Path | None = None, check_model: bool = True
) -> Recipe:
    """Load and validate a recipe file. Relative paths in it resolve against `base_dir`
    (default: the folder holding the recipe; the CLI passes the workspace root)."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(
            f"{path}: recipe file not found; recipes live in the workspace's train/ folder"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(
            f"{path}: not a text recipe (not valid UTF-8 at byte {error.start}); recipes are TOML or YAML"
        ) from None
    raw, located = _parse(text, str(path))
    return recipe_from_dict(
        raw,
        located=located,
        source=str(path),
        base_dir=Path(base_dir) if base_dir is not None else path.parent,
        check_model=check_model,
    )
