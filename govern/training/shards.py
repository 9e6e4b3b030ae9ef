"""Shards of subjects for exact unlearning (SISA): which shard a subject is in, and what it reads.

A recipe with `train.shards = k` trains k adapters, shard i on the records of the subjects whose
keyed hash falls in slot i. The slot is HMAC-SHA256 keyed by the run's seed (recorded in every
shard run's `run.started` entry) over the subject's keyed hash, modulo k, so it is a pure function
of recorded values: a retrain after an erasure gives every remaining subject the same slot, and
only the slot that held the erased subject changes. A family is the k shard runs trained
together, plus the retrains of any slot; the privacy cost of a family is parallel (parallel.py).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from govern.catalog.models import SnapshotRecord

ASSIGNMENT = "hmac-sha256(seed, subject_hash) mod shards"


def shard_of(subject_hash: str, shards: int, seed: int) -> int:
    """The slot (0..shards-1) of a subject, keyed by the run's seed."""
    key = f"govern.shards/{seed}".encode()
    digest = hmac.new(key, subject_hash.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % shards


@dataclass(frozen=True)
class ShardSpec:
    """Shard `index` of `of` in `family`, slots keyed by `seed`."""

    family: str
    index: int
    of: int
    seed: int

    def holds(self, subject_hash: str) -> bool:
        return shard_of(subject_hash, self.of, self.seed) == self.index

    def outside(self, session: Session, snapshot_ids: Iterable[str]) -> dict[str, set[int]]:
        """Per snapshot, the positions of records whose subject is in another shard."""
        out: dict[str, set[int]] = {}
        for snapshot_id in snapshot_ids:
            rows = session.exec(
                select(SnapshotRecord.position, SnapshotRecord.subject_hash).where(
                    col(SnapshotRecord.snapshot_id) == snapshot_id
                )
            )
            out[snapshot_id] = {p for p, s in rows if not self.holds(s)}
        return out

    def restrict(self, session: Session, erased: Mapping[str, set[int]]) -> dict[str, set[int]]:
        """The erased positions plus every other shard's: what this shard's handle leaves out."""
        outside = self.outside(session, erased)
        return {s: set(erased[s]) | outside[s] for s in erased}

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "index": self.index,
            "of": self.of,
            "seed": self.seed,
            "assignment": ASSIGNMENT,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ShardSpec | None:
        """The shard a verified `run.started` payload records, or None (an unsharded run)."""
        shard = payload.get("shard")
        if not isinstance(shard, dict):
            return None
        try:
            spec = cls(
                str(shard["family"]), int(shard["index"]), int(shard["of"]), int(shard["seed"])
            )
        except (KeyError, TypeError, ValueError):
            return None
        return spec if 0 <= spec.index < spec.of else None


def run_shard(session: Session, run_id: str) -> ShardSpec | None:
    """The shard a ledgered run trained, or None."""
    from govern.training.spending import ledgered_runs

    run = ledgered_runs(session).get(run_id)
    return ShardSpec.from_payload(run.payload) if run is not None else None


def runs_holding_subject(session: Session, run_ids: Iterable[str], subject_hash: str) -> list[str]:
    """The runs (of `run_ids`) that could have trained on the subject: every unsharded run, and of a
    sharded one only the shard the subject's slot falls in (as its verified `run.started` records)."""
    from govern.training.spending import ledgered_runs

    runs = ledgered_runs(session)
    out = []
    for run_id in run_ids:
        spec = ShardSpec.from_payload(runs[run_id].payload) if run_id in runs else None
        if spec is None or spec.holds(subject_hash):
            out.append(run_id)
    return out


def records_digest(data: Any) -> str:
    """SHA-256 over the hashes of the records a gate handle yields: what a shard trained on."""
    digest = hashlib.sha256()
    for snapshot_id in data.snapshot_ids:
        skip = data.erased[snapshot_id]
        for position, record_hash in enumerate(data.manifests[snapshot_id]):
            if position not in skip:
                digest.update(bytes.fromhex(record_hash))
    return digest.hexdigest()
