"""Red-team fixtures: one trained workspace per session, copied for each attack."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl
    from tests.pipeline import EXAMPLES

    return build_tiny_model(
        tmp_path_factory.mktemp("tiny") / "model", corpus_from_jsonl(EXAMPLES, ("text",))
    )


_TRAINED: dict[str, Any] = {}


@pytest.fixture
def trained(tmp_path: Path, tiny_model: Path) -> tuple[Any, Any, Any, str, Any]:
    """(workspace, engineer, officer, run_id, snapshot): one approved snapshot, one finished run."""
    pytest.importorskip("opacus", reason="red-team release attacks train a run")
    from govern.ledger.keys import load_identity
    from govern.policy.approvals import approve
    from govern.training.runs import start_run
    from govern.workspace import Workspace
    from tests.pipeline import governed_workspace

    if "root" not in _TRAINED:
        template = Path(tempfile.mkdtemp(prefix="govern-redteam-"))
        workspace, engineer, officer, snapshot = governed_workspace(template, tiny_model)
        approve(workspace, officer, snapshot.id)
        run = start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])
        workspace.catalog.dispose()
        _TRAINED.update(root=template, run_id=run["run_id"])
    shutil.copytree(_TRAINED["root"] / "ws", tmp_path / "ws", symlinks=True)
    workspace = Workspace(tmp_path / "ws")
    with workspace.catalog.reading() as session:
        from sqlmodel import select

        from govern.catalog.models import Snapshot

        snapshot = session.exec(select(Snapshot)).one()
    return (
        workspace,
        load_identity(workspace.root / "erin.key"),
        load_identity(workspace.root / "olga.key"),
        _TRAINED["run_id"],
        snapshot,
    )


def insert_row(workspace: Any, table: str, row: dict[str, Any]) -> None:
    """An INSERT written around govern, as anyone who can open the SQLite file can."""
    with workspace.catalog.engine.begin() as connection:
        connection.execute(
            text(
                f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"
            ),
            row,
        )
