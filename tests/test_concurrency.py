"""Several processes appending at once never fork or break the ledger chain."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from govern.ledger.verify import verify_workspace

WRITERS = 4
ENTRIES_EACH = 25


def _append_many(root: str, writer: int) -> None:
    from govern import ledger
    from govern.ledger.keys import load_identity
    from govern.workspace import Workspace

    workspace = Workspace(Path(root))
    admin = load_identity(workspace.keys_dir / "admin.key")
    for n in range(ENTRIES_EACH):
        with workspace.catalog.transaction() as session:
            ledger.append(session, admin, "gate.refused", [f"writer-{writer}"], {"n": n})
    workspace.catalog.dispose()


def test_concurrent_writers_keep_one_unbroken_chain(fresh_workspace) -> None:  # type: ignore[no-untyped-def]
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_append_many, args=(str(fresh_workspace.root), w))
        for w in range(WRITERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
        assert process.exitcode == 0
    result = verify_workspace(fresh_workspace)
    assert result.ok, result.problems
    assert result.entries == 1 + WRITERS * ENTRIES_EACH


ADDERS = 8
_BARRIER_CLI = (
    "import sys, time, pathlib\nfrom govern.cli import main\ngo = pathlib.Path(sys.argv[1])\n"
    "while not go.exists():\n    time.sleep(0.005)\nmain(sys.argv[2:])\n"
)


@pytest.mark.postgres
def test_identical_add_versions_at_once_on_postgresql_all_end_cleanly(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    """Regression: eight identical `dataset add-version` runs at once; one hit UniqueViolation (a traceback)."""
    import json
    import os
    import subprocess
    import sys

    from govern import ledger
    from govern.ingest.datasets import DatasetSpec, add_dataset
    from tests.conftest import _new_key, make_workspace, write_jsonl

    workspace = make_workspace(tmp_path / "ws", postgres_schema_url).workspace
    engineer = _new_key(workspace, "engineer", "erin")

    spec = DatasetSpec(
        name="d",
        source="s",
        license="MIT",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field="id",
    )
    add_dataset(
        workspace,
        engineer,
        spec,
        write_jsonl(tmp_path / "v1.jsonl", [{"id": "a", "subject": "s", "text": "one"}]),
    )
    version = write_jsonl(
        tmp_path / "v2.jsonl",
        [{"id": f"r{i}", "subject": f"s{i % 7}", "text": f"text {i}"} for i in range(2000)],
    )
    go = tmp_path / "go"
    env = {
        **os.environ,
        "GOVERN_WORKSPACE": str(workspace.root),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _BARRIER_CLI,
                str(go),
                "dataset",
                "add-version",
                "d",
                str(version),
                "--key",
                str(workspace.root / "erin.key"),
                "--json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(ADDERS)
    ]
    time.sleep(3)  # let every process import govern and wait at the barrier
    go.touch()
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert "Traceback" not in output, output
        assert process.returncode in (0, 2), output
    created = [
        json.loads(output)["created"]
        for process, output in zip(processes, outputs, strict=True)
        if process.returncode == 0
    ]
    assert created.count(True) == 1 and len(created) == ADDERS, outputs
    with workspace.catalog.reading() as session:
        assert sum(e.event == "snapshot.created" for e in ledger.iter_entries(session)) == 2
    result = verify_workspace(workspace)
    assert result.ok, result.problems
    assert sorted(p.name for p in workspace.tmp_dir.iterdir()) == []
    workspace.catalog.dispose()
