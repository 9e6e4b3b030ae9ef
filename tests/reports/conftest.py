"""A real pipeline, built once for the report tests: consent, a dataset, a PII scan and an
anonymized snapshot (where the scanner works), a signed approval and a 3-step DP-LoRA run on a
tiny model. Tests that change the catalog work on a copy (`pipeline_copy`)."""

from __future__ import annotations

import json
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _new_key
from tests.pipeline import EXAMPLES, governed_workspace


@dataclass
class Pipeline:
    """The state the report tests read: a workspace after one gated, private training run."""

    workspace: Any
    engineer: Any
    officer: Any
    auditor: Any
    raw_snapshot: str
    trained_snapshot: str
    run_id: str
    result: dict[str, Any]
    anonymized: bool
    scan_skip_reason: str | None = None
    key_files: list[Path] = field(default_factory=list)


def records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EXAMPLES.read_text().splitlines() if line.strip()]


def _with_personal_data(path: Path) -> Path:
    """The example records, ten of them carrying a customer's name and e-mail address as real tickets do."""
    rows = records()
    for row in rows[:10]:
        row["completion"] += " Write to maria.gonzalez@example.com, Maria Gonzalez."
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def build_pipeline(root: Path) -> Pipeline:
    from govern.ingest.datasets import add_version
    from govern.policy.approvals import approve
    from govern.training.runs import start_run
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl

    model = build_tiny_model(root / "model", corpus_from_jsonl(EXAMPLES, ("text",)))
    workspace, engineer, officer, _ = governed_workspace(
        root, model, pack="reports", budget=10, jurisdiction="EU"
    )
    auditor = _new_key(workspace, "auditor", "audrey")
    raw = add_version(
        workspace, engineer, "support", _with_personal_data(root / "support-with-pii.jsonl")
    ).snapshot
    trained, anonymized, reason = raw.id, False, None
    try:  # the real scanner and anonymizer (govern.pii.scans); reports work without them
        from govern.pii.scans import anonymize_snapshot

        trained, anonymized = (
            anonymize_snapshot(workspace, engineer, raw.id).derived.snapshot.id,
            True,
        )
    except Exception as error:
        reason = f"PII scan/anonymize failed ({type(error).__name__}: {str(error)[:200]})"
        warnings.warn(f"report tests run without a scan: {reason}", stacklevel=1)
    approve(workspace, officer, trained)
    result = start_run(workspace, engineer, Path("train/reports.toml"), [trained])
    keys = [
        workspace.keys_dir / "admin.key",
        *(workspace.root / f"{n}.key" for n in ("erin", "olga", "audrey")),
    ]
    return Pipeline(
        workspace,
        engineer,
        officer,
        auditor,
        raw.id,
        trained,
        result["run_id"],
        result,
        anonymized,
        reason,
        keys,
    )


@pytest.fixture(scope="session")
def trained_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """Built once per session; tests must not change it (use `pipeline_copy` for that)."""
    pytest.importorskip("opacus", reason="report tests train a tiny model: they need govern[train]")
    pipeline = build_pipeline(tmp_path_factory.mktemp("reports"))
    yield pipeline
    pipeline.workspace.catalog.dispose()


@pytest.fixture
def pipeline_copy(trained_pipeline: Pipeline, tmp_path: Path) -> Pipeline:
    """A private copy of the trained workspace (SQLite catalog, objects, keys) a test may change."""
    from govern.workspace import Workspace

    source = trained_pipeline.workspace.root
    target = tmp_path / "copy"
    shutil.copytree(source, target, symlinks=True)
    workspace = Workspace(target)
    copy = Pipeline(**{**trained_pipeline.__dict__, "workspace": workspace})
    yield copy
    workspace.catalog.dispose()
    for path in target.rglob("*"):  # snapshot folders are read-only; let tmp cleanup remove them
        if path.is_dir():
            path.chmod(0o755)
