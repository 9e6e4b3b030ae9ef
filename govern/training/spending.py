"""What has been spent: each run's plan, charges and state, read from the verified ledger only.

A run is what a verified `run.started` entry says it is; each step it ran is a verified
`run.charged` entry, written before the step; its state is its newest verified lifecycle entry.
Rows of `training_runs`, `run_events` and `privacy_charges` are indexes of those entries (for
listings and `audit verify`); a row inserted, altered or deleted around govern changes no budget
and no status here.

The lifetime budget follows the people, not a dataset's name: a new run is charged together
with every earlier run that trained on any record of any subject it trains on (records are
content-addressed and carry their subject, so the same records registered again under another
dataset, or anonymized into a derived snapshot, are the same subjects).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from govern.canonical import canonical_json
from govern.catalog.models import LedgerEntry, SnapshotRecord
from govern.ledger.authority import Authority

History = list[tuple[float, float, int]]
LIFECYCLE_EVENTS = (
    "run.checkpoint",
    "run.resumed",
    "run.completed",
    "run.failed",
    "run.interrupted",
)
RUNNING_STATES = ("started", "checkpoint", "resumed")


@dataclass(frozen=True)
class LedgeredRun:
    """A run as its verified `run.started` entry recorded it."""

    run_id: str
    seq: int
    row: dict[str, Any]
    payload: dict[str, Any]

    @property
    def snapshot_ids(self) -> list[str]:
        return list(json.loads(self.row["snapshot_ids"]))

    @property
    def private(self) -> bool:
        return bool(self.row["dp_enabled"])

    @property
    def planned_steps(self) -> int:
        return int(self.row["planned_steps"])

    @property
    def delta(self) -> float | None:
        return self.row.get("delta")

    @property
    def accountant(self) -> str:
        return str(self.row.get("accountant") or "prv")

    @property
    def init_run_id(self) -> str | None:
        return self.row.get("init_run_id")


def _verified(
    session: Session, entries: Iterable[LedgerEntry]
) -> list[tuple[LedgerEntry, dict[str, Any]]]:
    authority = Authority.of(session)
    out = []
    for entry in entries:
        if authority.entry_problem(entry) is None:
            try:
                payload = json.loads(entry.payload)
            except json.JSONDecodeError:
                continue
            if isinstance(payload, dict):
                out.append((entry, payload))
    return out


def ledgered_runs(session: Session) -> dict[str, LedgeredRun]:
    """Every run a verified `run.started` entry recorded, by id."""
    entries = session.exec(
        select(LedgerEntry).where(LedgerEntry.event == "run.started").order_by(col(LedgerEntry.seq))
    )
    runs: dict[str, LedgeredRun] = {}
    for entry, payload in _verified(session, entries):
        row = payload.get("row")
        if (
            isinstance(row, dict)
            and row.get("table") == "training_runs"
            and row.get("id") not in runs
        ):
            runs[str(row["id"])] = LedgeredRun(str(row["id"]), entry.seq, row, payload)
    return runs


def run_entries(
    session: Session, run_id: str, events: tuple[str, ...]
) -> list[tuple[LedgerEntry, dict[str, Any]]]:
    entries = session.exec(
        select(LedgerEntry)
        .where(col(LedgerEntry.event).in_(events), LedgerEntry.refs == canonical_json([run_id]))
        .order_by(col(LedgerEntry.seq))
    )
    return [
        (e, p)
        for e, p in _verified(session, entries)
        if p.get("run_id", (p.get("row") or {}).get("run_id")) == run_id
    ]


def charges(session: Session, run_id: str) -> History:
    """Every step the run was charged for (crashed steps included), as accountant history."""
    return [
        (float(p["row"]["noise_multiplier"]), float(p["row"]["sample_rate"]), 1)
        for _, p in run_entries(session, run_id, ("run.charged",))
    ]


def state(session: Session, run_id: str) -> tuple[str, int]:
    """The run's state (started, checkpoint, resumed, completed, failed, interrupted) and its last step."""
    found = run_entries(session, run_id, LIFECYCLE_EVENTS)
    if not found:
        return "started", 0
    entry, payload = found[-1]
    return entry.event.split(".", 1)[1], int(payload.get("step") or 0)


def completed_payload(session: Session, run_id: str) -> dict[str, Any] | None:
    """The payload of the run's verified `run.completed` entry (ε, adapter files and hash), or None."""
    found = run_entries(session, run_id, ("run.completed",))
    return found[-1][1] if found else None


def last_checkpoint_step(session: Session, run_id: str) -> int:
    found = run_entries(session, run_id, ("run.checkpoint",))
    return int(found[-1][1].get("step") or 0) if found else 0


def history(session: Session, run: LedgeredRun) -> History:
    """What a run has spent, and, while it still runs, reserves: charged steps plus the rest of its plan."""
    spent = charges(session, run.run_id)
    if not run.private:
        return []
    current, _ = state(session, run.run_id)
    sigma, rate = run.row.get("noise_multiplier"), run.row.get("sample_rate")
    if (
        current in RUNNING_STATES
        and len(spent) < run.planned_steps
        and sigma is not None
        and rate is not None
    ):
        spent.append((float(sigma), float(rate), run.planned_steps - len(spent)))
    return spent


def resumed_history(session: Session, run: LedgeredRun) -> History:
    """What a resumed run will have spent: every step charged so far, plus the steps after its last
    checkpoint, which run (and are charged) again."""
    spent = charges(session, run.run_id)
    checkpoint = last_checkpoint_step(session, run.run_id)
    sigma, rate = run.row.get("noise_multiplier"), run.row.get("sample_rate")
    if sigma is not None and rate is not None and run.planned_steps > checkpoint:
        spent.append((float(sigma), float(rate), run.planned_steps - checkpoint))
    return spent


def sharing_snapshots(session: Session, snapshot_ids: Iterable[str]) -> set[str]:
    """Every snapshot holding a record of any subject found in these snapshots (these included)."""
    ids = list(snapshot_ids)
    subjects = (
        select(SnapshotRecord.subject_hash)
        .where(col(SnapshotRecord.snapshot_id).in_(ids))
        .distinct()
    )
    found = session.exec(
        select(SnapshotRecord.snapshot_id)
        .where(col(SnapshotRecord.subject_hash).in_(subjects))
        .distinct()
    )
    return set(found) | set(ids)


def runs_sharing_subjects(
    session: Session, snapshot_ids: Iterable[str], exclude_run: str | None = None
) -> list[LedgeredRun]:
    """The runs that trained on any record of any subject of these snapshots, oldest first."""
    pool = sharing_snapshots(session, snapshot_ids)
    return [
        run
        for run in ledgered_runs(session).values()
        if run.run_id != exclude_run and set(run.snapshot_ids) & pool
    ]


def pool_histories(
    session: Session, snapshot_ids: Iterable[str], exclude_run: str | None = None
) -> tuple[list[str], list[History]]:
    """(run ids, histories) of the runs that share subjects with these snapshots, non-empty histories only."""
    ids, histories = [], []
    for run in runs_sharing_subjects(session, snapshot_ids, exclude_run):
        found = history(session, run)
        if found:
            ids.append(run.run_id)
            histories.append(found)
    return ids, histories


def pool_groups(
    session: Session,
    snapshot_ids: Iterable[str],
    exclude_run: str | None = None,
    own: History | None = None,
    own_shard: Any = None,
) -> tuple[list[str], list[History], dict[str, dict[int, list[History]]]]:
    """(run ids, unsharded histories, shard families: family -> slot -> histories) of the runs that
    share subjects with these snapshots, then `own` (a planned run's history, in the slot of
    `own_shard`, a ShardSpec), grouped by `govern.training.parallel.group_by_shard`."""
    from govern.training.parallel import group_by_shard
    from govern.training.shards import ShardSpec

    ids: list[str] = []
    runs: list[tuple[ShardSpec | None, History]] = []
    for run in runs_sharing_subjects(session, snapshot_ids, exclude_run):
        found = history(session, run)
        if found:
            ids.append(run.run_id)
            runs.append((ShardSpec.from_payload(run.payload), found))
    if own:
        runs.append((own_shard, own))
    sequential, families = group_by_shard(runs)
    return ids, sequential, families


def pool_epsilon(
    session: Session,
    snapshot_ids: Iterable[str],
    delta: float,
    accountant: str = "prv",
    *,
    own: History | None = None,
    own_shard: Any = None,
    exclude_run: str | None = None,
) -> tuple[list[str], float]:
    """(run ids, ε) of the subjects of these snapshots over every run that used them, plus `own`
    (a planned run's history, in its shard's slot when `own_shard` is a ShardSpec): shards of one
    family compose in parallel (govern.training.parallel), everything else sequentially."""
    from govern.training.parallel import pool_epsilon as compose_pool

    ids, sequential, families = pool_groups(session, snapshot_ids, exclude_run, own, own_shard)
    if not sequential and not families:
        return ids, 0.0
    return ids, compose_pool(sequential, families, delta, accountant)


def epsilon_with(
    session: Session, snapshot_ids: Iterable[str], plan: Any, shard: Any = None
) -> float:
    """ε of the subjects of these snapshots once a planned run is added (in its shard's slot)."""
    own = plan.history()
    return pool_epsilon(
        session, snapshot_ids, plan.delta, plan.accountant, own=own, own_shard=shard
    )[1]


def spent_epsilon(
    session: Session,
    snapshot_ids: Iterable[str],
    delta: float,
    accountant: str = "prv",
    exclude_run: str | None = None,
) -> float:
    """ε spent (or reserved by running runs) on the subjects of these snapshots, composed over every run."""
    return pool_epsilon(session, snapshot_ids, delta, accountant, exclude_run=exclude_run)[1]


def budget_problems(
    session: Session,
    pack: Any,
    snapshot_ids: list[str],
    plan: Any,
    own_history: History,
    exclude_run: str | None,
    shard: Any = None,
) -> tuple[list[str], list[str], float, float]:
    """The lifetime budget of every subject in the data, composed over every run sharing a subject:
    (problems, those runs, ε they spent, ε after this run). A shard run takes its family's slot."""
    family = pack.family("dp")
    budget = family.config.get("lifetime_epsilon_budget") if family else None
    if not plan.private:
        return [], pool_groups(session, snapshot_ids, exclude_run)[0], 0.0, 0.0
    run_ids, spent = pool_epsilon(
        session, snapshot_ids, plan.delta, plan.accountant, exclude_run=exclude_run
    )
    _, after = pool_epsilon(
        session,
        snapshot_ids,
        plan.delta,
        plan.accountant,
        own=own_history,
        own_shard=shard,
        exclude_run=exclude_run,
    )
    if budget is not None and after > float(budget):
        return (
            [
                f"the subjects in this data have spent ε {spent:.3f} in {len(run_ids)} earlier run(s); with this "
                f"run they would reach ε {after:.3f}, over the pack's lifetime budget {budget}"
            ],
            run_ids,
            spent,
            after,
        )
    return [], run_ids, spent, after


def chain(session: Session, init_run_id: str | None) -> list[LedgeredRun]:
    """The stages a continued adapter descends from: the init run, its init run, ... (oldest last)."""
    runs = ledgered_runs(session)
    out: list[LedgeredRun] = []
    current = runs.get(init_run_id) if init_run_id else None
    while current is not None and current.run_id not in {r.run_id for r in out}:
        out.append(current)
        current = runs.get(current.init_run_id) if current.init_run_id else None
    return out
