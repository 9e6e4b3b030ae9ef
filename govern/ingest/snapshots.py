"""Immutable, content-addressed snapshots and their per-record subject index.

A snapshot's id is the SHA-256 over its dataset's id and its ordered record hashes, each record
hash being the SHA-256 of the record's canonical JSON (the dataset id keeps the same records
registered under two datasets, with two provenances, apart). Creating one is staged, then published:
records are validated and written to a staging folder while hashing (memory stays flat), the
folder is moved into the object store, and one database transaction adds the snapshot row, its
record index and the ledger entry. Any failure removes what was staged or published.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from govern import ledger, tmpfiles
from govern.canonical import sha256_hex
from govern.catalog.models import (
    Dataset,
    Snapshot,
    SnapshotRecord,
)
from govern.clock import utc_now
from govern.errors import BadInput, NotFound, StorageFailure, record_error
from govern.ingest.blocks import RecordBlock, serial_blocks
from govern.ingest.objectstore import MANIFEST_FILE, RECORDS_FILE, LocalObjectStore
from govern.ingest.readers import Record
from govern.ingest.record_schema import RecordSchema
from govern.ledger.keys import PrivateIdentity

if TYPE_CHECKING:
    from govern.workspace import Workspace

SNAPSHOT_DOMAIN = b"govern.snapshot.v1\n"
INDEX_FILE = "index.tsv"
CONTENT_DIR = "content"  # the part of a staging folder that is published to the object store
_INSERT_BATCH = 5000


@dataclass
class StagedSnapshot:
    """A snapshot written to a staging folder, hashed, not yet published or catalogued."""

    snapshot_id: str
    record_count: int
    byte_size: int
    index_hash: str
    staging_dir: Path
    source: str

    @property
    def content_dir(self) -> Path:
        """The folder to publish: records and manifest, without the staging index."""
        return self.staging_dir / CONTENT_DIR


def snapshot_digest_start(dataset_id: str) -> Any:
    """The running hash a snapshot id is computed with, before any record hash is added."""
    return hashlib.sha256(SNAPSHOT_DOMAIN + dataset_id.encode("utf-8") + b"\n")


def stage_records(
    workspace: Workspace,
    dataset_id: str,
    records: Iterable[tuple[int, Record]],
    schema: RecordSchema,
    source: object,
    advance: Any = None,
) -> StagedSnapshot:
    """Validate and write records to a new staging folder; the caller publishes or discards it."""
    blocks = serial_blocks(records, schema, source, workspace.subject_secret)
    return stage_blocks(workspace, dataset_id, blocks, source, advance)


def stage_blocks(
    workspace: Workspace,
    dataset_id: str,
    blocks: Iterable[RecordBlock],
    source: object,
    advance: Any = None,
) -> StagedSnapshot:
    """Write validated blocks, in order, to a new staging folder; the caller publishes or discards it.

    The folder is private (0700) and named for this process, so a sweep removes it if the
    process is killed; SIGTERM and SIGHUP unwind through the clean-up here.
    """
    staging = tmpfiles.owned_path(workspace.tmp_dir, "stage")
    try:
        with tmpfiles.terminable():
            tmpfiles.make_private_dir(staging)
            tmpfiles.make_private_dir(staging / CONTENT_DIR)
            return _write_staging(staging, dataset_id, blocks, source, advance)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise storage_failure(error, f"staging the records of {source}") from error
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            close()  # a generator of worker results stops its workers


def storage_failure(
    error: OSError, doing: str, outcome: str = "nothing was stored"
) -> StorageFailure:
    """A StorageFailure for an OSError met while `doing` something."""
    full = error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    reason = (
        "the disk is full (or the file is over a size limit)"
        if full
        else (error.strerror or str(error))
    )
    where = f" ({error.filename})" if error.filename else ""
    advice = "; free space and run the command again" if full else ""
    return StorageFailure(f"{doing} failed: {reason}{where}; {outcome}{advice}")


def _write_staging(
    staging: Path,
    dataset_id: str,
    blocks: Iterable[RecordBlock],
    source: object,
    advance: Any,
) -> StagedSnapshot:
    snapshot_digest = snapshot_digest_start(dataset_id)
    index_digest = hashlib.sha256()
    count = size = 0
    with (
        open(staging / CONTENT_DIR / RECORDS_FILE, "wb") as records_out,
        open(staging / CONTENT_DIR / MANIFEST_FILE, "w") as manifest_out,
        open(staging / INDEX_FILE, "w", encoding="utf-8") as index_out,
    ):
        for block in blocks:
            keys = block.keys or [str(count + i) for i in range(len(block.hashes))]
            index_lines = [
                f"{count + i}\t{key}\t{record_hash}\t{subject_hash}\n"
                for i, (key, record_hash, subject_hash) in enumerate(
                    zip(keys, block.hashes, block.subjects, strict=True)
                )
            ]
            records_out.write(block.data)
            manifest_out.write("".join(h + "\n" for h in block.hashes))
            index_out.write(
                "".join(f"{n}\t{i}" for n, i in zip(block.lines, index_lines, strict=True))
            )
            index_digest.update("".join(index_lines).encode("utf-8"))
            snapshot_digest.update(bytes.fromhex("".join(block.hashes)))
            count += len(block.hashes)
            size += len(block.data)
            if advance is not None:
                advance(len(block.hashes))
        for handle in (records_out, manifest_out, index_out):
            handle.flush()
            os.fsync(handle.fileno())
    if count == 0:
        raise BadInput(f"{source}: the file holds no records")
    return StagedSnapshot(
        snapshot_digest.hexdigest(), count, size, index_digest.hexdigest(), staging, str(source)
    )


def _index_rows(staged: StagedSnapshot) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    with open(staged.staging_dir / INDEX_FILE, encoding="utf-8") as handle:
        for line in handle:
            _, position, key, record_hash, subject_hash = line.rstrip("\n").split("\t")
            batch.append(
                {
                    "snapshot_id": staged.snapshot_id,
                    "position": int(position),
                    "record_key": key,
                    "record_hash": record_hash,
                    "subject_hash": subject_hash,
                }
            )
            if len(batch) >= _INSERT_BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def store_of(workspace: Workspace) -> LocalObjectStore:
    """The workspace's object store."""
    return LocalObjectStore(workspace.objects_dir)


def publish_staged(
    workspace: Workspace,
    session: Session,
    staged: StagedSnapshot,
    dataset: Dataset,
    actor: PrivateIdentity,
    *,
    transform: str,
    parent_id: str | None = None,
    transform_hash: str | None = None,
    source_name: str | None = None,
    source_sha256: str | None = None,
    extra_payload: dict[str, Any] | None = None,
) -> tuple[Snapshot, bool]:
    """Catalogue a staged snapshot inside `session`'s transaction; returns (snapshot, created).

    The same content already catalogued for this dataset is returned as is (created=False).
    Most callers want `commit_staged`, which wraps this with the publish and the clean-up.
    """
    existing = session.get(Snapshot, staged.snapshot_id)
    if existing is not None:
        return existing, False
    row = Snapshot(
        id=staged.snapshot_id,
        dataset_id=dataset.id,
        parent_id=parent_id,
        transform=transform,
        transform_hash=transform_hash,
        source_name=source_name,
        source_sha256=source_sha256,
        record_count=staged.record_count,
        byte_size=staged.byte_size,
        subject_index_hash=staged.index_hash,
        created_at=utc_now(),
        created_by=actor.key_id,
        ledger_seq=0,
    )
    refs = [row.id, dataset.id] + ([parent_id] if parent_id else [])
    ledger.record(session, actor, "snapshot.created", row, refs, extra_payload)
    session.flush()
    try:
        for batch in _index_rows(staged):
            session.execute(insert(SnapshotRecord), batch)
    except IntegrityError:
        # Duplicate ids are caught by the (snapshot_id, record_key) unique index, so ingest needs
        # no in-memory set of ids; only now, on the error path, is the index read to name the line.
        raise _duplicate_key_error(staged, staged.source) from None
    return row, True


def _duplicate_key_error(staged: StagedSnapshot, source: object) -> BadInput:
    seen: dict[str, str] = {}
    with open(staged.staging_dir / INDEX_FILE, encoding="utf-8") as handle:
        for entry in handle:
            line, _, key, _, _ = entry.split("\t")
            if key in seen:
                return record_error(
                    source, int(line), f"duplicate id {key!r} (first at line {seen[key]})"
                )
            seen[key] = line
    return BadInput(f"{source}: the record index could not be written (a duplicate key?)")


def commit_staged(
    workspace: Workspace,
    staged: StagedSnapshot,
    actor: PrivateIdentity,
    action: str,
    dataset_of: Callable[[Session], Dataset],
    **publish: Any,
) -> tuple[Dataset, Snapshot, bool]:
    """Publish a staged snapshot and catalogue it in one transaction, or leave nothing behind.

    Checks the actor's role, gets (or creates) the dataset with `dataset_of(session)`, calls
    `publish_staged` with `publish` and moves the staged folder into the object store; on any
    failure the published folder is removed, and the staging folder always is.
    """
    from govern.ledger.authority import require

    store = store_of(workspace)
    published = False
    try:
        with tmpfiles.terminable(), workspace.catalog.transaction() as session:
            require(session, actor, action)
            dataset = dataset_of(session)
            snapshot, created = publish_staged(
                workspace, session, staged, dataset, actor, **publish
            )
            # The folder moves last, once every row is in (a duplicate id leaves nothing in the
            # store), and under the write lock, so no other writer sees it before the commit.
            if created:
                store.publish(staged.content_dir, staged.snapshot_id)
                published = True
        return dataset, snapshot, created
    except BaseException as error:
        if published:
            store.remove(staged.snapshot_id)
        if isinstance(error, OSError):
            raise storage_failure(error, f"storing snapshot {staged.snapshot_id[:12]}") from error
        raise
    finally:
        discard_staging(staged)


def discard_staging(staged: StagedSnapshot) -> None:
    """Remove a staging folder (after publishing, only its index file is left in it)."""
    shutil.rmtree(staged.staging_dir, ignore_errors=True)


def resolve_snapshot(session: Session, ref: str) -> Snapshot:
    """A snapshot by full id or unique prefix (at least 6 hex digits)."""
    ref = ref.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{6,64}", ref):
        raise BadInput(
            f"{ref!r} is not a snapshot id: give its hex id or at least 6 of its first characters"
        )
    rows = session.exec(select(Snapshot).where(col(Snapshot.id).startswith(ref)).limit(2)).all()
    if not rows:
        raise NotFound(f"no snapshot {ref!r}; `govern snapshot list` shows them")
    if len(rows) > 1:
        raise BadInput(f"snapshot prefix {ref!r} is ambiguous; give more characters")
    return rows[0]


def ancestors(session: Session, snapshot: Snapshot) -> list[Snapshot]:
    """The snapshot, its parent, its parent's parent... up to the ingested root (a cycle ends the walk)."""
    chain = [snapshot]
    seen = {snapshot.id}
    while chain[-1].parent_id and chain[-1].parent_id not in seen:
        parent = session.get(Snapshot, chain[-1].parent_id)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.id)
    return chain


def iter_snapshot_records(workspace: Workspace, snapshot_id: str) -> Iterator[tuple[int, Record]]:
    """Yield `(position, record)` from a stored snapshot.

    Not for training: the trainer reads only through the gate's handle (govern.gate).
    """
    with open(store_of(workspace).records_path(snapshot_id), "rb") as handle:
        for position, line in enumerate(handle):
            if line.strip():  # an erased record leaves an empty line (govern.consent.erasure)
                yield position, json.loads(line)


def stray_object_problems(workspace: Workspace, session: Session) -> list[str]:
    """Whatever sits in the object store that no catalogued snapshot accounts for (e.g. left by a
    process killed between publishing a folder and committing): erasure cannot see it."""
    catalogued = set(session.exec(select(Snapshot.id)).all())
    return [
        f"stray object {path.relative_to(workspace.root)}: no catalogued snapshot accounts for it (left by an "
        "interrupted ingest?); check what it holds and delete it"
        for path in store_of(workspace).stray_entries(catalogued)
    ]


def snapshot_problems(workspace: Workspace, session: Session, snapshot: Snapshot) -> list[str]:
    """Check a stored snapshot against its id, its manifest and its catalogued record index."""
    store = store_of(workspace)
    name = f"snapshot {snapshot.id[:12]}"
    if not store.exists(snapshot.id):
        return [f"{name}: its stored folder {store.path(snapshot.id)} is missing"]
    problems: list[str] = []
    from govern.policy.decisions import erased_positions

    # erased as the verified `subject.erased` entries say: an erasures row planted around govern
    # does not excuse a blanked record, nor does deleting one make an erased record "missing"
    erased = erased_positions(session, snapshot.id)
    snapshot_digest = snapshot_digest_start(snapshot.dataset_id)
    index_digest = hashlib.sha256()
    indexed = iter(
        session.exec(
            select(SnapshotRecord)
            .where(SnapshotRecord.snapshot_id == snapshot.id)
            .order_by(col(SnapshotRecord.position))
            .execution_options(yield_per=5000)
        )
    )
    count = 0
    with (
        open(store.records_path(snapshot.id), "rb") as records,
        open(store.manifest_path(snapshot.id)) as manifest,
    ):
        for position, (data, listed) in enumerate(zip(records, manifest, strict=False)):
            listed = listed.strip()
            if position in erased:
                if data.strip() and not problems:
                    problems.append(
                        f"{name}: record {position} is listed as erased but its content is still stored"
                    )
            elif not data.strip():
                if not problems:
                    problems.append(
                        f"{name}: stored record {position} is missing (blanked without an erasure record)"
                    )
            elif sha256_hex(data.rstrip(b"\n")) != listed and not problems:
                problems.append(
                    f"{name}: stored record {position} does not match its hash (the file was changed)"
                )
            snapshot_digest.update(bytes.fromhex(listed))
            row = next(indexed, None)
            if row is None or row.position != position or row.record_hash != listed:
                if not any("index" in p for p in problems):
                    problems.append(
                        f"{name}: the catalog's record index disagrees with the manifest at record {position}"
                    )
            else:
                index_digest.update(
                    f"{row.position}\t{row.record_key}\t{row.record_hash}\t{row.subject_hash}\n".encode()
                )
            count += 1
        if records.readline() or manifest.readline():
            problems.append(f"{name}: the records file and the manifest differ in length")
    if next(indexed, None) is not None:
        problems.append(
            f"{name}: the catalog's record index has rows past the end of the snapshot (added outside govern)"
        )
    if count != snapshot.record_count:
        problems.append(f"{name}: holds {count} records, the catalog says {snapshot.record_count}")
    if snapshot_digest.hexdigest() != snapshot.id:
        problems.append(f"{name}: the manifest's record hashes no longer hash to the snapshot id")
    if not problems and index_digest.hexdigest() != snapshot.subject_index_hash:
        problems.append(
            f"{name}: the catalog's record index was altered (keys or subject hashes changed)"
        )
    return problems
