"""`subject_lineage`: exactly the snapshots, runs and adapters that hold a subject, from the subject
index, and nothing for a subject the workspace never saw."""

from __future__ import annotations

import json

from govern.lineage import subject_lineage
from tests.lineage.conftest import EXCLUDED_SUBJECT, KEPT_SUBJECT


def _snapshot_ids(found) -> set[str]:  # type: ignore[no-untyped-def]
    return {s["id"] for s in found.snapshots}


def test_subject_is_found_in_exactly_the_snapshots_holding_it(
    fresh_workspace, engineer, registered_snapshot
) -> None:  # type: ignore[no-untyped-def]
    from govern.ingest.derive import exclude_records

    root = registered_snapshot.snapshot
    derived = exclude_records(fresh_workspace, engineer, root.id, ["r2"], "no consent").snapshot
    cust_1 = subject_lineage(fresh_workspace, "cust-1")
    assert _snapshot_ids(cust_1) == {root.id, derived.id}
    assert {s["id"]: s["records"] for s in cust_1.snapshots} == {root.id: 2, derived.id: 2}
    assert _snapshot_ids(subject_lineage(fresh_workspace, "cust-2")) == {root.id}
    assert cust_1.subject_hash == fresh_workspace.hash_subject("cust-1")
    assert cust_1.runs == [] and cust_1.adapters == []


def test_an_unknown_subject_holds_nothing(fresh_workspace, registered_snapshot) -> None:  # type: ignore[no-untyped-def]
    found = subject_lineage(fresh_workspace, "nobody-we-know")
    assert not found.found and found.snapshots == found.runs == found.adapters == []


def test_erased_records_are_counted_not_hidden(
    fresh_workspace, officer, registered_snapshot
) -> None:  # type: ignore[no-untyped-def]
    from govern.consent.erasure import erase_subject

    erase_subject(fresh_workspace, officer, "cust-1")
    found = subject_lineage(fresh_workspace, "cust-1")
    assert [(s["records"], s["erased"]) for s in found.snapshots] == [(2, 2)]


def test_subject_in_the_training_data_reaches_every_run_and_adapter(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    found = subject_lineage(p.workspace, KEPT_SUBJECT)
    assert _snapshot_ids(found) == {
        p.root.id,
        p.derived.id,
    }  # not `narrowed`, which dropped the subject
    runs = {r["id"]: r for r in found.runs}
    direct = {p.first["run_id"], p.second["run_id"], p.recovered["run_id"]}
    assert set(runs) == direct | {p.third["run_id"]}
    assert all(
        runs[r]["snapshots"] == [p.derived.id] and runs[r]["continued_from"] is None for r in direct
    )
    adapters = {a["hash"]: a for a in found.adapters}
    assert set(adapters) == {r["adapter_hash"] for r in (p.first, p.second, p.recovered, p.third)}


def test_a_run_continued_from_an_affected_adapter_is_reached_through_it(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    """The third run never read the subject's records, but starts from an adapter that did."""
    p = trained_pipeline
    found = subject_lineage(p.workspace, KEPT_SUBJECT)
    third = next(r for r in found.runs if r["id"] == p.third["run_id"])
    assert third["snapshots"] == [] and third["continued_from"] == p.first["run_id"]
    assert next(a for a in found.adapters if a["run_id"] == p.third["run_id"])["direct"] is False


def test_a_filtered_out_subject_reaches_no_run(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    found = subject_lineage(p.workspace, EXCLUDED_SUBJECT)
    assert _snapshot_ids(found) == {p.root.id}
    assert found.runs == [] and found.adapters == []


def test_it_agrees_with_the_erasure_impact(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    from govern.consent.erasure import impact

    p = trained_pipeline
    found = subject_lineage(p.workspace, KEPT_SUBJECT)
    with p.workspace.catalog.reading() as session:
        expected = impact(session, p.workspace.hash_subject(KEPT_SUBJECT))
    assert _snapshot_ids(found) == set(expected.snapshots)
    # impact() reaches adapters continued from a run trained on the subject, as lineage does
    assert {r["id"] for r in found.runs} == set(expected.runs)


def test_the_answer_never_holds_the_raw_subject_id(trained_pipeline) -> None:  # type: ignore[no-untyped-def]
    p = trained_pipeline
    text = json.dumps(subject_lineage(p.workspace, KEPT_SUBJECT).to_dict())
    assert KEPT_SUBJECT not in text
