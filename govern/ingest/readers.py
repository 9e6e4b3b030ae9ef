"""Streaming readers for record files (JSONL, CSV, Parquet, Arrow, a saved Hugging Face dataset)
that name the line of every error.

Each reader yields `(line, record)` pairs, `line` being the 1-based line (JSONL, CSV: the line
where the record starts) or row number (Parquet, Arrow, a dataset folder: counted across its
files), and never loads the whole file. A saved Hugging Face dataset (`Dataset.save_to_disk`) is
a folder of Arrow stream files listed in its state.json; pyarrow reads it, so ingest needs no
`datasets` library. Records from every format are plain JSON values, hashed alike.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from govern.errors import BadInput, record_error

FORMATS = ("jsonl", "csv", "parquet", "arrow", "hf_dataset")
_SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".arrow": "arrow",
}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")
ENCODING_HINT = "convert it to UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"

Record = dict[str, Any]


def detect_format(path: Path, declared: str | None = None) -> str:
    """The file's format: the declared one, or from its suffix."""
    if declared:
        if declared not in FORMATS:
            raise BadInput(f"unknown format {declared!r}; choose one of {', '.join(FORMATS)}")
        return declared
    if Path(path).is_dir():
        return "hf_dataset"
    fmt = _SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise BadInput(
            f"{path}: cannot tell the format from the suffix; pass --format {'|'.join(FORMATS)}"
        )
    return fmt


def checked_format(path: Path, fmt: str | None = None) -> str:
    """The format of an existing record file or dataset folder; BadInput when it is not there."""
    kind = detect_format(path, fmt) if path.exists() else None
    if kind == "hf_dataset" and not path.is_dir():
        raise BadInput(f"{path}: a saved Hugging Face dataset is a folder (save_to_disk output)")
    if kind != "hf_dataset" and not path.is_file():
        raise BadInput(f"{path}: no such file")
    assert kind is not None
    return kind


def read_records(path: Path, fmt: str | None = None) -> Iterator[tuple[int, Record]]:
    """Yield `(line, record)` from a JSONL, CSV or Parquet file; raise BadInput naming the line."""
    path = Path(path)
    kind = checked_format(path, fmt)
    reader = {
        "jsonl": _read_jsonl,
        "csv": _read_csv,
        "parquet": _read_parquet,
        "arrow": _read_arrow,
        "hf_dataset": _read_hf_dataset,
    }[kind]
    empty = True
    for item in reader(path):
        empty = False
        yield item
    if empty:
        raise BadInput(f"{path}: the file holds no records")


def _read_jsonl(path: Path) -> Iterator[tuple[int, Record]]:
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            value = parse_jsonl_line(path, line_no, raw)
            if value is not None:
                yield line_no, value


def parse_jsonl_line(path: Path, line_no: int, raw: bytes) -> Record | None:
    """The record on one raw JSONL line (None for a blank line); BadInput names the line."""
    if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise record_error(
            path, line_no, f"not valid UTF-8 at byte {error.start}; {ENCODING_HINT}"
        ) from None
    if not text.strip():
        return None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError) as error:
        raise record_error(path, line_no, f"malformed JSON: {error}") from None
    except RecursionError:
        raise record_error(path, line_no, "the JSON value is nested too deeply") from None
    if not isinstance(value, dict):
        raise record_error(path, line_no, f"expected a JSON object, found {type(value).__name__}")
    if _SURROGATE_ESCAPE.search(text):
        _reject_lone_surrogates(value, path, line_no)
    return value


def _reject_lone_surrogates(value: Record, path: Path, line: int) -> None:
    """JSON may escape half a surrogate pair (\\ud800), which is no text: nothing can encode it."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise record_error(
            path,
            line,
            "a string holds a lone surrogate escape (\\ud800-\\udfff), which is not text",
        ) from None
    except RecursionError:
        raise record_error(path, line, "the JSON value is nested too deeply") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _text_lines(path: Path, handle: Any) -> Iterator[str]:
    """The lines of a binary file decoded one at a time, so a bad byte is reported on its own line
    (a text-mode file decodes ahead in chunks, and the csv module would name an earlier line)."""
    for line_no, raw in enumerate(handle, start=1):
        if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise record_error(
                path,
                line_no,
                f"not valid UTF-8 at byte {error.start + 1} of the line; {ENCODING_HINT}",
            ) from None
        # A lone CR ends a line too (old Mac files); csv wants each line with its ending.
        yield from (part for part in _LONE_CR.split(text) if part)


def _read_csv(path: Path) -> Iterator[tuple[int, Record]]:
    with open(path, "rb") as handle:
        reader = csv.reader(_text_lines(path, handle))
        try:
            header = next(reader, None)
            if header is None:
                return
            if len(set(header)) != len(header) or any(not name.strip() for name in header):
                raise record_error(path, 1, "the header has an empty or repeated column name")
            start = reader.line_num + 1
            for row in reader:
                line_no, start = start, reader.line_num + 1
                if not row:
                    continue
                if len(row) != len(header):
                    raise record_error(
                        path, line_no, f"expected {len(header)} columns, found {len(row)}"
                    )
                yield line_no, dict(zip(header, row, strict=True))
        except csv.Error as error:
            raise record_error(path, reader.line_num, f"malformed CSV: {error}") from None


def _read_parquet(path: Path) -> Iterator[tuple[int, Record]]:
    import pyarrow.parquet as pq
    from pyarrow import ArrowException

    try:
        parquet = pq.ParquetFile(path)
    except (ArrowException, OSError) as error:
        raise BadInput(f"{path}: not a readable Parquet file: {error}") from None
    row_no = 0
    for batch in parquet.iter_batches(batch_size=4096):
        for record in batch.to_pylist():
            row_no += 1
            yield (
                row_no,
                {key: _json_value(value, path, row_no, key) for key, value in record.items()},
            )


def _read_arrow(path: Path, first_row: int = 0) -> Iterator[tuple[int, Record]]:
    """An Arrow IPC file, stream format (what `datasets` writes) or file format."""
    import pyarrow as pa

    try:
        handle = pa.memory_map(str(path))
        try:
            batches: Any = pa.ipc.open_stream(handle)
        except pa.ArrowInvalid:
            handle.seek(0)
            opened = pa.ipc.open_file(handle)
            batches = (opened.get_batch(i) for i in range(opened.num_record_batches))
    except (pa.ArrowException, OSError) as error:
        raise BadInput(f"{path}: not a readable Arrow file: {error}") from None
    row_no = first_row
    with handle:
        for batch in batches:
            for record in batch.to_pylist():
                row_no += 1
                yield (
                    row_no,
                    {key: _json_value(value, path, row_no, key) for key, value in record.items()},
                )


def _read_hf_dataset(folder: Path) -> Iterator[tuple[int, Record]]:
    """A `Dataset.save_to_disk` folder: its Arrow files, in the order its state.json lists them."""
    if (folder / "dataset_dict.json").is_file():
        splits = sorted(p.name for p in folder.iterdir() if (p / "state.json").is_file())
        raise BadInput(
            f"{folder}: a dataset dictionary with splits {', '.join(splits) or '(none)'}; "
            f"register one split, e.g. {folder / (splits[0] if splits else 'train')}"
        )
    state_file = folder / "state.json"
    if not state_file.is_file():
        raise BadInput(
            f"{folder}: not a saved Hugging Face dataset (no state.json); give a record file or "
            "the folder `Dataset.save_to_disk` wrote"
        )
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
        names = [str(entry["filename"]) for entry in state["_data_files"]]
    except (ValueError, KeyError, TypeError) as error:
        raise BadInput(f"{state_file}: not a datasets state file ({error})") from None
    if state.get("_indices_data_files"):
        raise BadInput(
            f"{state_file}: the dataset has an indices mapping; save it with "
            "`dataset.flatten_indices().save_to_disk(...)`"
        )
    row_no = 0
    for name in names:
        path = folder / name
        if path.resolve().parent != folder.resolve() or not path.is_file():
            raise BadInput(f"{state_file}: lists data file {name!r}, which is not in {folder}")
        for number, record in _read_arrow(path, row_no):  # numbering goes on across files
            yield number, record
            row_no = number


def source_sha256(path: Path) -> str:
    """SHA-256 of a source file's bytes; of a dataset folder, the hash over its files' hashes."""
    from govern.canonical import file_sha256, hash_value

    path = Path(path)
    if not path.is_dir():
        return file_sha256(path)
    files = {
        str(p.relative_to(path)): file_sha256(p) for p in sorted(path.rglob("*")) if p.is_file()
    }
    return hash_value(files)


def _json_value(value: Any, path: Path, row: int, key: str) -> Any:
    """A Parquet value as JSON can hold it (times as ISO text, decimals as text)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise record_error(path, row, f"field {key!r} is {value}, which JSON cannot hold")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        raise record_error(path, row, f"field {key!r} holds binary data; govern records hold text")
    if isinstance(value, dict):
        return {k: _json_value(v, path, row, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v, path, row, key) for v in value]
    return value
