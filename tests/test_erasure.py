"""Erasing a subject leaves none of their personal data anywhere in the workspace (records,
consent evidence, catalog file and its free pages, write-ahead log, reports), and every proof
still verifies; evidence removed or altered behind govern's back is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from govern.cli import cli
from govern.consent.erasure import erase_subject
from govern.consent.registry import import_consent
from govern.ledger.verify import verify_workspace
from tests.conftest import _new_key, write_jsonl

SUBJECT = "cust-7731"
NAME, EMAIL, PHONE = "Marguerite Oyelaran", "m.oyelaran@example.org", "+44 20 7946 0958"
RECORDS = [
    {"id": "t1", "subject": SUBJECT, "text": f"Hi, I'm {NAME}. Write to {EMAIL} or call {PHONE}."},
    {"id": "t2", "subject": SUBJECT, "text": f"{NAME} again: my order is late."},
    {"id": "t3", "subject": "cust-1002", "text": "Where is my parcel? It was due on Monday."},
]
CONSENTS = (
    "subject_id,purpose,status,time,evidence_ref\n"
    f"{SUBJECT},model_training,granted,2024-01-15T09:00:00Z,signup-form-v3/{SUBJECT}\n"
    "cust-1002,model_training,granted,2024-01-16T09:00:00Z,signup-form-v3/cust-1002\n"
)


def _people(workspace, tmp_path: Path):  # type: ignore[no-untyped-def]
    from govern.ingest.datasets import DatasetSpec, add_dataset

    engineer, officer = (
        _new_key(workspace, "engineer", "erin"),
        _new_key(workspace, "officer", "olga"),
    )
    (tmp_path / "consents.csv").write_text(CONSENTS)
    import_consent(workspace, officer, tmp_path / "consents.csv")
    spec = DatasetSpec(
        name="support",
        source="helpdesk",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field="id",
    )
    snapshot = add_dataset(
        workspace, engineer, spec, write_jsonl(tmp_path / "d.jsonl", RECORDS)
    ).snapshot
    return engineer, officer, snapshot


def _files_holding(root: Path, needles: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            hits = [n for n in needles if n.encode() in data]
            if hits:
                found[str(path.relative_to(root))] = hits
    return found


def test_erasure_leaves_no_id_name_email_or_phone_anywhere_in_the_workspace(
    sqlite_workspace, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from govern.ingest.derive import exclude_records
    from govern.pii.scans import anonymize_snapshot
    from govern.reports import make_report

    workspace = sqlite_workspace
    engineer, officer, snapshot = _people(workspace, tmp_path)
    anonymized = anonymize_snapshot(workspace, engineer, snapshot.id).derived.snapshot
    exclude_records(workspace, engineer, snapshot.id, ["t3"], "test")
    auditor = _new_key(workspace, "auditor", "audrey")
    for fmt in ("html", "md", "json"):
        make_report(workspace, auditor, "dataset", anonymized.id, fmt)
    needles = [SUBJECT, NAME, EMAIL, PHONE]
    assert _files_holding(workspace.root, needles), "the test data never reached the workspace"

    found = erase_subject(workspace, officer, SUBJECT)
    assert found.catalog_scrubbed and len(found.evidence_erased) == 1
    assert _files_holding(workspace.root, needles) == {}
    result = verify_workspace(workspace)
    assert result.ok, result.problems
    monkeypatch.setenv("GOVERN_WORKSPACE", str(workspace.root))
    shown = CliRunner().invoke(cli, ["consent", "show", SUBJECT, "--json"])
    assert shown.exit_code == 0 and SUBJECT not in shown.output
    assert [row["evidence_ref"] for row in json.loads(shown.output)["history"]] == ["(erased)"]
    other = CliRunner().invoke(cli, ["consent", "show", "cust-1002", "--json"])
    assert json.loads(other.output)["history"][0]["evidence_ref"] == "signup-form-v3/cust-1002"


def test_a_subject_with_consent_but_no_records_can_be_erased(
    fresh_workspace, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    officer = _new_key(fresh_workspace, "officer", "olga")
    (tmp_path / "c.csv").write_text(CONSENTS)
    import_consent(fresh_workspace, officer, tmp_path / "c.csv")
    found = erase_subject(fresh_workspace, officer, SUBJECT)
    assert found.snapshots == {} and len(found.evidence_erased) == 1
    result = verify_workspace(fresh_workspace)
    assert result.ok, result.problems


def _raw(workspace, statement: str, **params) -> None:  # type: ignore[no-untyped-def]
    with workspace.catalog.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_evidence_altered_behind_the_ledger_is_reported(fresh_workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _people(fresh_workspace, tmp_path)
    # The table refuses UPDATE, so a forger deletes the row and inserts another with the same salt.
    with fresh_workspace.catalog.reading() as session:
        event_id, subject_hash, salt = session.execute(
            text(
                "SELECT event_id, subject_hash, salt FROM consent_evidence WHERE evidence_ref LIKE '%cust-1002'"
            )
        ).one()
    _raw(fresh_workspace, "DELETE FROM consent_evidence WHERE event_id = :e", e=event_id)
    _raw(
        fresh_workspace,
        "INSERT INTO consent_evidence (event_id, subject_hash, salt, evidence_ref) VALUES (:e, :h, :s, 'forged')",
        e=event_id,
        h=subject_hash,
        s=salt,
    )
    assert any(
        f"consent evidence of event {event_id} does not match" in p
        for p in verify_workspace(fresh_workspace).problems
    )


def test_evidence_deleted_without_an_erasure_is_reported(fresh_workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _people(fresh_workspace, tmp_path)
    _raw(fresh_workspace, "DELETE FROM consent_evidence")
    problems = verify_workspace(fresh_workspace).problems
    assert sum("is missing but no erasure removed it" in p for p in problems) == 2


def test_the_evidence_table_refuses_updates(fresh_workspace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import DatabaseError

    _people(fresh_workspace, tmp_path)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(fresh_workspace, "UPDATE consent_evidence SET evidence_ref = 'x'")


def test_evidence_imported_before_migration_0008_moves_out_and_stays_verifiable(
    fresh_workspace, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A catalog from before 0008 kept clear-text evidence in consent_events, hashed by its ledger entry."""
    import uuid

    from govern import ledger
    from govern.catalog.models import ConsentEvent
    from govern.clock import utc_now
    from govern.consent.registry import events_hash
    from govern.workspace import Workspace

    workspace = fresh_workspace
    officer = _new_key(workspace, "officer", "olga")
    catalog = workspace.open_catalog(check=False)
    catalog.downgrade("0007")
    now, subject_hash = utc_now(), workspace.hash_subject(SUBJECT)
    event = ConsentEvent(
        id=uuid.uuid4().hex,
        subject_hash=subject_hash,
        purpose="model_training",
        action="grant",
        effective_at=now,
        recorded_at=now,
        recorded_by=officer.key_id,
        ledger_seq=0,
    )
    ref = f"signup-form-v3/{SUBJECT}"
    with catalog.transaction() as session:
        entry = ledger.append(
            session,
            officer,
            "consent.imported",
            [],
            {
                "events": 1,
                "events_hash": events_hash([event], legacy_evidence={event.id: ref}),
                "by_purpose": {"model_training": {"grant": 1, "revoke": 0}},
            },
        )
        session.execute(
            text(
                "INSERT INTO consent_events (id, subject_hash, purpose, action, effective_at, expires_at, evidence_ref, "
                "recorded_at, recorded_by, ledger_seq) VALUES (:i, :h, 'model_training', 'grant', :t, NULL, :r, :t, :k, :s)"
            ),
            {
                "i": event.id,
                "h": subject_hash,
                "t": now,
                "r": ref,
                "k": officer.key_id,
                "s": entry.seq,
            },
        )
    catalog.upgrade()
    catalog.dispose()
    workspace = Workspace(workspace.root)
    result = verify_workspace(workspace)
    assert result.ok, result.problems
    with workspace.catalog.reading() as session:
        assert session.execute(
            text("SELECT evidence_ref FROM consent_evidence")
        ).scalars().all() == [ref]
    erase_subject(workspace, officer, SUBJECT)
    result = verify_workspace(workspace)
    assert result.ok, result.problems
    with workspace.catalog.reading() as session:
        assert session.execute(text("SELECT count(*) FROM consent_evidence")).scalar() == 0
    if workspace.catalog.dialect == "sqlite":
        assert _files_holding(workspace.state_dir, [SUBJECT]) == {}
    workspace.catalog.dispose()


@pytest.mark.slow
def test_after_training_erasure_leaves_the_subject_in_no_run_folder_report_or_export(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("opacus", reason="this test trains: it needs govern[train]")
    from govern.policy.approvals import approve
    from govern.training.runs import start_run
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl
    from tests.pipeline import EXAMPLES, governed_workspace

    records = [json.loads(line) for line in EXAMPLES.read_text().splitlines() if line.strip()]
    subject = "subj-0001"
    mine = [r["prompt"].splitlines()[0] for r in records if r["subject_id"] == subject]
    assert mine and not any(
        line in r["text"] for r in records if r["subject_id"] != subject for line in mine
    )
    model = build_tiny_model(tmp_path / "model", corpus_from_jsonl(EXAMPLES, ("text",)))
    workspace, engineer, officer, snapshot = governed_workspace(tmp_path, model, pack="erase")
    (tmp_path / "evidence.csv").write_text(
        f"subject_id,purpose,status,time,evidence_ref\n{subject},marketing,granted,2024-01-01,crm/{subject}\n"
    )
    import_consent(workspace, officer, tmp_path / "evidence.csv")
    approve(workspace, officer, snapshot.id)
    run_id = start_run(workspace, engineer, Path("train/erase.toml"), [snapshot.id])["run_id"]
    _new_key(workspace, "auditor", "audrey")
    monkeypatch.setenv("GOVERN_WORKSPACE", str(workspace.root))
    exports = workspace.root / "exports"
    exports.mkdir()
    for args in (
        ["lineage", "export", run_id, "--out", str(exports / "events.jsonl")],
        [
            "attest",
            run_id,
            "--key",
            str(workspace.root / "erin.key"),
            "--out",
            str(exports / "run.intoto.json"),
        ],
        ["report", "run", run_id, "--format", "json", "--key", str(workspace.root / "audrey.key")],
        ["report", "run", run_id, "--format", "html", "--key", str(workspace.root / "audrey.key")],
        [
            "report",
            "dataset",
            snapshot.id,
            "--format",
            "md",
            "--key",
            str(workspace.root / "audrey.key"),
        ],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
    needles = [subject, *mine]
    assert (
        f".govern/objects/snapshots/{snapshot.id[:2]}/{snapshot.id}/records.jsonl"
        in _files_holding(workspace.root, needles)
    )
    erase_subject(workspace, officer, subject)
    assert _files_holding(workspace.root, needles) == {}
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
