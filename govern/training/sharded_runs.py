"""Sharded runs (`train.shards = k`): k gated runs on disjoint shards of subjects, and retraining
only the shards an erasure reached.

`start_sharded_run` admits every shard through the gate first (each shard's handle reads only its
subjects' records; a refusal stops the run before any shard trains), refuses shards that share a
subject, then catalogues and trains each shard as an ordinary run whose `run.started` entry
records its family, slot, seed and the digest of the records it read. The family's ε is the
maximum over its shards (parallel composition, govern.training.parallel), and the lifetime budget
composes a family that way (govern.training.spending).

`retrain_shards` re-admits every slot of a family on the current (erased or successor) snapshots
and retrains only the slots whose records changed; the other slots' runs are reused as they are.
An officer then closes each remediation with `govern remediate decide ... --decision retrain --run
NEW_SHARD_RUN`. Combining the shards' adapters at inference: govern.training.shard_inference.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.errors import BadInput, NotFound, Refused
from govern.training.shard_settings import shard_count
from govern.training.shards import ShardSpec, records_digest

if TYPE_CHECKING:
    from govern.gate import Admission
    from govern.ledger.keys import PrivateIdentity
    from govern.workspace import Workspace


def shard_payload(admission: Admission) -> dict[str, Any]:
    """What a shard run's `run.started` entry records about its shard (no subject, only a digest)."""
    assert admission.shard is not None
    return {
        **admission.shard.as_dict(),
        "records": admission.data.count(),
        "records_sha256": records_digest(admission.data),
    }


def _admit_shards(
    workspace: Workspace,
    actor: PrivateIdentity,
    recipe: Any,
    snapshot_refs: list[str],
    specs: list[ShardSpec],
) -> list[Admission]:
    from govern.gate import Gate
    from govern.training.parallel import sharded_epsilon

    admissions = []
    for spec in specs:
        try:
            admissions.append(Gate(workspace).admit(actor, snapshot_refs, recipe, shard=spec))
        except BadInput as error:
            raise BadInput(f"shard {spec.index} of {spec.of}: {error}") from error
    plans = [a.plan for a in admissions]
    if plans and plans[0].private:
        sharded_epsilon(
            [(set(a.data.record_subjects()), a.plan.history()) for a in admissions],
            max(float(p.delta) for p in plans),
            str(plans[0].accountant),
        )
    return admissions


def _train_shard(
    workspace: Workspace,
    actor: PrivateIdentity,
    recipe: Any,
    admission: Admission,
    device: str | None,
) -> dict[str, Any]:
    from govern.training.runs import LedgerHooks, _create_run
    from govern.training.trainer import train

    run_dir = Path(recipe.output_dir) / f"run-{uuid.uuid4().hex[:12]}"
    run = _create_run(workspace, actor, recipe, admission, run_dir, None)
    hooks = LedgerHooks(workspace, actor, run.id)
    try:
        return train(recipe, admission.data, run_dir=run_dir, hooks=hooks, device=device)
    except BaseException as error:
        hooks.ensure_ended(error)
        raise


def _family_result(family: str, shards: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    private = all(s.get("private") for s in shards)
    return {
        "run_id": family,
        "family": family,
        "shards": shards,
        "private": private,
        "epsilon": max(float(s["epsilon"]) for s in shards) if private else None,
        "epsilon_composition": "parallel: the maximum over shards (each subject is in one shard)",
        "delta": max(float(s["delta"]) for s in shards) if private else None,
        "accountant": shards[0].get("accountant"),
        "steps": max(int(s["steps"]) for s in shards),
        "adapter_dir": ", ".join(str(s["adapter_dir"]) for s in shards),
        **extra,
    }


def _shard_summary(index: int, result: dict[str, Any]) -> dict[str, Any]:
    keys = ("run_id", "epsilon", "delta", "accountant", "steps", "adapter_dir", "private")
    return {"index": index, **{k: result.get(k) for k in keys}}


def start_sharded_run(
    workspace: Workspace,
    actor: PrivateIdentity,
    recipe: Any,
    snapshot_refs: list[str],
    init_run_id: str | None = None,
    device: str | None = None,
) -> dict[str, Any]:
    """Admit, catalogue and train every shard of a `train.shards = k` recipe; the family's result."""
    from govern.training.distributed import Distributed

    if init_run_id:
        raise BadInput("--init-adapter: a sharded recipe trains every shard from the base model")
    if Distributed.from_env().world_size > 1:
        raise BadInput(
            "train.shards: a sharded run trains its shards in one process; launch it without torchrun"
        )
    k, seed = shard_count(recipe.settings), int(recipe["schedule"]["seed"])
    family = f"shards-{uuid.uuid4().hex[:12]}"
    specs = [ShardSpec(family, i, k, seed) for i in range(k)]
    admissions = _admit_shards(workspace, actor, recipe, snapshot_refs, specs)
    shards = [
        _shard_summary(spec.index, _train_shard(workspace, actor, recipe, admission, device))
        for spec, admission in zip(specs, admissions, strict=True)
    ]
    return _family_result(family, shards)


def family_members(session: Any, family: str) -> dict[int, Any]:
    """The newest completed run of each slot of a family (LedgeredRun by slot index)."""
    from govern.training import spending

    members: dict[int, Any] = {}
    for run in spending.ledgered_runs(session).values():
        spec = ShardSpec.from_payload(run.payload)
        if spec is None or spec.family != family:
            continue
        if spending.completed_payload(session, run.run_id) is None:
            continue
        if spec.index not in members or members[spec.index].seq < run.seq:
            members[spec.index] = run
    return members


def retrain_shards(
    workspace: Workspace,
    actor: PrivateIdentity,
    family: str,
    snapshot_refs: list[str] | None = None,
    device: str | None = None,
) -> dict[str, Any]:
    """Retrain the slots of `family` whose records changed (an erasure); reuse every other slot's run."""
    from govern.gate import Gate
    from govern.training.recipe import recipe_from_dict
    from govern.training.trainer import read_run

    Gate(workspace).require(actor, "run.train")
    with workspace.catalog.reading() as session:
        members = family_members(session, family)
    if not members:
        raise NotFound(
            f"no completed shard run of family {family!r}; `govern runs list` shows runs"
        )
    first = members[min(members)]
    spec0 = ShardSpec.from_payload(first.payload)
    assert spec0 is not None
    if sorted(members) != list(range(spec0.of)):
        raise Refused(
            f"family {family}: not every one of its {spec0.of} shards completed; train the missing ones first"
        )
    info = read_run(first.row["output_dir"])
    recipe = recipe_from_dict(
        info["recipe"],
        source=info["recipe_source"],
        base_dir=Path(info["base_dir"]),
        check_model=False,
    )
    if any(m.row["recipe_hash"] != recipe.hash for m in members.values()):
        raise Refused(f"family {family}: its shards were trained with different recipes")
    refs = list(snapshot_refs or first.snapshot_ids)
    specs = [ShardSpec(family, i, spec0.of, spec0.seed) for i in range(spec0.of)]
    admissions = _admit_shards(workspace, actor, recipe, refs, specs)
    retrained, reused = [], []
    for spec, admission in zip(specs, admissions, strict=True):
        member = members[spec.index]
        if records_digest(admission.data) == member.payload["shard"].get("records_sha256"):
            reused.append({"index": spec.index, "run_id": member.run_id})
            continue
        result = _train_shard(workspace, actor, recipe, admission, device)
        retrained.append({**_shard_summary(spec.index, result), "replaces": member.run_id})
    return {
        "family": family,
        "retrained": retrained,
        "reused": reused,
        "next": "close each remediation: govern remediate decide REMEDIATION --decision retrain --run NEW_RUN",
    }
