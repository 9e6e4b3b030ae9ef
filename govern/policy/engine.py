"""evaluate(pack, facts, now) -> Decision: a pure function, no storage, no clock of its own.

Rules run in three phases. The data phase (provenance, consent, PII, synthetic) decides on the
snapshot itself, and only it enters `Decision.hash`: that hash is what an approval signs, so it
must not move as approvals arrive or a training plan is drawn up. The approval phase checks the
approvals in the facts against that hash; the training phase checks the planned run. Rules of a
later phase whose facts are not there yet are `pending`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from govern.canonical import hash_value
from govern.errors import BadInput
from govern.policy.facts import SnapshotFacts, format_time
from govern.policy.pack import Pack
from govern.policy.rules import EvaluationContext, RuleResult

Outcome = Literal["pass", "fail", "pending"]


@dataclass(frozen=True)
class Decision:
    """Every rule's result on one snapshot under one pack, and the hash that identifies it.

    `outcome` is "fail" if any rule failed, else "pending" if any waits on approvals or a
    training plan, else "pass". `passed` is True only for "pass": that is what the training gate
    needs. An approval needs `not failed` (pending approvals are what it supplies).
    """

    snapshot_id: str
    snapshot_hash: str | None
    pack_name: str
    pack_version: str
    pack_hash: str
    inputs_digest: str
    evaluated_at: str
    results: tuple[RuleResult, ...]
    excluded_record_ids: tuple[str, ...]
    hash: str

    @property
    def outcome(self) -> Outcome:
        statuses = {r.status for r in self.results}
        if "fail" in statuses:
            return "fail"
        return "pending" if "pending" in statuses else "pass"

    @property
    def passed(self) -> bool:
        """Every rule passed or does not apply; nothing failed and nothing waits."""
        return self.outcome == "pass"

    @property
    def failed(self) -> bool:
        """At least one rule failed."""
        return self.outcome == "fail"

    @property
    def failures(self) -> list[RuleResult]:
        return [r for r in self.results if r.status == "fail"]

    @property
    def pending(self) -> list[RuleResult]:
        return [r for r in self.results if r.status == "pending"]

    def result(self, rule: str) -> RuleResult | None:
        """The result of rule `family.check`, or None when the pack does not configure it."""
        for r in self.results:
            if r.rule == rule:
                return r
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "snapshot_hash": self.snapshot_hash,
            "pack": {"name": self.pack_name, "version": self.pack_version, "hash": self.pack_hash},
            "inputs_digest": self.inputs_digest,
            "evaluated_at": self.evaluated_at,
            "outcome": self.outcome,
            "results": [r.to_dict() for r in self.results],
            "excluded_record_ids": list(self.excluded_record_ids),
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """A stored decision back; `verify_decision_hash` says whether it is intact."""
        return cls(
            snapshot_id=data["snapshot_id"],
            snapshot_hash=data.get("snapshot_hash"),
            pack_name=data["pack"]["name"],
            pack_version=data["pack"]["version"],
            pack_hash=data["pack"]["hash"],
            inputs_digest=data["inputs_digest"],
            evaluated_at=data["evaluated_at"],
            results=tuple(RuleResult.from_dict(r) for r in data["results"]),
            excluded_record_ids=tuple(data.get("excluded_record_ids", ())),
            hash=data["hash"],
        )


def decision_hash(
    snapshot_id: str,
    pack_hash: str,
    results: tuple[RuleResult, ...] | list[RuleResult],
    inputs_digest: str,
    excluded_record_ids: tuple[str, ...] | list[str] = (),
) -> str:
    """SHA-256 over the canonical (snapshot id, pack hash, data-phase results, inputs digest, exclusions).

    Messages are left out (they are prose for people); statuses and evidence are in.
    """
    data_results = sorted(
        (
            {"rule": r.rule, "status": r.status, "evidence": dict(r.evidence)}
            for r in results
            if r.phase == "data"
        ),
        key=lambda r: str(r["rule"]),
    )
    return hash_value(
        {
            "snapshot_id": snapshot_id,
            "pack_hash": pack_hash,
            "results": data_results,
            "inputs_digest": inputs_digest,
            "excluded_record_ids": sorted(excluded_record_ids),
        }
    )


def verify_decision_hash(decision: Decision) -> bool:
    """True when a (stored) decision's hash matches its contents."""
    return decision.hash == decision_hash(
        decision.snapshot_id,
        decision.pack_hash,
        decision.results,
        decision.inputs_digest,
        decision.excluded_record_ids,
    )


def evaluate(pack: Pack, facts: SnapshotFacts, now: datetime) -> Decision:
    """Run every rule of `pack` on `facts` at time `now` (timezone-aware) and return the Decision."""
    if now.tzinfo is None:
        raise BadInput(
            "evaluate: `now` has no time zone; pass an aware datetime such as datetime.now(timezone.utc)"
        )
    ctx = EvaluationContext(now=now)
    data_results: list[RuleResult] = []
    excluded: set[str] = set()
    for family in pack.families:
        if family.phase == "data":
            data_results += family.evaluate(facts, ctx)
            excluded.update(family.excluded_record_ids(facts))
    digest = facts.inputs_digest()
    exclusions = tuple(sorted(excluded))
    the_hash = decision_hash(facts.snapshot_id, pack.hash, data_results, digest, exclusions)
    later_ctx = EvaluationContext(now=now, decision_hash=the_hash)
    later: list[RuleResult] = []
    for phase in ("approval", "training"):
        for family in pack.families:
            if family.phase == phase:
                later += family.evaluate(facts, later_ctx)
    return Decision(
        snapshot_id=facts.snapshot_id,
        snapshot_hash=facts.snapshot_hash,
        pack_name=pack.name,
        pack_version=pack.version,
        pack_hash=pack.hash,
        inputs_digest=digest,
        evaluated_at=format_time(now) or "",
        results=tuple(data_results + later),
        excluded_record_ids=exclusions,
        hash=the_hash,
    )
