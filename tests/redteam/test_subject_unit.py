"""Red team: a pack's `dp.unit: subject` must hold for the whole adapter, not only its last stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govern.errors import Refused
from govern.policy.activation import activate_pack
from govern.policy.approvals import approve
from govern.training.runs import start_run
from tests.pipeline import PACK

pytestmark = pytest.mark.slow


def test_continuing_a_record_level_adapter_does_not_satisfy_a_subject_pack(
    trained: Any,
) -> None:
    workspace, engineer, officer, record_run, snapshot = trained
    pack = PACK.replace("NAME", "persons").replace("BUDGET", "100").replace("PER_RUN", "3.5")
    pack = pack.replace("    required: true\n", "    required: true\n    unit: subject\n")
    (workspace.root / "policies" / "persons.yaml").write_text(pack)
    activate_pack(workspace, officer, "persons", reason="persons, not records")
    approve(workspace, officer, snapshot.id)
    recipe = (workspace.root / "train" / "gate.toml").read_text()
    recipe = recipe.replace("[dp]\n", '[dp]\nunit = "subject"\nmax_records_per_subject = 2\n')
    (workspace.root / "train" / "persons.toml").write_text(recipe)
    with pytest.raises(Refused, match="unit|subject"):
        result = start_run(
            workspace, engineer, Path("train/persons.toml"), [snapshot.id], init_run_id=record_run
        )
        print(result.get("privacy_unit"), result.get("epsilon"), result.get("chain_epsilon"))
