"""OpenLineage run events for a training run, valid against the vendored OpenLineage 2-0-2 schema.

A run becomes START (its plan was catalogued), then RUNNING for each resume, FAIL (failed) or
ABORT (interrupted) for each stop, and COMPLETE with the adapter as output. Inputs are the
run's snapshots (and the adapter it continued from), with the standard `schema`, `dataSource`
and `version` facets and govern's own `govern_pii` and `govern_consent` facets; the run carries
`govern_dp`. Every facet names its `_producer` and `_schemaURL`.

The schemas live in `govern/lineage/schemas/` (OpenLineage's core and the standard facets
used, copied from the OpenLineage spec; govern's custom facets): nothing is fetched at run time.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from govern import __version__
from govern.atomic import atomic_write_bytes
from govern.catalog.models import Dataset, LedgerEntry, RunEvent, Snapshot, TrainingRun
from govern.clock import parse_time
from govern.errors import BadInput, GovernError
from govern.policy.decisions import is_anonymized

if TYPE_CHECKING:
    from govern.workspace import Workspace

SCHEMAS_DIR = Path(__file__).parent / "schemas"
OPENLINEAGE_SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
RUN_EVENT_SCHEMA_URL = OPENLINEAGE_SPEC + "#/$defs/RunEvent"
PRODUCER = f"https://pypi.org/project/govern/{__version__}/"
GOVERN_FACETS = "https://govern.dev/spec/facets/1-0-0/"

# facet key -> schema URL (fragment included); the files behind these URLs are vendored
FACET_SCHEMAS = {
    "schema": "https://openlineage.io/spec/facets/1-0-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "dataSource": "https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet",
    "version": "https://openlineage.io/spec/facets/1-0-0/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
    "errorMessage": "https://openlineage.io/spec/facets/1-0-0/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
    "lifecycleStateChange": "https://openlineage.io/spec/facets/1-0-1/LifecycleStateChangeDatasetFacet.json#/$defs/LifecycleStateChangeDatasetFacet",
    "govern_pii": GOVERN_FACETS + "GovernPiiDatasetFacet.json#/$defs/GovernPiiDatasetFacet",
    "govern_consent": GOVERN_FACETS
    + "GovernConsentDatasetFacet.json#/$defs/GovernConsentDatasetFacet",
    "govern_dp": GOVERN_FACETS + "GovernDpRunFacet.json#/$defs/GovernDpRunFacet",
}
_VENDORED = {  # schema URL (no fragment) -> file under SCHEMAS_DIR
    "https://openlineage.io/spec/facets/1-0-0/SchemaDatasetFacet.json": "openlineage/SchemaDatasetFacet.json",
    "https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json": "openlineage/DatasourceDatasetFacet.json",
    "https://openlineage.io/spec/facets/1-0-0/DatasetVersionDatasetFacet.json": "openlineage/DatasetVersionDatasetFacet.json",
    "https://openlineage.io/spec/facets/1-0-0/ErrorMessageRunFacet.json": "openlineage/ErrorMessageRunFacet.json",
    GOVERN_FACETS + "GovernPiiDatasetFacet.json": "govern/GovernPiiDatasetFacet.json",
    GOVERN_FACETS + "GovernConsentDatasetFacet.json": "govern/GovernConsentDatasetFacet.json",
    GOVERN_FACETS + "GovernDpRunFacet.json": "govern/GovernDpRunFacet.json",
}
# Facet schemas point at the core schema under older version URLs; its BaseFacet and
# DatasetFacet/RunFacet definitions are the same there, so the 2-0-2 file answers for them.
_CORE_ALIASES = (
    OPENLINEAGE_SPEC,
    "https://openlineage.io/spec/1-0-2/OpenLineage.json",
    "https://openlineage.io/spec/1-0-1/OpenLineage.json",
)
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


def _snapshot_dataset(
    workspace: Workspace, session: Session, ns: str, snapshot_id: str, at: str
) -> dict[str, Any]:
    snapshot = session.get(Snapshot, snapshot_id)
    if snapshot is None:
        raise BadInput(f"snapshot {snapshot_id} of the run is not in the catalog")
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
    return {
        "namespace": ns,
        "name": f"snapshot/{snapshot.id}",
        "facets": {
            "schema": facet("schema", fields=fields),
            "dataSource": facet("dataSource", name=dataset.name, uri=f"{ns}/datasets/{dataset.id}"),
            "version": facet("version", datasetVersion=snapshot.id),
            "govern_pii": _pii_facet(session, snapshot),
            "govern_consent": _consent_facet(workspace, session, snapshot, at),
        },
    }


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


def _dp_facet(run: TrainingRun, epsilon: float | None, charged: int) -> dict[str, Any]:
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
        privacyUnit="example",
    )


def run_events(workspace: Workspace, run_id: str) -> list[dict[str, Any]]:
    """The OpenLineage run events of a training run, oldest first."""
    from govern.training.runs import charges_count, get_run

    with workspace.catalog.reading() as session:
        run = get_run(session, run_id)
        ns = namespace(session)
        events = list(
            session.exec(
                select(RunEvent).where(RunEvent.run_id == run.id).order_by(col(RunEvent.ledger_seq))
            ).all()
        )
        inputs = [
            _snapshot_dataset(workspace, session, ns, s, run.created_at)
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
    job = {"namespace": ns, "name": f"train.{run.recipe_name}"}
    ol_run_id = openlineage_run_id(run)

    def event(
        event_type: str,
        at: str,
        run_facets: dict[str, Any],
        outputs: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        return {
            "eventType": event_type,
            "eventTime": at,
            "producer": PRODUCER,
            "schemaURL": RUN_EVENT_SCHEMA_URL,
            "run": {"runId": ol_run_id, "facets": run_facets},
            "job": job,
            "inputs": inputs,
            "outputs": outputs or [],
        }

    out = [event("START", run.created_at, {"govern_dp": _dp_facet(run, None, 0)})]
    for item in events:
        event_type = _EVENT_TYPES.get(item.kind)
        if event_type is None:
            continue
        facets: dict[str, Any] = {
            "govern_dp": _dp_facet(run, item.epsilon, charged if event_type == "COMPLETE" else 0)
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


# --- validation ----------------------------------------------------------------------------------


def _load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@cache
def _registry() -> Any:
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    core = DRAFT202012.create_resource(_load("openlineage/OpenLineage.json"))
    registry = Registry()
    for alias in _CORE_ALIASES:
        registry = registry.with_resource(alias, core)
    for url, name in _VENDORED.items():
        registry = registry.with_resource(url, DRAFT202012.create_resource(_load(name)))
    return registry.crawl()


def _format_checker() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if "T" not in value or not (value.endswith("Z") or value[-6] in "+-"):
            raise ValueError("not an RFC 3339 date-time with a time zone")
        datetime.fromisoformat(value)
        return True

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(urlsplit(value).scheme)

    return checker


def _validator(ref: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(
        {"$ref": ref}, registry=_registry(), format_checker=_format_checker()
    )


def _facets_of(event: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [
        (f"run.facets.{k}", k, v) for k, v in (event.get("run", {}).get("facets") or {}).items()
    ]
    found += [
        (f"job.facets.{k}", k, v) for k, v in (event.get("job", {}).get("facets") or {}).items()
    ]
    for side in ("inputs", "outputs"):
        for index, dataset in enumerate(event.get(side) or []):
            for group in ("facets", "inputFacets", "outputFacets"):
                found += [
                    (f"{side}[{index}].{group}.{k}", k, v)
                    for k, v in (dataset.get(group) or {}).items()
                ]
    return found


def validate_event(event: dict[str, Any]) -> list[str]:
    """Every way `event` breaks the OpenLineage RunEvent schema or a vendored facet schema."""
    problems = [
        f"{'/'.join(map(str, e.absolute_path)) or '(event)'}: {e.message}"
        for e in _validator(RUN_EVENT_SCHEMA_URL).iter_errors(event)
    ]
    for where, _key, value in _facets_of(event):
        url = value.get("_schemaURL") if isinstance(value, dict) else None
        if isinstance(url, str) and url.split("#")[0] in _VENDORED:
            problems += [f"{where}: {e.message}" for e in _validator(url).iter_errors(value)]
    return problems


def export_run(workspace: Workspace, run_id: str, out: Path) -> list[dict[str, Any]]:
    """Write a run's OpenLineage events to `out` as JSON Lines (OpenLineage's file transport format)."""
    events = run_events(workspace, run_id)
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
