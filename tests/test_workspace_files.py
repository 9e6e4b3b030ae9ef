"""Files and folders govern creates get explicit modes, whatever the umask: nothing is world-writable,
secrets and keys are the owner's alone, and raw data in staging is never readable by others."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern.cli import cli
from tests.conftest import SAMPLE_RECORDS, write_jsonl


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _modes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): stat.S_IMODE(p.lstat().st_mode)
        for p in [root, *root.rglob("*")]
        if not p.is_symlink()
    }


def test_init_and_ingest_under_umask_000_leave_nothing_world_writable(
    tmp_path: Path, open_umask: None
) -> None:
    root = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    created = CliRunner().invoke(
        cli,
        [
            "keys",
            "create",
            "erin",
            "--role",
            "engineer",
            "--out",
            str(tmp_path / "keys" / "erin.key"),
            "--workspace",
            str(root),
            "--key",
            str(root / ".govern" / "keys" / "admin.key"),
        ],
    )
    assert created.exit_code == 0, created.output
    data = write_jsonl(tmp_path / "d.jsonl", SAMPLE_RECORDS)
    added = CliRunner().invoke(
        cli,
        [
            "dataset",
            "add",
            "d",
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
            "--workspace",
            str(root),
            "--key",
            str(tmp_path / "keys" / "erin.key"),
        ],
    )
    assert added.exit_code == 0, added.output
    modes = _modes(root)
    assert {name: oct(mode) for name, mode in modes.items() if mode & stat.S_IWOTH} == {}
    assert modes["govern.toml"] == 0o640 and modes[".govern/catalog.db"] == 0o640
    private = {
        name: oct(mode)
        for name, mode in modes.items()
        if name.startswith((".govern/keys", ".govern/secrets", ".govern/tmp")) and mode & 0o077
    }
    assert private == {}
    assert modes[".govern"] & stat.S_IRWXO == 0
    assert stat.S_IMODE((tmp_path / "keys" / "erin.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
