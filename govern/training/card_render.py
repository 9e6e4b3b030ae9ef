"""The model card's catalog side: the training data's licences, and `govern runs card RUN`.

The adapter folder's README.md is written once, when the run completes, and is one of the
adapter files the completion ledgers and attestations sign, so it never changes. After
`govern eval RUN --suite NAME`, `render_run_card` writes a second card (same metadata, plus the
model-index with the ledgered suite results) to a file of its own, and ledgers
`run.card_rendered` with the card's SHA-256 and the evaluation entries it states.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern import atomic, ledger
from govern.canonical import sha256_hex

if TYPE_CHECKING:
    from govern.ledger.keys import PrivateIdentity
    from govern.workspace import Workspace

CARD_EVENT = "run.card_rendered"
CARD_FILE = "MODEL_CARD.md"  # the re-rendered card's default name, in the run folder


def snapshot_licenses(session: Any, snapshot_ids: list[str]) -> list[str]:
    """The SPDX licence of each snapshot's dataset (the snapshots' own order)."""
    from govern.catalog.models import Dataset, Snapshot

    found = []
    for snapshot_id in snapshot_ids:
        snapshot = session.get(Snapshot, snapshot_id)
        dataset = session.get(Dataset, snapshot.dataset_id) if snapshot is not None else None
        if dataset is not None and dataset.license:
            found.append(str(dataset.license))
    return found


def data_licenses(data: Any) -> list[str]:
    """The licences of the gate handle's snapshots (for the card written when a run completes)."""
    with data.workspace.catalog.reading() as session:
        return snapshot_licenses(session, sorted(str(s) for s in data.snapshot_ids))


def render_run_card(
    workspace: Workspace, actor: PrivateIdentity, run_id: str, out: Path | None = None
) -> dict[str, Any]:
    """Write a completed run's card with its ledgered suite results to `out` (default the run
    folder's MODEL_CARD.md) and ledger it; return where, its hash and what it states."""
    from govern.errors import Refused
    from govern.evaluation.suite_run import suite_results
    from govern.ledger.authority import require
    from govern.training.card import model_card_text
    from govern.training.run_files import RESULT_FILE, read_run
    from govern.training.run_status import get_run

    with workspace.catalog.transaction() as session:
        signer = require(session, actor, "run.attest")
        run = get_run(session, run_id)
        if signer.role == "engineer" and actor.key_id != run.created_by:
            raise Refused(
                f"{signer.describe()} did not run {run.id}; the engineer who trained it, or an "
                "officer, renders its card"
            )
        run_dir = Path(run.output_dir)
        run_dir = run_dir if run_dir.is_absolute() else workspace.root / run_dir
        result_path = run_dir / RESULT_FILE
        if not result_path.is_file():
            raise Refused(f"run {run.id} has not completed ({result_path} is missing); no card yet")
        info, result = read_run(run_dir), json.loads(result_path.read_text(encoding="utf-8"))
        evaluations = suite_results(session, run.id)
        text = model_card_text(
            info, result, snapshot_licenses(session, list(result["snapshot_ids"])), evaluations
        )
        target = Path(out) if out is not None else run_dir / CARD_FILE
        digest = sha256_hex(text.encode("utf-8"))
        payload = {
            "run_id": run.id,
            "card_sha256": digest,
            "adapter_hash": result.get("adapter_hash"),
            "evaluations": [e["ledger_seq"] for e in evaluations],
        }
        entry = ledger.append(session, actor, CARD_EVENT, [run.id], payload)
        atomic.write(target, text, mode=0o644)  # inside the transaction: no entry without the file
    return {**payload, "path": str(target), "ledger_seq": entry.seq}
