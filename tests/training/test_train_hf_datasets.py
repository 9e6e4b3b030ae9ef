"""`govern dataset add NAME PATH` takes a saved Hugging Face dataset (save_to_disk) or Arrow files;
their records hash exactly as the same records in JSONL do (same snapshot id)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from click.testing import CliRunner

from govern.errors import BadInput
from govern.ingest.datasets import add_dataset, add_version
from govern.ingest.readers import read_records
from tests.conftest import SAMPLE_RECORDS, write_jsonl

datasets = pytest.importorskip("datasets", reason="the datasets library writes the test folders")


def test_a_saved_dataset_and_arrow_files_give_the_jsonl_snapshot(
    sqlite_workspace: Any, tmp_path: Path, dataset_spec: Any
) -> None:
    from tests.conftest import _new_key

    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    jsonl = add_dataset(
        sqlite_workspace, engineer, dataset_spec, write_jsonl(tmp_path / "a.jsonl", SAMPLE_RECORDS)
    )
    folder = tmp_path / "hf"
    datasets.Dataset.from_list(SAMPLE_RECORDS).save_to_disk(str(folder), num_shards=2)
    assert len(list(folder.glob("*.arrow"))) == 2  # rows counted on across the files
    assert [line for line, _ in read_records(folder)] == list(range(1, len(SAMPLE_RECORDS) + 1))
    from_folder = add_version(sqlite_workspace, engineer, "support", folder)
    assert from_folder.snapshot.id == jsonl.snapshot.id

    stream = next(iter(sorted(folder.glob("*.arrow"))))  # the stream format datasets writes
    assert [r for _, r in read_records(stream)] == SAMPLE_RECORDS[: len(list(read_records(stream)))]
    table = pa.Table.from_pylist(SAMPLE_RECORDS)
    ipc_file = tmp_path / "a.arrow"  # the random-access file format
    with pa.OSFile(str(ipc_file), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    assert (
        add_version(sqlite_workspace, engineer, "support", ipc_file).snapshot.id
        == jsonl.snapshot.id
    )


def test_the_cli_registers_a_dataset_folder(sqlite_workspace: Any, tmp_path: Path) -> None:
    from govern.cli import cli
    from tests.conftest import _new_key

    engineer = _new_key(sqlite_workspace, "engineer", "erin")
    folder = tmp_path / "hf"
    datasets.Dataset.from_list(SAMPLE_RECORDS).save_to_disk(str(folder))
    args = ["dataset", "add", "support", str(folder), "--source", "helpdesk export"]
    args += ["--license", "CC-BY-4.0", "--legal-basis", "consent", "--subject-field", "subject"]
    args += ["--text-field", "text", "--id-field", "id", "--key", str(engineer.path)]
    args += ["--workspace", str(sqlite_workspace.root), "--json"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["records"] == len(SAMPLE_RECORDS)


def test_folders_that_are_not_one_saved_dataset_are_refused(tmp_path: Path) -> None:
    splits = tmp_path / "dict"
    datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_list(SAMPLE_RECORDS),
            "test": datasets.Dataset.from_list(SAMPLE_RECORDS),
        }
    ).save_to_disk(str(splits))
    with pytest.raises(BadInput, match=r"splits test, train; register one split"):
        list(read_records(splits))
    (tmp_path / "plain").mkdir()
    with pytest.raises(BadInput, match=r"not a saved Hugging Face dataset \(no state.json\)"):
        list(read_records(tmp_path / "plain"))
    broken = tmp_path / "broken.arrow"
    broken.write_bytes(b"not arrow at all")
    with pytest.raises(BadInput, match=r"broken.arrow: not a readable Arrow file"):
        list(read_records(broken))
    escaped = tmp_path / "escaped"
    datasets.Dataset.from_list(SAMPLE_RECORDS).save_to_disk(str(escaped))
    state = json.loads((escaped / "state.json").read_text())
    state["_data_files"] = [{"filename": "../broken.arrow"}]
    (escaped / "state.json").write_text(json.dumps(state))
    with pytest.raises(BadInput, match=r"lists data file '../broken.arrow', which is not in"):
        list(read_records(escaped))
