"""Snapshots are content-addressed and immutable; bad input is rejected whole, leaving nothing."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlmodel import func, select

from govern.catalog.models import Dataset, LedgerEntry, Snapshot, SnapshotRecord
from govern.errors import BadInput, Refused
from govern.ingest.datasets import add_dataset, add_version
from govern.ingest.snapshots import iter_snapshot_records, store_of
from govern.ledger.verify import verify_workspace
from tests.conftest import SAMPLE_RECORDS, write_jsonl


def _counts(workspace) -> tuple[int, int, int, int, list[str]]:  # type: ignore[no-untyped-def]
    with workspace.catalog.reading() as session:
        counts = tuple(
            session.exec(select(func.count()).select_from(t)).one()
            for t in (Dataset, Snapshot, SnapshotRecord, LedgerEntry)
        )
    leftovers = sorted(p.name for p in workspace.tmp_dir.iterdir()) + sorted(
        str(p) for p in store_of(workspace).root.glob("*/*")
    )
    return (*counts, leftovers)  # type: ignore[return-value]


def test_same_content_gives_the_same_snapshot_id(
    fresh_workspace, engineer, dataset_spec, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    first = add_dataset(
        fresh_workspace, engineer, dataset_spec, write_jsonl(tmp_path / "a.jsonl", SAMPLE_RECORDS)
    )
    reordered_keys = [dict(reversed(list(r.items()))) for r in SAMPLE_RECORDS]
    again = add_version(
        fresh_workspace, engineer, "support", write_jsonl(tmp_path / "b.jsonl", reordered_keys)
    )
    assert again.snapshot.id == first.snapshot.id and not again.created
    changed = add_version(
        fresh_workspace, engineer, "support", write_jsonl(tmp_path / "c.jsonl", SAMPLE_RECORDS[:2])
    )
    assert changed.created and changed.snapshot.id != first.snapshot.id
    assert verify_workspace(fresh_workspace).ok


def test_csv_and_parquet_with_the_same_records_give_the_same_id_as_jsonl(
    sqlite_workspace, tmp_path, dataset_spec
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import _new_key

    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    jsonl = add_dataset(
        sqlite_workspace, engineer, dataset_spec, write_jsonl(tmp_path / "a.jsonl", SAMPLE_RECORDS)
    )
    csv_path = tmp_path / "a.csv"
    csv_path.write_text(
        "id,subject,text\n"
        + "".join(f'{r["id"]},{r["subject"]},"{r["text"]}"\n' for r in SAMPLE_RECORDS)
    )
    assert (
        add_version(sqlite_workspace, engineer, "support", csv_path).snapshot.id
        == jsonl.snapshot.id
    )
    parquet_path = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist(SAMPLE_RECORDS), parquet_path)
    assert (
        add_version(sqlite_workspace, engineer, "support", parquet_path).snapshot.id
        == jsonl.snapshot.id
    )


def test_stored_snapshot_is_read_only_and_round_trips(fresh_workspace, registered_snapshot) -> None:  # type: ignore[no-untyped-def]
    snapshot_id = registered_snapshot.snapshot.id
    path = store_of(fresh_workspace).records_path(snapshot_id)
    assert not os.access(path, os.W_OK) or os.geteuid() == 0
    assert oct(path.stat().st_mode & 0o777) == "0o440"
    records = [record for _, record in iter_snapshot_records(fresh_workspace, snapshot_id)]
    assert records == SAMPLE_RECORDS


def test_subject_index_holds_keyed_hashes_only(fresh_workspace, registered_snapshot) -> None:  # type: ignore[no-untyped-def]
    with fresh_workspace.catalog.reading() as session:
        rows = session.exec(select(SnapshotRecord).order_by(SnapshotRecord.position)).all()
    assert [r.record_key for r in rows] == ["r1", "r2", "r3"]
    assert rows[0].subject_hash == rows[2].subject_hash == fresh_workspace.hash_subject("cust-1")
    assert all("cust" not in r.subject_hash for r in rows)


def test_changed_snapshot_file_is_caught_by_verify(fresh_workspace, registered_snapshot) -> None:  # type: ignore[no-untyped-def]
    path = store_of(fresh_workspace).records_path(registered_snapshot.snapshot.id)
    path.chmod(0o640)
    path.write_bytes(path.read_bytes().replace(b"password", b"passw0rd"))
    result = verify_workspace(fresh_workspace)
    assert result.problems == [
        f"snapshot {registered_snapshot.snapshot.id[:12]}: stored record 0 does not match its hash (the file was changed)"
    ]


BAD_FILES = {
    "malformed JSON": (
        b'{"id":"r1","subject":"a","text":"x"}\n{"id": "r2", oops\n',
        "line 2: malformed JSON",
    ),
    "wrong encoding": (
        '{"id":"r1","subject":"a","text":"caf\u00e9"}\n'.encode("latin-1"),
        "line 1: not valid UTF-8",
    ),
    "empty file": (b"", "holds no records"),
    "only blank lines": (b"\n\n", "holds no records"),
    "not an object": (
        b'{"id":"r1","subject":"a","text":"x"}\n[1,2]\n',
        "line 2: expected a JSON object",
    ),
    "missing subject": (
        b'{"id":"r1","subject":"a","text":"x"}\n{"id":"r2","text":"y"}\n',
        "line 2: missing subject field 'subject'",
    ),
    "missing text": (b'{"id":"r1","subject":"a"}\n', "line 1: missing text field 'text'"),
    "null text": (
        b'{"id":"r1","subject":"a","text":null}\n',
        "line 1: text field 'text' must be a string, found null",
    ),
    "duplicate id": (
        b'{"id":"r1","subject":"a","text":"x"}\n{"id":"r1","subject":"b","text":"y"}\n',
        "line 2: duplicate id 'r1'",
    ),
    "NaN": (b'{"id":"r1","subject":"a","text":"x","score":NaN}\n', "line 1: malformed JSON"),
    "huge record": (
        json.dumps({"id": "r1", "subject": "a", "text": "x" * (2 << 20)}).encode() + b"\n",
        "line 1: record is",
    ),
    "nested 100,000 deep": (
        b'{"id":"r1","subject":"a","text":"x"}\n{"id":"r2","subject":"a","text":"x","n":'
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}\n",
        "line 2: the JSON value is nested too deeply",
    ),
    # Deep enough for canonical JSON's recursion, maybe not for the parser's (both are caught).
    "nested 900 deep": (
        b'{"id":"r1","subject":"a","text":"x","n":' + b"[" * 900 + b"]" * 900 + b"}\n",
        "line 1: the (record|JSON value) is nested too deeply",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_is_rejected_whole_naming_the_line_and_leaves_nothing(
    fresh_workspace, engineer, dataset_spec, tmp_path, case
) -> None:  # type: ignore[no-untyped-def]
    data, message = BAD_FILES[case]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(data)
    before = _counts(fresh_workspace)
    with pytest.raises(BadInput, match=message) as caught:
        add_dataset(fresh_workspace, engineer, dataset_spec, path)
    assert str(path) in str(caught.value)
    assert _counts(fresh_workspace) == before


def test_bad_csv_names_the_line(sqlite_workspace, tmp_path, dataset_spec) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import _new_key

    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    path = tmp_path / "bad.csv"
    path.write_text('id,subject,text\nr1,a,"hello"\nr2,b\n')
    with pytest.raises(BadInput, match=r"bad.csv, line 3: expected 3 columns, found 2"):
        add_dataset(sqlite_workspace, engineer, dataset_spec, path)


def test_a_bad_utf8_byte_in_a_csv_is_reported_on_its_own_line(
    sqlite_workspace, tmp_path, dataset_spec
) -> None:  # type: ignore[no-untyped-def]
    """Regression: a text-mode reader decodes ahead in 8 KiB chunks, so line 140 was reported as 135 (or 1)."""
    from tests.conftest import _new_key

    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    lines = [b"id,subject,text"] + [f"r{i},s{i},hello number {i}".encode() for i in range(1, 400)]
    lines[139] += b" caf\xe9"
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(
        BadInput, match=r"bad.csv, line 140: not valid UTF-8 at byte 31 of the line"
    ):
        add_dataset(sqlite_workspace, engineer, dataset_spec, path)


def test_a_csv_with_quoted_line_breaks_and_any_line_ending_reads_the_same(
    sqlite_workspace, tmp_path, dataset_spec
) -> None:  # type: ignore[no-untyped-def]
    from govern.ingest.readers import read_records

    for ending in (b"\n", b"\r\n", b"\r"):
        path = tmp_path / "ok.csv"
        path.write_bytes(
            ending.join(
                [
                    b"\xef\xbb\xbfid,subject,text",
                    b'r1,a,"two' + ending + b'lines"',
                    b"r2,b,caf\xc3\xa9",
                    b"",
                ]
            )
        )
        rows = [record for _, record in read_records(path)]
        assert rows == [
            {"id": "r1", "subject": "a", "text": "two" + ending.decode() + "lines"},
            {"id": "r2", "subject": "b", "text": "café"},
        ]


def test_an_auditor_key_cannot_register_data(fresh_workspace, dataset_spec, sample_file) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import _new_key

    auditor = _new_key(fresh_workspace, "auditor", "ann")
    before = _counts(fresh_workspace)
    with pytest.raises(Refused, match="needs the role engineer"):
        add_dataset(fresh_workspace, auditor, dataset_spec, sample_file)
    assert _counts(fresh_workspace) == before


def test_interrupted_ingest_leaves_nothing_behind(
    fresh_workspace, engineer, dataset_spec, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from govern.ingest import snapshots

    path = write_jsonl(tmp_path / "a.jsonl", SAMPLE_RECORDS)
    before = _counts(fresh_workspace)
    original = snapshots.publish_staged

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        original(*args, **kwargs)
        raise KeyboardInterrupt

    snapshots_publish = "govern.ingest.snapshots.publish_staged"
    import unittest.mock

    with unittest.mock.patch(snapshots_publish, interrupted), pytest.raises(KeyboardInterrupt):
        add_dataset(fresh_workspace, engineer, dataset_spec, path)
    assert _counts(fresh_workspace) == before
