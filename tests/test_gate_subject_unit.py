"""A pack can require subject-level DP; the gate plans it on the snapshot's subject index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opacus", reason="gate tests train: they need govern[train]")

from govern import ledger
from govern.errors import Refused
from govern.policy.activation import activate_pack
from govern.policy.approvals import approve
from govern.training.runs import start_run
from tests.pipeline import EXAMPLES, PACK, governed_workspace


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl

    return build_tiny_model(
        tmp_path_factory.mktemp("tiny") / "model", corpus_from_jsonl(EXAMPLES, ("text",))
    )


def _events(workspace: Any, name: str) -> list[dict[str, Any]]:
    with workspace.catalog.reading() as session:
        return [json.loads(e.payload) for e in ledger.iter_entries(session) if e.event == name]


@pytest.mark.slow
def test_a_pack_requiring_the_subject_unit_refuses_record_level_and_admits_subject_level(
    tmp_path: Path, tiny_model: Path
) -> None:
    workspace, engineer, officer, snapshot = governed_workspace(tmp_path, tiny_model, pack="gate")
    pack = PACK.replace("NAME", "persons").replace("BUDGET", "100").replace("PER_RUN", "3.5")
    pack = pack.replace("    required: true\n", "    required: true\n    unit: subject\n")
    (workspace.root / "policies" / "persons.yaml").write_text(pack)
    activate_pack(workspace, officer, "persons")
    approve(workspace, officer, snapshot.id)

    with pytest.raises(Refused) as caught:
        start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])
    assert "subject-level DP" in str(caught.value)
    assert any("dp.unit" in r for r in _events(workspace, "gate.refused")[-1]["reasons"])

    recipe = (workspace.root / "train" / "gate.toml").read_text()
    recipe = recipe.replace("[dp]\n", '[dp]\nunit = "subject"\nmax_records_per_subject = 2\n')
    (workspace.root / "train" / "persons.toml").write_text(recipe)
    result = start_run(workspace, engineer, Path("train/persons.toml"), [snapshot.id])
    subjects = {json.loads(line)["subject_id"] for line in EXAMPLES.read_text().splitlines()}
    assert result["privacy_unit"] == "subject" and result["max_records_per_subject"] == 2
    assert result["sample_rate"] == 16 / len(subjects)
    assert 0 < result["epsilon"] <= 3.0 + 1e-6
    started = _events(workspace, "run.started")[-1]
    assert started["privacy_unit"] == "subject" and started["max_records_per_subject"] == 2

    from govern.lineage.attest import build_statement
    from govern.lineage.openlineage import run_events
    from govern.reports.run import build_run_report
    from govern.training.run_status import get_run

    dp = build_run_report(workspace, result["run_id"])["dp"]
    assert dp["privacy_unit"].startswith("one data subject") and dp["max_records_per_subject"] == 2
    assert "adding or removing one data subject" in dp["statement"]
    facets = [e["run"]["facets"]["govern_dp"] for e in run_events(workspace, result["run_id"])]
    assert {f["privacyUnit"] for f in facets} == {"subject"}
    assert {f["maxRecordsPerSubject"] for f in facets} == {2}
    with workspace.catalog.reading() as session:
        statement = build_statement(session, get_run(session, result["run_id"]))
    guarantee = json.dumps(statement["predicate"])
    assert '"privacyUnit": "subject"' in guarantee and '"maxRecordsPerSubject": 2' in guarantee
