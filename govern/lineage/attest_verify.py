"""Verifying an attestation: the DSSE signature against a registered (or given) key, the in-toto
statement's shape, and with a workspace the adapter files on disk, the run's ledger record and
the ledgered envelope (`govern attest verify`). Signing is attest.py's."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from govern.catalog.models import LedgerEntry, TrainingRun
from govern.errors import BadInput, IntegrityFailure, NotFound, Refused
from govern.ledger.keys import verify_signature
from govern.lineage.attest import (
    ATTESTED_EVENT,
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    _adapter_dir,
    _completed_record,
    _disk_problems,
    envelope_hash,
    pae,
)

if TYPE_CHECKING:
    from govern.workspace import Workspace


@dataclass
class AttestationCheck:
    """What `verify_attestation` found; `problems` is empty when everything matched."""

    path: str
    run_id: str | None = None
    key_ids: list[str] = field(default_factory=list)
    subjects: dict[str, str] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "run_id": self.run_id,
            "key_ids": self.key_ids,
            "subjects": self.subjects,
            "checked": self.checked,
            "problems": self.problems,
        }


def registered_keys(session: Session) -> dict[str, str]:
    """Key id → public key of every key the verified ledger registered."""
    from govern.ledger.authority import Authority

    return {key_id: found.public_key for key_id, found in Authority.of(session).identities.items()}


def _decode(text: object, what: str, check: AttestationCheck) -> bytes | None:
    if not isinstance(text, str):
        check.problems.append(f"the envelope's {what} is missing or not a string")
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        check.problems.append(f"the envelope's {what} is not valid base64")
        return None


def _check_signatures(
    envelope: dict[str, Any], payload: bytes, keys: dict[str, str], check: AttestationCheck
) -> None:
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        check.problems.append("the envelope carries no signatures")
        return
    message = pae(str(envelope.get("payloadType")), payload)
    for index, item in enumerate(signatures):
        keyid = item.get("keyid") if isinstance(item, dict) else None
        raw = _decode(
            item.get("sig") if isinstance(item, dict) else None, f"signature {index}", check
        )
        if raw is None:
            continue
        check.key_ids.append(str(keyid))
        if keyid not in keys:
            check.problems.append(
                f"signature {index} is by key {keyid}, which is not a registered key of this workspace"
            )
        elif not verify_signature(keys[keyid], message, raw.hex()):
            check.problems.append(
                f"signature {index} by key {keyid} does not verify: the envelope was altered after signing"
            )
        else:
            check.checked.append(f"DSSE signature by registered key {keyid}")


def _check_statement(statement: Any, check: AttestationCheck) -> dict[str, Any] | None:
    if not isinstance(statement, dict):
        check.problems.append("the payload is not an in-toto Statement (not a JSON object)")
        return None
    if statement.get("_type") != STATEMENT_TYPE:
        check.problems.append(
            f"the statement's _type is {statement.get('_type')!r}, not {STATEMENT_TYPE}"
        )
    if statement.get("predicateType") != PREDICATE_TYPE:
        check.problems.append(
            f"the statement's predicateType is {statement.get('predicateType')!r}, not {PREDICATE_TYPE}"
        )
    for item in statement.get("subject") or []:
        digest = (item.get("digest") or {}).get("sha256") if isinstance(item, dict) else None
        if isinstance(item, dict) and isinstance(digest, str):
            check.subjects[str(item.get("name"))] = digest
        else:
            check.problems.append(f"a subject has no sha256 digest: {item!r}")
    if not check.subjects:
        check.problems.append("the statement names no subject")
    try:
        check.run_id = statement["predicate"]["runDetails"]["metadata"]["invocationId"]
    except (KeyError, TypeError):
        check.problems.append("the predicate names no run (runDetails.metadata.invocationId)")
    return statement


def _check_against_workspace(
    workspace: Workspace,
    session: Session,
    statement: dict[str, Any],
    digest: str,
    check: AttestationCheck,
) -> None:
    run = session.get(TrainingRun, check.run_id) if check.run_id else None
    if run is None:
        check.problems.append(
            f"the attested run {check.run_id!r} is not in this workspace's catalog"
        )
        return
    try:
        _, record = _completed_record(session, run)
    except (Refused, IntegrityFailure) as error:
        check.problems.append(str(error))
        return
    recorded = {
        f"adapter/{name}": value for name, value in (record.get("adapter_files") or {}).items()
    }
    for name in sorted(set(recorded) | set(check.subjects)):
        if name not in check.subjects:
            check.problems.append(
                f"the run's ledger record lists {name}, which the attestation leaves out"
            )
        elif name not in recorded:
            check.problems.append(
                f"subject {name} is not an adapter file in the run's ledger record"
            )
        elif recorded[name] != check.subjects[name]:
            check.problems.append(
                f"subject {name}: its sha256 does not match the run's ledger record"
            )
    check.checked.append("subject digests against the run's ledgered completion")
    problems = _disk_problems(
        workspace, run, {n: d for n, d in check.subjects.items() if n in recorded}
    )
    check.problems += problems
    check.checked.append(f"adapter files on disk in {_adapter_dir(workspace, run)}")
    definition = (statement.get("predicate") or {}).get("buildDefinition") or {}
    external = definition.get("externalParameters") or {}
    if external.get("snapshots") != json.loads(run.snapshot_ids):
        check.problems.append("the attested snapshots differ from the run's catalogued snapshots")
    if ((external.get("recipe") or {}).get("digest") or {}).get("sha256") != run.recipe_hash:
        check.problems.append(
            "the attested recipe hash differs from the run's catalogued recipe hash"
        )
    base = [
        d
        for d in definition.get("resolvedDependencies") or []
        if isinstance(d, dict) and d.get("name") == "base-model"
    ]
    if not base or (base[0].get("digest") or {}).get("sha256") != run.base_model_hash:
        check.problems.append(
            "the attested base-model hash differs from the run's catalogued base model"
        )
    check.checked.append("snapshots, recipe and base model against the catalog")
    attested = session.exec(
        select(LedgerEntry)
        .where(LedgerEntry.event == ATTESTED_EVENT)
        .order_by(col(LedgerEntry.seq))
    ).all()
    if not any(json.loads(e.payload).get("envelope_sha256") == digest for e in attested):
        check.problems.append(
            f"this envelope (sha256 {digest[:16]}…) is not recorded in the ledger (no {ATTESTED_EVENT} entry for it)"
        )
    else:
        check.checked.append("the envelope's hash in the ledger")


def verify_attestation(
    path: Path, workspace: Workspace | None = None, public_keys: dict[str, str] | None = None
) -> AttestationCheck:
    """Check a DSSE-signed attestation: signature (registered or given keys), statement, and with a
    workspace the adapter files on disk, the run's ledger record and the ledgered envelope."""
    path = Path(path)
    check = AttestationCheck(str(path))
    try:
        envelope = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(f"{path}: no such attestation file") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        check.problems.append(f"{path} is not a JSON DSSE envelope")
        return check
    if not isinstance(envelope, dict):
        check.problems.append(f"{path} is not a DSSE envelope (not a JSON object)")
        return check
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        check.problems.append(f"payloadType is {envelope.get('payloadType')!r}, not {PAYLOAD_TYPE}")
    payload = _decode(envelope.get("payload"), "payload", check)
    if payload is None:
        return check
    keys = dict(public_keys or {})
    if workspace is None and not keys:
        raise BadInput(
            "no registered key to check the signature against: run inside the workspace (--workspace DIR) "
            "or pass --public-key HEX"
        )
    if workspace is None:
        _check_signatures(envelope, payload, keys, check)
        try:
            _check_statement(json.loads(payload), check)
        except json.JSONDecodeError:
            check.problems.append("the payload is not JSON")
        return check
    with workspace.catalog.reading() as session:
        keys.update(registered_keys(session))
        _check_signatures(envelope, payload, keys, check)
        try:
            statement = _check_statement(json.loads(payload), check)
        except json.JSONDecodeError:
            check.problems.append("the payload is not JSON")
            return check
        if statement is not None and check.run_id:
            _check_against_workspace(workspace, session, statement, envelope_hash(envelope), check)
    return check
