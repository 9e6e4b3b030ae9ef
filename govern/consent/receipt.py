"""Deletion receipts: a signed statement, for the subject, of what their erasure reached.

The receipt names only what the subject gave us (their id) and what govern did: when each
erasure request was recorded, which snapshots had records blanked (and how many), which runs had
been trained on them and what an officer decided for each (retrain, withdraw, accept, or still
open). It is canonical JSON signed with the issuing officer's Ed25519 key; `verify_receipt`
checks it offline against that key's PEM, with nothing from the workspace. Issuing one is
ledgered (`consent.receipt_issued`) by the receipt's hash and the subject's keyed hash only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from govern import atomic, ledger
from govern.canonical import canonical_bytes, sha256_hex
from govern.catalog.models import LedgerEntry
from govern.clock import utc_now
from govern.errors import BadInput
from govern.ledger.authority import Authority, require
from govern.ledger.keys import Signer, key_id_for, verify_signature

RECEIPT_TYPE = "govern.deletion-receipt/v1"
ISSUED_EVENT = "consent.receipt_issued"
DOCUMENT_FIELDS = frozenset({"receipt", "signer_key_id", "signer_public_key", "signature"})


def public_key_pem(public_key_hex: str) -> bytes:
    """The SubjectPublicKeyInfo PEM of a raw Ed25519 public key (what `verify` takes)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _public_key_hex(pem: bytes, source: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise BadInput(f"{source}: not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BadInput(f"{source}: not an Ed25519 public key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def _erasures(session: Session, subject_hash: str) -> list[tuple[LedgerEntry, dict[str, Any]]]:
    authority = Authority.of(session)
    entries = session.exec(
        select(LedgerEntry)
        .where(LedgerEntry.event == "subject.erased")
        .order_by(col(LedgerEntry.seq))
    )
    found = []
    for entry in entries:
        if authority.entry_problem(entry) is not None:
            continue
        payload = json.loads(entry.payload)
        if payload.get("subject_hash") == subject_hash:
            found.append((entry, payload))
    return found


def build_receipt(session: Session, subject_id: str, subject_hash: str) -> dict[str, Any]:
    """The receipt's statement (unsigned) from the verified ledger; BadInput if never erased."""
    from govern.consent.remediation import remediation_states

    erasures = _erasures(session, subject_hash)
    if not erasures:
        raise BadInput(
            "no erasure of this subject is recorded; run `govern consent erase SUBJECT` first "
            "(check the subject id)"
        )
    blanked: dict[str, int] = {}
    for _, payload in erasures:
        for snapshot_id, positions in payload.get("erased", {}).items():
            blanked[snapshot_id] = blanked.get(snapshot_id, 0) + len(positions)
    runs = []
    for state in remediation_states(session, subject_hash=subject_hash):
        decision = state.decision
        runs.append(
            {
                "run_id": state.remediation.run_id,
                "remediation_id": state.remediation.id,
                "decision": "open" if decision is None else decision.decision,
                "decided_at": decision.decided_at if decision else None,
                "justification": decision.justification if decision else None,
                "retrained_as": decision.successor_run_id if decision else None,
            }
        )
    return {
        "type": RECEIPT_TYPE,
        "subject_id": subject_id,
        "requested_at": erasures[0][0].recorded_at,
        "erasures": [
            {"ledger_seq": entry.seq, "recorded_at": entry.recorded_at} for entry, _ in erasures
        ],
        "snapshots_blanked": [
            {"snapshot_id": s, "records_blanked": n} for s, n in sorted(blanked.items())
        ],
        "runs_affected": runs,
    }


@dataclass
class Receipt:
    """An issued, signed receipt and where it was written."""

    path: Path
    sha256: str
    ledger_seq: int
    document: dict[str, Any] = field(repr=False)


def issue_receipt(
    workspace: Any, actor: Signer, subject_id: str, out: Path, public_key_out: Path | None = None
) -> Receipt:
    """Sign the subject's deletion receipt, write it to `out` (and the signer's public key PEM to
    `public_key_out`), and ledger its hash; officers only."""
    subject_hash = workspace.hash_subject(subject_id)
    with workspace.catalog.transaction() as session:
        require(session, actor, "consent.receipt")
        statement = build_receipt(session, subject_id, subject_hash)
        statement["issued_at"] = utc_now()
        head = ledger.head(session)
        statement["ledger_head"] = {"seq": head.seq, "hash": head.entry_hash} if head else None
        document = {
            "receipt": statement,
            "signer_key_id": actor.key_id,
            "signer_public_key": actor.public_key_hex,
            "signature": actor.sign(canonical_bytes(statement)),
        }
        data = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        digest = sha256_hex(data.encode("utf-8"))
        entry = ledger.append(
            session,
            actor,
            ISSUED_EVENT,
            [subject_hash],
            {"subject_hash": subject_hash, "receipt_sha256": digest},
        )
        atomic.write(out, data, mode=0o644, exclusive=False)
        if public_key_out is not None:
            atomic.write(public_key_out, public_key_pem(actor.public_key_hex), mode=0o644)
    return Receipt(out, digest, entry.seq, document)


@dataclass
class ReceiptCheck:
    """What verifying a receipt found."""

    path: str
    problems: list[str] = field(default_factory=list)
    receipt: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "problems": self.problems,
            "receipt": self.receipt,
        }


def _refusing_duplicates(duplicates: list[str]) -> Any:
    """An object_pairs_hook that records every key seen twice in one object."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    return hook


def verify_receipt(path: Path, public_key: bytes, key_source: str = "--public-key") -> ReceiptCheck:
    """Check a receipt's signature against the PEM public key given, offline.

    Refused as well: a key repeated in any object (readers disagree on which one counts) and any
    field beside the signed statement and its signature (it would be read but not signed)."""
    check = ReceiptCheck(str(path))
    duplicates: list[str] = []
    try:
        document = json.loads(
            path.read_text(encoding="utf-8"), object_pairs_hook=_refusing_duplicates(duplicates)
        )
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"{path}: not a readable receipt ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("receipt"), dict):
        raise BadInput(f"{path}: not a govern deletion receipt (no receipt object)")
    statement = document["receipt"]
    check.receipt = statement
    expected = _public_key_hex(public_key, key_source)
    if duplicates:
        check.problems.append(
            f"key(s) repeated in one object: {', '.join(sorted(set(duplicates)))} "
            "(a reader may show a value that was not signed)"
        )
    unsigned = sorted(set(document) - DOCUMENT_FIELDS)
    if unsigned:
        check.problems.append(f"field(s) outside the signed receipt: {', '.join(unsigned)}")
    if statement.get("type") != RECEIPT_TYPE:
        check.problems.append(f"receipt type is {statement.get('type')!r}, not {RECEIPT_TYPE}")
    if document.get("signer_public_key") != expected:
        check.problems.append(
            f"signed by key {document.get('signer_key_id')}, not by the key given ({key_id_for(expected)})"
        )
    if not verify_signature(expected, canonical_bytes(statement), str(document.get("signature"))):
        check.problems.append("the signature does not verify: the receipt was altered or forged")
    return check
