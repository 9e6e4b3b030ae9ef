"""The ledger is append-only in the database, and every kind of tampering is caught by verify."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from govern import ledger
from govern.catalog.models import LedgerEntry
from govern.ledger.keys import generate_identity
from govern.ledger.verify import verify_workspace


def _sql(workspace, statement: str, **params) -> None:  # type: ignore[no-untyped-def]
    with workspace.catalog.engine.begin() as connection:
        connection.execute(text(statement), params)


def _drop_triggers(workspace, table: str = "ledger_entries") -> None:  # type: ignore[no-untyped-def]
    """What an attacker with the table owner's rights can do before editing rows."""
    if workspace.catalog.dialect == "sqlite":
        for name in ("no_update", "no_delete", "no_replace"):
            _sql(workspace, f"DROP TRIGGER {table}_{name}")
    else:
        _sql(workspace, f"DROP TRIGGER {table}_no_change ON {table}")


def _first_problem(workspace) -> str:  # type: ignore[no-untyped-def]
    result = verify_workspace(workspace)
    assert not result.ok
    return result.problems[0]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET event = 'x' WHERE seq = 1",
        "DELETE FROM ledger_entries WHERE seq = 1",
    ],
)
def test_database_refuses_update_and_delete_of_ledger_rows(
    fresh_workspace, registered_snapshot, statement
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(fresh_workspace, statement)


def test_sqlite_replace_and_upsert_cannot_overwrite_an_entry(
    tmp_path, registered_snapshot, fresh_workspace
) -> None:  # type: ignore[no-untyped-def]
    if fresh_workspace.catalog.dialect != "sqlite":
        pytest.skip("REPLACE is SQLite syntax")
    copy = "SELECT seq, recorded_at, actor_key_id, 'forged', refs, payload, prev_hash, entry_hash, signature FROM ledger_entries WHERE seq = 1"
    for verb in ("REPLACE INTO", "INSERT OR REPLACE INTO"):
        with pytest.raises(DBAPIError, match="append-only"):
            _sql(fresh_workspace, f"{verb} ledger_entries {copy}")
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(
            fresh_workspace,
            f"INSERT INTO ledger_entries {copy} ON CONFLICT(seq) DO UPDATE SET event = 'forged'",
        )
    assert verify_workspace(fresh_workspace).ok


def test_postgres_upsert_and_truncate_are_refused(registered_snapshot, fresh_workspace) -> None:  # type: ignore[no-untyped-def]
    if fresh_workspace.catalog.dialect != "postgresql":
        pytest.skip("TRUNCATE and this UPSERT are PostgreSQL syntax")
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(fresh_workspace, "TRUNCATE ledger_entries CASCADE")
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(
            fresh_workspace,
            "INSERT INTO ledger_entries SELECT * FROM ledger_entries WHERE seq = 1 "
            "ON CONFLICT (seq) DO UPDATE SET event = 'forged'",
        )
    assert verify_workspace(fresh_workspace).ok


def test_verify_names_an_entry_edited_after_the_trigger_was_dropped(
    fresh_workspace, registered_snapshot
) -> None:  # type: ignore[no-untyped-def]
    _drop_triggers(fresh_workspace)
    _sql(
        fresh_workspace,
        "UPDATE ledger_entries SET actor_key_id = actor_key_id, payload = replace(payload, 'helpdesk', 'elsewhere') WHERE seq = 3",
    )
    problem = _first_problem(fresh_workspace)
    assert problem.startswith("ledger entry 3 (dataset.registered)") and "altered" in problem


def test_verify_names_a_deleted_entry(fresh_workspace, registered_snapshot) -> None:  # type: ignore[no-untyped-def]
    _drop_triggers(fresh_workspace)
    _sql(fresh_workspace, "DELETE FROM ledger_entries WHERE seq = 3")
    assert "ledger entry 3 is missing" in _first_problem(fresh_workspace)


def test_verify_names_a_deleted_last_entry_through_the_catalog_row_it_created(
    fresh_workspace, registered_snapshot
) -> None:  # type: ignore[no-untyped-def]
    _drop_triggers(fresh_workspace)
    _sql(fresh_workspace, "DELETE FROM ledger_entries WHERE seq = 4")
    assert "was not created by any ledger entry" in _first_problem(fresh_workspace)


def test_verify_names_reordered_entries(fresh_workspace, registered_snapshot) -> None:  # type: ignore[no-untyped-def]
    _drop_triggers(fresh_workspace)
    _sql(fresh_workspace, "UPDATE ledger_entries SET seq = 100 WHERE seq = 2")
    _sql(fresh_workspace, "UPDATE ledger_entries SET seq = 2 WHERE seq = 3")
    _sql(fresh_workspace, "UPDATE ledger_entries SET seq = 3 WHERE seq = 100")
    problem = _first_problem(fresh_workspace)
    assert problem.startswith("ledger entry 2") and "reordered" in problem


def test_verify_names_a_forged_signature(fresh_workspace, registered_snapshot) -> None:  # type: ignore[no-untyped-def]
    _drop_triggers(fresh_workspace)
    forger = generate_identity()
    with fresh_workspace.catalog.reading() as session:
        entry = session.get(LedgerEntry, 4)
        forged = forger.sign(bytes.fromhex(entry.entry_hash))
    _sql(fresh_workspace, "UPDATE ledger_entries SET signature = :sig WHERE seq = 4", sig=forged)
    assert "signature does not verify" in _first_problem(fresh_workspace)


def test_verify_catches_a_catalog_row_changed_behind_the_ledger(
    fresh_workspace, registered_snapshot
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DBAPIError, match="append-only"):
        _sql(fresh_workspace, "UPDATE datasets SET license = 'MIT'")
    _drop_triggers(fresh_workspace, "datasets")
    _sql(fresh_workspace, "UPDATE datasets SET license = 'MIT'")
    problem = _first_problem(fresh_workspace)
    assert "datasets row" in problem and "license" in problem


def test_verify_catches_a_role_raised_in_the_catalog(fresh_workspace, engineer) -> None:  # type: ignore[no-untyped-def]
    _drop_triggers(fresh_workspace, "identities")
    _sql(fresh_workspace, "UPDATE identities SET role = 'officer' WHERE role = 'engineer'")
    assert "fields: role" in _first_problem(fresh_workspace)


def test_entries_are_chained_canonical_and_signed(fresh_workspace, registered_snapshot) -> None:  # type: ignore[no-untyped-def]
    with fresh_workspace.catalog.reading() as session:
        entries = list(ledger.iter_entries(session))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == ledger.GENESIS_HASH
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
    for entry in entries:
        assert (
            json.dumps(
                json.loads(entry.payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
            == entry.payload
        )
        assert ledger.compute_entry_hash(entry) == entry.entry_hash


def test_no_ledger_payload_holds_a_raw_subject_id_or_record_text(
    fresh_workspace, registered_snapshot
) -> None:  # type: ignore[no-untyped-def]
    with fresh_workspace.catalog.reading() as session:
        everything = " ".join(e.payload + e.refs for e in ledger.iter_entries(session))
    for secret in ("cust-1", "cust-2", "reset my password", "never arrived"):
        assert secret not in everything


def test_every_append_only_table_has_its_triggers(fresh_workspace) -> None:  # type: ignore[no-untyped-def]
    from govern.catalog.models import APPEND_ONLY_TABLES

    with fresh_workspace.catalog.engine.connect() as connection:
        if fresh_workspace.catalog.dialect == "sqlite":
            rows = connection.execute(
                text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            expected = {
                (t, f"{t}_{s}")
                for t in APPEND_ONLY_TABLES
                for s in ("no_update", "no_delete", "no_replace")
            }
        else:
            rows = connection.execute(
                text(
                    "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
                )
            ).all()
            expected = {
                (t, f"{t}_{s}") for t in APPEND_ONLY_TABLES for s in ("no_change", "no_truncate")
            }
    assert expected <= {tuple(row) for row in rows}


def test_a_malformed_entry_hash_is_reported_not_a_crash(
    fresh_workspace, registered_snapshot
) -> None:  # type: ignore[no-untyped-def]
    _drop_triggers(fresh_workspace)
    _sql(fresh_workspace, "UPDATE ledger_entries SET entry_hash = 'not-hex' WHERE seq = 2")
    problems = verify_workspace(fresh_workspace).problems
    assert any(p.startswith("ledger entry 2") for p in problems)


def test_an_index_row_added_past_the_end_is_reported(fresh_workspace, registered_snapshot) -> None:  # type: ignore[no-untyped-def]
    snapshot = registered_snapshot.snapshot
    _sql(
        fresh_workspace,
        "INSERT INTO snapshot_records (snapshot_id, position, record_key, record_hash, subject_hash) "
        "VALUES (:s, 99, 'ghost', :h, :h)",
        s=snapshot.id,
        h="0" * 64,
    )
    assert any("rows past the end" in p for p in verify_workspace(fresh_workspace).problems)
