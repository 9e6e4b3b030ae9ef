"""Where a synthetic dataset came from: generator, generator configuration, seed snapshots.

A synthetic dataset is registered like any other (`dataset.registered`), and in the same
transaction a `synthetic.registered` entry records its generator (`NAME@VERSION`), the SHA-256
of the generator's configuration file (prompt template and parameters; the file itself is not
kept, it may quote seed records) and the real snapshots whose records were shown to the
generator. Those seed links are what lineage, consent impact and policy decisions follow: a
synthetic record inherits its seeds' consent, licence and legal-basis constraints.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from govern import ledger
from govern.canonical import canonical_json, file_sha256
from govern.catalog.models import Dataset, Snapshot, SyntheticSource
from govern.clock import utc_now
from govern.errors import BadInput
from govern.ingest.datasets import AddResult, DatasetSpec, add_dataset
from govern.ingest.snapshots import resolve_snapshot
from govern.ledger.authority import row_problem
from govern.ledger.keys import PrivateIdentity

SOURCE_EVENTS = ("synthetic.registered",)
_GENERATOR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,150}@[A-Za-z0-9][A-Za-z0-9._+\-]{0,40}$")


@dataclass(frozen=True)
class GeneratorSpec:
    """What `--synthetic` declares: the generator, its configuration file, the seed snapshots."""

    generator: str
    config_path: Path
    seed_refs: tuple[str, ...]

    def problems(self) -> list[str]:
        """Every problem with the declaration (empty when valid)."""
        found = []
        if not _GENERATOR.match(self.generator):
            found.append(
                f"--generator {self.generator!r}: write NAME@VERSION, e.g. llama-3.1-70b-instruct@2024-07"
            )
        if not Path(self.config_path).is_file():
            found.append(
                f"--generator-config {self.config_path}: no such file (the prompt template and parameters)"
            )
        if not self.seed_refs:
            found.append(
                "--seed-snapshot: name every real snapshot whose records were shown to the generator"
            )
        return found


def register_synthetic(
    workspace: Any,
    actor: PrivateIdentity,
    spec: DatasetSpec,
    generator: GeneratorSpec,
    path: Path,
    fmt: str | None = None,
    show_progress: bool | None = None,
) -> AddResult:
    """Register a synthetic dataset from `path` with its generator and seed snapshots, in one transaction."""
    problems = generator.problems()
    if spec.synthetic_generator not in (None, generator.generator):
        problems.append("give the generator once, with --generator (not --synthetic-generator)")
    if problems:
        raise BadInput(
            "the synthetic provenance is invalid:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    config_hash = file_sha256(generator.config_path)
    with workspace.catalog.reading() as session:
        seeds = sorted({resolve_snapshot(session, ref).id for ref in generator.seed_refs})

    def record_source(session: Session, dataset: Dataset) -> None:
        row = SyntheticSource(
            dataset_id=dataset.id,
            generator=generator.generator,
            generator_config_hash=config_hash,
            seed_snapshot_ids=canonical_json(seeds),
            created_at=utc_now(),
            created_by=actor.key_id,
            ledger_seq=0,
        )
        ledger.record(session, actor, "synthetic.registered", row, [dataset.id, *seeds])

    declared = replace(spec, synthetic_generator=generator.generator)
    return add_dataset(
        workspace, actor, declared, path, fmt, show_progress, on_register=record_source
    )


def source_of(session: Session, dataset_id: str) -> SyntheticSource | None:
    """A dataset's synthetic provenance, when a verified `synthetic.registered` entry recorded it."""
    row = session.get(SyntheticSource, dataset_id)
    if row is None or row_problem(session, row, SOURCE_EVENTS) is not None:
        return None
    return row


def seed_ids(source: SyntheticSource | None) -> list[str]:
    """The seed snapshot ids a synthetic source names."""
    return [] if source is None else [str(s) for s in json.loads(source.seed_snapshot_ids)]


def seeds_of(session: Session, snapshot: Snapshot) -> list[Snapshot]:
    """The seed snapshots of a synthetic snapshot (every snapshot of a synthetic dataset shares them)."""
    found = [session.get(Snapshot, s) for s in seed_ids(source_of(session, snapshot.dataset_id))]
    return [s for s in found if s is not None]


def seeded_from(session: Session, snapshot_ids: Iterable[str]) -> dict[str, list[str]]:
    """Synthetic snapshot id -> the given snapshots it was seeded from, for every synthetic
    snapshot whose dataset names one of `snapshot_ids` as a seed."""
    wanted = set(snapshot_ids)
    found: dict[str, list[str]] = {}
    for source in session.exec(select(SyntheticSource)).all():
        if row_problem(session, source, SOURCE_EVENTS) is not None:
            continue
        hit = sorted(wanted & set(seed_ids(source)))
        if not hit:
            continue
        for snapshot_id in session.exec(
            select(Snapshot.id).where(Snapshot.dataset_id == source.dataset_id)
        ):
            found[snapshot_id] = hit
    return found
