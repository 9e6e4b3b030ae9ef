"""OpenLineage conformance: vendored schemas are the spec's own files, ingest and anonymize are
jobs whose events validate, and openlineage-python's client reads every facet govern emits."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from govern.lineage import snapshot_events, validate_event
from govern.lineage.openlineage import FACET_SCHEMAS, PRODUCER
from govern.lineage.openlineage_schema import SCHEMAS_DIR, vendored_schemas
from govern.lineage.uris import PROJECT_URI
from tests.conftest import _new_key, write_jsonl

UPSTREAM = SCHEMAS_DIR / "openlineage" / "UPSTREAM.json"
RECORDS = [
    {"id": "t1", "subject": "s1", "text": "Maria Keller wrote from maria.keller@example.com."},
    {"id": "t2", "subject": "s2", "text": "Call me on 415 555 0199 about the refund."},
]


def _git_blob(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_vendored_openlineage_files_are_the_upstream_blobs() -> None:
    """The git blob ids match `git ls-tree <commit> spec/...` in the OpenLineage repository."""
    upstream = json.loads(UPSTREAM.read_text())
    assert upstream["repository"] == "https://github.com/OpenLineage/OpenLineage"
    vendored = {p.name for p in (SCHEMAS_DIR / "openlineage").iterdir()} - {"UPSTREAM.json"}
    assert vendored == set(upstream["files"]), "a file is vendored without its upstream record"
    for name, entry in upstream["files"].items():
        assert _git_blob(SCHEMAS_DIR / "openlineage" / name) == entry["git_blob"], name
    assert "Apache License" in (SCHEMAS_DIR / "openlineage" / "LICENSE").read_text()


def test_every_emitted_facet_names_a_vendored_schema_by_its_own_id() -> None:
    schemas = vendored_schemas()
    for key, url in FACET_SCHEMAS.items():
        base, fragment = url.split("#")
        assert base in schemas, f"{key}: {base} is not vendored"
        definition = fragment.removeprefix("/$defs/")
        assert definition in schemas[base]["$defs"], f"{key}: {url} names no definition"


def test_the_producer_is_the_project_repository() -> None:
    assert PRODUCER.startswith(PROJECT_URI + "/")
    for schema_id in vendored_schemas():
        assert "govern.dev" not in schema_id and "pypi.org" not in schema_id
    for url in FACET_SCHEMAS.values():
        assert url.startswith(("https://openlineage.io/spec/", PROJECT_URI + "/"))


@pytest.fixture(scope="module")
def anonymized_lineage(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A dataset ingested from a file, scanned, then anonymized: the snapshot chain's events."""
    from govern.ingest.datasets import DatasetSpec, add_dataset
    from govern.pii.scans import anonymize_snapshot, scan_snapshot
    from tests.conftest import make_workspace

    root = tmp_path_factory.mktemp("ol")
    workspace = make_workspace(root / "ws").workspace
    engineer = _new_key(workspace, "engineer", "erin")
    spec = DatasetSpec(
        name="tickets",
        source="helpdesk",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field="id",
    )
    raw = add_dataset(workspace, engineer, spec, write_jsonl(root / "t.jsonl", RECORDS)).snapshot
    scan_snapshot(workspace, engineer, raw.id, show_progress=False, processes=1)
    clean = anonymize_snapshot(workspace, engineer, raw.id).derived.snapshot
    return {
        "workspace": workspace,
        "raw": raw,
        "clean": clean,
        "events": snapshot_events(workspace, clean.id),
    }


def test_ingest_and_anonymize_are_jobs_and_the_raw_parent_is_an_input(anonymized_lineage) -> None:  # type: ignore[no-untyped-def]
    raw, clean, events = (anonymized_lineage[k] for k in ("raw", "clean", "events"))
    assert [(e["job"]["name"], e["eventType"]) for e in events] == [
        ("ingest.tickets", "START"),
        ("ingest.tickets", "COMPLETE"),
        ("anonymize.tickets", "START"),
        ("anonymize.tickets", "COMPLETE"),
    ]
    for event in events:
        assert validate_event(event) == [], event["job"]["name"]
    ingest, anonymize = events[1], events[3]
    (source,) = ingest["inputs"]
    assert source["name"] == "source/tickets/t.jsonl"
    assert source["facets"]["version"]["datasetVersion"] == f"sha256:{raw.source_sha256}"
    assert [d["name"] for d in ingest["outputs"]] == [f"snapshot/{raw.id}"]
    assert [d["name"] for d in anonymize["inputs"]] == [f"snapshot/{raw.id}"]
    (output,) = anonymize["outputs"]
    assert output["name"] == f"snapshot/{clean.id}"
    assert output["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "CREATE"
    assert output["facets"]["govern_pii"]["anonymized"] is True
    assert anonymize["job"]["facets"]["jobType"]["jobType"] == "ANONYMIZE"
    assert events[0]["run"]["runId"] == ingest["run"]["runId"] != anonymize["run"]["runId"]
    text = json.dumps(events)
    assert "maria.keller@example.com" not in text and "s1" not in json.dumps(
        [e["outputs"] for e in events]
    )


def test_a_snapshot_written_around_the_library_is_not_exported(anonymized_lineage) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from govern.catalog.models import ledgered_row
    from govern.errors import IntegrityFailure

    workspace, clean = anonymized_lineage["workspace"], anonymized_lineage["clean"]
    forged = {**ledgered_row(clean), "id": "f" * 64, "parent_id": clean.id, "ledger_seq": 2}
    with workspace.catalog.transaction() as session:
        columns = [c for c in forged if c != "table"]
        session.execute(
            text(
                f"INSERT INTO snapshots ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})"
            ),
            {c: forged[c] for c in columns},
        )
    with pytest.raises(IntegrityFailure, match="lineage is exported only for what the ledger"):
        snapshot_events(workspace, "f" * 64)


def test_a_facet_with_a_schema_that_is_not_vendored_is_a_problem(anonymized_lineage) -> None:  # type: ignore[no-untyped-def]
    event = copy.deepcopy(anonymized_lineage["events"][-1])
    lifecycle = event["outputs"][0]["facets"]["lifecycleStateChange"]
    lifecycle["_schemaURL"] = lifecycle["_schemaURL"].replace("1-0-1", "9-9-9")
    assert any("names no vendored schema" in p for p in validate_event(event))
    lifecycle["_schemaURL"] = FACET_SCHEMAS["lifecycleStateChange"]
    lifecycle["lifecycleStateChange"] = "CREATED"
    assert any("'CREATED' is not one of" in p for p in validate_event(event))


# --- openlineage-python, the reference client ----------------------------------------------------


def _client_facet(key: str, value: dict[str, Any]) -> Any:
    """The client's own facet class built from what govern emitted (fields it does not know fail)."""
    from openlineage.client.generated import (
        dataset_version_dataset,
        datasource_dataset,
        error_message_run,
        job_type_job,
        lifecycle_state_change_dataset,
        schema_dataset,
    )

    fields = {k: v for k, v in value.items() if not k.startswith("_")}
    if key == "schema":
        columns = [schema_dataset.SchemaDatasetFacetFields(**f) for f in fields["fields"]]
        return schema_dataset.SchemaDatasetFacet(fields=columns, producer=value["_producer"])
    classes = {
        "dataSource": datasource_dataset.DatasourceDatasetFacet,
        "version": dataset_version_dataset.DatasetVersionDatasetFacet,
        "errorMessage": error_message_run.ErrorMessageRunFacet,
        "jobType": job_type_job.JobTypeJobFacet,
    }
    if key == "lifecycleStateChange":
        state = lifecycle_state_change_dataset.LifecycleStateChange(fields["lifecycleStateChange"])
        return lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet(
            lifecycleStateChange=state, producer=value["_producer"]
        )
    return classes[key](**fields, producer=value["_producer"])


def _every_facet(event: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = list(event["run"]["facets"].items()) + list(event["job"].get("facets", {}).items())
    for dataset in event["inputs"] + event["outputs"]:
        found += list(dataset["facets"].items())
    return found


def test_openlineage_python_reads_every_standard_facet_and_event(anonymized_lineage) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("openlineage.client", reason="needs govern[lineage] (openlineage-python)")
    from openlineage.client import event_v2
    from openlineage.client.serde import Serde

    for event in anonymized_lineage["events"]:
        for key, value in _every_facet(event):
            if key.startswith("govern_"):
                continue
            built = _client_facet(key, value)
            assert built._schemaURL == value["_schemaURL"], key  # the client's own version
            assert (
                Serde.to_dict(built).items()
                >= {k: v for k, v in value.items() if k != "fields"}.items()
            ), key
        client_event = event_v2.RunEvent(
            eventType=event_v2.RunState(event["eventType"]),
            eventTime=event["eventTime"],
            run=event_v2.Run(runId=event["run"]["runId"], facets=event["run"]["facets"]),
            job=event_v2.Job(
                namespace=event["job"]["namespace"],
                name=event["job"]["name"],
                facets=event["job"]["facets"],
            ),
            producer=event["producer"],
            inputs=[event_v2.InputDataset(**d) for d in event["inputs"]],
            outputs=[event_v2.OutputDataset(**d) for d in event["outputs"]],
        )
        assert client_event.schemaURL == event["schemaURL"]
        read_back = json.loads(Serde.to_json(client_event))
        for dataset in read_back["inputs"] + read_back["outputs"]:  # the client's empty defaults
            for group in ("inputFacets", "outputFacets"):
                if dataset.get(group) == {}:
                    del dataset[group]
        assert read_back == event
