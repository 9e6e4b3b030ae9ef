"""Datasets: registration with provenance, and new versions (snapshots) from record files."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from govern import ledger
from govern.canonical import canonical_json
from govern.catalog.models import Dataset, ProvenanceAmendment, Snapshot
from govern.clock import parse_time, utc_now
from govern.consent.legal_basis import basis_problem, require_basis
from govern.errors import BadInput, NotFound
from govern.ingest.blocks import default_processes, jsonl_blocks, serial_blocks, worth_parallel
from govern.ingest.readers import checked_format, read_records, source_sha256
from govern.ingest.record_schema import RecordSchema
from govern.ingest.snapshots import commit_staged, stage_blocks
from govern.ledger.authority import require
from govern.ledger.keys import PrivateIdentity
from govern.licenses import expression_problem
from govern.licenses import normalize as normalize_license
from govern.progress import progress

if TYPE_CHECKING:
    from govern.workspace import Workspace

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,199}$")


@dataclass(frozen=True)
class DatasetSpec:
    """What `govern dataset add` declares about a dataset: its provenance and record shape."""

    name: str
    source: str
    license: str
    legal_basis: str
    subject_field: str
    text_fields: tuple[str, ...]
    id_field: str | None = None
    jurisdiction: str | None = None
    collected_at: str | None = None
    synthetic_generator: str | None = None

    def problems(self) -> list[str]:
        """Every problem with the declaration (empty when valid)."""
        found = []
        if not _NAME.match(self.name):
            found.append(
                f"dataset name {self.name!r}: use letters, digits, '.', '_' or '-' (at most 200)"
            )
        if not self.source.strip():
            found.append("--source must say where the data came from")
        license_problem = expression_problem(self.license, "--license")
        if license_problem is not None:
            found.append(license_problem)
        basis_error = basis_problem(self.legal_basis, "--legal-basis")
        if basis_error is not None:
            found.append(basis_error)
        if not self.text_fields:
            found.append("at least one --text-field is required")
        if self.subject_field in self.text_fields:
            found.append(f"--subject-field {self.subject_field!r} cannot also be a text field")
        if self.id_field is not None and self.id_field == self.subject_field:
            found.append(
                f"--id-field {self.id_field!r} cannot be the subject field: record ids are kept in the "
                "catalog and the ledger's evidence, subject ids only as keyed hashes"
            )
        if self.collected_at:
            try:
                parse_time(self.collected_at)
            except ValueError:
                found.append(f"--collected-at {self.collected_at!r} is not an ISO date")
        return found


@dataclass
class AddResult:
    """The dataset and snapshot an add produced, and whether the snapshot is new."""

    dataset: Dataset
    snapshot: Snapshot
    created: bool
    warnings: list[str] = field(default_factory=list)


def get_dataset(session: Session, name_or_id: str) -> Dataset:
    """A dataset by name or id."""
    row = session.exec(
        select(Dataset).where((Dataset.name == name_or_id) | (Dataset.id == name_or_id))
    ).first()
    if row is None:
        raise NotFound(f"no dataset {name_or_id!r}; `govern dataset list` shows them")
    return row


def list_datasets(session: Session) -> list[Dataset]:
    return list(session.exec(select(Dataset).order_by(Dataset.name)).all())


def list_snapshots(session: Session, dataset: Dataset | None = None) -> list[Snapshot]:
    query = select(Snapshot).order_by(col(Snapshot.ledger_seq))
    if dataset is not None:
        query = query.where(Snapshot.dataset_id == dataset.id)
    return list(session.exec(query).all())


def _ingest(
    workspace: Workspace,
    actor: PrivateIdentity,
    path: Path,
    fmt: str | None,
    schema: RecordSchema,
    dataset_id: str,
    make_dataset: Any,
    show_progress: bool | None,
    processes: int | None,
) -> AddResult:
    """Stage `path` (JSONL in parallel blocks when it pays) and commit it as a snapshot.

    `processes`: worker processes for a JSONL file of two blocks or more (None: one per core;
    1: validate here)."""
    path = Path(path)
    kind = checked_format(path, fmt)
    processes = default_processes() if processes is None else max(1, processes)
    if worth_parallel(path, kind, processes):
        blocks: Any = jsonl_blocks(path, schema, workspace.subject_secret, processes)
    else:
        blocks = serial_blocks(read_records(path, fmt), schema, path, workspace.subject_secret)
    with progress(f"reading {path.name}", enabled=show_progress) as advance:
        staged = stage_blocks(workspace, dataset_id, blocks, path, advance)
    dataset, snapshot, created = commit_staged(
        workspace,
        staged,
        actor,
        "dataset.register",
        make_dataset,
        transform="ingest",
        source_name=path.name,
        source_sha256=source_sha256(path),
    )
    return AddResult(dataset, snapshot, created)


def add_dataset(
    workspace: Workspace,
    actor: PrivateIdentity,
    spec: DatasetSpec,
    path: Path,
    fmt: str | None = None,
    show_progress: bool | None = None,
    on_register: Callable[[Session, Dataset], None] | None = None,
    processes: int | None = None,
) -> AddResult:
    """Register a dataset with its provenance and ingest `path` as its first snapshot.

    `on_register(session, dataset)` runs in the registration's transaction (synthetic provenance)."""
    problems = spec.problems()
    if problems:
        raise BadInput(
            "the dataset declaration is invalid:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    schema = RecordSchema(
        spec.subject_field, spec.text_fields, spec.id_field, workspace.config.max_record_bytes
    )
    dataset_id = f"ds-{uuid.uuid4().hex[:16]}"

    def make_dataset(session: Session) -> Dataset:
        if session.exec(select(Dataset).where(Dataset.name == spec.name)).first() is not None:
            raise BadInput(
                f"dataset {spec.name!r} already exists; add a version with `govern dataset add-version {spec.name} FILE`"
            )
        row = Dataset(
            id=dataset_id,
            name=spec.name,
            source=spec.source,
            license=normalize_license(spec.license, "--license"),
            legal_basis=require_basis(spec.legal_basis, "--legal-basis"),
            jurisdiction=spec.jurisdiction,
            collected_at=spec.collected_at,
            synthetic_generator=spec.synthetic_generator,
            subject_field=spec.subject_field,
            text_fields=canonical_json(list(spec.text_fields)),
            id_field=spec.id_field,
            created_at=utc_now(),
            created_by=actor.key_id,
            ledger_seq=0,
        )
        ledger.record(session, actor, "dataset.registered", row, [row.id])
        session.flush()
        if on_register is not None:
            on_register(session, row)
        return row

    return _ingest(
        workspace, actor, path, fmt, schema, dataset_id, make_dataset, show_progress, processes
    )


def add_version(
    workspace: Workspace,
    actor: PrivateIdentity,
    dataset_ref: str,
    path: Path,
    fmt: str | None = None,
    show_progress: bool | None = None,
    processes: int | None = None,
) -> AddResult:
    """Ingest `path` as a new snapshot of an existing dataset (same record shape)."""
    with workspace.catalog.reading() as session:
        dataset = get_dataset(session, dataset_ref)
    schema = RecordSchema.of(dataset, workspace.config.max_record_bytes)
    return _ingest(
        workspace,
        actor,
        path,
        fmt,
        schema,
        dataset.id,
        lambda session: get_dataset(session, dataset.id),
        show_progress,
        processes,
    )


AMENDABLE_FIELDS = (
    "source",
    "license",
    "legal_basis",
    "jurisdiction",
    "collected_at",
    "synthetic_generator",
)


def amendments(session: Session, dataset: Dataset) -> list[ProvenanceAmendment]:
    """A dataset's provenance amendments that verified `dataset.amended` entries recorded, oldest first."""
    from govern.ledger.authority import row_problem

    rows = session.exec(
        select(ProvenanceAmendment)
        .where(ProvenanceAmendment.dataset_id == dataset.id)
        .order_by(col(ProvenanceAmendment.ledger_seq))
    ).all()
    return [row for row in rows if row_problem(session, row, ("dataset.amended",)) is None]


def effective_provenance(session: Session, dataset: Dataset) -> dict[str, Any]:
    """The provenance as registered, with every later amendment applied in order."""
    values = {name: getattr(dataset, name) for name in AMENDABLE_FIELDS}
    for amendment in amendments(session, dataset):
        values[amendment.field] = amendment.value
    return values


def amend_provenance(
    workspace: Workspace,
    actor: PrivateIdentity,
    dataset_ref: str,
    field_name: str,
    value: str | None,
    reason: str,
) -> ProvenanceAmendment:
    """Append a correction of one provenance field; the registration itself is never overwritten."""
    if field_name not in AMENDABLE_FIELDS:
        raise BadInput(
            f"--field {field_name!r} cannot be amended; choose one of {', '.join(AMENDABLE_FIELDS)}"
        )
    if not reason.strip():
        raise BadInput("an amendment needs a --reason")
    with workspace.catalog.transaction() as session:
        require(session, actor, "dataset.amend")
        dataset = get_dataset(session, dataset_ref)
        current = {**effective_provenance(session, dataset), field_name: value}
        spec = DatasetSpec(
            name=dataset.name,
            source=current["source"] or "",
            license=current["license"] or "",
            legal_basis=current["legal_basis"] or "",
            subject_field=dataset.subject_field,
            text_fields=tuple(json.loads(dataset.text_fields)),
            jurisdiction=current["jurisdiction"],
            collected_at=current["collected_at"],
            synthetic_generator=current["synthetic_generator"],
        )
        problems = spec.problems()
        if problems:
            raise BadInput(
                "the amended provenance is invalid:\n" + "\n".join(f"  - {p}" for p in problems)
            )
        if field_name == "license" and value is not None:
            value = normalize_license(value, "--value")
        if field_name == "legal_basis" and value is not None:
            value = require_basis(value, "--value")
        row = ProvenanceAmendment(
            id=uuid.uuid4().hex,
            dataset_id=dataset.id,
            field=field_name,
            value=value,
            reason=reason,
            amended_at=utc_now(),
            amended_by=actor.key_id,
            ledger_seq=0,
        )
        ledger.record(session, actor, "dataset.amended", row, [dataset.id])
    return row
