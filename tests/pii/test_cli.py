"""`govern pii detect` and `govern pii redact` through the real CLI (CliRunner)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from govern.cli import cli

RECORDS = [
    {"ticket": "T-1", "text": "Customer Kurt Bowers wrote from kurt.bowers@example.com", "n": 5},
    {"ticket": "T-2", "text": None, "notes": "Call 415-555-0134"},
    {"ticket": "T-3", "text": "The refund policy for annual plans is unchanged."},
]


@pytest.fixture
def records_file(tmp_path: Path) -> Path:
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    return path


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_detect_writes_one_row_per_finding_and_never_the_matched_text(
    records_file: Path, tmp_path: Path
):
    out = tmp_path / "findings.jsonl"
    result = run(
        "pii",
        "detect",
        str(records_file),
        "--field",
        "text",
        "--field",
        "notes",
        "--id-field",
        "ticket",
        "--out",
        str(out),
        "--processes",
        "1",
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {(r["id"], r["field"], r["entity_type"]) for r in rows} == {
        ("T-1", "text", "PERSON"),
        ("T-1", "text", "EMAIL_ADDRESS"),
        ("T-2", "notes", "PHONE_NUMBER"),
    }
    assert all(
        set(r) == {"id", "field", "start", "end", "entity_type", "score", "recognizer"}
        for r in rows
    )
    assert "kurt" not in out.read_text().lower() and "415" not in out.read_text()
    assert "3 records" in result.output


def test_detect_without_an_id_field_uses_the_zero_based_position(
    records_file: Path, tmp_path: Path
):
    out = tmp_path / "f.jsonl"
    assert (
        run(
            "pii",
            "detect",
            str(records_file),
            "--field",
            "notes",
            "--out",
            str(out),
            "--processes",
            "1",
        ).exit_code
        == 0
    )
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == [1]


def test_detect_reads_csv_and_reports_json_with_the_scanner_provenance(tmp_path: Path):
    path = tmp_path / "r.csv"
    path.write_text("id,body\n7,Write to ann@example.com\n8,\n")
    out = tmp_path / "f.jsonl"
    result = run(
        "pii",
        "detect",
        str(path),
        "--field",
        "body",
        "--id-field",
        "id",
        "--out",
        str(out),
        "--json",
        "--processes",
        "1",
    )
    summary = json.loads(result.output)
    assert summary["records"] == 2 and summary["by_entity"] == {"EMAIL_ADDRESS": 1}
    assert (
        summary["scanner"]["spacy_model_version"] == "3.8.0"
        and len(summary["scanner"]["config_hash"]) == 64
    )


def test_redact_writes_the_records_with_their_fields_anonymized(records_file: Path, tmp_path: Path):
    out = tmp_path / "redacted.jsonl"
    result = run(
        "pii",
        "redact",
        str(records_file),
        "--field",
        "text",
        "--field",
        "notes",
        "--out",
        str(out),
        "--processes",
        "1",
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0] == {
        "ticket": "T-1",
        "text": "Customer <PERSON> wrote from <EMAIL_ADDRESS>",
        "n": 5,
    }
    assert rows[1]["notes"] == "Call <PHONE_NUMBER>" and rows[1]["text"] is None
    assert rows[2] == RECORDS[2]


def test_redact_with_operators_pseudonymizes_and_drops_records(
    records_file: Path, tmp_path: Path, monkeypatch
):
    ops = tmp_path / "ops.yaml"
    ops.write_text("PERSON: {type: pseudonym}\nPHONE_NUMBER: {type: drop_record}\n")
    monkeypatch.setenv("GOVERN_PSEUDONYM_SECRET", "s3cret-s3cret-s3cret")
    out = tmp_path / "r.jsonl"
    result = run(
        "pii",
        "redact",
        str(records_file),
        "--field",
        "text",
        "--field",
        "notes",
        "--operators",
        str(ops),
        "--out",
        str(out),
        "--json",
        "--processes",
        "1",
    )
    summary = json.loads(result.output)
    assert summary["written"] == 2 and summary["dropped"] == 1
    first = json.loads(out.read_text().splitlines()[0])
    assert first["text"].startswith("Customer <PERSON_") and "Kurt" not in first["text"]


def test_a_bad_line_midway_leaves_no_output_and_no_temp_file(tmp_path: Path):
    source = tmp_path / "bad.jsonl"
    source.write_text('{"text": "ann@example.com"}\n{"text": "ok"}\n{not json\n')
    out = tmp_path / "out.jsonl"
    out.write_text("previous content\n")
    result = CliRunner().invoke(
        cli,
        ["pii", "detect", str(source), "--field", "text", "--out", str(out), "--processes", "1"],
    )
    assert result.exit_code == 2
    assert "bad.jsonl, line 3: malformed JSON" in result.output
    assert out.read_text() == "previous content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "out.jsonl"]


def test_an_interrupted_scan_leaves_nothing_half_written(
    records_file: Path, tmp_path: Path, monkeypatch
):
    from govern.pii import files

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # as Ctrl-C would, while the output is open
        yield

    monkeypatch.setattr(files, "_scan", interrupted)
    out = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        files.detect_file(records_file, ["text"], out)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.jsonl"]


def test_a_missing_id_field_is_bad_input_naming_the_line(records_file: Path, tmp_path: Path):
    result = CliRunner().invoke(
        cli,
        [
            "pii",
            "detect",
            str(records_file),
            "--field",
            "text",
            "--id-field",
            "nope",
            "--out",
            str(tmp_path / "o.jsonl"),
            "--processes",
            "1",
        ],
    )
    assert result.exit_code == 2 and "line 1: the id field 'nope' is missing" in result.output


def test_an_unknown_entity_in_the_config_file_exits_2_naming_the_key(
    records_file: Path, tmp_path: Path
):
    config = tmp_path / "govern.toml"
    config.write_text('[pii]\nentities = ["PERSON", "SHOE_SIZE"]\n')
    result = CliRunner().invoke(
        cli,
        [
            "pii",
            "detect",
            str(records_file),
            "--field",
            "text",
            "--config",
            str(config),
            "--out",
            str(tmp_path / "o.jsonl"),
        ],
    )
    assert result.exit_code == 2 and "entities: unknown entity type 'SHOE_SIZE'" in result.output


def test_every_pii_command_has_help_ending_in_an_example():
    from govern.cli.pii import pii_group

    for command in [pii_group, *pii_group.commands.values()]:
        assert "Example:" in (command.help or ""), command.name
        assert (
            "Example:"
            in run("pii", *([command.name] if command is not pii_group else []), "--help").output
        )


def test_the_pii_cli_module_imports_neither_presidio_nor_spacy():
    code = "import sys, govern.cli.pii, govern.pii; print(sorted(m for m in sys.modules if m.split('.')[0] in {'presidio_analyzer', 'spacy', 'presidio_anonymizer'}))"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "[]"
    )
