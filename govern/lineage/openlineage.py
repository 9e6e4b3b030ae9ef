"""OpenLineage run events for every job that made what a training run read, valid against the spec.

Each snapshot is the output of one job run: `ingest.<dataset>` reads the source file,
`anonymize.<dataset>` / `filter.<dataset>` / ... read the parent snapshot, so a consumer such as
Marquez or DataHub sees an anonymized snapshot with its raw parent as input. A training run
becomes START (its plan was catalogued), then RUNNING for each resume, FAIL (failed) or ABORT
(interrupted) for each stop, and COMPLETE with the adapter as output. Datasets carry the
standard `schema`, `dataSource`, `version` and (when created) `lifecycleStateChange` facets and
govern's `govern_pii` and `govern_consent`; jobs carry `jobType`, training runs `govern_dp`.
Every facet names its `_producer` and `_schemaURL`; every event is validated before it is
written (`govern.lineage.openlineage_schema`).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from govern.atomic import atomic_write_bytes
from govern.catalog.models import Dataset, LedgerEntry, RunEvent, Snapshot, TrainingRun
from govern.clock import parse_time
from govern.errors import BadInput, GovernError, IntegrityFailure
from govern.lineage.openlineage_schema import RUN_EVENT_SCHEMA_URL, validate_event
from govern.lineage.uris import GOVERN_FACETS, PRODUCER
from govern.policy.decisions import SNAPSHOT_EVENTS, is_anonymized
from govern.training.privacy_unit import PrivacyUnit, run_privacy_unit

if TYPE_CHECKING:
    from govern.workspace import Workspace

__all__ = [
    "FACET_SCHEMAS",
    "PRODUCER",
    "RUN_EVENT_SCHEMA_URL",
    "export_run",
    "lineage_events",
    "run_events",
    "snapshot_events",
    "validate_event",
]

_OL_FACETS = "https://openlineage.io/spec/facets/"
# facet key -> the schema URL (fragment included) of the version emitted; all are vendored
FACET_SCHEMAS = {
    "schema": _OL_FACETS + "1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "dataSource": _OL_FACETS + "1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet",
    "version": _OL_FACETS
    + "1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
    "errorMessage": _OL_FACETS + "1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
    "lifecycleStateChange": _OL_FACETS
    + "1-0-1/LifecycleStateChangeDatasetFacet.json#/$defs/LifecycleStateChangeDatasetFacet",
    "jobType": _OL_FACETS + "2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
    "govern_pii": GOVERN_FACETS + "GovernPiiDatasetFacet.json#/$defs/GovernPiiDatasetFacet",
    "govern_consent": GOVERN_FACETS
    + "GovernConsentDatasetFacet.json#/$defs/GovernConsentDatasetFacet",
    "govern_dp": GOVERN_FACETS + "GovernDpRunFacet.json#/$defs/GovernDpRunFacet",
}
_EVENT_TYPES = {
    "resumed": "RUNNING",
    "failed": "FAIL",
    "interrupted": "ABORT",
    "completed": "COMPLETE",
}


def facet(key: str, **fields: Any) -> dict[str, Any]:
    """A facet with its `_producer` and `_schemaURL`."""
    return {"_producer": PRODUCER, "_schemaURL": FACET_SCHEMAS[key], **fields}


def namespace(session: Session) -> str:
    """The workspace's OpenLineage namespace, named by its ledger's first entry (stable, unique)."""
    first = session.get(LedgerEntry, 1)
    if first is None:
        raise BadInput("the ledger is empty: this workspace has no lineage to export")
    return f"govern://{first.entry_hash[:16]}"


def openlineage_run_id(run: TrainingRun) -> str:
    """A UUID for the run, derived from its catalogued identity (the same on every export)."""
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"govern:run:{run.id}:{run.created_at}:{run.created_by}")
    )


def _pii_facet(session: Session, snapshot: Snapshot) -> dict[str, Any]:
    from govern.policy.decisions import latest_scan

    scan = latest_scan(session, snapshot.id)
    by_entity = (
        []
        if scan is None
        else [
            {
                "entityType": row["entity_type"],
                "field": row.get("field"),
                "count": int(row["count"]),
            }
            for row in json.loads(scan.summary)
        ]
    )
    return facet(
        "govern_pii",
        snapshotId=snapshot.id,
        transform=snapshot.transform,
        anonymized=is_anonymized(session, snapshot),
        scanned=scan is not None,
        scanId=scan.id if scan else None,
        scannerConfigHash=scan.config_hash if scan else None,
        spacyModel=scan.spacy_model if scan else None,
        presidioVersion=scan.presidio_version if scan else None,
        findings=scan.findings_count if scan else 0,
        byEntity=by_entity,
    )


def _consent_facet(
    workspace: Workspace, session: Session, snapshot: Snapshot, at: str
) -> dict[str, Any]:
    from govern.consent.registry import coverage
    from govern.policy.activation import active_pack
    from govern.policy.decisions import erased_positions

    erased = erased_positions(session, snapshot.id)
    try:
        pack = active_pack(workspace)
        purposes, pack_name = list(pack.consent_purposes()), f"{pack.name} {pack.version}"
    except GovernError:
        purposes, pack_name = [], None
    rows = []
    for purpose in purposes:
        found = coverage(session, snapshot.id, purpose, parse_time(at), erased)
        rows.append(
            {
                "purpose": purpose,
                "recordsWithGrant": found.records_with_grant,
                "recordsWithoutGrant": len(found.records_without_grant),
            }
        )
    return facet(
        "govern_consent",
        evaluatedAt=at,
        policyPack=pack_name,
        erasedRecords=len(erased),
        purposes=rows,
    )


def _verified_snapshot(session: Session, snapshot_id: str) -> Snapshot:
    from govern.ledger.authority import row_problem

    snapshot = session.get(Snapshot, snapshot_id)
    if snapshot is None:
        raise BadInput(f"snapshot {snapshot_id} is not in the catalog")
    problem = row_problem(session, snapshot, SNAPSHOT_EVENTS)
    if problem is not None:
        raise IntegrityFailure(
            f"{problem}; lineage is exported only for what the ledger vouches for"
        )
    return snapshot


def _snapshot_dataset(
    session: Session,
    ns: str,
    snapshot: Snapshot,
    *,
    pii: bool = True,
    consent_at: tuple[Any, str] | None = None,
    created: bool = False,
) -> dict[str, Any]:
    """A snapshot as an OpenLineage dataset; `consent_at` is (workspace, time) for the consent facet."""
    dataset = session.get(Dataset, snapshot.dataset_id)
    assert dataset is not None
    fields = [
        {"name": name, "type": "string", "description": "text field"}
        for name in json.loads(dataset.text_fields)
    ]
    fields.append(
        {
            "name": dataset.subject_field,
            "type": "string",
            "description": "data subject (indexed as a keyed hash)",
        }
    )
    if dataset.id_field:
        fields.append({"name": dataset.id_field, "type": "string", "description": "record id"})
    facets: dict[str, Any] = {
        "schema": facet("schema", fields=fields),
        "dataSource": facet("dataSource", name=dataset.name, uri=f"{ns}/datasets/{dataset.id}"),
        "version": facet("version", datasetVersion=snapshot.id),
    }
    if created:
        facets["lifecycleStateChange"] = facet(
            "lifecycleStateChange", lifecycleStateChange="CREATE"
        )
    if pii:
        facets["govern_pii"] = _pii_facet(session, snapshot)
    if consent_at is not None:
        facets["govern_consent"] = _consent_facet(consent_at[0], session, snapshot, consent_at[1])
    return {"namespace": ns, "name": f"snapshot/{snapshot.id}", "facets": facets}


def _source_dataset(ns: str, dataset: Dataset, snapshot: Snapshot) -> dict[str, Any]:
    """The file a snapshot was ingested from, named by its file name and versioned by its SHA-256."""
    label = snapshot.source_name or snapshot.source_sha256 or snapshot.id
    facets: dict[str, Any] = {
        "dataSource": facet("dataSource", name=dataset.name, uri=f"{ns}/datasets/{dataset.id}"),
    }
    if snapshot.source_sha256:
        facets["version"] = facet("version", datasetVersion=f"sha256:{snapshot.source_sha256}")
    return {"namespace": ns, "name": f"source/{dataset.name}/{label}", "facets": facets}


def _job(ns: str, name: str, job_type: str) -> dict[str, Any]:
    return {
        "namespace": ns,
        "name": name,
        "facets": {
            "jobType": facet(
                "jobType", processingType="BATCH", integration="GOVERN", jobType=job_type
            )
        },
    }


def _event(
    event_type: str,
    at: str,
    run_id: str,
    run_facets: dict[str, Any],
    job: dict[str, Any],
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": at,
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA_URL,
        "run": {"runId": run_id, "facets": run_facets},
        "job": job,
        "inputs": inputs,
        "outputs": outputs,
    }


def _snapshot_job(session: Session, ns: str, snapshot: Snapshot) -> list[dict[str, Any]]:
    """START and COMPLETE of the job that made `snapshot`: its source file or parent in, it out."""
    dataset = session.get(Dataset, snapshot.dataset_id)
    assert dataset is not None
    if snapshot.parent_id is None:
        inputs = [_source_dataset(ns, dataset, snapshot)]
    else:
        parent = _verified_snapshot(session, snapshot.parent_id)
        inputs = [_snapshot_dataset(session, ns, parent, pii=False)]
    outputs = [_snapshot_dataset(session, ns, snapshot, created=True)]
    job = _job(ns, f"{snapshot.transform}.{dataset.name}", snapshot.transform.upper())
    run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"govern:snapshot:{snapshot.id}"))
    return [
        _event("START", snapshot.created_at, run_id, {}, job, inputs, []),
        _event("COMPLETE", snapshot.created_at, run_id, {}, job, inputs, outputs),
    ]


def snapshot_events(workspace: Any, snapshot_id: str) -> list[dict[str, Any]]:
    """The job runs that made a snapshot and every snapshot it derives from, oldest first."""
    from govern.ingest.snapshots import ancestors

    with workspace.catalog.reading() as session:
        ns = namespace(session)
        snapshot = _verified_snapshot(session, snapshot_id)
        chain = reversed(ancestors(session, snapshot))
        return [event for item in chain for event in _snapshot_job(session, ns, item)]


def _adapter_dataset(
    ns: str, adapter_hash: str, run_id: str, created: bool = False
) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "dataSource": facet(
            "dataSource", name="govern adapters", uri=f"{ns}/runs/{run_id}/adapter"
        ),
        "version": facet("version", datasetVersion=adapter_hash),
    }
    if created:
        facets["lifecycleStateChange"] = facet(
            "lifecycleStateChange", lifecycleStateChange="CREATE"
        )
    return {"namespace": ns, "name": f"adapter/{adapter_hash}", "facets": facets}


def _dp_facet(
    run: TrainingRun, epsilon: float | None, charged: int, unit: PrivacyUnit | None = None
) -> dict[str, Any]:
    unit = unit or PrivacyUnit()
    return facet(
        "govern_dp",
        private=run.dp_enabled,
        epsilon=epsilon,
        delta=run.delta,
        targetEpsilon=run.target_epsilon,
        accountant=run.accountant,
        noiseMultiplier=run.noise_multiplier,
        sampleRate=run.sample_rate,
        maxGradNorm=run.max_grad_norm,
        plannedSteps=run.planned_steps,
        chargedSteps=charged,
        privacyUnit="subject" if unit.unit == "subject" else "example",
        **(
            {"maxRecordsPerSubject": unit.max_records_per_subject} if unit.unit == "subject" else {}
        ),
    )


def run_events(workspace: Workspace, run_id: str) -> list[dict[str, Any]]:
    """The OpenLineage run events of a training run, oldest first."""
    from govern.training.run_status import charges_count, get_run

    with workspace.catalog.reading() as session:
        run = get_run(session, run_id)
        ns = namespace(session)
        events = list(
            session.exec(
                select(RunEvent).where(RunEvent.run_id == run.id).order_by(col(RunEvent.ledger_seq))
            ).all()
        )
        inputs = [
            _snapshot_dataset(
                session,
                ns,
                _verified_snapshot(session, s),
                consent_at=(workspace, run.created_at),
            )
            for s in json.loads(run.snapshot_ids)
        ]
        if run.init_run_id:
            init_done = session.exec(
                select(RunEvent).where(
                    RunEvent.run_id == run.init_run_id, RunEvent.kind == "completed"
                )
            ).first()
            if init_done is not None:
                init_hash = json.loads(init_done.detail).get("adapter_hash")
                if init_hash:
                    inputs.append(_adapter_dataset(ns, init_hash, run.init_run_id))
        charged = charges_count(session, run.id)
        unit = run_privacy_unit(session, run.ledger_seq)
    job = _job(ns, f"train.{run.recipe_name}", "TRAIN")
    ol_run_id = openlineage_run_id(run)

    def event(
        event_type: str,
        at: str,
        run_facets: dict[str, Any],
        outputs: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        return _event(event_type, at, ol_run_id, run_facets, job, inputs, outputs or [])

    out = [event("START", run.created_at, {"govern_dp": _dp_facet(run, None, 0, unit)})]
    for item in events:
        event_type = _EVENT_TYPES.get(item.kind)
        if event_type is None:
            continue
        facets: dict[str, Any] = {
            "govern_dp": _dp_facet(
                run, item.epsilon, charged if event_type == "COMPLETE" else 0, unit
            )
        }
        outputs = None
        if event_type in ("FAIL", "ABORT"):
            message = json.loads(item.detail).get("error") or item.kind
            facets["errorMessage"] = facet(
                "errorMessage", message=str(message), programmingLanguage="PYTHON"
            )
        if event_type == "COMPLETE":
            adapter_hash = json.loads(item.detail).get("adapter_hash")
            outputs = (
                [_adapter_dataset(ns, adapter_hash, run.id, created=True)] if adapter_hash else []
            )
        out.append(event(event_type, item.recorded_at, facets, outputs))
    return out


def lineage_events(workspace: Any, run_id: str) -> list[dict[str, Any]]:
    """Every event a consumer needs to draw a run's lineage: the jobs that made its snapshots, then the run."""
    from govern.training.run_status import get_run

    with workspace.catalog.reading() as session:
        snapshot_ids = json.loads(get_run(session, run_id).snapshot_ids)
    seen: set[tuple[str, str]] = set()
    events: list[dict[str, Any]] = []
    for snapshot_id in snapshot_ids:
        for event in snapshot_events(workspace, snapshot_id):
            key = (event["run"]["runId"], event["eventType"])
            if key not in seen:
                seen.add(key)
                events.append(event)
    return events + run_events(workspace, run_id)


def export_run(workspace: Any, run_id: str, out: Path) -> list[dict[str, Any]]:
    """Write a run's lineage (`lineage_events`) to `out` as JSON Lines (OpenLineage's file transport)."""
    events = lineage_events(workspace, run_id)
    problems = [
        f"event {i} ({e['eventType']}): {p}"
        for i, e in enumerate(events)
        for p in validate_event(e)
    ]
    if problems:
        raise GovernError(
            "the OpenLineage events do not validate against the schema, nothing was written "
            "(a govern bug: please report it):\n" + "\n".join(f"  - {p}" for p in problems)
        )
    data = "".join(json.dumps(item, sort_keys=True, ensure_ascii=False) + "\n" for item in events)
    atomic_write_bytes(Path(out), data.encode("utf-8"), mode=0o644)
    return events
