"""What the gate hands out: `GatedData` (the only way to read admitted bytes) and `Admission`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govern.canonical import sha256_hex
from govern.errors import IntegrityFailure, Refused
from govern.ingest.snapshots import (
    store_of,
)
from govern.ledger.authority import RegisteredIdentity
from govern.policy import Pack, TrainingPlan
from govern.training.shards import ShardSpec

if TYPE_CHECKING:
    from govern.workspace import Workspace


_ISSUED = object()  # only the gate holds this: a GatedData made without it refuses to exist


@dataclass
class GatedData:
    """The gate's handle: the only object that reads approved snapshot bytes for training."""

    workspace: Workspace
    snapshot_ids: Sequence[str]
    manifests: dict[str, list[str]] = field(repr=False, default_factory=dict)
    erased: dict[str, set[int]] = field(repr=False, default_factory=dict)
    issued_by: object = field(repr=False, default=None)
    # per snapshot, the keyed subject hash of each unerased record (the proven subject index)
    subjects: dict[str, list[str]] = field(repr=False, default_factory=dict)
    shard: ShardSpec | None = None  # the shard of subjects this handle reads (train.shards)

    def __post_init__(self) -> None:
        if self.issued_by is not _ISSUED:
            raise Refused(
                "training data comes only from the gate (govern.gate.Gate.admit); "
                "a GatedData made elsewhere is refused"
            )

    def read(self) -> Iterator[Mapping[str, Any]]:
        """Yield the approved records, re-hashing each against the manifest approved by the gate."""
        store = store_of(self.workspace)
        for snapshot_id in self.snapshot_ids:
            expected = self.manifests[snapshot_id]
            position = -1
            with open(store.records_path(snapshot_id), "rb") as handle:
                for position, line in enumerate(handle):
                    if position in self.erased[snapshot_id]:
                        continue
                    data = line.rstrip(b"\n")
                    if position >= len(expected) or sha256_hex(data) != expected[position]:
                        raise IntegrityFailure(
                            f"snapshot {snapshot_id[:12]}: record {position} changed after the gate admitted it; "
                            "training stopped before using it (run `govern audit verify`)"
                        )
                    yield json.loads(data)
            if position + 1 != len(expected):
                raise IntegrityFailure(
                    f"snapshot {snapshot_id[:12]}: its records file was cut short after the gate admitted it "
                    f"({position + 1} of {len(expected)} records); training stopped (run `govern audit verify`)"
                )

    def count(self) -> int:
        return sum(len(m) - len(self.erased[s]) for s, m in self.manifests.items())

    def record_subjects(self) -> list[str]:
        """The subject hash of each record `read` yields, in the same order."""
        return [subject for s in self.snapshot_ids for subject in self.subjects[s]]


@dataclass
class Admission:
    """What the gate admitted: the handle, the plan it checked, the pack, and what it checked."""

    data: GatedData
    plan: Any
    dataset_ids: list[str]
    checks: list[str]
    pack: Pack
    trainer: RegisteredIdentity
    chain: list[str] = field(
        default_factory=list
    )  # earlier stages of a continued adapter, newest first
    chain_history: list[tuple[float, float, int]] = field(default_factory=list)
    pool_runs: list[str] = field(default_factory=list)
    dp_waiver: str | None = None
    shard: ShardSpec | None = None  # the shard of subjects this run trains on (train.shards)
    training: TrainingPlan | None = None  # the plan the approvals were checked against
    init_run_id: str | None = None  # the adapter this run continues, if any

    @property
    def not_private(self) -> bool:
        return not self.plan.private

    def chain_epsilon(self) -> float | None:
        """ε of the adapter this run produces: every earlier stage and this plan, composed (None if not private)."""
        from govern.training.accounting import compose_epsilon

        if not self.plan.private:
            return None
        return compose_epsilon(
            [self.chain_history, self.plan.history()], self.plan.delta, self.plan.accountant
        )
