"""OpenLineage export: START/RUNNING/FAIL/COMPLETE events from a real run's record, valid against the
vendored OpenLineage 2-0-2 schema and facet schemas, with govern's custom facets."""

from __future__ import annotations

import copy
import json
import uuid

import pytest

from govern.lineage import export_run, run_events, validate_event
from govern.lineage.openlineage import PRODUCER, RUN_EVENT_SCHEMA_URL
from tests.lineage.conftest import EXCLUDED_SUBJECT, KEPT_SUBJECT


def test_a_continued_run_exports_start_and_complete_that_validate(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    events = run_events(p.workspace, p.second["run_id"])
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    for event in events:
        assert validate_event(event) == []
        assert event["schemaURL"] == RUN_EVENT_SCHEMA_URL and event["producer"] == PRODUCER
    assert len({e["run"]["runId"] for e in events}) == 1
    uuid.UUID(events[0]["run"]["runId"])
    names = [d["name"] for d in events[0]["inputs"]]
    assert names == [f"snapshot/{p.derived.id}", f"adapter/{p.first['adapter_hash']}"]
    assert events[0]["outputs"] == []
    (output,) = events[1]["outputs"]
    assert output["name"] == f"adapter/{p.second['adapter_hash']}"
    assert output["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "CREATE"


def test_a_failed_then_resumed_run_exports_fail_and_running(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    events = run_events(p.workspace, p.recovered["run_id"])
    assert [e["eventType"] for e in events] == ["START", "FAIL", "RUNNING", "COMPLETE"]
    assert all(validate_event(e) == [] for e in events)
    error = events[1]["run"]["facets"]["errorMessage"]
    assert "simulated failure" in error["message"] and error["programmingLanguage"] == "PYTHON"
    times = [e["eventTime"] for e in events]
    assert times == sorted(times)


def test_input_facets_describe_schema_source_version_pii_and_consent(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    snapshot = run_events(p.workspace, p.first["run_id"])[0]["inputs"][0]
    facets = snapshot["facets"]
    assert [f["name"] for f in facets["schema"]["fields"]] == [
        "prompt",
        "completion",
        "subject_id",
        "id",
    ]
    assert facets["dataSource"]["name"] == "support"
    assert facets["version"]["datasetVersion"] == p.derived.id
    pii = facets["govern_pii"]
    assert (
        pii["snapshotId"] == p.derived.id
        and pii["transform"] == "filter"
        and pii["anonymized"] is False
    )
    consent = facets["govern_consent"]
    assert consent["purposes"] == [
        {
            "purpose": "model_training",
            "recordsWithGrant": p.derived.record_count,
            "recordsWithoutGrant": 0,
        }
    ]
    for name in ("govern_pii", "govern_consent"):
        assert facets[name]["_producer"] == PRODUCER and facets[name]["_schemaURL"].startswith(
            "https://"
        )


def test_the_dp_facet_carries_the_guarantee_the_run_reached(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    complete = run_events(p.workspace, p.first["run_id"])[-1]
    dp = complete["run"]["facets"]["govern_dp"]
    assert dp["private"] is True and dp["epsilon"] == pytest.approx(p.first["epsilon"])
    assert dp["delta"] == p.first["delta"] and dp["accountant"] == p.first["accountant"]
    assert (
        dp["noiseMultiplier"] == pytest.approx(p.first["noise_multiplier"])
        and dp["chargedSteps"] == p.first["charged_steps"]
    )


def test_the_scan_of_a_snapshot_is_in_its_pii_facet(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    """The root snapshot (scanned) is not a run input, so its facet is checked directly."""
    from govern.catalog.models import Snapshot
    from govern.lineage.openlineage import _pii_facet

    p = trained_pipeline
    if not p.scanned:
        pytest.skip("the PII scanner (govern.pii.scans) is not available")
    with p.workspace.catalog.reading() as session:
        pii = _pii_facet(session, session.get(Snapshot, p.root.id))
    assert pii["scanned"] and pii["findings"] == sum(row["count"] for row in pii["byEntity"])
    assert (
        validate_event(
            {
                **run_events(p.workspace, p.first["run_id"])[0],
                "inputs": [{"namespace": "n", "name": "x", "facets": {"govern_pii": pii}}],
            }
        )
        == []
    )


def test_the_validator_catches_broken_events_and_facets(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    good = run_events(p.workspace, p.first["run_id"])[-1]
    no_producer = copy.deepcopy(good)
    del no_producer["producer"]
    assert any("producer" in problem for problem in validate_event(no_producer))
    bad_uuid = copy.deepcopy(good)
    bad_uuid["run"]["runId"] = p.first["run_id"]
    assert any("uuid" in problem for problem in validate_event(bad_uuid))
    bad_facet = copy.deepcopy(good)
    del bad_facet["run"]["facets"]["govern_dp"]["_producer"]
    bad_facet["run"]["facets"]["govern_dp"]["epsilon"] = "small"
    problems = validate_event(bad_facet)
    assert any("_producer" in x for x in problems) and any("'small'" in x for x in problems)
    bad_version = copy.deepcopy(good)
    del bad_version["outputs"][0]["facets"]["version"]["datasetVersion"]
    assert any("datasetVersion" in x for x in validate_event(bad_version))


def test_export_writes_json_lines_without_subject_ids(trained_pipeline, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    out = tmp_path / "events" / "run.jsonl"
    events = export_run(p.workspace, p.second["run_id"], out)
    text = out.read_text()
    assert [json.loads(line) for line in text.splitlines()] == events
    jobs = [(e["job"]["name"], e["eventType"]) for e in events]
    assert jobs[:4] == [
        ("ingest.support", "START"),
        ("ingest.support", "COMPLETE"),
        ("filter.support", "START"),
        ("filter.support", "COMPLETE"),
    ]
    assert events[4:] == run_events(p.workspace, p.second["run_id"])
    assert events[3]["outputs"][0]["name"] == events[4]["inputs"][0]["name"]  # one chain
    for subject in (KEPT_SUBJECT, EXCLUDED_SUBJECT):
        assert subject not in text
