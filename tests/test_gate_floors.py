"""The gate's promises hold against raw rows, library side doors and configuration: each test is a
regression test for one way issue 10 found them bending."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

pytest.importorskip("opacus", reason="floor tests train runs: they need govern[train]")

from govern import ledger
from govern.errors import BadInput, Refused
from govern.gate import Gate, GatedData
from govern.ledger.verify import verify_workspace
from govern.pii.scans import scan_snapshot
from govern.policy.approvals import approve
from govern.training.run_status import run_status
from govern.training.runs import _create_run, load_workspace_recipe, start_run
from tests.pipeline import EXAMPLES
from tests.test_gate import _events, _pipeline, tiny_model  # noqa: F401

RECIPE = Path("train/gate.toml")


def _sql(workspace, statement: str, **params) -> None:  # type: ignore[no-untyped-def]
    with workspace.catalog.engine.begin() as connection:
        connection.execute(text(statement), params)


def _refusal(workspace, engineer, snapshots, match: str, recipe: Path = RECIPE, **options) -> None:  # type: ignore[no-untyped-def]
    before = len(_events(workspace, "gate.refused"))
    with pytest.raises(Refused) as caught:
        start_run(workspace, engineer, recipe, snapshots, **options)
    assert match in str(caught.value)
    assert len(_events(workspace, "gate.refused")) == before + 1


def test_run_started_records_the_active_pack_and_the_privacy_label(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.1): run.started did not record the pack."""
    from govern.policy.activation import active_pack

    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    start_run(workspace, engineer, RECIPE, [snapshot.id])
    started = _events(workspace, "run.started")[0]
    assert started["pack"]["hash"] == active_pack(workspace).hash
    assert started["privacy"] == "differentially private" and started["dp_waiver"] is None


def test_a_recipe_may_train_only_on_declared_text_fields(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.10): `text_field = "subject_id"` trained on raw subject ids."""
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    recipe = workspace.root / "train" / "gate.toml"
    recipe.write_text(
        recipe.read_text().replace(
            'format = "prompt_completion"', 'format = "text"\ntext_field = "subject_id"'
        )
    )
    _refusal(
        workspace,
        engineer,
        [snapshot.id],
        "the recipe trains on subject_id, which the dataset did not declare",
    )
    with workspace.catalog.reading() as session:
        assert session.execute(text("SELECT count(*) FROM training_runs")).scalar() == 0


def test_consent_signed_by_an_engineer_key_counts_for_nothing(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.4): grants written through the library with an engineer's key were accepted."""
    from govern.consent.registry import _store, parse_consent_file, revoke

    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    revoke(workspace, officer, "subj-0010")
    forged = tmp_path / "forged.csv"
    forged.write_text(
        "subject_id,purpose,status,time\nsubj-0010,model_training,granted,2030-01-01T00:00:00Z\n"
    )
    with workspace.catalog.transaction() as session:
        parsed = parse_consent_file(workspace, forged, engineer.key_id)
        _store(session, engineer, parsed.events, "consent.imported", [], {}, parsed.evidence)
    _refusal(workspace, engineer, [snapshot.id], "consent.coverage")
    assert any("only officer keys may sign it" in p for p in verify_workspace(workspace).problems)


def test_a_consent_grant_inserted_by_sql_after_a_revocation_admits_nothing(
    tmp_path, tiny_model
) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.4): a grant inserted by SQL after a revocation admitted a run."""
    from govern.consent.registry import revoke

    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    revoke(workspace, officer, "subj-0010")
    with workspace.catalog.reading() as session:
        seq = session.execute(text("SELECT max(ledger_seq) FROM consent_events")).scalar()
    _sql(
        workspace,
        "INSERT INTO consent_events (id, subject_hash, purpose, action, effective_at, expires_at, evidence_hash, "
        "recorded_at, recorded_by, ledger_seq) VALUES ('f0f0', :h, 'model_training', 'grant', "
        "'2026-01-01T00:00:00.000000Z', NULL, NULL, '2999-01-01T00:00:00.000000Z', :k, :seq)",
        h=workspace.hash_subject("subj-0010"),
        k=officer.key_id,
        seq=seq,
    )
    _refusal(workspace, engineer, [snapshot.id], "consent.coverage")


def test_deleting_a_revocation_behind_the_ledger_restores_no_grant(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    from govern.consent.registry import revoke

    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    revoke(workspace, officer, "subj-0010")
    _sql(workspace, "DROP TRIGGER consent_events_no_delete")
    _sql(workspace, "DELETE FROM consent_events WHERE action = 'revoke'")
    _refusal(workspace, engineer, [snapshot.id], "consent.coverage")


def test_a_zero_finding_scan_inserted_by_sql_is_no_scan(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.5): a forged clean scan of a raw snapshot made the policy pass."""
    from govern.policy.decisions import latest_scan

    workspace, engineer, _, snapshot = _pipeline(tmp_path, tiny_model)
    with workspace.catalog.reading() as session:
        real = latest_scan(session, snapshot.id)
    _sql(
        workspace,
        "INSERT INTO scans (id, snapshot_id, config_hash, config, spacy_model, spacy_version, presidio_version, "
        "summary, findings_count, findings_hash, created_at, created_by, ledger_seq) VALUES "
        "(:id, :s, :c, :cfg, 'm', 'v', 'p', '[]', 0, 'x', '2999-01-01T00:00:00Z', :k, :seq)",
        id="e" * 64,
        s=snapshot.id,
        c=real.config_hash,
        cfg=real.config,
        k=engineer.key_id,
        seq=real.ledger_seq + 999,
    )
    with workspace.catalog.reading() as session:
        assert latest_scan(session, snapshot.id).id == real.id
    assert any("scans row" in p for p in verify_workspace(workspace).problems)


def test_a_scan_faked_through_the_library_is_caught_by_rescan(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.5): an engineer's key could ledger a zero-finding scan of raw PII."""
    from govern.ingest.snapshots import resolve_snapshot
    from govern.pii.scans import _scan_id, _store_scan, scanner_config

    workspace, engineer, _, _snapshot = _pipeline(tmp_path, tiny_model)
    raw = tmp_path / "raw.jsonl"
    raw.write_text(
        json.dumps(
            {
                "id": "x1",
                "subject_id": "subj-0010",
                "prompt": "Hi, I am Maria Gonzalez,",
                "completion": " call me at maria.gonzalez@example.com",
            }
        )
        + "\n"
    )
    from govern.ingest.datasets import add_version

    leaky = add_version(workspace, engineer, "support", raw).snapshot
    from govern.pii import Scanner

    with Scanner(scanner_config(workspace), processes=1) as scanner:
        provenance = scanner.provenance()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with workspace.catalog.reading() as session:
        target = resolve_snapshot(session, leaky.id)
    _store_scan(
        workspace, engineer, target, _scan_id(leaky.id, provenance), provenance, [], 0, empty, {}
    )
    assert verify_workspace(
        workspace
    ).ok  # the ledger is consistent: only re-running the scan shows the lie
    result = verify_workspace(workspace, rescan=True)
    assert any(
        f"scan {_scan_id(leaky.id, provenance)[:12]}" in p and "not the 0 it recorded" in p
        for p in result.problems
    )


def test_a_faked_scan_claiming_other_scanner_code_still_fails_rescan(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    """The recorded scanner_code is the scan's own claim: a faked zero-finding scan that names some
    other code escapes re-running, but `--rescan` still fails and names it as unconfirmed."""
    from govern.ingest.datasets import add_version
    from govern.ingest.snapshots import resolve_snapshot
    from govern.pii import Scanner
    from govern.pii.scans import _scan_id, _store_scan, scanner_config

    workspace, engineer, _, _snapshot = _pipeline(tmp_path, tiny_model)
    raw = tmp_path / "raw.jsonl"
    record = {
        "id": "x1",
        "subject_id": "subj-0010",
        "prompt": "I am Maria Gonzalez,",
        "completion": " hi",
    }
    raw.write_text(json.dumps(record) + "\n")
    leaky = add_version(workspace, engineer, "support", raw).snapshot
    with Scanner(scanner_config(workspace), processes=1) as scanner:
        provenance = {**scanner.provenance(), "scanner_code": "f" * 64}
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with workspace.catalog.reading() as session:
        target = resolve_snapshot(session, leaky.id)
    scan_id = _scan_id(leaky.id, provenance)
    _store_scan(workspace, engineer, target, scan_id, provenance, [], 0, empty, {})
    result = verify_workspace(workspace, rescan=True)
    assert not result.ok
    assert any(f"scan {scan_id[:12]}" in p and "unconfirmed" in p for p in result.problems)


def test_rescan_names_a_scan_made_by_other_scanner_code_instead_of_calling_it_a_lie(
    tmp_path, tiny_model, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """After a govern upgrade that changed the recognizers, re-running an old scan would find other
    findings for an honest reason; `--rescan` says so rather than report the scan as false."""
    from govern.pii import code_digest

    workspace, _engineer, _officer, _snapshot = _pipeline(tmp_path, tiny_model)
    assert verify_workspace(workspace, rescan=True).ok
    monkeypatch.setattr(code_digest, "SCANNER_CODE", "0" * 64)  # this govern's code is other
    problems = verify_workspace(workspace, rescan=True).problems
    assert any("was made by other scanner code" in p and "000000000000" in p for p in problems), (
        problems
    )
    assert not any("re-running it finds" in p for p in problems)


def test_the_gate_refuses_a_scan_made_under_another_scanner_configuration(
    tmp_path, tiny_model
) -> None:  # type: ignore[no-untyped-def]
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    approve(workspace, officer, snapshot.id)
    toml = workspace.root / "govern.toml"
    toml.write_text(toml.read_text().replace("score_threshold = 0.35", "score_threshold = 0.99"))
    from govern.workspace import Workspace

    _refusal(Workspace(workspace.root), engineer, [snapshot.id], "not the workspace's")


def test_run_status_and_budget_ignore_rows_written_around_the_ledger(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.7): one INSERT INTO run_events (or a DELETE of privacy_charges with the
    triggers dropped) changed a run's status and ε and freed an exhausted budget."""
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model, budget=3.2)
    approve(workspace, officer, snapshot.id)
    recipe = load_workspace_recipe(workspace, RECIPE)
    admission = Gate(workspace).admit(engineer, [snapshot.id], recipe)
    run = _create_run(
        workspace, engineer, recipe, admission, workspace.root / "runs" / "run-held", None
    )
    _sql(
        workspace,
        "INSERT INTO run_events (id, run_id, kind, step, epsilon, loss, detail, recorded_at, ledger_seq) "
        "VALUES ('ff', :r, 'failed', 0, NULL, NULL, '{}', '2999-01-01T00:00:00Z', :seq)",
        r=run.id,
        seq=run.ledger_seq,
    )
    with workspace.catalog.reading() as session:
        assert run_status(session, run)["status"] == "running"
    with pytest.raises(Refused, match="lifetime budget"):
        Gate(workspace).admit(engineer, [snapshot.id], recipe)
    assert any("run event ff" in p for p in verify_workspace(workspace).problems)


def test_deleting_charges_behind_the_ledger_frees_no_budget(sqlite_pipeline_with_a_run) -> None:  # type: ignore[no-untyped-def]
    workspace, engineer, snapshot, _result = sqlite_pipeline_with_a_run
    _sql(workspace, "DROP TRIGGER privacy_charges_no_delete")
    _sql(workspace, "DELETE FROM privacy_charges")
    recipe = load_workspace_recipe(workspace, RECIPE)
    with pytest.raises(Refused, match="lifetime budget"):
        Gate(workspace).admit(engineer, [snapshot.id], recipe)
    assert any(
        "privacy_charges" in p and "missing" in p for p in verify_workspace(workspace).problems
    )


@pytest.fixture
def sqlite_pipeline_with_a_run(tmp_path, tiny_model):  # type: ignore[no-untyped-def]
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model, budget=3.2)
    approve(workspace, officer, snapshot.id)
    return workspace, engineer, snapshot, start_run(workspace, engineer, RECIPE, [snapshot.id])


def test_the_same_file_registered_again_shares_its_subjects_budget(
    sqlite_pipeline_with_a_run, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.8): registering the same file as a new dataset got a fresh lifetime budget."""
    from govern.ingest.datasets import DatasetSpec, add_dataset
    from govern.ledger.keys import load_identity

    workspace, engineer, _, _ = sqlite_pipeline_with_a_run
    spec = DatasetSpec(
        name="support-again",
        source="example helpdesk export",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject_id",
        text_fields=("prompt", "completion"),
        id_field="id",
    )
    again = add_dataset(workspace, engineer, spec, EXAMPLES).snapshot
    scan_snapshot(workspace, engineer, again.id, processes=1)
    approve(workspace, load_identity(workspace.root / "olga.key"), again.id)
    _refusal(workspace, engineer, [again.id], "lifetime budget")


def test_a_continued_adapter_is_refused_when_an_earlier_stage_trained_on_an_erased_subject(
    sqlite_pipeline_with_a_run,
) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.9): --init-adapter continued an adapter trained on a since-erased subject."""
    from govern.consent.erasure import erase_subject
    from govern.ledger.keys import load_identity

    workspace, engineer, snapshot, first = sqlite_pipeline_with_a_run
    erase_subject(workspace, load_identity(workspace.root / "olga.key"), "subj-0010")
    _refusal(
        workspace, engineer, [snapshot.id], "records were erased since", init_run_id=first["run_id"]
    )


def test_the_loser_of_a_race_for_the_last_budget_is_ledgered(tmp_path, tiny_model) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.12): the refusal under the write lock was not ledgered."""
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model, budget=3.2)
    approve(workspace, officer, snapshot.id)
    recipe = load_workspace_recipe(workspace, RECIPE)
    first, second = (Gate(workspace).admit(engineer, [snapshot.id], recipe) for _ in range(2))
    _create_run(workspace, engineer, recipe, first, workspace.root / "runs" / "run-first", None)
    with pytest.raises(Refused):
        _create_run(
            workspace, engineer, recipe, second, workspace.root / "runs" / "run-second", None
        )
    assert _events(workspace, "gate.refused")[-1]["race"] == "budget reserved meanwhile"


def test_training_data_comes_only_from_the_gate(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.13): training accepted data that never went through the gate."""
    with pytest.raises(Refused, match="comes only from the gate"):
        GatedData(sqlite_workspace, ["0" * 64], {"0" * 64: []}, {"0" * 64: set()})


def test_no_training_loss_or_batch_size_enters_the_ledger(sqlite_pipeline_with_a_run) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.15): un-noised loss reached the ledger (a statistic of private data outside ε)."""
    workspace, _, _, _ = sqlite_pipeline_with_a_run
    with workspace.catalog.reading() as session:
        payloads = [
            json.loads(e.payload)
            for e in ledger.iter_entries(session)
            if e.event.startswith("run.")
        ]
    assert payloads and not any({"loss", "final_loss", "batch_size"} & set(p) for p in payloads)


def test_the_evaluation_door_runs_the_same_checks(sqlite_pipeline_with_a_run) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.17): the evaluation gate was a drifted copy (no "named twice" check)."""
    workspace, engineer, snapshot, first = sqlite_pipeline_with_a_run
    with pytest.raises(BadInput, match="named twice"):
        Gate(workspace).admit_for_evaluation(
            engineer, [snapshot.id, snapshot.id[:10]], first["run_id"]
        )
    with pytest.raises(Refused) as caught:
        Gate(workspace).admit_for_evaluation(engineer, [snapshot.id], first["run_id"])
    assert "not held-out data" in str(caught.value)
