"""The model card as the Hugging Face Hub reads it: huggingface_hub's ModelCard parses the front
matter into license, base_model, datasets (snapshot ids), tags and the model-index's eval
results; intended use and limitations come from the recipe, whose new keys are validated."""

from __future__ import annotations

from typing import Any

import pytest

from govern.errors import BadInput
from govern.training.card import model_card_text
from govern.training.card_metadata import card_license, hub_license_fields
from govern.training.recipe import recipe_from_dict

SNAPSHOT = "ab" * 32
HELDOUT = "cd" * 32


def _run(**recipe_extra: Any) -> dict[str, Any]:
    return {
        "run_id": "run-0123abcd4567",
        "base_model": {"path": "/models/tiny-llama", "hash": "ee" * 32},
        "recipe_hash": "ff" * 32,
        "quantization": "none",
        "recipe": {
            "lora": {"r": 8, "alpha": 16, "target_modules": ["q_proj", "v_proj"]},
            **recipe_extra,
        },
    }


def _result(private: bool = True) -> dict[str, Any]:
    return {
        "private": private,
        "epsilon": 3.9 if private else None,
        "delta": 1e-5 if private else None,
        "accountant": "prv",
        "noise_multiplier": 1.1,
        "sample_rate": 0.1,
        "max_grad_norm": 1.0,
        "privacy_unit": "record",
        "steps": 30,
        "charged_steps": 30,
        "clipping_mode": "hooks",
        "privacy_rng": {"kind": "csprng", "description": "the OS CSPRNG"},
        "snapshot_ids": [SNAPSHOT],
    }


EVALUATION = {
    "suite": "heldout-answers",
    "snapshot_id": HELDOUT,
    "ledger_seq": 41,
    "metrics": {
        "rouge_l": {
            "adapter": {"mean": 0.41, "low": 0.35, "high": 0.47},
            "base": {"mean": 0.12, "low": 0.08, "high": 0.16},
            "delta": {"mean": 0.29, "low": 0.2, "high": 0.37},
        },
        "exact_match": {
            "adapter": {"mean": 0.25, "low": 0.1, "high": 0.4},
            "base": {"mean": 0.0, "low": 0.0, "high": 0.0},
            "delta": {"mean": 0.25, "low": 0.1, "high": 0.4},
        },
    },
}


def _card(text: str) -> Any:
    from huggingface_hub import ModelCard

    return ModelCard(text)


def test_the_hub_reads_license_base_model_datasets_and_tags() -> None:
    run = _run(
        intended_use="Answering customer-support questions in English.",
        limitations=["Not for medical or legal advice.", "English only."],
    )
    card = _card(model_card_text(run, _result(), ["CC-BY-4.0"]))
    data = card.data.to_dict()
    assert data["license"] == "cc-by-4.0"
    assert data["base_model"] == "tiny-llama"
    assert data["datasets"] == [SNAPSHOT]
    assert {"lora", "peft", "govern", "differential-privacy"} <= set(data["tags"])
    assert data["library_name"] == "peft" and data["pipeline_tag"] == "text-generation"
    assert data["govern"]["epsilon"] == 3.9 and data["govern"]["license_expression"] == "CC-BY-4.0"
    assert card.data.eval_results is None  # not evaluated: no model-index
    text = card.text
    assert "## Intended use\n\nAnswering customer-support questions in English." in text
    assert "- Not for medical or legal advice.\n- English only." in text
    assert "Not evaluated yet" in text


def test_eval_results_appear_in_the_model_index() -> None:
    card = _card(model_card_text(_run(), _result(), ["MIT"], [EVALUATION]))
    results = {r.metric_type: r for r in card.data.eval_results}
    assert set(results) == {"rouge_l", "exact_match"}
    rouge = results["rouge_l"]
    assert rouge.metric_value == pytest.approx(0.41)
    assert rouge.task_type == "text-generation" and rouge.dataset_revision == HELDOUT
    assert rouge.dataset_name.startswith("heldout-answers") and rouge.verified is False
    assert rouge.metric_args == {"low": 0.35, "high": 0.47, "base_mean": 0.12}
    assert rouge.dataset_args == {"suite": "heldout-answers", "ledger_entry": 41}
    assert card.data.model_name == "run-0123abcd4567"
    assert "| heldout-answers | rouge_l | 0.41 (0.35–0.47) | 0.12 |" in card.text


def test_the_recipe_license_wins_and_mixed_data_licences_are_joined() -> None:
    assert card_license("apache-2.0", ["CC-BY-4.0"]) == "Apache-2.0"
    assert card_license(None, ["MIT", "CC-BY-4.0", "MIT"]) == "CC-BY-4.0 AND MIT"
    assert card_license(None, []) is None
    assert hub_license_fields("CC-BY-4.0 AND MIT") == {
        "license": "other",
        "license_name": "cc-by-4.0-and-mit",
    }
    data = _card(model_card_text(_run(), _result(False), ["MIT", "CC-BY-4.0"])).data.to_dict()
    assert data["license"] == "other" and data["license_name"] == "cc-by-4.0-and-mit"
    assert "non-private" in data["tags"] and "differential-privacy" not in data["tags"]
    mine = _card(model_card_text(_run(license="Apache-2.0"), _result(), ["MIT"])).data
    assert mine.license == "apache-2.0"


def _raw(**top: Any) -> dict[str, Any]:
    return {
        "model": {"path": "model"},
        "data": {"format": "text"},
        "lora": {"target_modules": ["q_proj"]},
        "dp": {"noise_multiplier": 1.0, "delta": 1e-5},
        "schedule": {"steps": 2, "logical_batch_size": 2, "learning_rate": 1e-3},
        **top,
    }


def test_the_recipe_accepts_card_fields_without_changing_older_hashes() -> None:
    plain = recipe_from_dict(_raw(), check_model=False)
    carded = recipe_from_dict(
        _raw(intended_use="Support answers.", limitations="English only.", license="MIT"),
        check_model=False,
    )
    assert plain.hash != carded.hash and "intended_use" not in plain.settings
    assert carded.settings["limitations"] == ["English only."]
    assert recipe_from_dict(_raw(), check_model=False).hash == plain.hash


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        ({"license": "CC-BY-4"}, r"license 'CC-BY-4'"),
        ({"limitations": []}, r"limitations"),
        ({"intended_use": 3}, r"intended_use"),
    ],
)
def test_a_bad_card_field_is_named(top: dict[str, Any], expected: str) -> None:
    with pytest.raises(BadInput, match=expected):
        recipe_from_dict(_raw(**top), check_model=False)
