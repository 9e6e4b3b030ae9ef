"""Ingest's per-record work (validate, canonicalise, hash) in blocks, here or in worker processes.

A block is a run of consecutive records, validated and hashed together: its canonical bytes, its
record hashes, the line, key and keyed subject hash of each record. `serial_blocks` cuts any
reader's records into blocks in this process; `jsonl_blocks` cuts a JSONL file into byte ranges
that end at line breaks and has worker processes parse and validate them, at most two blocks per
worker in flight (memory stays flat). Either way blocks come back in file order, so the snapshot
staged from them (govern.ingest.snapshots) is byte for byte the same, and a bad file reports its
first bad line, even when a later block failed first.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.canonical import keyed_hash, sha256_hex
from govern.errors import WorkerFailure
from govern.ingest.readers import Record, parse_jsonl_line
from govern.ingest.record_schema import RecordSchema, validate_record

BLOCK_BYTES = 1 << 20  # a worker's share of a JSONL file: about 1 MiB of lines
SERIAL_BLOCK_RECORDS = 2000
PARALLEL_MIN_BLOCKS = 16  # about 100,000 records of ~160 bytes
# The process writing the staging folder keeps about a fifth of the serial CPU time (writing,
# digests, the index), so more than four workers rarely make staging faster
# (benchmarks/ingest_scale.py).
MAX_DEFAULT_PROCESSES = 4


@dataclass
class RecordBlock:
    """Consecutive records, validated and hashed; `keys` is None when records have no id field
    (their key is then their position in the snapshot, which only the stager knows)."""

    data: bytes  # each record's canonical JSON, followed by a line break
    hashes: list[str]
    lines: list[int]
    keys: list[str] | None
    subjects: list[str]


def validate_block(
    schema: RecordSchema,
    source: object,
    secret: bytes,
    records: Iterable[tuple[int, Record]],
    max_bytes: int | None = None,
) -> RecordBlock:
    """Validate, canonicalise and hash `(line, record)` pairs; BadInput names the first bad line.

    With `max_bytes`, stops taking records once their canonical bytes reach it."""
    size = 0
    parts: list[bytes] = []
    hashes: list[str] = []
    lines: list[int] = []
    keys: list[str] = []
    subjects: list[str] = []
    for line, record in records:
        key, subject, data = validate_record(schema, source, line, record, 0)
        parts.append(data)
        hashes.append(sha256_hex(data))
        lines.append(line)
        keys.append(key)
        subjects.append(keyed_hash(secret, str(subject)))
        size += len(data) + 1
        if max_bytes is not None and size >= max_bytes:
            break
    data = b"\n".join(parts) + b"\n" if parts else b""
    return RecordBlock(data, hashes, lines, keys if schema.id_field else None, subjects)


def serial_blocks(
    records: Iterable[tuple[int, Record]],
    schema: RecordSchema,
    source: object,
    secret: bytes,
    size: int = SERIAL_BLOCK_RECORDS,
) -> Iterator[RecordBlock]:
    """Blocks of `size` records (or `BLOCK_BYTES` of canonical JSON) from any reader, validated in
    this process as they are read (a record before the next one is parsed, as in a worker)."""
    reader = iter(records)
    while True:
        block = validate_block(
            schema, source, secret, itertools.islice(reader, size), max_bytes=BLOCK_BYTES
        )
        if not block.hashes:
            return
        yield block


def worth_parallel(path: Path, kind: str, processes: int) -> bool:
    """Whether `jsonl_blocks` pays off: two processes, and a JSONL file of `PARALLEL_MIN_BLOCKS`
    blocks or more (below that, starting the workers costs about what they save)."""
    return (
        kind == "jsonl"
        and processes > 1
        and path.stat().st_size >= PARALLEL_MIN_BLOCKS * BLOCK_BYTES
    )


def default_processes() -> int:
    """One worker per core this process may run on, at most `MAX_DEFAULT_PROCESSES`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(cores, MAX_DEFAULT_PROCESSES)


def _byte_ranges(path: Path, block_bytes: int) -> Iterator[tuple[int, bytes]]:
    """`(first line number, raw lines)` of about `block_bytes` each, cut at line breaks."""
    line_no = 1
    with open(path, "rb") as handle:
        while chunk := handle.read(block_bytes):
            if not chunk.endswith(b"\n"):
                chunk += handle.readline()  # finish the last line (or reach the end of the file)
            yield line_no, chunk
            line_no += chunk.count(b"\n")


# Set in each worker by `_worker_init`: the schema, the source's name and the subject key.
_WORKER: dict[str, Any] = {}


def _worker_init(schema: RecordSchema, source: Path, secret: bytes) -> None:
    # Ctrl-C reaches the whole process group: the parent alone handles it and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER.update(schema=schema, source=source, secret=secret)


def _worker_block(first_line: int, chunk: bytes) -> RecordBlock:
    return _parse_block(_WORKER["schema"], _WORKER["source"], _WORKER["secret"], first_line, chunk)


def _parse_block(
    schema: RecordSchema, source: Path, secret: bytes, first_line: int, chunk: bytes
) -> RecordBlock:
    def records() -> Iterator[tuple[int, Record]]:
        # Split at b"\n" only, each line keeping its break, as reading the file line by line does.
        pieces = chunk.split(b"\n")
        for offset, piece in enumerate(pieces):
            last = offset == len(pieces) - 1
            if last and not piece:
                break
            value = parse_jsonl_line(source, first_line + offset, piece if last else piece + b"\n")
            if value is not None:
                yield first_line + offset, value

    return validate_block(schema, source, secret, records())


def jsonl_blocks(
    path: Path,
    schema: RecordSchema,
    secret: bytes,
    processes: int,
    block_bytes: int | None = None,
) -> Iterator[RecordBlock]:
    """A JSONL file's blocks, validated by `processes` worker processes, yielded in file order.

    The first failing block in file order raises its error here. On any error, or when the
    caller closes the generator, blocks not started are cancelled and the workers stop once
    their current block is done (a fraction of a second); a worker that dies is a WorkerFailure.
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = ProcessPoolExecutor(
        processes, mp_context=context, initializer=_worker_init, initargs=(schema, path, secret)
    )
    in_flight: deque[Future[RecordBlock]] = deque()
    try:
        for first_line, chunk in _byte_ranges(path, block_bytes or BLOCK_BYTES):
            in_flight.append(pool.submit(_worker_block, first_line, chunk))
            while len(in_flight) >= 2 * processes or (in_flight and in_flight[0].done()):
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()
    except BrokenProcessPool:
        raise WorkerFailure(
            f"{path}: a worker process validating the file died (killed, or out of memory?); "
            "nothing was stored; run again, or with --processes 1"
        ) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
