"""Optional recipe settings added after the core schema (issue 18), kept apart from recipe.py.

Real-model settings:
    model.dtype: "float32" | "bfloat16" | "float16" (default "float32"): the base model's weights.
    model.gradient_checkpointing: bool (default false): recompute activations in the backward pass.
    data.format = "messages", data.messages_field: str (default "messages"): chat records.
The model card's fields (top level, none by default):
    license: SPDX expression the adapter is published under (default: its training data's)
    intended_use: what the adapter is for, in a sentence or a paragraph
    limitations: a string or a list of strings: what it must not be used for, known weaknesses
A key left at its default is dropped from the normalised recipe, so older recipes keep their hash.
"""

from __future__ import annotations

from typing import Any

DTYPES = ("float32", "bfloat16", "float16")
MESSAGES_FORMAT = "messages"
CARD_FIELDS = ("license", "intended_use", "limitations")
OPTIONAL_DEFAULTS: dict[str, dict[str, Any]] = {
    "model": {"dtype": "float32", "gradient_checkpointing": False},
    "data": {"messages_field": "messages"},
}


def extend_schema(schema: dict[str, Any], formats: tuple[str, ...], text: dict[str, Any]) -> None:
    """Add these settings to recipe.py's JSON schema (`text`: its non-empty string)."""
    properties = schema["properties"]
    properties["model"]["properties"].update(
        {"dtype": {"enum": list(DTYPES)}, "gradient_checkpointing": {"type": "boolean"}}
    )
    properties["data"]["properties"].update(
        {"format": {"enum": [*formats, MESSAGES_FORMAT]}, "messages_field": text}
    )
    properties.update(
        {
            "license": text,
            "intended_use": text,
            "limitations": {
                "oneOf": [text, {"type": "array", "items": text, "minItems": 1}],
            },
        }
    )


def optional_setting(settings: dict[str, Any], section: str, key: str) -> Any:
    """A real-model setting of a normalised recipe, its default when left out."""
    return settings[section].get(key, OPTIONAL_DEFAULTS[section][key])


def drop_optional_defaults(settings: dict[str, Any]) -> dict[str, Any]:
    """Drop settings left at their defaults (so the hash of an older recipe does not change)."""
    for section, defaults in OPTIONAL_DEFAULTS.items():
        for key, default in defaults.items():
            if settings.get(section, {}).get(key, default) == default:
                settings.get(section, {}).pop(key, None)
    data = settings.get("data", {})
    if data.get("format") == MESSAGES_FORMAT:  # the gate reads the field a recipe trains on
        data.setdefault("messages_field", OPTIONAL_DEFAULTS["data"]["messages_field"])
    if isinstance(settings.get("limitations"), str):
        settings["limitations"] = [settings["limitations"]]
    return settings


def option_problems(settings: dict[str, Any]) -> list[str]:
    """The card's licence must be a valid SPDX expression (checked before any compute)."""
    from govern.licenses import expression_problem

    license_text = settings.get("license")
    if license_text is None:
        return []
    problem = expression_problem(str(license_text), "license")
    return [problem] if problem else []
