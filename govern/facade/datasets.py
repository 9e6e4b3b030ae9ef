"""`ws.datasets`: register data with its provenance, add versions, inspect snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.catalog.models import Dataset, ProvenanceAmendment, Snapshot
    from govern.ingest.datasets import AddResult
    from govern.ledger.keys import PrivateIdentity


@dataclass(frozen=True)
class DatasetDetail:
    """A dataset as registered, its provenance with amendments applied, and its snapshots."""

    dataset: Dataset
    provenance: dict[str, Any]
    amendments: list[ProvenanceAmendment]
    snapshots: list[Snapshot]


class Datasets(Namespace):
    """Datasets and their immutable snapshots."""

    def add(
        self,
        actor: PrivateIdentity,
        name: str,
        path: Path | str,
        *,
        source: str,
        license: str,
        legal_basis: str,
        subject_field: str,
        text_fields: Sequence[str],
        id_field: str | None = None,
        jurisdiction: str | None = None,
        collected_at: str | None = None,
        synthetic_generator: str | None = None,
        fmt: str | None = None,
        progress: bool = False,
        processes: int | None = None,
    ) -> AddResult:
        """Register dataset `name` from a JSONL, CSV or Parquet file; its first snapshot is the result.

        Every record is validated; on any bad record nothing is stored. Identical content always
        yields the same snapshot id, whatever `processes` (JSONL workers; None: one per core).
        """
        from govern.ingest.datasets import DatasetSpec, add_dataset

        spec = DatasetSpec(
            name=name,
            source=source,
            license=license,
            legal_basis=legal_basis,
            subject_field=subject_field,
            text_fields=tuple(text_fields),
            id_field=id_field,
            jurisdiction=jurisdiction,
            collected_at=collected_at,
            synthetic_generator=synthetic_generator,
        )
        return add_dataset(
            self._workspace,
            actor,
            spec,
            Path(path),
            fmt,
            show_progress=progress,
            processes=processes,
        )

    def add_version(
        self,
        actor: PrivateIdentity,
        name: str,
        path: Path | str,
        *,
        fmt: str | None = None,
        progress: bool = False,
        processes: int | None = None,
    ) -> AddResult:
        """Add a file as a new snapshot of dataset `name`."""
        from govern.ingest.datasets import add_version

        return add_version(
            self._workspace,
            actor,
            name,
            Path(path),
            fmt,
            show_progress=progress,
            processes=processes,
        )

    def amend(
        self, actor: PrivateIdentity, name: str, field: str, value: str, reason: str
    ) -> ProvenanceAmendment:
        """Append a correction of one provenance field (the registration is never overwritten)."""
        from govern.ingest.datasets import amend_provenance

        return amend_provenance(self._workspace, actor, name, field, value, reason)

    def show(self, name: str) -> DatasetDetail:
        """A dataset (by name or id) with its effective provenance, amendments and snapshots."""
        from govern.ingest.datasets import (
            amendments,
            effective_provenance,
            get_dataset,
            list_snapshots,
        )

        with self._workspace.catalog.reading() as session:
            dataset = get_dataset(session, name)
            return DatasetDetail(
                dataset=dataset,
                provenance=effective_provenance(session, dataset),
                amendments=amendments(session, dataset),
                snapshots=list_snapshots(session, dataset),
            )

    def snapshots(self, dataset: str | None = None) -> list[Snapshot]:
        """Snapshots, oldest first: every one, or one dataset's (by name or id)."""
        from govern.ingest.datasets import get_dataset, list_snapshots

        with self._workspace.catalog.reading() as session:
            return list_snapshots(session, get_dataset(session, dataset) if dataset else None)

    def snapshot(self, ref: str) -> Snapshot:
        """One snapshot by full id or a unique prefix of at least 6 characters."""
        from govern.ingest.snapshots import resolve_snapshot

        with self._workspace.catalog.reading() as session:
            return resolve_snapshot(session, ref)

    # Last, so that `list` in the annotations above is the builtin.
    def list(self) -> list[Dataset]:
        """Every dataset, by name."""
        from govern.ingest.datasets import list_datasets

        with self._workspace.catalog.reading() as session:
            return list_datasets(session)
