"""Ingest in parallel blocks: the same snapshot as serial ingest, the same first bad line, nothing
left behind when a worker dies or the ingest is interrupted."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import time
import unittest.mock
from pathlib import Path

import pytest
from sqlmodel import func, select

from govern.catalog.models import Dataset, LedgerEntry, Snapshot, SnapshotRecord
from govern.errors import BadInput, WorkerFailure
from govern.ingest import blocks
from govern.ingest.datasets import DatasetSpec, add_dataset, add_version
from govern.ingest.readers import read_records
from govern.ingest.record_schema import RecordSchema
from govern.ingest.snapshots import INDEX_FILE, discard_staging, stage_blocks, store_of

BLOCK = 4096  # small blocks, so a file of a few hundred records spans many


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blocks, "BLOCK_BYTES", BLOCK)


def _lines(count: int) -> list[bytes]:
    """Varied JSONL lines: a BOM first, blank lines, CRs, keys out of order, text needing NFC."""
    lines = []
    for n in range(count):
        record = {"text": f"Ticket {n}: cafe\u0301 order {n * 7 % 991}", "subject": f"s-{n % 37}"}
        record["id"] = f"r-{n}"
        if n % 5 == 0:
            record["extra"] = [n, {"nested": "x" * (n % 50)}]
        line = json.dumps(record, ensure_ascii=n % 2 == 0).encode()
        if n % 89 == 0:
            line = line.replace(b", ", b",\r ", 1)  # a lone CR is JSON whitespace, not a line break
        lines.append(line + (b"\r\n" if n % 83 == 0 else b"\n"))
        if n % 97 == 0:
            lines.append(b"  \n")
    lines[0] = b"\xef\xbb\xbf" + lines[0]
    lines[-1] = lines[-1].rstrip(b"\n")  # the last line has no line break
    return lines


def _file(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def _spec(id_field: str | None) -> DatasetSpec:
    return DatasetSpec(
        name="tickets",
        source="helpdesk export",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field=id_field,
    )


def _staged_files(workspace, dataset_id: str, path: Path, schema, processes: int) -> dict:  # type: ignore[no-untyped-def]
    if processes == 1:
        made = blocks.serial_blocks(read_records(path), schema, path, workspace.subject_secret)
    else:
        made = blocks.jsonl_blocks(path, schema, workspace.subject_secret, processes)
    staged = stage_blocks(workspace, dataset_id, made, path)
    try:
        files = {
            p.relative_to(staged.staging_dir).as_posix(): p.read_bytes()
            for p in sorted(staged.staging_dir.rglob("*"))
            if p.is_file()
        }
        return {**files, "staged": (staged.snapshot_id, staged.record_count, staged.byte_size)} | {
            "index_hash": staged.index_hash
        }
    finally:
        discard_staging(staged)


@pytest.mark.parametrize("id_field", ["id", None])
def test_parallel_blocks_stage_the_same_bytes_as_serial(
    sqlite_workspace, tmp_path, id_field
) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path / "tickets.jsonl", _lines(1200))
    assert path.stat().st_size > blocks.PARALLEL_MIN_BLOCKS * BLOCK
    schema = RecordSchema("subject", ("text",), id_field)
    serial = _staged_files(sqlite_workspace, "ds-1", path, schema, 1)
    for processes in (2, 3):
        assert _staged_files(sqlite_workspace, "ds-1", path, schema, processes) == serial
    # Positions (and, without an id field, keys) skip the blank lines; lines do not.
    index = serial[INDEX_FILE].decode().splitlines()
    assert index[1].split("\t")[:2] == ["3", "1"]
    assert index[-1].split("\t")[:2] == [str(1200 + 1199 // 97 + 1), "1199"]
    assert serial["staged"][1] == 1200


def test_a_parallel_ingest_finds_the_serial_snapshot(sqlite_workspace, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import _new_key

    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    path = _file(tmp_path / "tickets.jsonl", _lines(1200))
    assert blocks.worth_parallel(path, "jsonl", 3)
    serial = add_dataset(sqlite_workspace, engineer, _spec("id"), path, processes=1)
    parallel = add_version(sqlite_workspace, engineer, "tickets", path, processes=3)
    assert parallel.snapshot.id == serial.snapshot.id and not parallel.created


def _delay_line_61(schema, source, secret, first_line, chunk):  # type: ignore[no-untyped-def]
    if first_line <= 61 < first_line + chunk.count(b"\n"):
        time.sleep(1.5)  # the block holding line 61 is slow: a later, bad block fails first
    return _real_parse_block(schema, source, secret, first_line, chunk)


_real_parse_block = blocks._parse_block


def test_the_first_bad_line_in_the_file_is_reported_even_when_a_later_block_fails_first(
    sqlite_workspace, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import _new_key

    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    lines = _lines(1200)
    lines[60] = b'{"id": "r-60", "subject": "s", "text": null}\n'  # block 1
    lines[200] = b'{"id": "r-200", oops\n'  # a later block, within the window in flight
    path = _file(tmp_path / "tickets.jsonl", lines)
    with pytest.raises(BadInput) as serial:
        add_dataset(sqlite_workspace, engineer, _spec("id"), path, processes=1)
    assert str(serial.value) == f"{path}, line 61: text field 'text' must be a string, found null"
    with (
        unittest.mock.patch.object(blocks, "_parse_block", _delay_line_61),
        pytest.raises(BadInput) as parallel,
    ):
        add_dataset(sqlite_workspace, engineer, _spec("id"), path, processes=3)
    assert str(parallel.value) == str(serial.value)
    # With the early bad line fixed, the later one is named, its line counted across blocks.
    lines[60] = b'{"id": "r-60", "subject": "s", "text": "fixed"}\n'
    _file(path, lines)
    with pytest.raises(BadInput) as later:
        add_dataset(sqlite_workspace, engineer, _spec("id"), path, processes=3)
    assert str(later.value).startswith(f"{path}, line 201: malformed JSON: ")
    with pytest.raises(BadInput) as later_serial:
        add_dataset(sqlite_workspace, engineer, _spec("id"), path, processes=1)
    assert str(later.value) == str(later_serial.value)


def _counts(workspace) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    with workspace.catalog.reading() as session:
        counts = tuple(
            session.exec(select(func.count()).select_from(t)).one()
            for t in (Dataset, Snapshot, SnapshotRecord, LedgerEntry)
        )
    leftovers = sorted(p.name for p in workspace.tmp_dir.iterdir()) + sorted(
        str(p) for p in store_of(workspace).root.glob("*/*")
    )
    return (*counts, leftovers)


def _interrupting_progress(*_args, **_kwargs):  # type: ignore[no-untyped-def]
    """A progress display whose third update is a Ctrl-C, with worker blocks still in flight."""
    calls = []

    def advance(n: int = 1, status: str | None = None) -> None:
        calls.append(n)
        if len(calls) == 3:
            raise KeyboardInterrupt

    return contextlib.nullcontext(advance)


def _kill_a_late_block(schema, source, secret, first_line, chunk):  # type: ignore[no-untyped-def]
    if first_line > 400:
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_parse_block(schema, source, secret, first_line, chunk)


@pytest.mark.parametrize("when", ["staging", "publishing", "a worker is killed"])
def test_an_interrupted_parallel_ingest_leaves_nothing_behind(
    sqlite_workspace, tmp_path, when
) -> None:  # type: ignore[no-untyped-def]
    from govern.ingest import snapshots
    from tests.conftest import _new_key

    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    path = _file(tmp_path / "tickets.jsonl", _lines(1200))
    before = _counts(sqlite_workspace)
    original_publish = snapshots.publish_staged

    def interrupted_publish(*args, **kwargs):  # type: ignore[no-untyped-def]
        original_publish(*args, **kwargs)
        raise KeyboardInterrupt

    patch = {
        "staging": unittest.mock.patch("govern.ingest.datasets.progress", _interrupting_progress),
        "publishing": unittest.mock.patch.object(snapshots, "publish_staged", interrupted_publish),
        "a worker is killed": unittest.mock.patch.object(
            blocks, "_parse_block", _kill_a_late_block
        ),
    }[when]
    expected = WorkerFailure if when == "a worker is killed" else KeyboardInterrupt
    with patch, pytest.raises(expected) as caught:
        add_dataset(sqlite_workspace, engineer, _spec("id"), path, processes=2)
    if expected is WorkerFailure:
        assert str(path) in str(caught.value) and "nothing was stored" in str(caught.value)
    assert _counts(sqlite_workspace) == before
    assert multiprocessing.active_children() == []


def test_dataset_add_takes_processes_and_gives_the_serial_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from govern.cli import cli

    def run(*args: str) -> dict:  # type: ignore[type-arg]
        result = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)  # type: ignore[no-any-return]

    admin_key = run("init", str(tmp_path / "ws"))["admin_key"]
    monkeypatch.setenv("GOVERN_WORKSPACE", str(tmp_path / "ws"))
    run("keys", "create", "erin", "--role", "engineer", "--out", str(tmp_path / "erin.key"), "--key", admin_key)  # fmt: skip
    monkeypatch.setenv("GOVERN_KEY", str(tmp_path / "erin.key"))
    path = _file(tmp_path / "tickets.jsonl", _lines(1200))
    declared = ["--source", "export", "--license", "MIT", "--legal-basis", "consent"]
    fields = ["--subject-field", "subject", "--text-field", "text", "--id-field", "id"]
    added = run("dataset", "add", "tickets", str(path), *declared, *fields, "--processes", "3")
    again = run("dataset", "add-version", "tickets", str(path), "--processes", "1")
    assert again["snapshot"] == added["snapshot"] and not again["created"]
    assert added["records"] == 1200
    refused = CliRunner().invoke(cli, ["dataset", "add-version", "tickets", str(path), "--processes", "0"])  # fmt: skip
    assert refused.exit_code == 2 and "--processes" in refused.output


def test_serial_blocks_are_bounded_in_bytes_as_well_as_records(tmp_path: Path) -> None:
    big = [{"id": f"r-{n}", "subject": "s", "text": "x" * 1000} for n in range(100)]
    path = _file(tmp_path / "big.jsonl", [json.dumps(r).encode() + b"\n" for r in big])
    schema = RecordSchema("subject", ("text",), "id")
    made = list(blocks.serial_blocks(read_records(path), schema, path, b"k" * 32))
    assert len(made) > 10 and all(len(b.data) < BLOCK + 1100 for b in made)
    assert [h for b in made for h in b.hashes] == blocks.validate_block(
        schema, path, b"k" * 32, read_records(path)
    ).hashes
