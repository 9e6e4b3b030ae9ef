"""Rule families, one per file; importing this package registers them all in `RULE_FAMILIES`."""

# Import order is the order results are reported in: the flow of the data, then approval, then training.
from govern.policy.rules import provenance, consent, pii, synthetic, approvals, dp  # noqa: F401,I001  (registers)
from govern.policy.rules.base import (
    PHASES,
    RULE_FAMILIES,
    STATUSES,
    EvaluationContext,
    Phase,
    RuleFamily,
    RuleResult,
    Status,
    register,
)

__all__ = [
    "PHASES",
    "RULE_FAMILIES",
    "STATUSES",
    "EvaluationContext",
    "Phase",
    "RuleFamily",
    "RuleResult",
    "Status",
    "register",
]
