"""Policy as code: packs of rule families, evaluated on a snapshot's facts into a hashed decision.

    pack = load_pack("default")                       # or a path; BadInput names file, line, key
    decision = evaluate(pack, facts, now)             # pure: no storage, no clock
    decision.outcome, decision.hash, decision.excluded_record_ids
    run_pack_tests()                                  # the example cases beside each pack

Rule families live one per file in `govern.policy.rules`, registered in `RULE_FAMILIES`.
"""

from govern.policy.engine import Decision, Outcome, decision_hash, evaluate, verify_decision_hash
from govern.policy.facts import (
    FACTS_SCHEMA,
    ApprovalFacts,
    ConsentCoverage,
    PiiFindingCount,
    PiiScanSummary,
    Provenance,
    SnapshotFacts,
    TrainingPlan,
)
from govern.policy.pack import (
    Pack,
    PackViolation,
    list_packs,
    load_pack,
    load_pack_text,
    pack_schema,
    validate_pack_text,
)
from govern.policy.rules import RULE_FAMILIES, RuleFamily, RuleResult
from govern.policy.testing import CaseResult, PackTestRun, run_pack_tests

__all__ = [
    "FACTS_SCHEMA",
    "RULE_FAMILIES",
    "ApprovalFacts",
    "CaseResult",
    "ConsentCoverage",
    "Decision",
    "Outcome",
    "Pack",
    "PackTestRun",
    "PackViolation",
    "PiiFindingCount",
    "PiiScanSummary",
    "Provenance",
    "RuleFamily",
    "RuleResult",
    "SnapshotFacts",
    "TrainingPlan",
    "decision_hash",
    "evaluate",
    "list_packs",
    "load_pack",
    "load_pack_text",
    "pack_schema",
    "run_pack_tests",
    "validate_pack_text",
    "verify_decision_hash",
]
