"""Authority comes from the verified ledger: one role matrix for every command, identities that a
catalog row cannot create or promote, separation of duties by person."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from govern.cli import cli
from govern.ledger.authority import (
    ACTIONS,
    COMMAND_ACTIONS,
    EVENT_SIGNERS,
    Authority,
    RoleRefused,
    commands_of,
)
from govern.ledger.identities import create_identity
from govern.ledger.keys import ROLES, generate_identity, load_identity, write_private_key
from govern.ledger.verify import verify_workspace
from govern.policy.approvals import approve
from tests.conftest import SAMPLE_RECORDS, _new_key, write_jsonl

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_role_table_is_the_library_role_matrix() -> None:
    table = README.read_text().split("## Who does what", 1)[1].split("Roles are enforced", 1)[0]
    rows = {
        m.group(1): re.findall(r"`([^`]+)`", m.group(2).split("(and")[0])
        for m in re.finditer(r"^\| (\w+) \| (.+) \|$", table, re.M)
        if m.group(1) in ROLES
    }
    assert rows == {role: commands_of(role) for role in ROLES}


def test_every_action_and_event_names_known_roles_and_every_command_an_action() -> None:
    assert set(COMMAND_ACTIONS.values()) == set(ACTIONS)
    for roles in [*ACTIONS.values(), *EVENT_SIGNERS.values()]:
        assert roles and set(roles) <= set(ROLES)


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A workspace with one key per role and one registered dataset (no pack active)."""
    from govern.ingest.datasets import DatasetSpec, add_dataset
    from tests.conftest import make_workspace

    root = tmp_path_factory.mktemp("staffed")
    workspace = make_workspace(root / "ws").workspace
    keys = {"admin": workspace.keys_dir / "admin.key"}
    for role in ROLES:
        if role != "admin":
            _new_key(workspace, role, f"{role}-person")
            keys[role] = workspace.root / f"{role}-person.key"
    spec = DatasetSpec(
        name="support",
        source="helpdesk",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field="id",
    )
    data = write_jsonl(root / "d.jsonl", SAMPLE_RECORDS)
    snapshot = add_dataset(workspace, load_identity(keys["engineer"]), spec, data).snapshot
    consents = root / "c.csv"
    consents.write_text(
        "subject_id,purpose,status,time\ncust-1,model_training,granted,2024-01-01\n"
    )
    return workspace, keys, snapshot.id, data, consents


def _arguments(command: str, root: Path, snapshot: str, data: Path, consents: Path) -> list[str]:
    run = "run-000000000000"
    return {
        "keys create": ["x", "--role", "reviewer", "--out", str(root / "new.key")],
        "dataset add": [
            "other",
            str(data),
            "--source",
            "s",
            "--license",
            "MIT",
            "--legal-basis",
            "consent",
            "--subject-field",
            "subject",
            "--text-field",
            "text",
            "--id-field",
            "id",
        ],
        "dataset add-version": ["support", str(data)],
        "dataset amend": ["support", "--field", "source", "--value", "crm", "--reason", "typo"],
        "scan": [snapshot],
        "anonymize": [snapshot],
        "consent filter": [snapshot],
        "policy check": [snapshot, "--pack", "default"],
        "policy activate": ["default"],
        "approve": [snapshot],
        "reject": [snapshot, "--reason", "no"],
        "consent import": [str(consents)],
        "consent revoke": ["cust-9"],
        "consent erase": ["cust-9"],
        "train": ["train/dp-lora.toml", "--snapshot", snapshot],
        "eval": [run, "--snapshot", snapshot],
        "attest create": [run, "--out", str(root / "a.json")],
        "runs card": [run, "--out", str(root / "card.md")],
        "review": [run, "--rating", "4", "--notes", "n"],
        "release": [run],
        "report dataset": [snapshot],
        "report run": [run],
        "report audit": [],
        "report ai-act": [run],
        "report ab2013": [run],
        "audit checkpoint": ["--out", str(root / "cp.json")],
        "audit privacy": [run],
        "synth validate": [snapshot, "--reference", snapshot],
        "review sample": [run, "--suite", "none", "--out", str(root / "sheet.csv")],
        "review import": [str(data), "--sample", "0" * 32],
        "synth review import": [snapshot, str(root / "verdicts.jsonl")],
        "remediate decide": ["0" * 32, "--decision", "withdraw"],
        "consent receipt": ["cust-9", "--out", str(root / "receipt.json")],
    }[command]


@pytest.mark.parametrize("command", sorted(COMMAND_ACTIONS))
def test_each_command_refuses_every_role_the_matrix_does_not_allow(staffed, command: str) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.6): engineers rendered reports and ran privacy audits, officers added
    datasets, admins imported consent. The refusal comes before any other check (exit 1)."""
    workspace, keys, snapshot, data, consents = staffed
    allowed = ACTIONS[COMMAND_ACTIONS[command]]
    for role in ROLES:
        args = [
            *command.split(),
            *_arguments(command, workspace.root, snapshot, data, consents),
            "--workspace",
            str(workspace.root),
            "--key",
            str(keys[role]),
        ]
        result = CliRunner().invoke(cli, args)
        refused = "may not" in result.output and "this needs the role" in result.output
        if role in allowed:
            assert not refused, (role, result.output)
        else:
            assert result.exit_code == 1 and refused, (role, result.exit_code, result.output)


def test_an_identity_inserted_by_sql_is_no_one(
    fresh_workspace, engineer, dataset_spec, sample_file
) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.3): an `identities` row inserted by SQL yielded an officer who could approve."""
    from govern.ingest.datasets import add_dataset
    from govern.policy.activation import activate_pack

    intruder = generate_identity()
    write_private_key(intruder, fresh_workspace.root / "intruder.key")
    with fresh_workspace.catalog.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO identities (key_id, name, role, public_key, created_at, ledger_seq) "
                "VALUES (:k, 'mallory', 'officer', :p, '2026-01-01T00:00:00Z', 1)"
            ),
            {"k": intruder.key_id, "p": intruder.public_key_hex},
        )
    snapshot = add_dataset(fresh_workspace, engineer, dataset_spec, sample_file).snapshot
    with pytest.raises(RoleRefused, match="not registered in this workspace's ledger"):
        activate_pack(fresh_workspace, intruder, "default")
    with pytest.raises(RoleRefused, match="not registered"):
        approve(fresh_workspace, intruder, snapshot.id)
    with pytest.raises(RoleRefused, match="not registered"):
        create_identity(
            fresh_workspace, intruder, "sock", "admin", fresh_workspace.root / "sock.key"
        )
    assert any("identities row" in p for p in verify_workspace(fresh_workspace).problems)


def test_a_role_raised_by_sql_is_not_raised(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.3): a role raised by SQL (triggers dropped by the database owner) made an officer."""
    from govern.policy.activation import activate_pack

    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    with sqlite_workspace.catalog.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER identities_no_update"))
        connection.execute(
            text("UPDATE identities SET role = 'officer' WHERE key_id = :k"), {"k": engineer.key_id}
        )
    with sqlite_workspace.catalog.reading() as session:
        assert Authority.of(session).identity(engineer.key_id).role == "engineer"
    with pytest.raises(RoleRefused, match="this needs the role officer"):
        activate_pack(sqlite_workspace, engineer, "default")
    assert any(
        "identities row" in p and "role" in p for p in verify_workspace(sqlite_workspace).problems
    )


def test_a_ledger_entry_signed_by_a_role_that_may_not_sign_it_fails_verify(
    sqlite_workspace,
) -> None:  # type: ignore[no-untyped-def]
    """A consent batch appended through the library with an engineer's key: verify names the signer."""
    from govern import ledger

    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    with sqlite_workspace.catalog.transaction() as session:
        ledger.append(session, engineer, "consent.imported", [], {"events": 0, "events_hash": "x"})
    problems = verify_workspace(sqlite_workspace).problems
    assert any("only officer keys may sign it" in p for p in problems)


def test_keys_list_shows_the_ledgers_identities_not_the_tables(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    _new_key(sqlite_workspace, "engineer", "erin")
    with sqlite_workspace.catalog.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO identities (key_id, name, role, public_key, created_at, ledger_seq) "
                "VALUES ('f00d', 'ghost', 'admin', :p, 'x', 99)"
            ),
            {"p": "ab" * 32},
        )
    result = CliRunner().invoke(
        cli, ["keys", "list", "--json", "--workspace", str(sqlite_workspace.root)]
    )
    assert sorted(k["name"] for k in json.loads(result.output)) == ["admin", "erin"]
