"""Attestations for adapters: an in-toto Statement v1 with a SLSA provenance v1 predicate, signed as
a DSSE envelope with an Ed25519 key registered in the workspace.

    statement  _type https://in-toto.io/Statement/v1
               subject: one ResourceDescriptor per adapter file, digest {"sha256": ...}
               predicateType https://slsa.dev/provenance/v1
               predicate.buildDefinition: buildType, externalParameters (recipe hash, DP
                 parameters, snapshots), internalParameters (gate checks), resolvedDependencies
                 (snapshots, base model, the adapter a continued run started from)
               predicate.runDetails: builder.id (the project at its version), metadata (run id, times),
                 byproducts (the DP guarantee the run reached)
    envelope   {"payloadType": "application/vnd.in-toto+json", "payload": base64(statement),
                "signatures": [{"keyid": key id, "sig": base64(Ed25519(PAE(type, payload)))}]}

Each snapshot dependency's annotations name its approvals in force when the run started
(approvers.py: key id, role, person's name, the decision hash signed, when). buildType and
builder.id are URIs of the project (uris.py). `attest_run` signs and ledgers (`run.attested`,
with the envelope's hash); attest_verify.py's `verify_attestation` checks the signature against
the registered key and, with a workspace, the adapter files on disk, the run's ledger record and
the ledgered attestation.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from govern import __version__, ledger
from govern.atomic import atomic_write_json
from govern.canonical import canonical_bytes, file_sha256, hash_value, sha256_hex
from govern.catalog.models import (
    Dataset,
    LedgerEntry,
    RunEvent,
    Snapshot,
    TrainingRun,
)
from govern.consent.remediation import withdrawn
from govern.errors import IntegrityFailure, Refused
from govern.ledger.keys import PrivateIdentity
from govern.lineage.approvers import snapshot_approvals
from govern.lineage.uris import BUILD_TYPE, BUILDER_ID
from govern.training.privacy_unit import PrivacyUnit, unit_of_payload

if TYPE_CHECKING:
    from govern.workspace import Workspace

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
ATTESTED_EVENT = "run.attested"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body (byte lengths)."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def sign_envelope(statement: dict[str, Any], signer: PrivateIdentity) -> dict[str, Any]:
    """A DSSE envelope of `statement` (canonical JSON) signed by `signer`."""
    payload = canonical_bytes(statement)
    signature = bytes.fromhex(signer.sign(pae(PAYLOAD_TYPE, payload)))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [
            {"keyid": signer.key_id, "sig": base64.b64encode(signature).decode("ascii")}
        ],
    }


def envelope_hash(envelope: dict[str, Any]) -> str:
    """The hash under which an envelope is ledgered: SHA-256 of its canonical JSON."""
    return hash_value(envelope)


def _adapter_dir(workspace: Workspace, run: TrainingRun) -> Path:
    folder = Path(run.output_dir)
    return (folder if folder.is_absolute() else workspace.root / folder) / "adapter"


def _completed_record(session: Session, run: TrainingRun) -> tuple[RunEvent, dict[str, Any]]:
    """The run's `completed` event and the payload of its ledger entry (the signed record)."""
    event = session.exec(
        select(RunEvent).where(RunEvent.run_id == run.id, RunEvent.kind == "completed")
    ).first()
    if event is None:
        raise Refused(
            f"run {run.id} has not completed, so it has no adapter to attest; `govern runs show {run.id}` says where it stands"
        )
    entry = session.get(LedgerEntry, event.ledger_seq)
    if entry is None or entry.event != "run.completed":
        raise IntegrityFailure(
            f"run {run.id}: its completion is not in the ledger (entry {event.ledger_seq}); run `govern audit verify`"
        )
    return event, json.loads(entry.payload)


def _ns(session: Session) -> str:
    from govern.lineage.openlineage import namespace

    return namespace(session)


def build_statement(session: Session, run: TrainingRun) -> dict[str, Any]:
    """The in-toto Statement for a completed run's adapter, from the catalog and the ledger."""
    event, record = _completed_record(session, run)
    files: dict[str, str] = record.get("adapter_files") or {}
    if not files:
        raise IntegrityFailure(f"run {run.id}: its ledgered completion lists no adapter files")
    ns = _ns(session)
    started = session.get(LedgerEntry, run.ledger_seq)
    gate_checks = json.loads(started.payload).get("gate_checks") if started is not None else None
    unit = unit_of_payload(json.loads(started.payload)) if started is not None else PrivacyUnit()
    withdrawal = withdrawn(session, run.id)
    dependencies: list[dict[str, Any]] = []
    for snapshot_id in json.loads(run.snapshot_ids):
        snapshot = session.get(Snapshot, snapshot_id)
        dataset = session.get(Dataset, snapshot.dataset_id) if snapshot else None
        dependencies.append(
            {
                "name": f"snapshot/{snapshot_id}",
                "uri": f"{ns}/snapshots/{snapshot_id}",
                "digest": {"sha256": snapshot_id},
                "annotations": {
                    "dataset": dataset.name if dataset else None,
                    "transform": snapshot.transform if snapshot else None,
                    "records": snapshot.record_count if snapshot else None,
                    "approvals": snapshot_approvals(session, snapshot_id, run.ledger_seq),
                },
            }
        )
    dependencies.append(
        {
            "name": "base-model",
            "digest": {"sha256": run.base_model_hash},
            "annotations": {"hashOf": "govern model folder manifest (weights and config files)"},
        }
    )
    if run.init_run_id:
        init_event = session.exec(
            select(RunEvent).where(RunEvent.run_id == run.init_run_id, RunEvent.kind == "completed")
        ).first()
        init_hash = json.loads(init_event.detail).get("adapter_hash") if init_event else None
        if init_hash:
            dependencies.append(
                {
                    "name": f"adapter/{init_hash}",
                    "uri": f"{ns}/runs/{run.init_run_id}/adapter",
                    "digest": {"sha256": init_hash},
                    "annotations": {"run": run.init_run_id},
                }
            )
    guarantee = {
        "private": record.get("private", run.dp_enabled),
        "epsilon": event.epsilon,
        "delta": record.get("delta", run.delta),
        "accountant": record.get("accountant", run.accountant),
        "chargedSteps": record.get("charged_steps"),
        "privacyUnit": unit.unit,
        "withdrawn": withdrawal is not None,
        **(
            {"withdrawnBy": withdrawal.id, "withdrawnAt": withdrawal.decided_at}
            if withdrawal is not None
            else {}
        ),
        **(
            {"maxRecordsPerSubject": unit.max_records_per_subject} if unit.unit == "subject" else {}
        ),
    }
    return {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": f"adapter/{name}", "digest": {"sha256": digest}}
            for name, digest in sorted(files.items())
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "recipe": {"name": run.recipe_name, "digest": {"sha256": run.recipe_hash}},
                    "snapshots": json.loads(run.snapshot_ids),
                    "initRun": run.init_run_id,
                    "dp": {
                        "enabled": run.dp_enabled,
                        "targetEpsilon": run.target_epsilon,
                        "delta": run.delta,
                        "noiseMultiplier": run.noise_multiplier,
                        "sampleRate": run.sample_rate,
                        "maxGradNorm": run.max_grad_norm,
                        "accountant": run.accountant,
                        "plannedSteps": run.planned_steps,
                        "privacyUnit": unit.unit,
                    },
                },
                "internalParameters": {
                    "workspace": ns,
                    "gateChecks": gate_checks,
                    "adapterHash": record.get("adapter_hash"),
                },
                "resolvedDependencies": dependencies,
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID, "version": {"govern": __version__}},
                "metadata": {
                    "invocationId": run.id,
                    "startedOn": run.created_at,
                    "finishedOn": event.recorded_at,
                },
                "byproducts": [
                    {
                        "name": "dp-guarantee",
                        "digest": {"sha256": hash_value(guarantee)},
                        "annotations": guarantee,
                    }
                ],
            },
        },
    }


@dataclass
class Attestation:
    """A signed attestation written to disk and ledgered."""

    run_id: str
    path: Path
    envelope: dict[str, Any]
    statement: dict[str, Any]
    envelope_sha256: str
    ledger_seq: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "path": str(self.path),
            "envelope_sha256": self.envelope_sha256,
            "ledger_seq": self.ledger_seq,
            "key_id": self.envelope["signatures"][0]["keyid"],
            "subjects": self.statement["subject"],
        }


def _disk_problems(workspace: Workspace, run: TrainingRun, subjects: dict[str, str]) -> list[str]:
    folder = _adapter_dir(workspace, run)
    problems = []
    for name, digest in sorted(subjects.items()):
        path = folder / name.removeprefix("adapter/")
        if not path.is_file():
            problems.append(f"adapter file {name} is missing from {folder}")
        elif file_sha256(path) != digest:
            problems.append(
                f"adapter file {name} on disk does not match its attested sha256 (altered or replaced)"
            )
    return problems


def attest_run(workspace: Workspace, actor: PrivateIdentity, run_id: str, out: Path) -> Attestation:
    """Sign an attestation of a completed run's adapter, write it to `out` and ledger it."""
    from govern.ledger.authority import require
    from govern.training.run_status import get_run

    out = Path(out)
    with workspace.catalog.transaction() as session:
        signer = require(session, actor, "run.attest")
        run = get_run(session, run_id)
        if signer.role == "engineer" and actor.key_id != run.created_by:
            raise Refused(
                f"{signer.describe()} did not run {run.id}; the engineer who trained it, or an officer, "
                "must sign its attestation"
            )
        statement = build_statement(session, run)
        subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
        problems = _disk_problems(workspace, run, subjects)
        if problems:
            raise IntegrityFailure(
                f"run {run.id}: refusing to attest an adapter that does not match its record: "
                + "; ".join(problems)
            )
        envelope = sign_envelope(statement, actor)
        digest = envelope_hash(envelope)
        adapter_hash = statement["predicate"]["buildDefinition"]["internalParameters"][
            "adapterHash"
        ]
        entry = ledger.append(
            session,
            actor,
            ATTESTED_EVENT,
            [run.id, adapter_hash],
            {
                "run_id": run.id,
                "adapter_hash": adapter_hash,
                "envelope_sha256": digest,
                "statement_sha256": sha256_hex(canonical_bytes(statement)),
                "predicate_type": PREDICATE_TYPE,
                "key_id": actor.key_id,
            },
        )
        # Inside the transaction: no ledger entry without the file. Envelopes are for sharing.
        atomic_write_json(out, envelope, mode=0o644)
    return Attestation(run.id, out, envelope, statement, digest, entry.seq)
