"""The CLI: every command documents itself with an example, output is JSON on request, and
errors map to the documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from govern.cli import COMMANDS, cli
from tests.conftest import SAMPLE_RECORDS, write_jsonl


def _all_commands() -> list[tuple[str, click.Command]]:
    found = []
    context = click.Context(cli)

    def walk(prefix: str, command: click.Command) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(context):
                walk(f"{prefix} {name}".strip(), command.get_command(context, name))  # type: ignore[arg-type]
        else:
            found.append((prefix, command))

    walk("", cli)
    return found


def test_every_noun_in_the_command_table_imports() -> None:
    context = click.Context(cli)
    for name in COMMANDS:
        assert cli.get_command(context, name) is not None, name


@pytest.mark.parametrize(
    "name,command", _all_commands(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help and "Example:" in command.help, (
        f"`govern {name}` has no Example: block in its help"
    )
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    assert {"--json", "--workspace"} <= options, f"`govern {name}` lacks --json or --workspace"


def test_root_help_documents_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for line in ("1  refused", "2  bad usage", "3  integrity failure"):
        assert line in result.output


def test_help_does_not_import_heavy_dependencies() -> None:
    code = (
        "import sys; from govern.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'presidio_analyzer', 'spacy', 'opacus', 'transformers', 'ray') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY []" in out


def _run(args: list[str], **kwargs) -> click.testing.Result:  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, args, catch_exceptions=False, **kwargs)


def test_quickstart_flow_through_the_cli_with_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    init = _run(["init", str(root), "--json"])
    assert init.exit_code == 0
    admin_key = json.loads(init.output)["admin_key"]
    again = _run(["init", str(root)])
    assert again.exit_code == 0 and "Already initialised" in again.output
    monkeypatch.setenv("GOVERN_WORKSPACE", str(root))
    created = _run(
        [
            "keys",
            "create",
            "erin",
            "--role",
            "engineer",
            "--out",
            str(tmp_path / "erin.key"),
            "--key",
            admin_key,
            "--json",
        ]
    )
    assert created.exit_code == 0, created.output
    assert oct((tmp_path / "erin.key").stat().st_mode & 0o777) == "0o600"
    data = write_jsonl(tmp_path / "d.jsonl", SAMPLE_RECORDS)
    monkeypatch.setenv("GOVERN_KEY", str(tmp_path / "erin.key"))
    added = _run(
        [
            "dataset",
            "add",
            "support",
            str(data),
            "--source",
            "helpdesk",
            "--license",
            "CC-BY-4.0",
            "--legal-basis",
            "consent",
            "--subject-field",
            "subject",
            "--text-field",
            "text",
            "--id-field",
            "id",
            "--json",
        ]
    )
    assert added.exit_code == 0, added.output
    snapshot = json.loads(added.output)["snapshot"]
    shown = json.loads(_run(["snapshot", "show", snapshot[:8], "--json"]).output)
    assert shown["id"] == snapshot and shown["records"] == 3
    log = json.loads(_run(["audit", "log", "--json"]).output)
    assert [e["event"] for e in log] == [
        "identity.registered",
        "identity.registered",
        "dataset.registered",
        "snapshot.created",
    ]
    verified = _run(["audit", "verify", "--json"])
    assert verified.exit_code == 0 and json.loads(verified.output)["ok"] is True
    assert json.loads(_run(["db", "current", "--json"]).output)["up_to_date"] is True


def test_exit_codes_are_2_for_bad_input_1_for_refusal_3_for_integrity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    admin_key = json.loads(_run(["init", str(root), "--json"]).output)["admin_key"]
    monkeypatch.setenv("GOVERN_WORKSPACE", str(root))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "subject": "a", "text": "x"}\nnot json\n')
    common = [
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
    ]
    result = CliRunner().invoke(cli, ["dataset", "add", "d", str(bad), *common, "--key", admin_key])
    assert result.exit_code == 2 and "bad.jsonl, line 2: malformed JSON" in result.output
    _run(
        [
            "keys",
            "create",
            "ann",
            "--role",
            "auditor",
            "--out",
            str(tmp_path / "ann.key"),
            "--key",
            admin_key,
        ]
    )
    good = write_jsonl(tmp_path / "good.jsonl", SAMPLE_RECORDS)
    result = CliRunner().invoke(
        cli, ["dataset", "add", "d", str(good), *common, "--key", str(tmp_path / "ann.key")]
    )
    assert result.exit_code == 1 and "needs the role engineer" in result.output
    result = CliRunner().invoke(
        cli,
        [
            "keys",
            "create",
            "x",
            "--role",
            "officer",
            "--out",
            str(tmp_path / "x.key"),
            "--key",
            str(tmp_path / "ann.key"),
        ],
    )
    assert result.exit_code == 1 and not (tmp_path / "x.key").exists()
    _run(
        [
            "keys",
            "create",
            "eve",
            "--role",
            "engineer",
            "--out",
            str(tmp_path / "eve.key"),
            "--key",
            admin_key,
        ]
    )
    _run(["dataset", "add", "d", str(good), *common, "--key", str(tmp_path / "eve.key")])
    records = next((root / ".govern" / "objects" / "snapshots").glob("*/*/records.jsonl"))
    records.chmod(0o640)
    records.write_text(records.read_text().replace("password", "PASSWORD"))
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 3 and "stored record 0 does not match its hash" in result.output


def test_checkpoint_proves_the_ledger_still_extends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    admin_key = json.loads(_run(["init", str(root), "--json"]).output)["admin_key"]
    monkeypatch.setenv("GOVERN_WORKSPACE", str(root))
    monkeypatch.setenv("GOVERN_KEY", admin_key)
    checkpoint = tmp_path / "head.json"
    _run(["keys", "create", "ann", "--role", "auditor", "--out", str(tmp_path / "ann.key")])
    assert (
        _run(
            ["audit", "checkpoint", "--out", str(checkpoint), "--key", str(tmp_path / "ann.key")]
        ).exit_code
        == 0
    )
    _run(["keys", "create", "bob", "--role", "engineer", "--out", str(tmp_path / "bob.key")])
    assert _run(["audit", "verify", "--checkpoint", str(checkpoint)]).exit_code == 0
    statement = json.loads(checkpoint.read_text())
    statement["entry_hash"] = "0" * 64
    checkpoint.write_text(json.dumps(statement))
    result = CliRunner().invoke(cli, ["audit", "verify", "--checkpoint", str(checkpoint)])
    assert result.exit_code == 3 and "signature does not verify" in result.output


def test_missing_workspace_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOVERN_WORKSPACE", raising=False)
    result = CliRunner().invoke(cli, ["dataset", "list"])
    assert result.exit_code == 2 and "govern init" in result.output
