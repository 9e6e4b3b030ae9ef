"""Approval rules: the required role, distinct approvers, separation of duties, stale approvals."""

from __future__ import annotations

import pytest

from govern.errors import BadInput
from govern.policy import evaluate

APPROVALS = {"required_role": "officer", "min_distinct_approvers": 2, "separation_of_duties": True}


def officer(key: str, **extra):
    return {"approver_key_id": key, "roles": ["officer"], **extra}


def test_without_approvals_the_rules_wait(pack_from, clean_facts, now) -> None:
    decision = evaluate(pack_from(approvals=APPROVALS), clean_facts, now)
    assert {r.status for r in decision.results} == {"pending"}
    assert "2 more needed" in decision.result("approvals.min_approvers").message


def test_two_distinct_officers_pass(pack_from, facts_with, now) -> None:
    decision = evaluate(
        pack_from(approvals=APPROVALS),
        facts_with(approvals=[officer("key-a"), officer("key-b")]),
        now,
    )
    assert decision.passed
    assert decision.result("approvals.min_approvers").evidence["approvers"] == ["key-a", "key-b"]


def test_the_same_officer_twice_counts_once(pack_from, facts_with, now) -> None:
    decision = evaluate(
        pack_from(approvals=APPROVALS),
        facts_with(approvals=[officer("key-a"), officer("key-a")]),
        now,
    )
    result = decision.result("approvals.min_approvers")
    assert result.status == "pending"
    assert result.evidence["approvers"] == ["key-a"]
    assert "1 more needed" in result.message


def test_a_key_without_the_officer_role_cannot_approve(pack_from, facts_with, now) -> None:
    approvals = [officer("key-a"), {"approver_key_id": "key-eng", "roles": ["engineer"]}]
    decision = evaluate(pack_from(approvals=APPROVALS), facts_with(approvals=approvals), now)
    assert decision.failed
    assert decision.result("approvals.role").evidence["approvers_without_role"] == ["key-eng"]
    assert decision.result("approvals.min_approvers").evidence["approvers"] == ["key-a"]


def test_the_registrar_cannot_approve(pack_from, facts_with, now) -> None:
    facts = facts_with(approvals=[officer("key-engineer"), officer("key-b")])
    decision = evaluate(pack_from(approvals=APPROVALS), facts, now)
    result = decision.result("approvals.separation_of_duties")
    assert result.status == "fail"
    assert result.evidence["conflicted_approvers"] == ["key-engineer"]
    assert decision.result("approvals.min_approvers").evidence["approvers"] == ["key-b"]


def test_the_trainer_cannot_approve(pack_from, facts_with, now) -> None:
    facts = facts_with(
        approvals=[officer("key-a"), officer("key-trainer")],
        training={
            "trainer_key_id": "key-trainer",
            "dp_enabled": True,
            "epsilon": 1.0,
            "delta": 1e-6,
        },
    )
    result = evaluate(pack_from(approvals=APPROVALS), facts, now).result(
        "approvals.separation_of_duties"
    )
    assert result.status == "fail"
    assert result.evidence == {
        "registered_by": "key-engineer",
        "trainer": "key-trainer",
        "conflicted_approvers": ["key-trainer"],
    }


def test_separation_of_duties_cannot_be_switched_off(pack_from) -> None:
    with pytest.raises(BadInput, match="separation of duties is a floor"):
        pack_from(approvals={"required_role": "officer", "separation_of_duties": False})


def test_separation_of_duties_is_by_person_not_by_key(pack_from, facts_with, now) -> None:
    """Regression (issue 10.6): an officer key named "erin" issued to the engineer "erin" approved her data."""
    approval = {**officer("key-officer-erin"), "person": "erin"}
    facts = facts_with(
        registered_by="key-engineer-erin", involved_people=["erin"], approvals=[approval]
    )
    result = evaluate(pack_from(approvals=APPROVALS), facts, now).result(
        "approvals.separation_of_duties"
    )
    assert result.status == "fail"
    assert result.evidence["conflicted_approvers"] == ["key-officer-erin"]


def test_an_approval_of_an_earlier_decision_no_longer_counts(
    pack_from, facts_with, clean_facts, now
) -> None:
    pack = pack_from(approvals={"required_role": "officer"})
    current = evaluate(pack, clean_facts, now).hash
    decision = evaluate(
        pack,
        facts_with(
            approvals=[
                officer("key-a", decision_hash="0" * 64),
                officer("key-b", decision_hash=current),
            ]
        ),
        now,
    )
    result = decision.result("approvals.min_approvers")
    assert result.status == "pass"
    assert result.evidence["approvers"] == ["key-b"]
    assert result.evidence["stale_approvals"] == ["key-a"]


def test_only_stale_approvals_leave_the_decision_waiting(pack_from, facts_with, now) -> None:
    pack = pack_from(approvals={"required_role": "officer"})
    decision = evaluate(pack, facts_with(approvals=[officer("key-a", decision_hash="0" * 64)]), now)
    assert decision.result("approvals.min_approvers").status == "pending"
    assert "earlier decision" in decision.result("approvals.min_approvers").message
