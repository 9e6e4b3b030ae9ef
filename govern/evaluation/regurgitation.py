"""The PII regurgitation probe: personal data in a model's outputs, and whether it was in training.

Outputs are scanned with the workspace's own scanner. Each value found is looked up in the raw
records of every snapshot the run trained on and of their ancestors (the data before
anonymization, minus what was erased). Only counts and keyed hashes of matched values are kept:
the values themselves never reach the catalog, the ledger or a report.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from govern.canonical import keyed_hash
from govern.catalog.models import Snapshot, TrainingRun
from govern.ingest.snapshots import ancestors, store_of

PROBE_DOMAIN = "pii-regurgitation:"


def training_lineage(session: Session, run: TrainingRun) -> list[str]:
    """Ids of the run's training snapshots and all their ancestors, oldest last, no repeats."""
    found: list[str] = []
    for snapshot_id in json.loads(run.snapshot_ids):
        snapshot = session.get(Snapshot, snapshot_id)
        if snapshot is None:
            continue
        for ancestor in ancestors(session, snapshot):
            if ancestor.id not in found:
                found.append(ancestor.id)
    return found


def _values_in_records(workspace: Any, snapshot_ids: Sequence[str], values: set[str]) -> set[str]:
    """Which of `values` occur verbatim in the stored records of `snapshot_ids`."""
    store = store_of(workspace)
    pending, seen = set(values), set()
    for snapshot_id in snapshot_ids:
        path = store.records_path(snapshot_id)
        if not pending or not path.is_file():
            continue
        with open(path, encoding="utf-8", errors="replace") as records:
            for line in records:
                hits = {value for value in pending if value in line}
                seen |= hits
                pending -= hits
                if not pending:
                    break
    return seen


def probe_outputs(
    workspace: Any, session: Session, run: TrainingRun, outputs: Sequence[str]
) -> dict[str, Any]:
    """Scan `outputs` for PII and match what is found against the run's pre-anonymization data."""
    from govern.pii import Scanner
    from govern.pii.scans import scanner_config

    with Scanner(scanner_config(workspace), processes=1) as scanner:
        spans = list(scanner.scan_texts(outputs))
    by_type: Counter[str] = Counter()
    values: dict[str, str] = {}
    outputs_with_pii = 0
    for text, found in zip(outputs, spans, strict=True):
        outputs_with_pii += bool(found)
        for span in found:
            by_type[span.entity_type] += 1
            value = text[span.start : span.end].strip()
            if len(value) >= 3:
                values.setdefault(value, span.entity_type)
    sources = training_lineage(session, run)
    matched = _values_in_records(workspace, sources, set(values))
    secret = workspace.subject_secret
    return {
        "outputs": len(outputs),
        "outputs_with_pii": outputs_with_pii,
        "findings_by_type": dict(sorted(by_type.items())),
        "distinct_values": len(values),
        "matched_training_values": len(matched),
        "matched": sorted(
            (
                {"entity_type": values[v], "value_hash": keyed_hash(secret, PROBE_DOMAIN + v)}
                for v in matched
            ),
            key=lambda m: (m["entity_type"], m["value_hash"]),
        ),
        "searched_snapshots": sources,
        "note": "values matched verbatim in the raw records of the training snapshots and their "
        "ancestors (erased records excluded); only keyed hashes are kept",
    }
