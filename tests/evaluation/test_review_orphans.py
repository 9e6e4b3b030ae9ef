"""A `review sample` killed between its assignment file and its ledger entry leaves no orphan."""

from __future__ import annotations

import os
import time
from pathlib import Path

from govern import ledger
from govern.evaluation.blind_review import SAMPLE_EVENT, remove_orphan_assignments


def _assignment(workspace, sample_id: str, age_s: float) -> Path:  # type: ignore[no-untyped-def]
    path = Path(workspace.state_dir) / "secrets" / f"review-{sample_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def test_only_old_unledgered_assignment_files_are_removed(fresh_workspace, engineer) -> None:  # type: ignore[no-untyped-def]
    orphan = _assignment(fresh_workspace, "s-orphan", age_s=3600)
    orphan_items = orphan.with_name("review-s-orphan-items.jsonl")
    orphan_items.write_text("{}\n")
    in_flight = _assignment(fresh_workspace, "s-in-flight", age_s=5)
    recorded = _assignment(fresh_workspace, "s-recorded", age_s=3600)
    with fresh_workspace.catalog.transaction() as session:
        ledger.append(session, engineer, SAMPLE_EVENT, ["run-1", "s-recorded"], {"n": 1})

    assert remove_orphan_assignments(fresh_workspace) == [orphan, orphan_items]
    assert not orphan.exists() and not orphan_items.exists()
    assert in_flight.exists()  # may still be between its file and its ledger entry
    assert recorded.exists()
