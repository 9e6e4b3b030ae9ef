"""The pack in force is the one an officer activated by a signed ledger entry, not a config file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from govern.cli import cli
from govern.config import load_config
from govern.errors import BadInput
from govern.ledger.authority import RoleRefused
from govern.policy.activation import (
    NoActivePack,
    PackChanged,
    activate_pack,
    active_pack,
    current_activation,
)
from govern.policy.approvals import approve
from tests.conftest import _new_key


def test_a_policy_section_in_govern_toml_is_refused_with_what_to_do_instead(
    sqlite_workspace,
) -> None:  # type: ignore[no-untyped-def]
    """Regression (issue 10.1): `pack = "x"` in govern.toml let the engineer pick a pack without approval or DP rules."""
    toml = sqlite_workspace.root / "govern.toml"
    toml.write_text(toml.read_text() + '\n[policy]\npack = "lenient"\n')
    with pytest.raises(BadInput, match="govern policy activate"):
        load_config(toml)


def test_nothing_is_approved_until_an_officer_activates_a_pack(
    fresh_workspace, engineer, officer, registered_snapshot
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NoActivePack, match="an officer must activate one"):
        approve(fresh_workspace, officer, registered_snapshot.snapshot.id)
    with pytest.raises(RoleRefused, match="this needs the role officer"):
        activate_pack(fresh_workspace, engineer, "default")
    activation = activate_pack(fresh_workspace, officer, "default", reason="initial regime")
    assert active_pack(fresh_workspace).hash == activation.hash
    with fresh_workspace.catalog.reading() as session:
        assert current_activation(session).activated_by == officer.key_id


def test_an_edited_pack_file_stops_everything_until_it_is_activated_again(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    officer = _new_key(sqlite_workspace, "officer", "olga")
    activate_pack(sqlite_workspace, officer, "default")
    path = sqlite_workspace.root / "policies" / "default.yaml"
    path.write_text(
        path.read_text()
        .replace("max_epsilon_per_run: 8", "max_epsilon_per_run: 80")
        .replace("lifetime_epsilon_budget: 16", "lifetime_epsilon_budget: 160")
    )
    with pytest.raises(PackChanged, match="changed after it was activated"):
        active_pack(sqlite_workspace)
    activate_pack(sqlite_workspace, officer, "default", reason="reviewed: looser budget")
    assert active_pack(sqlite_workspace).family("dp").config["max_epsilon_per_run"] == 80


def test_a_new_pack_file_does_nothing_until_an_officer_activates_it(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    officer = _new_key(sqlite_workspace, "officer", "olga")
    activate_pack(sqlite_workspace, officer, "default")
    lenient = (
        (sqlite_workspace.root / "policies" / "default.yaml")
        .read_text()
        .replace("name: default", "name: lenient")
    )
    (sqlite_workspace.root / "policies" / "lenient.yaml").write_text(lenient)
    assert active_pack(sqlite_workspace).name == "default"


def test_policy_active_and_activate_commands(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    _new_key(sqlite_workspace, "officer", "olga")
    where = ["--workspace", str(sqlite_workspace.root)]
    assert "No pack is active" in CliRunner().invoke(cli, ["policy", "active", *where]).output
    done = CliRunner().invoke(
        cli,
        [
            "policy",
            "activate",
            "default",
            *where,
            "--key",
            str(Path(sqlite_workspace.root) / "olga.key"),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "default 1.0.0" in CliRunner().invoke(cli, ["policy", "active", *where]).output
