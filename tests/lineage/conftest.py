"""A real pipeline for the lineage tests, built once: a source file registered, scanned (when the
scanner is installed), filtered into a derived snapshot without one subject, approved, trained on
with DP-LoRA, and a second run continued from the first run's adapter."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

EXCLUDED_SUBJECT = "subj-0010"  # filtered out of the derived snapshot
KEPT_SUBJECT = "subj-0042"  # in both snapshots, so in both runs


@dataclass
class TrainedPipeline:
    """Everything the lineage tests look at."""

    workspace: Any
    engineer: Any
    officer: Any
    source: Path
    root: Any  # the snapshot registered from the source file
    derived: Any  # root without EXCLUDED_SUBJECT's records
    scanned: bool
    first: dict[str, Any]  # result of the run on `derived`
    second: dict[str, Any]  # result of the run continued from `first`
    recovered: dict[str, Any]  # result of a run that failed once, then was resumed to completion
    narrowed: Any  # `derived` without KEPT_SUBJECT's records
    third: dict[
        str, Any
    ]  # continued from `first` on `narrowed`: holds KEPT_SUBJECT only through `first`


@pytest.fixture(scope="session")
def trained_pipeline(tmp_path_factory: pytest.TempPathFactory) -> TrainedPipeline:
    pytest.importorskip("opacus", reason="lineage pipeline tests train: they need govern[train]")
    from govern.ingest.derive import exclude_records
    from govern.policy.approvals import approve
    from govern.training.runs import start_run
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl
    from tests.test_gate import EXAMPLES, _pipeline

    model = build_tiny_model(
        tmp_path_factory.mktemp("tiny") / "model", corpus_from_jsonl(EXAMPLES, ("text",))
    )
    workspace, engineer, officer, root = _pipeline(tmp_path_factory.mktemp("lineage"), model)
    from govern.pii.scans import scan_snapshot

    scanned = True  # the governed workspace is scanned when it is built
    excluded = [
        json.loads(line)["id"]
        for line in EXAMPLES.read_text().splitlines()
        if json.loads(line)["subject_id"] == EXCLUDED_SUBJECT
    ]
    derived = exclude_records(
        workspace, engineer, root.id, excluded, "subject asked to be left out"
    ).snapshot
    scan_snapshot(workspace, engineer, derived.id, show_progress=False, processes=1)
    approve(workspace, officer, derived.id)
    first = start_run(workspace, engineer, Path("train/gate.toml"), [derived.id])
    second = start_run(
        workspace, engineer, Path("train/gate.toml"), [derived.id], init_run_id=first["run_id"]
    )
    recovered = _failed_then_resumed(workspace, engineer, derived.id)
    kept = [
        json.loads(line)["id"]
        for line in EXAMPLES.read_text().splitlines()
        if json.loads(line)["subject_id"] == KEPT_SUBJECT
    ]
    narrowed = exclude_records(
        workspace, engineer, derived.id, kept, "second stage without this subject"
    ).snapshot
    scan_snapshot(workspace, engineer, narrowed.id, show_progress=False, processes=1)
    approve(workspace, officer, narrowed.id)
    third = start_run(
        workspace, engineer, Path("train/gate.toml"), [narrowed.id], init_run_id=first["run_id"]
    )
    return TrainedPipeline(
        workspace,
        engineer,
        officer,
        EXAMPLES,
        root,
        derived,
        scanned,
        first,
        second,
        recovered,
        narrowed,
        third,
    )


def _failed_then_resumed(workspace: Any, engineer: Any, snapshot_id: str) -> dict[str, Any]:
    """A run whose first attempt fails (as an out-of-memory error would), resumed to completion."""
    from govern.training import trainer
    from govern.training.run_status import list_runs
    from govern.training.runs import resume_run, start_run

    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("simulated failure: CUDA out of memory")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trainer._Trainer, "_train", fail)
        with pytest.raises(RuntimeError, match="simulated failure"):
            start_run(workspace, engineer, Path("train/gate.toml"), [snapshot_id])
    with workspace.catalog.reading() as session:
        run_id = list_runs(session)[-1].id
    return resume_run(workspace, engineer, run_id)
