"""Streaming readers for record files (JSONL, CSV, Parquet) that name the line of every error.

Each reader yields `(line, record)` pairs, `line` being the 1-based line (JSONL, CSV: the line
where the record starts) or row number (Parquet), and never loads the whole file.
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

FORMATS = ("jsonl", "csv", "parquet")
_SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
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
    fmt = _SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise BadInput(
            f"{path}: cannot tell the format from the suffix; pass --format jsonl|csv|parquet"
        )
    return fmt


def read_records(path: Path, fmt: str | None = None) -> Iterator[tuple[int, Record]]:
    """Yield `(line, record)` from a JSONL, CSV or Parquet file; raise BadInput naming the line."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    reader = {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet}[
        detect_format(path, fmt)
    ]
    empty = True
    for item in reader(path):
        empty = False
        yield item
    if empty:
        raise BadInput(f"{path}: the file holds no records")


def _read_jsonl(path: Path) -> Iterator[tuple[int, Record]]:
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise record_error(
                    path, line_no, f"not valid UTF-8 at byte {error.start}; {ENCODING_HINT}"
                ) from None
            if not text.strip():
                continue
            try:
                value = json.loads(text, parse_constant=_reject_constant)
            except (json.JSONDecodeError, ValueError) as error:
                raise record_error(path, line_no, f"malformed JSON: {error}") from None
            except RecursionError:
                raise record_error(path, line_no, "the JSON value is nested too deeply") from None
            if not isinstance(value, dict):
                raise record_error(
                    path, line_no, f"expected a JSON object, found {type(value).__name__}"
                )
            if _SURROGATE_ESCAPE.search(text):
                _reject_lone_surrogates(value, path, line_no)
            yield line_no, value


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
