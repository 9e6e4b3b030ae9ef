"""The structure of a training recipe, declared once: one pydantic model per section.

A new recipe setting is one field on its section's model below, with its default (and, for a
section a recipe may leave out, a new section model with a field on `RecipeModel`). So that a
recipe written before the setting existed keeps its hash, list the new key in
`OMITTED_WHEN_DEFAULT` (left out of the normalised recipe while at its default) or give it the
default None and list it in `OMITTED_WHEN_NONE`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from govern.config_models import Model, Number, StrictBool, StrictInt, StrictStr
from govern.training.shard_settings import MAX_SHARDS

Quantization = Literal["none", "8bit", "4bit-nf4"]
Accountant = Literal["rdp", "prv"]
Clipping = Literal["auto", "ghost", "hooks"]
DataFormat = Literal["text", "prompt_completion", "messages"]
Optimizer = Literal["adamw", "sgd"]
LrSchedule = Literal["constant", "linear"]
PrivacyUnit = Literal["record", "subject"]
Dtype = Literal["float32", "bfloat16", "float16"]

Text = Annotated[StrictStr, StringConstraints(min_length=1)]
PositiveInt = Annotated[StrictInt, Field(ge=1)]


class ModelSection(Model):
    """[model]: the base model folder and how its weights are loaded."""

    path: Text
    tokenizer: Text | None = None
    quantization: Quantization = "none"
    dtype: Dtype = "float32"  # issue 18
    gradient_checkpointing: StrictBool = False  # issue 18: recompute activations in backward


class DataSection(Model):
    """[data]: the record format and the fields a recipe trains on."""

    format: DataFormat
    text_field: Text = "text"
    prompt_field: Text = "prompt"
    completion_field: Text = "completion"
    max_length: StrictInt = Field(256, ge=2)
    add_eos: StrictBool = True
    messages_field: Text = "messages"  # issue 18: chat records (format "messages")


class LoraSection(Model):
    """[lora]: the adapter."""

    r: PositiveInt = 8
    alpha: Number = Field(16, gt=0)
    dropout: Number = Field(0.0, ge=0, lt=1)
    target_modules: tuple[Text, ...] = Field(min_length=1)


class DpSection(Model):
    """[dp]: differential privacy (on unless `enabled = false`)."""

    enabled: StrictBool = True
    target_epsilon: Number | None = Field(None, gt=0)
    noise_multiplier: Number | None = Field(None, gt=0)
    delta: Number | None = Field(None, gt=0, lt=1)
    max_grad_norm: Number = Field(1.0, gt=0)
    accountant: Accountant = "prv"
    clipping: Clipping = "auto"
    secure_rng: StrictBool = True
    unit: PrivacyUnit | None = None  # what one ε protects; "record" when unset
    max_records_per_subject: PositiveInt | None = None  # subject-level DP only (default 4)


class ScheduleSection(Model):
    """[schedule]: how long and how fast."""

    epochs: Number | None = Field(None, gt=0)
    steps: PositiveInt | None = None
    logical_batch_size: PositiveInt
    physical_batch_size: PositiveInt | None = None
    learning_rate: Number = Field(gt=0)
    optimizer: Optimizer = "adamw"
    weight_decay: Number = Field(0.0, ge=0)
    lr_schedule: LrSchedule = "constant"
    warmup_steps: StrictInt = Field(0, ge=0)
    seed: StrictInt = Field(0, ge=0)


class AuditSection(Model):
    """[audit] (optional): canaries planted for the empirical privacy audit."""

    canaries: StrictInt = Field(ge=0, le=100_000)
    canary_length: StrictInt = Field(12, ge=4, le=256)
    canary_repeats: PositiveInt = 1
    canary_prefix: Text = "The secret code is"


class TrainSection(Model):
    """[train] (optional): `shards = k` trains k adapters on disjoint subjects (shard_settings.py)."""

    shards: PositiveInt | None = Field(None, le=MAX_SHARDS)


class RecipeModel(Model):
    """A training recipe (TOML or YAML)."""

    name: Text | None = None
    description: StrictStr = ""
    output_dir: Text = "runs"
    checkpoint_every: PositiveInt = 50
    keep_checkpoints: PositiveInt = 2
    model: ModelSection
    data: DataSection
    lora: LoraSection
    dp: DpSection
    schedule: ScheduleSection
    audit: AuditSection | None = None
    train: TrainSection | None = None
    # the model card's fields (recipe_options.py)
    license: Text | None = None
    intended_use: Text | None = None
    limitations: Text | Annotated[tuple[Text, ...], Field(min_length=1)] | None = None


DEFAULT_MAX_RECORDS_PER_SUBJECT = 4
# Keys filled in only when a recipe sets them, so recipes written before they existed keep their hash.
OMITTED_WHEN_NONE: dict[str, tuple[str, ...]] = {
    "": ("audit", "train", "license", "intended_use", "limitations"),
    "dp": ("unit", "max_records_per_subject"),
}
OMITTED_WHEN_DEFAULT: dict[str, tuple[str, ...]] = {
    "model": ("dtype", "gradient_checkpointing"),
    "data": ("messages_field",),
}


def normalised(recipe: RecipeModel) -> dict[str, Any]:
    """The recipe as plain data with every default filled in, less the keys listed above."""
    settings: dict[str, Any] = recipe.model_dump(mode="json")
    if recipe.train is not None:  # as written: `[train]` alone stays an empty table
        settings["train"] = recipe.train.model_dump(mode="json", exclude_unset=True)
    if isinstance(settings["limitations"], str):
        settings["limitations"] = [settings["limitations"]]
    if settings["dp"]["unit"] == "subject" and settings["dp"]["max_records_per_subject"] is None:
        settings["dp"]["max_records_per_subject"] = DEFAULT_MAX_RECORDS_PER_SUBJECT
    for section, keys in OMITTED_WHEN_NONE.items():
        table = settings[section] if section else settings
        for key in keys:
            if table.get(key) is None:
                table.pop(key, None)
    for section, keys in OMITTED_WHEN_DEFAULT.items():
        model = type(getattr(recipe, section))
        for key in keys:
            if settings[section][key] == model.model_fields[key].default:
                del settings[section][key]
    if settings["data"]["format"] == "messages":  # the gate reads the field a recipe trains on
        settings["data"].setdefault(
            "messages_field", DataSection.model_fields["messages_field"].default
        )
    return settings


def default_of(section: str, key: str) -> Any:
    """The default of a setting that may be left out of a normalised recipe."""
    model = RecipeModel.model_fields[section].annotation
    assert isinstance(model, type) and issubclass(model, Model)
    return model.model_fields[key].default
