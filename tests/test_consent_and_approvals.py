"""Consent, decisions and approvals over a real catalog: an approval cannot be forged or outlive
its grounds (revoked consent, a changed pack), roles and separation of duties hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from govern.consent.erasure import erase_subject, impact
from govern.consent.registry import history, import_consent, is_active, revoke
from govern.errors import BadInput, Refused
from govern.ingest.datasets import DatasetSpec, add_dataset
from govern.ingest.snapshots import iter_snapshot_records
from govern.ledger.verify import verify_workspace
from govern.pii.scans import scan_snapshot
from govern.policy.activation import PackChanged, activate_pack
from govern.policy.approvals import approve, is_approved_for_training, reject
from govern.policy.decisions import check_snapshot
from tests.conftest import PERMISSIVE_FAMILIES, SAMPLE_RECORDS, _new_key, activate, write_jsonl

TEST_PACK = (
    """\
name: test
version: "1.0.0"
description: consent, provenance and approvals only, for tests
disclaimer: test pack, not legal advice
rules:
  provenance:
    required_fields: [source, license, legal_basis]
    licenses: {allow: [CC-BY-4.0]}
  consent:
    purpose: model_training
    on_missing: fail
  dp:
    required: true
  approvals:
    required_role: officer
    min_distinct_approvers: 1
    separation_of_duties: true
"""
    + PERMISSIVE_FAMILIES
)


@pytest.fixture
def governed(fresh_workspace, engineer, officer, dataset_spec, tmp_path):  # type: ignore[no-untyped-def]
    """A snapshot whose subjects all granted model_training, under the test pack."""
    workspace = activate(fresh_workspace, officer, "test", TEST_PACK)
    consents = tmp_path / "consents.csv"
    consents.write_text(
        "subject_id,purpose,status,time,evidence_ref\n"
        "cust-1,model_training,granted,2024-01-01T00:00:00Z,form-1\n"
        "cust-2,model_training,granted,2024-01-02T00:00:00Z,form-2\n"
    )
    import_consent(workspace, officer, consents)
    snapshot = add_dataset(
        workspace, engineer, dataset_spec, write_jsonl(tmp_path / "d.jsonl", SAMPLE_RECORDS)
    ).snapshot
    scan_snapshot(workspace, engineer, snapshot.id, processes=1)
    return workspace, snapshot


def _status(workspace, snapshot):  # type: ignore[no-untyped-def]
    from govern.policy.activation import active_pack_in

    with workspace.catalog.reading() as session:
        return is_approved_for_training(
            workspace, session, snapshot, active_pack_in(workspace, session)
        )


def test_officer_approval_covers_training_until_consent_is_revoked(governed, officer) -> None:  # type: ignore[no-untyped-def]
    workspace, snapshot = governed
    decision, _ = check_snapshot(workspace, officer, snapshot.id)
    assert not decision.failed
    assert not _status(workspace, snapshot).ok
    approve(workspace, officer, snapshot.id, note="looks fine")
    assert _status(workspace, snapshot).ok, _status(workspace, snapshot).reasons
    revoke(workspace, officer, "cust-2", "model_training")
    status = _status(workspace, snapshot)
    assert not status.ok
    assert any("consent.coverage" in reason and "1 records" in reason for reason in status.reasons)
    assert verify_workspace(workspace).ok


def test_engineer_cannot_approve_and_registrar_cannot_approve_own_data(governed, engineer) -> None:  # type: ignore[no-untyped-def]
    from govern.ledger.authority import RoleRefused

    workspace, snapshot = governed
    with pytest.raises(RoleRefused, match="this needs the role officer"):
        approve(workspace, engineer, snapshot.id)
    # Regression (issue 10.6): an officer key issued under the engineer's own name is the same person.
    same_person = _new_key(workspace, "officer", "Erin")
    with pytest.raises(Refused, match="separation of duties"):
        approve(workspace, same_person, snapshot.id)


def test_failing_snapshot_cannot_be_approved(governed, officer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    workspace, _ = governed
    engineer = _new_key(workspace, "engineer", "eve")
    spec = DatasetSpec(
        name="nc",
        source="x",
        license="CC-BY-NC-4.0",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field="id",
    )
    bad = add_dataset(
        workspace, engineer, spec, write_jsonl(tmp_path / "b.jsonl", SAMPLE_RECORDS)
    ).snapshot
    scan_snapshot(workspace, engineer, bad.id, processes=1)
    with pytest.raises(Refused, match="provenance.license"):
        approve(workspace, officer, bad.id)


def test_rejection_voids_earlier_approvals(governed, officer) -> None:  # type: ignore[no-untyped-def]
    workspace, snapshot = governed
    approve(workspace, officer, snapshot.id)
    reject(workspace, officer, snapshot.id, reason="found account numbers")
    status = _status(workspace, snapshot)
    assert not status.ok and any("voided by a later rejection" in r for r in status.reasons)


def test_changed_policy_pack_needs_a_new_decision_and_approval(governed, officer) -> None:  # type: ignore[no-untyped-def]
    workspace, snapshot = governed
    approve(workspace, officer, snapshot.id)
    pack = workspace.root / "policies" / "test.yaml"
    pack.write_text(
        pack.read_text()
        .replace("min_distinct_approvers: 1", "min_distinct_approvers: 1\n    # tightened")
        .replace('version: "1.0.0"', 'version: "2.0.0"')
    )
    with pytest.raises(PackChanged, match="changed after it was activated"):
        _status(workspace, snapshot)
    activate_pack(workspace, officer, "test")
    status = _status(workspace, snapshot)
    assert not status.ok
    assert any("another version of the policy pack" in r for r in status.reasons)
    approve(workspace, officer, snapshot.id)
    assert _status(workspace, snapshot).ok


def _insert_approval(workspace, **row) -> None:  # type: ignore[no-untyped-def]
    columns = ", ".join(row)
    values = ", ".join(f":{k}" for k in row)
    with workspace.catalog.engine.begin() as connection:
        connection.execute(text(f"INSERT INTO approvals ({columns}) VALUES ({values})"), row)


def test_approval_row_forged_in_the_database_is_rejected_and_reported(governed, officer) -> None:  # type: ignore[no-untyped-def]
    workspace, snapshot = governed
    decision, row = check_snapshot(workspace, officer, snapshot.id)
    from govern.policy.activation import active_pack
    from govern.policy.approvals import verified_approvals

    base = dict(
        snapshot_id=snapshot.id,
        decision_id=decision.hash,
        pack_hash=decision.pack_hash,
        verdict="approved",
        note=None,
        approver_key_id=officer.key_id,
        signed_at="2030-01-01T00:00:00.000000Z",
        ledger_seq=row.ledger_seq,
    )
    _insert_approval(workspace, id="f" * 32, signature="ab" * 64, **base)
    assert not _status(workspace, snapshot).ok
    with workspace.catalog.reading() as session:
        _, problems = verified_approvals(session, snapshot.id, active_pack(workspace))
    assert any("signature does not verify" in p for p in problems)
    result = verify_workspace(workspace)
    assert any("approvals row" in p for p in result.problems)


def test_approval_with_a_copied_signature_does_not_verify(
    governed, officer, tmp_path, dataset_spec
) -> None:  # type: ignore[no-untyped-def]
    workspace, snapshot = governed
    real, _ = approve(workspace, officer, snapshot.id)
    engineer = _new_key(workspace, "engineer", "eve")
    other = add_dataset(
        workspace,
        engineer,
        DatasetSpec(**{**dataset_spec.__dict__, "name": "two"}),
        write_jsonl(tmp_path / "t.jsonl", SAMPLE_RECORDS[:2]),
    ).snapshot
    decision, _ = check_snapshot(workspace, officer, other.id)
    copied = {
        **real.model_dump(),
        "id": "c" * 32,
        "snapshot_id": other.id,
        "decision_id": decision.hash,
    }
    _insert_approval(workspace, **copied)
    status = _status(workspace, other)
    assert not status.ok and any("signature does not verify" in r for r in status.reasons)


def test_consent_state_at_any_time_is_reconstructed_from_history(governed, officer) -> None:  # type: ignore[no-untyped-def]
    workspace, _ = governed
    revoke(workspace, officer, "cust-1")
    with workspace.catalog.reading() as session:
        events = history(session, workspace.hash_subject("cust-1"))
    assert [e.action for e in events] == ["grant", "revoke"]
    assert is_active(events, "model_training", datetime(2024, 6, 1, tzinfo=UTC))
    assert not is_active(events, "model_training", datetime.now(UTC) + timedelta(seconds=1))
    assert not is_active(events, "model_training", datetime(2023, 6, 1, tzinfo=UTC))


def test_expired_grant_is_not_active(sqlite_workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    officer = _new_key(sqlite_workspace, "officer", "olga")
    path = tmp_path / "c.jsonl"
    path.write_text(
        json.dumps(
            {
                "subject_id": "s",
                "purpose": "model_training",
                "status": "granted",
                "time": "2024-01-01T00:00:00Z",
                "expires_at": "2024-02-01T00:00:00Z",
            }
        )
        + "\n"
    )
    import_consent(sqlite_workspace, officer, path)
    with sqlite_workspace.catalog.reading() as session:
        events = history(session, sqlite_workspace.hash_subject("s"))
    assert is_active(events, "model_training", datetime(2024, 1, 15, tzinfo=UTC))
    assert not is_active(events, "model_training", datetime(2024, 3, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    "content,message",
    [
        (
            "subject_id,purpose,status,time\ns1,model_training,granted,2024-01-01\ns2,Model Training,granted,2024-01-01\n",
            "line 3: purpose",
        ),
        (
            "subject_id,purpose,status,time\ns1,model_training,maybe,2024-01-01\n",
            "line 2: status must be granted or revoked",
        ),
        (
            "subject_id,purpose,status,time\ns1,model_training,granted,yesterday\n",
            "line 2: time 'yesterday' is not an ISO 8601 time",
        ),
        ("subject_id,purpose,status\ns1,model_training,granted\n", "line 2: missing time"),
    ],
)
def test_bad_consent_file_is_rejected_whole_naming_the_line(
    sqlite_workspace, tmp_path, content, message
) -> None:  # type: ignore[no-untyped-def]
    officer = _new_key(sqlite_workspace, "officer", "olga")
    path = tmp_path / "c.csv"
    path.write_text(content)
    with pytest.raises(BadInput, match=message):
        import_consent(sqlite_workspace, officer, path)
    with sqlite_workspace.catalog.reading() as session:
        assert history(session, sqlite_workspace.hash_subject("s1")) == []


def test_engineer_cannot_import_consent(sqlite_workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    path = tmp_path / "c.csv"
    path.write_text("subject_id,purpose,status,time\ns1,model_training,granted,2024-01-01\n")
    with pytest.raises(Refused):
        import_consent(sqlite_workspace, engineer, path)


def test_erasure_removes_raw_records_and_the_ledger_still_verifies(governed, officer) -> None:  # type: ignore[no-untyped-def]
    workspace, snapshot = governed
    with workspace.catalog.reading() as session:
        before = impact(session, workspace.hash_subject("cust-1"))
    assert before.snapshots == {snapshot.id: ["r1", "r3"]}
    erase_subject(workspace, officer, "cust-1")
    remaining = [record["subject"] for _, record in iter_snapshot_records(workspace, snapshot.id)]
    assert remaining == ["cust-2"]
    stored = (
        workspace.objects_dir / "snapshots" / snapshot.id[:2] / snapshot.id / "records.jsonl"
    ).read_text()
    assert "cust-1" not in stored and "reset my password" not in stored
    result = verify_workspace(workspace)
    assert result.ok, result.problems
    assert result.erased_records == 2
    with workspace.catalog.reading() as session:
        payloads = " ".join(
            row[0] for row in session.execute(text("SELECT payload FROM ledger_entries"))
        )
    assert "cust-1" not in payloads


def test_blanking_a_record_without_erasure_is_reported_as_missing(governed) -> None:  # type: ignore[no-untyped-def]
    workspace, snapshot = governed
    path = workspace.objects_dir / "snapshots" / snapshot.id[:2] / snapshot.id / "records.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.chmod(0o640)
    path.write_text("\n" + "".join(lines[1:]))
    assert "stored record 0 is missing" in verify_workspace(workspace).problems[0]


def test_provenance_amendment_appends_and_moves_the_decision(governed, engineer, officer) -> None:  # type: ignore[no-untyped-def]
    from govern.ingest.datasets import amend_provenance, effective_provenance, get_dataset

    workspace, snapshot = governed
    approve(workspace, officer, snapshot.id)
    amend_provenance(
        workspace, engineer, "support", "license", "CC-BY-NC-4.0", "vendor changed terms"
    )
    with workspace.catalog.reading() as session:
        dataset = get_dataset(session, "support")
        assert dataset.license == "CC-BY-4.0"
        assert effective_provenance(session, dataset)["license"] == "CC-BY-NC-4.0"
    status = _status(workspace, snapshot)
    assert not status.ok and any("provenance.license" in r for r in status.reasons)
    with pytest.raises(BadInput, match="not a valid SPDX licence expression"):
        amend_provenance(workspace, engineer, "support", "license", "no such licence!", "typo")
    assert verify_workspace(workspace).ok


def _raw(workspace, statement: str, **params) -> None:  # type: ignore[no-untyped-def]
    with workspace.catalog.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_a_consent_grant_inserted_behind_the_ledger_is_reported(governed, officer) -> None:  # type: ignore[no-untyped-def]
    """Regression (review): consent rows were not cross-checked, so a forged grant passed verify."""
    workspace, _snapshot = governed
    revoke(workspace, officer, "cust-2")
    with workspace.catalog.reading() as session:
        seq = session.execute(text("SELECT max(ledger_seq) FROM consent_events")).scalar()
    _raw(
        workspace,
        "INSERT INTO consent_events (id, subject_hash, purpose, action, effective_at, expires_at, evidence_hash, "
        "recorded_at, recorded_by, ledger_seq) VALUES ('f0f0', :h, 'model_training', 'grant', "
        "'2999-01-01T00:00:00.000000Z', NULL, NULL, '2999-01-01T00:00:00.000000Z', :k, :seq)",
        h=workspace.hash_subject("cust-2"),
        k=officer.key_id,
        seq=seq,
    )
    assert any(
        f"consent events of ledger entry {seq} differ" in p
        for p in verify_workspace(workspace).problems
    )


def test_consent_times_with_an_offset_are_stored_in_utc(sqlite_workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    officer = _new_key(sqlite_workspace, "officer", "olga")
    path = tmp_path / "c.csv"
    path.write_text(
        "subject_id,purpose,status,time\ns1,model_training,granted,2024-05-01T09:00:00-05:00\n"
    )
    import_consent(sqlite_workspace, officer, path)
    with sqlite_workspace.catalog.reading() as session:
        (event,) = history(session, sqlite_workspace.hash_subject("s1"))
    assert event.effective_at == "2024-05-01T14:00:00.000000Z"


def test_the_subject_field_cannot_double_as_the_record_id(sqlite_workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    spec = DatasetSpec(
        name="d",
        source="s",
        license="MIT",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field="subject",
    )
    with pytest.raises(BadInput, match="cannot be the subject field"):
        add_dataset(
            sqlite_workspace, engineer, spec, write_jsonl(tmp_path / "d.jsonl", SAMPLE_RECORDS[:2])
        )


def test_a_forged_erasure_row_is_reported_as_missing_not_erased(governed, officer) -> None:  # type: ignore[no-untyped-def]
    workspace, snapshot = governed
    erase_subject(workspace, officer, "cust-1")
    path = workspace.objects_dir / "snapshots" / snapshot.id[:2] / snapshot.id / "records.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.chmod(0o640)
    path.write_text(lines[0] + "\n" + lines[2])
    with workspace.catalog.reading() as session:
        seq = session.execute(text("SELECT max(ledger_seq) FROM erasures")).scalar()
    _raw(
        workspace,
        "INSERT INTO erasures (snapshot_id, position, subject_hash, erased_at, ledger_seq) "
        "VALUES (:s, 1, :h, '2030-01-01T00:00:00.000000Z', :seq)",
        s=snapshot.id,
        h=workspace.hash_subject("cust-2"),
        seq=seq,
    )
    assert any("erasure of record 1" in p for p in verify_workspace(workspace).problems)
