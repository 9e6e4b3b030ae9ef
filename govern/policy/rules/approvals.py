"""Approvals: enough distinct approvers holding the required role, none of them the registrar or trainer.

The caller verifies each approval's signature and passes the verified ones in
`SnapshotFacts.approvals`. An approval counts only if it signed the current decision's hash (or
names no hash), its key holds the required role, and separation of duties holds for it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from govern.config_models import StrictBool, StrictInt, StrictStr
from govern.policy.facts import ApprovalFacts, SnapshotFacts
from govern.policy.rules.base import (
    ConfigPath,
    EvaluationContext,
    RuleConfig,
    RuleFamily,
    RuleResult,
    register,
)

FLOOR_ROLE = "officer"


class ApprovalsConfig(RuleConfig):
    """rules.approvals."""

    required_role: Annotated[StrictStr, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
    min_distinct_approvers: StrictInt | None = Field(None, ge=1)
    separation_of_duties: StrictBool | None = None


@register
class ApprovalRules(RuleFamily):
    """Who may approve, how many must, and that no one approves their own registration or run."""

    name = "approvals"
    phase = "approval"
    summary = "officer approvals: role, distinct approvers, separation of duties"
    checks = ("role", "separation_of_duties", "min_approvers")
    config_model = ApprovalsConfig

    def config_problems(self) -> list[tuple[ConfigPath, str]]:
        problems: list[tuple[ConfigPath, str]] = []
        if self.config["required_role"] != FLOOR_ROLE:
            problems.append(
                (
                    ("required_role",),
                    f"approvals come from the {FLOOR_ROLE!r} role whatever a pack says "
                    "(a floor of govern); a pack may ask for more approvers, not another role",
                )
            )
        if self.config.get("separation_of_duties", True) is not True:
            problems.append(
                (
                    ("separation_of_duties",),
                    "separation of duties is a floor of govern and cannot be turned "
                    "off: nobody approves data they registered, derived or will train on",
                )
            )
        return problems

    def evaluate(self, facts: SnapshotFacts, ctx: EvaluationContext) -> list[RuleResult]:
        role = self.config["required_role"]
        needed = int(self.config.get("min_distinct_approvers", 1))
        separate = bool(self.config.get("separation_of_duties", True))
        current, stale = self._current(facts.approvals, ctx.decision_hash)
        results: list[RuleResult] = []

        lacking = sorted({a.approver_key_id for a in current if role not in a.roles})
        if not current:
            results.append(
                self.result(
                    "role",
                    "pending",
                    f"no approval yet; an approver needs the role {role!r}",
                    required_role=role,
                )
            )
        elif lacking:
            results.append(
                self.result(
                    "role",
                    "fail",
                    f"approvals by {', '.join(lacking)} do not hold the role {role!r}; only a key with that role "
                    "may approve: revoke those approvals and have an officer approve",
                    required_role=role,
                    approvers_without_role=lacking,
                )
            )
        else:
            results.append(
                self.result(
                    "role", "pass", f"every approver holds the role {role!r}", required_role=role
                )
            )

        conflicted: list[str] = []
        if separate:
            parties = {"registered_by": facts.registered_by}
            if facts.training is not None:
                parties["trainer"] = facts.training.trainer_key_id
            involved = {key for key in parties.values() if key}
            people = set(facts.involved_people)
            if facts.training is not None and facts.training.trainer_person:
                people.add(facts.training.trainer_person)
            conflicted = sorted(
                {
                    a.approver_key_id
                    for a in current
                    if a.approver_key_id in involved or (a.person and a.person in people)
                }
            )
            evidence: dict[str, object] = {name: key for name, key in parties.items()}
            if people:
                evidence["involved_people"] = sorted(people)
            if not current:
                results.append(
                    self.result(
                        "separation_of_duties",
                        "pending",
                        "no approval yet; the approver may not be whoever registered the data or will train on it",
                        **evidence,
                    )
                )
            elif conflicted:
                results.append(
                    self.result(
                        "separation_of_duties",
                        "fail",
                        f"{', '.join(conflicted)} registered the data or will train on it, so may not approve it; "
                        "have a different officer approve",
                        conflicted_approvers=conflicted,
                        **evidence,
                    )
                )
            else:
                results.append(
                    self.result(
                        "separation_of_duties",
                        "pass",
                        "no approver registered the data or will train on it",
                        **evidence,
                    )
                )

        valid = sorted(
            {
                a.approver_key_id
                for a in current
                if role in a.roles and a.approver_key_id not in conflicted
            }
        )
        evidence2 = {
            "required": needed,
            "approvers": valid,
            "stale_approvals": stale,
            "required_role": role,
        }
        if len(valid) >= needed:
            results.append(
                self.result(
                    "min_approvers",
                    "pass",
                    f"{len(valid)} of {needed} distinct approvals",
                    **evidence2,
                )
            )
        else:
            message = (
                f"{len(valid)} of {needed} distinct approvals by keys holding {role!r}; "
                f"{needed - len(valid)} more needed (govern approve SNAPSHOT --key OFFICER_KEY)"
            )
            if stale:
                message += (
                    f"; {len(stale)} approvals signed an earlier decision and no longer count"
                )
            results.append(self.result("min_approvers", "pending", message, **evidence2))
        return results

    @staticmethod
    def _current(
        approvals: tuple[ApprovalFacts, ...], decision_hash: str | None
    ) -> tuple[list[ApprovalFacts], list[str]]:
        current = [
            a for a in approvals if a.decision_hash is None or a.decision_hash == decision_hash
        ]
        stale = sorted({a.approver_key_id for a in approvals if a not in current})
        return current, stale
