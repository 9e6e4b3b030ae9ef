"""Derived snapshots: a parent snapshot passed through a transform (anonymize, consent filter).

The derived snapshot names its parent and the hash of the transform's configuration, so its
content is reproducible from the parent and recorded as such in the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from govern import clock
from govern.canonical import hash_value
from govern.catalog.models import Dataset, Snapshot, SnapshotRecord
from govern.errors import BadInput, IntegrityFailure
from govern.ingest.datasets import AddResult
from govern.ingest.readers import Record
from govern.ingest.record_schema import RecordSchema
from govern.ingest.snapshots import (
    commit_staged,
    iter_snapshot_records,
    resolve_snapshot,
    snapshot_problems,
    stage_records,
)
from govern.ledger.keys import PrivateIdentity
from govern.progress import progress

if TYPE_CHECKING:
    from govern.workspace import Workspace

Transform = Callable[[Iterable[tuple[int, Record]]], Iterator[tuple[int, Record]]]


def transform_hash(transform: str, config: dict[str, Any]) -> str:
    """The hash that names a transform and its configuration."""
    return hash_value({"transform": transform, "config": config})


def derive_snapshot(
    workspace: Workspace,
    actor: PrivateIdentity,
    parent_ref: str,
    transform: str,
    config: dict[str, Any],
    apply: Transform,
    extra_payload: dict[str, Any] | None = None,
    show_progress: bool | None = None,
) -> AddResult:
    """Stage `apply(parent records)` as a new snapshot of the parent's dataset and catalogue it.

    `apply` receives `(position, record)` pairs and yields `(position, record)` for the records
    to keep; it may drop records and change fields, but the dataset's record shape must hold.
    """
    with workspace.catalog.reading() as session:
        parent = resolve_snapshot(session, parent_ref)
        dataset = session.get(Dataset, parent.dataset_id)
        assert dataset is not None
        problems = snapshot_problems(workspace, session, parent)
    if problems:
        raise IntegrityFailure(
            f"cannot derive from a snapshot whose stored bytes do not verify: {problems[0]}"
        )
    schema = RecordSchema.of(dataset, workspace.config.max_record_bytes)
    source = f"snapshot {parent.id[:12]} through {transform}"
    the_hash = transform_hash(transform, config)
    with progress(
        f"{transform} {parent.id[:12]}", total=parent.record_count, enabled=show_progress
    ) as advance:
        records = apply(iter_snapshot_records(workspace, parent.id))
        try:
            staged = stage_records(workspace, dataset.id, records, schema, source, advance)
        except BadInput as error:
            if "holds no records" in str(error):
                raise BadInput(
                    f"{transform} of snapshot {parent.id[:12]} leaves no records; nothing to derive"
                ) from None
            raise
    dataset, snapshot, created = commit_staged(
        workspace,
        staged,
        actor,
        "snapshot.derive",
        lambda session: session.get_one(Dataset, parent.dataset_id),
        transform=transform,
        parent_id=parent.id,
        transform_hash=the_hash,
        extra_payload={"transform_config": config, **(extra_payload or {})},
    )
    return AddResult(dataset, snapshot, created)


def exclude_records(
    workspace: Workspace,
    actor: PrivateIdentity,
    parent_ref: str,
    record_keys: Iterable[str],
    reason: str,
) -> AddResult:
    """Derive a snapshot without the records whose keys are listed (e.g. subjects without consent)."""
    drop = set(record_keys)
    with workspace.catalog.reading() as session:
        parent: Snapshot = resolve_snapshot(session, parent_ref)
        positions = {
            position
            for position, key in session.exec(
                select(SnapshotRecord.position, SnapshotRecord.record_key).where(
                    SnapshotRecord.snapshot_id == parent.id
                )
            )
            if key in drop
        }

    def keep(records: Iterable[tuple[int, Record]]) -> Iterator[tuple[int, Record]]:
        return ((position, record) for position, record in records if position not in positions)

    config = {"reason": reason, "excluded_records_hash": hash_value(sorted(drop))}
    return derive_snapshot(
        workspace, actor, parent.id, "filter", config, keep, {"excluded_records": len(positions)}
    )


def filter_by_consent(
    workspace: Workspace, actor: PrivateIdentity, parent_ref: str, purpose: str | None = None
) -> tuple[AddResult, int]:
    """Derive a snapshot without the records whose subject holds no active grant for `purpose`
    (default: the active pack's consent purpose); returns it and how many records were left out."""

    from govern.consent.registry import coverage
    from govern.ledger.authority import require
    from govern.policy.activation import active_pack_in
    from govern.policy.decisions import erased_positions

    now = clock.now()
    with workspace.catalog.reading() as session:
        require(session, actor, "snapshot.derive")
        purposes = [purpose] if purpose else active_pack_in(workspace, session).consent_purposes()
        if not purposes:
            raise BadInput("the active pack names no consent purpose; pass --purpose")
        parent = resolve_snapshot(session, parent_ref)
        erased = erased_positions(session, parent.id)
        missing = sorted(
            {
                key
                for p in purposes
                for key in coverage(session, parent.id, p, now, erased).records_without_grant
            }
        )
    result = exclude_records(
        workspace, actor, parent.id, missing, f"no active consent for {', '.join(purposes)}"
    )
    return result, len(missing)
