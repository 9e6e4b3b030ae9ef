"""Who approved a snapshot a run trained on, as the attestation names them.

Only verdicts whose signature and ledger entry verify, and that were recorded before the run
started (the ones the gate could have counted), are listed; a verdict added later is no part of
that run's provenance. Each names the key, its role, the name it was registered under, the
decision hash the officer signed, the pack hash, and when.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session


def snapshot_approvals(session: Session, snapshot_id: str, before_seq: int) -> list[dict[str, Any]]:
    """The verified verdicts (approvals and rejections) on a snapshot ledgered before `before_seq`."""
    from govern.ledger.authority import Authority
    from govern.policy.approvals import approval_problems, list_approvals

    authority = Authority.of(session)
    found = []
    for row in list_approvals(session, snapshot_id):
        if row.ledger_seq >= before_seq or approval_problems(session, row):
            continue
        identity = authority.identity(row.approver_key_id)
        found.append(
            {
                "approvalId": row.id,
                "verdict": row.verdict,
                "keyid": row.approver_key_id,
                "role": identity.role if identity is not None else None,
                "name": identity.name if identity is not None else None,
                "decisionHash": row.decision_id,
                "packHash": row.pack_hash,
                "signedAt": row.signed_at,
                "ledgerSeq": row.ledger_seq,
            }
        )
    return found
