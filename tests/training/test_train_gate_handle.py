"""Issue 10.13: the trainer reads only the gate's handle, and no recipe key makes the noise predictable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from training_helpers import BASE_RECIPE, REPO, merged

from govern.errors import BadInput


class LooksLikeGatedData:
    """Everything the old duck-typed protocol asked for: snapshot ids and read()."""

    def __init__(self, records: list[Any]) -> None:
        self.snapshot_ids = ["snap-made-up"]
        self.records = records

    def read(self) -> Any:
        return iter(self.records)


def test_train_and_resume_refuse_any_object_that_is_not_the_gates_handle(
    make_recipe: Any, support_data: Any, tmp_path: Path
) -> None:
    from govern.training import resume, train

    fake = LooksLikeGatedData(list(support_data.read()))
    with pytest.raises(BadInput, match="must be the gate's handle"):
        train(make_recipe(), fake, run_dir=tmp_path / "fake")
    assert not (tmp_path / "fake" / "run.json").exists()  # refused before anything was written

    class StopAtFirstCheckpoint(Exception):
        pass

    from govern.training import TrainingHooks

    class Stop(TrainingHooks):
        def on_checkpoint(self, checkpoint: dict[str, Any], path: Path) -> None:
            raise StopAtFirstCheckpoint

    with pytest.raises(StopAtFirstCheckpoint):
        train(make_recipe(), support_data, run_dir=tmp_path / "real", hooks=Stop())
    with pytest.raises(BadInput, match="must be the gate's handle"):
        resume(tmp_path / "real", fake)


def test_no_recipe_key_seeds_the_noise(tiny_model_dir: Path) -> None:
    from govern.training.recipe import SCHEMA, recipe_from_dict

    with pytest.raises(BadInput, match=r"dp\.noise_seed: unknown key"):
        recipe_from_dict(
            merged(BASE_RECIPE, {"dp": {"noise_seed": 7}}), base_dir=tiny_model_dir.parent
        )
    assert "noise_seed" not in str(SCHEMA)
    for shipped in sorted((REPO / "train").iterdir()):
        assert "noise_seed" not in shipped.read_text(), shipped.name
