"""Recipe errors are reported whole, each naming its key, before any data is read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from training_helpers import BASE_RECIPE, REPO, merged

from govern.errors import BadInput
from govern.training.recipe import load_recipe, recipe_from_dict


def _errors(raw: dict[str, Any], base_dir: Path) -> str:
    with pytest.raises(BadInput) as info:
        recipe_from_dict(raw, source="train/bad.toml", base_dir=base_dir)
    return str(info.value)


def test_unknown_key_is_named_with_its_section(tiny_model_dir: Path) -> None:
    raw = merged(BASE_RECIPE, {"lora": {"rank": 8}, "extra": 1})
    message = _errors(raw, tiny_model_dir.parent)
    assert "train/bad.toml" in message
    assert "lora.rank: unknown key" in message
    assert "extra: unknown key" in message


def test_every_problem_is_listed_at_once(tiny_model_dir: Path) -> None:
    raw = merged(
        BASE_RECIPE,
        {
            "lora": {"target_modules": ["q_proj", "attn_qkv"]},
            "schedule": {"physical_batch_size": 64},
        },
    )
    message = _errors(raw, tiny_model_dir.parent)
    assert "2 problems" in message
    assert "lora.target_modules: the model has no module named 'attn_qkv'" in message
    assert "q_proj" in message.split("attn_qkv")[1]  # lists the modules it does have
    assert (
        "schedule.physical_batch_size: 64 is larger than schedule.logical_batch_size (16)"
        in message
    )


def test_missing_model_folder_names_model_path(tmp_path: Path) -> None:
    message = _errors(BASE_RECIPE, tmp_path)
    assert "model.path: folder" in message and "does not exist" in message


def test_a_model_folder_without_weights_is_named_with_the_suffixes_looked_for(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    import shutil

    empty = tmp_path / "model"
    empty.mkdir()
    shutil.copy(tiny_model_dir / "config.json", empty / "config.json")
    message = _errors(BASE_RECIPE, tmp_path)
    assert "model.path:" in message and "holds no weight files (.safetensors, .bin" in message


def test_wrong_types_and_choices_name_the_key(tiny_model_dir: Path) -> None:
    raw = merged(
        BASE_RECIPE,
        {"dp": {"accountant": "moments", "max_grad_norm": -1}, "schedule": {"steps": "ten"}},
    )
    message = _errors(raw, tiny_model_dir.parent)
    assert "dp.accountant: 'moments' is not one of rdp, prv" in message
    assert "dp.max_grad_norm:" in message
    assert "schedule.steps:" in message


def test_epochs_and_steps_are_exclusive(tiny_model_dir: Path) -> None:
    message = _errors(merged(BASE_RECIPE, {"schedule": {"epochs": 1}}), tiny_model_dir.parent)
    assert "exactly one of schedule.epochs and schedule.steps" in message


def test_private_recipe_needs_a_target_epsilon_or_a_noise_multiplier(tiny_model_dir: Path) -> None:
    message = _errors(
        merged(BASE_RECIPE, {"dp": {"noise_multiplier": None}}), tiny_model_dir.parent
    )
    assert "dp.target_epsilon" in message


def test_embeddings_and_head_cannot_be_targets(tiny_model_dir: Path) -> None:
    message = _errors(
        merged(BASE_RECIPE, {"lora": {"target_modules": ["lm_head"]}}), tiny_model_dir.parent
    )
    assert "'lm_head' is an embedding or the LM head" in message


def test_toml_and_yaml_of_the_same_recipe_hash_the_same(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    import tomllib

    import yaml

    toml_text = """
[model]
path = "model"
[data]
format = "text"
[lora]
target_modules = ["q_proj"]
[dp]
target_epsilon = 3.0
[schedule]
steps = 5
logical_batch_size = 8
learning_rate = 0.001
"""
    (tmp_path / "a.toml").write_text(toml_text)
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(tomllib.loads(toml_text)))
    a = load_recipe(tmp_path / "a.toml", base_dir=tiny_model_dir.parent)
    b = load_recipe(tmp_path / "a.yaml", base_dir=tiny_model_dir.parent)
    assert a.hash == b.hash
    assert a["dp"]["accountant"] == "prv" and a.physical_batch_size == 8  # defaults filled in


def test_unparseable_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("model:\n  path: [unclosed\n")
    with pytest.raises(BadInput, match=r"bad.yaml, line \d+: not valid YAML"):
        load_recipe(path)


def test_shipped_recipes_validate(tiny_model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "tiny").symlink_to(tiny_model_dir, target_is_directory=True)
    for recipe_file in sorted((REPO / "train").iterdir()):
        recipe = load_recipe(recipe_file, base_dir=tmp_path)
        assert recipe.model_path == tmp_path / "models" / "tiny"


def test_plan_errors_need_only_the_number_of_examples(tiny_model_dir: Path) -> None:
    """Schema errors come first; batch-vs-N and delta-vs-1/N need only N, never the records."""
    from govern.training.plan import plan_run

    with pytest.raises(BadInput):
        recipe_from_dict(merged(BASE_RECIPE, {"lora": {"nope": 1}}), base_dir=tiny_model_dir.parent)
    recipe = recipe_from_dict(BASE_RECIPE, base_dir=tiny_model_dir.parent)
    with pytest.raises(
        BadInput, match="schedule.logical_batch_size: 16 exceeds the 10 approved examples"
    ):
        plan_run(recipe, 10)
    with pytest.raises(BadInput, match="dp.delta: 0.5 is not below 1/N"):
        plan_run(
            recipe_from_dict(
                merged(BASE_RECIPE, {"dp": {"delta": 0.5}}), base_dir=tiny_model_dir.parent
            ),
            160,
        )


def test_a_yaml_recipe_names_the_line_of_each_bad_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "model: {path: m}\ndata: {format: text}\nlora:\n  target_modules: [q_proj]\n"
        "  rank: 4\ndp:\n  accountant: moments\n"
        "schedule: {steps: 2, logical_batch_size: 4, learning_rate: 0.1}\n"
    )
    with pytest.raises(BadInput) as caught:
        load_recipe(path, check_model=False)
    message = str(caught.value)
    assert f"{path}, line 5: lora.rank: unknown key" in message
    assert f"{path}, line 7: dp.accountant: 'moments' is not one of rdp, prv" in message
