"""Several processes appending at once never fork or break the ledger chain."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from govern.audit import verify_workspace

WRITERS = 4
ENTRIES_EACH = 25


def _append_many(root: str, writer: int) -> None:
    from govern import ledger
    from govern.keys import load_identity
    from govern.workspace import Workspace

    workspace = Workspace(Path(root))
    admin = load_identity(workspace.keys_dir / "admin.key")
    for n in range(ENTRIES_EACH):
        with workspace.catalog.transaction() as session:
            ledger.append(session, admin, "gate.refused", [f"writer-{writer}"], {"n": n})
    workspace.catalog.dispose()


def test_concurrent_writers_keep_one_unbroken_chain(fresh_workspace) -> None:  # type: ignore[no-untyped-def]
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_append_many, args=(str(fresh_workspace.root), w)) for w in range(WRITERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
        assert process.exitcode == 0
    result = verify_workspace(fresh_workspace)
    assert result.ok, result.problems
    assert result.entries == 1 + WRITERS * ENTRIES_EACH
