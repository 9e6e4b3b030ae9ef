"""Training recipes: TOML or YAML files, validated against a schema before any data or compute.

A recipe names the base model, the data format, the LoRA adapter, quantization, differential
privacy and the schedule. `load_recipe` collects every problem (unknown keys, wrong types, a
missing model folder, target modules the model lacks, a physical batch larger than the logical
one or than memory, a value past a planning ceiling of limits.py) and raises one `BadInput`
listing them all, each naming its key. The model is probed by model.py (meta device, no weights). The recipe hash is the
canonical hash of the normalised recipe (defaults filled in), so two files that mean the same
thing hash the same.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.canonical import hash_value
from govern.errors import BadInput
from govern.training.limits import MAX_EPSILON, MAX_STEPS
from govern.training.model import hash_model_folder  # noqa: F401  (govern.training.runs hashes the model through here)
from govern.training.recipe_options import (  # noqa: F401  (DTYPES, MESSAGES_FORMAT: re-exported)
    DTYPES,
    MESSAGES_FORMAT,
    drop_optional_defaults,
    extend_schema,
    option_problems,
    optional_setting,
)
from govern.training.shard_settings import TRAIN_SECTION, shard_problems

QUANTIZATIONS = ("none", "8bit", "4bit-nf4")
ACCOUNTANTS = ("rdp", "prv")
CLIPPING_MODES = ("auto", "ghost", "hooks")
FORMATS = ("text", "prompt_completion")
OPTIMIZERS = ("adamw", "sgd")
LR_SCHEDULES = ("constant", "linear")
PRIVACY_UNITS = ("record", "subject")
DEFAULT_MAX_RECORDS_PER_SUBJECT = 4

_num = {"type": "number"}
_pos_int = {"type": "integer", "minimum": 1}
_str = {"type": "string", "minLength": 1}


def _section(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required or [],
        "additionalProperties": False,
    }


SCHEMA: dict[str, Any] = _section(
    {
        "name": _str,
        "description": {"type": "string"},
        "output_dir": _str,
        "checkpoint_every": _pos_int,
        "keep_checkpoints": _pos_int,
        "model": _section(
            {
                "path": _str,
                "tokenizer": _str,
                "quantization": {"enum": list(QUANTIZATIONS)},
            },
            ["path"],
        ),
        "data": _section(
            {
                "format": {"enum": list(FORMATS)},
                "text_field": _str,
                "prompt_field": _str,
                "completion_field": _str,
                "max_length": {"type": "integer", "minimum": 2},
                "add_eos": {"type": "boolean"},
            },
            ["format"],
        ),
        "lora": _section(
            {
                "r": _pos_int,
                "alpha": {"type": "number", "exclusiveMinimum": 0},
                "dropout": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": 1},
                "target_modules": {"type": "array", "items": _str, "minItems": 1},
            },
            ["target_modules"],
        ),
        "dp": _section(
            {
                "enabled": {"type": "boolean"},
                "target_epsilon": {"type": "number", "exclusiveMinimum": 0},
                "noise_multiplier": {"type": "number", "exclusiveMinimum": 0},
                "delta": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "max_grad_norm": {"type": "number", "exclusiveMinimum": 0},
                "accountant": {"enum": list(ACCOUNTANTS)},
                "clipping": {"enum": list(CLIPPING_MODES)},
                "secure_rng": {"type": "boolean"},
                "unit": {"enum": list(PRIVACY_UNITS)},
                "max_records_per_subject": _pos_int,
            }
        ),
        "schedule": _section(
            {
                "epochs": {"type": "number", "exclusiveMinimum": 0},
                "steps": _pos_int,
                "logical_batch_size": _pos_int,
                "physical_batch_size": _pos_int,
                "learning_rate": {"type": "number", "exclusiveMinimum": 0},
                "optimizer": {"enum": list(OPTIMIZERS)},
                "weight_decay": {"type": "number", "minimum": 0},
                "lr_schedule": {"enum": list(LR_SCHEDULES)},
                "warmup_steps": {"type": "integer", "minimum": 0},
                "seed": {"type": "integer", "minimum": 0},
            },
            ["logical_batch_size", "learning_rate"],
        ),
        "audit": _section(
            {
                "canaries": {"type": "integer", "minimum": 0, "maximum": 100000},
                "canary_length": {"type": "integer", "minimum": 4, "maximum": 256},
                "canary_repeats": _pos_int,
                "canary_prefix": _str,
            },
            ["canaries"],
        ),
        "train": TRAIN_SECTION,
    },
    ["model", "data", "lora", "dp", "schedule"],
)

# Real-model settings and the model card's fields (issue 18) are recipe_options.py's.
extend_schema(SCHEMA, FORMATS, _str)

DEFAULTS: dict[str, Any] = {
    "name": None,
    "description": "",
    "output_dir": "runs",
    "checkpoint_every": 50,
    "keep_checkpoints": 2,
    "model": {"tokenizer": None, "quantization": "none"},
    "data": {
        "text_field": "text",
        "prompt_field": "prompt",
        "completion_field": "completion",
        "max_length": 256,
        "add_eos": True,
    },
    "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
    "dp": {
        "enabled": True,
        "target_epsilon": None,
        "noise_multiplier": None,
        "delta": None,
        "max_grad_norm": 1.0,
        "accountant": "prv",
        "clipping": "auto",
        "secure_rng": True,
    },
    "schedule": {
        "epochs": None,
        "steps": None,
        "physical_batch_size": None,
        "optimizer": "adamw",
        "weight_decay": 0.0,
        "lr_schedule": "constant",
        "warmup_steps": 0,
        "seed": 0,
    },
}

# dp.unit and dp.max_records_per_subject, like [audit], are filled in only when set (a
# record-level recipe keeps its hash); `Recipe.privacy_unit` reads them.

# The optional [audit] section (canaries for the empirical privacy audit). Its defaults are
# filled in only when the section is present, so recipes without it keep their hashes.
AUDIT_DEFAULTS: dict[str, Any] = {
    "canary_length": 12,
    "canary_repeats": 1,
    "canary_prefix": "The secret code is",
}


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


def _merge_defaults(raw: dict[str, Any]) -> dict[str, Any]:
    settings = copy.deepcopy(raw)
    for key, default in DEFAULTS.items():
        if isinstance(default, dict):
            section = settings.setdefault(key, {})
            for sub, value in default.items():
                section.setdefault(sub, copy.deepcopy(value))
        else:
            settings.setdefault(key, default)
    if "audit" in settings:
        for sub, value in AUDIT_DEFAULTS.items():
            settings["audit"].setdefault(sub, value)
    if settings["dp"].get("unit") == "subject":
        settings["dp"].setdefault("max_records_per_subject", DEFAULT_MAX_RECORDS_PER_SUBJECT)
    return drop_optional_defaults(settings)


def _where(path: Any) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _schema_problems(raw: Any) -> list[str]:
    from jsonschema import Draft202012Validator

    problems = []
    validator = Draft202012Validator(SCHEMA)
    for error in sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.path))):
        where = _where(error.absolute_path)
        if error.validator == "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            extra = sorted(set(error.instance) - set(allowed))
            for key in extra:
                full = f"{where}.{key}" if error.absolute_path else key
                problems.append(f"{full}: unknown key; allowed keys here: {', '.join(allowed)}")
        elif error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            full = f"{where}.{missing}" if error.absolute_path else missing
            problems.append(f"{full}: required key is missing")
        elif error.validator == "enum":
            choices = ", ".join(map(str, error.validator_value))
            problems.append(f"{where}: {error.instance!r} is not one of {choices}")
        else:
            problems.append(f"{where}: {error.message}")
    return problems


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
    if source.endswith(".toml"):
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise BadInput(f"{source}: not valid TOML: {error}") from error
        except RecursionError:
            raise BadInput(f"{source}: nested too deeply to read") from None
    if source.endswith((".yaml", ".yml")):
        import yaml

        from govern import safe_yaml

        try:
            raw = safe_yaml.load(text, source)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f", line {mark.line + 1}" if mark is not None else ""
            raise BadInput(f"{source}{where}: not valid YAML: {error}") from error
        if not isinstance(raw, dict):
            raise BadInput(
                f"{source}: a recipe is a mapping of sections (model, data, lora, dp, schedule)"
            )
        return raw
    raise BadInput(f"{source}: a recipe is a .toml, .yaml or .yml file")


def recipe_from_dict(
    raw: dict[str, Any],
    *,
    source: str = "<recipe>",
    base_dir: Path | str = ".",
    check_model: bool = True,
) -> Recipe:
    """Validate a parsed recipe; raise one BadInput listing every problem, each naming its key.

    A key set to None counts as unset (normalised recipes, as stored in run.json, carry them).
    """
    raw = _drop_none(raw)
    problems = _schema_problems(raw)
    if problems:
        raise BadInput(_problem_message(source, problems))
    settings = _merge_defaults(raw)
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
    raw = parse_recipe_text(text, str(path))
    return recipe_from_dict(
        raw,
        source=str(path),
        base_dir=Path(base_dir) if base_dir is not None else path.parent,
        check_model=check_model,
    )
