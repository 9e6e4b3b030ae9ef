"""The Scanner: batch, multi-process PII detection over texts and records.

Texts go through spaCy in batches (`nlp.pipe`) and then through every recognizer; batches are
spread over one worker process per core, with a bounded number in flight so memory stays flat
however long the input. Texts longer than `chunk_chars` are cut into overlapping chunks at
whitespace and their findings mapped back to offsets in the whole text. Findings carry offsets
and types, never the matched text.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from govern.pii import code_digest
from govern.pii.config import ScannerConfig, presidio_version
from govern.pii.not_personal import not_personal

RecordId = Any
SpanTuple = tuple[int, int, str, float, str]


@dataclass(frozen=True)
class Span:
    """One finding inside a text: offsets, type, score and the recognizer that made it."""

    start: int
    end: int
    entity_type: str
    score: float
    recognizer: str


@dataclass(frozen=True)
class Finding:
    """A span found in one field of one record; what `govern pii detect` writes per line."""

    id: RecordId
    field: str
    start: int
    end: int
    entity_type: str
    score: float
    recognizer: str

    def to_row(self) -> dict[str, Any]:
        """The JSON row: id, field, start, end, entity_type, score (4 decimals), recognizer."""
        row = asdict(self)
        row["score"] = round(self.score, 4)
        return row


@dataclass
class ScannedRecord:
    """A record with the findings of its scanned fields, in input order."""

    id: RecordId
    line: int
    record: Mapping[str, Any]
    findings: list[Finding]


# Loaded engines by config hash; filled in the parent before workers fork, so they share it.
_ENGINES: dict[str, Any] = {}


def _engine_for(config: ScannerConfig) -> Any:
    key = config.config_hash()
    if key not in _ENGINES:
        from govern.pii.engine import build_engine

        _ENGINES[key] = build_engine(config)
    return _ENGINES[key]


_WORKER_CONFIG: ScannerConfig | None = None


def _worker_init(config: ScannerConfig) -> None:
    global _WORKER_CONFIG
    # A forked worker inherits the command's SIGTERM handler (which unwinds clean-ups in the main
    # process); a worker has none to run, and must die at once when the pool is terminated.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    _WORKER_CONFIG = config
    from govern import blas_threads

    blas_threads.set_threads(1)  # one BLAS thread per worker: the workers already use every core
    _engine_for(config)


def _worker_scan(texts: list[str]) -> list[list[SpanTuple]]:
    assert _WORKER_CONFIG is not None
    return scan_batch(_engine_for(_WORKER_CONFIG), texts, _WORKER_CONFIG.chunk_chars)


def chunk_bounds(text: str, chunk_chars: int) -> list[tuple[int, int, int, int]]:
    """Overlapping chunks of a long text: (start, end, keep_from, keep_to) per chunk.

    Chunks end at whitespace where there is some near the limit; a finding belongs to the chunk
    whose keep range holds its start, so entities on a boundary are found once.
    """
    length = len(text)
    if length <= chunk_chars:
        return [(0, length, 0, length)]
    overlap = min(2000, chunk_chars // 5)
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        end = min(start + chunk_chars, length)
        if end < length:
            cut = max(
                text.rfind(" ", end - overlap // 2, end), text.rfind("\n", end - overlap // 2, end)
            )
            if cut > start:
                end = cut
        spans.append((start, end))
        if end >= length:
            break
        next_start = end - overlap
        space = text.find(" ", next_start, end)
        start = space + 1 if space != -1 else next_start
    bounds = []
    for i, (start, end) in enumerate(spans):
        keep_from = 0 if i == 0 else (spans[i - 1][1] + start) // 2
        keep_to = length if i == len(spans) - 1 else (end + spans[i + 1][0]) // 2
        bounds.append((start, end, keep_from, keep_to))
    return bounds


def scan_batch(engine: Any, texts: Sequence[str], chunk_chars: int) -> list[list[SpanTuple]]:
    """Findings for each text of a batch, as (start, end, type, score, recognizer) tuples."""
    pieces: list[
        tuple[int, int, int, int, int]
    ] = []  # (text index, start, end, keep_from, keep_to)
    for index, text in enumerate(texts):
        if not text or text.isspace():
            continue
        for start, end, keep_from, keep_to in chunk_bounds(text, chunk_chars):
            pieces.append((index, start, end, keep_from, keep_to))
    found: list[list[SpanTuple]] = [[] for _ in texts]
    if not pieces:
        return found
    piece_texts = [_clean(texts[i][s:e]) for i, s, e, _, _ in pieces]
    artifacts = engine.nlp_engine.process_batch(
        piece_texts, engine.language, batch_size=max(1, len(piece_texts))
    )
    analyze = engine.analyzer.analyze
    for (index, start, _end, keep_from, keep_to), (piece, nlp_artifacts) in zip(
        pieces, artifacts, strict=True
    ):
        results = analyze(
            text=piece,
            language=engine.language,
            entities=engine.entities,
            nlp_artifacts=nlp_artifacts,
            score_threshold=engine.score_threshold,
            allow_list=engine.allow_list or None,
        )
        for result in results:
            absolute = start + result.start
            if keep_from <= absolute < keep_to and not not_personal(
                piece, result.start, result.end, result.entity_type
            ):
                name = (result.recognition_metadata or {}).get("recognizer_name", "?")
                found[index].append(
                    (absolute, start + result.end, result.entity_type, float(result.score), name)
                )
    return [merge_spans(spans) for spans in found]


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """Lone surrogates (undecodable bytes smuggled into str) become U+FFFD; offsets are kept."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def merge_spans(spans: list[SpanTuple]) -> list[SpanTuple]:
    """Sort spans and fuse overlapping ones of the same type (keeping the best score's recognizer)."""
    merged: list[SpanTuple] = []
    open_end: dict[str, int] = {}  # entity type -> index in `merged` of its last span
    # Ties are broken by type and recognizer name, so the same text always yields the same findings.
    for span in sorted(spans, key=lambda s: (s[0], -s[1], -s[3], s[2], s[4])):
        index = open_end.get(span[2])
        if index is not None and span[0] < merged[index][1]:
            other = merged[index]
            best = other if other[3] >= span[3] else span
            merged[index] = (other[0], max(other[1], span[1]), span[2], best[3], best[4])
        else:
            open_end[span[2]] = len(merged)
            merged.append(span)
    return merged


class Scanner:
    """Finds PII in texts and records with Presidio, offline, in batches over every core.

    `Scanner(config)` is cheap; the model loads on first use (or `load()`). Use it as a context
    manager, or call `close()`, to stop the worker processes of a multi-process scan.
    """

    def __init__(
        self,
        config: ScannerConfig | None = None,
        processes: int | None = None,
        batch_size: int | None = None,
    ) -> None:
        self.config = config or ScannerConfig()
        wanted = self.config.processes if processes is None else processes
        self.processes = max(1, wanted or _cores())
        self.batch_size = batch_size or self.config.batch_size
        self._pool: Any = None

    def __enter__(self) -> Scanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self) -> Scanner:
        """Load the model and recognizers now (else on the first scan)."""
        _engine_for(self.config)
        return self

    def provenance(self) -> dict[str, Any]:
        """What a scan result must record to be reproducible: config hash, model and Presidio
        versions, and the digest of the scanner code that ran (govern.pii.code_digest)."""
        info = self.config.model_info()
        return {
            "config_hash": self.config.config_hash(),
            "scanner_code": code_digest.SCANNER_CODE,
            "spacy_model": info.name,
            "spacy_model_version": info.version,
            "presidio_version": presidio_version(),
            "language": self.config.language,
            "entities": list(self.config.effective_entities()),
            "score_threshold": self.config.score_threshold,
        }

    @property
    def active_components(self) -> list[str]:
        """The spaCy pipeline components that actually run."""
        return list(_engine_for(self.config).active_components)

    def scan_text(self, text: str) -> list[Span]:
        """Findings in one text (empty for empty or whitespace-only text)."""
        return next(self.scan_texts([text]))

    def scan_texts(self, texts: Iterable[str]) -> Iterator[list[Span]]:
        """Findings for each text, in order; non-string items yield no findings."""
        items = ((None, {"text": t}) for t in texts)
        for scanned in self.scan_records(items, ["text"]):
            yield [
                Span(f.start, f.end, f.entity_type, f.score, f.recognizer) for f in scanned.findings
            ]

    def scan_records(
        self,
        records: Iterable[tuple[Any, Mapping[str, Any]]],
        fields: Sequence[str],
        id_field: str | None = None,
    ) -> Iterator[ScannedRecord]:
        """Scan `fields` of each `(line, record)`; yield every record with its findings, in order.

        A record's id is its `id_field` value, else its 0-based position. A conversation (a list
        of {"role", "content"}) is scanned message by message; other values that are not
        strings (numbers, null) and blank strings are skipped.
        """
        engine_config = self.config
        _engine_for(engine_config)
        groups = _grouped(records, fields, id_field, self.batch_size, self.processes)
        if self.processes <= 1:
            for group, texts in groups:
                yield from _assemble(
                    group, scan_batch(_engine_for(engine_config), texts, engine_config.chunk_chars)
                )
            return
        pool = self._ensure_pool()
        in_flight: deque[tuple[list[Any], Any]] = deque()
        limit = self.processes * 2
        try:
            for group, texts in groups:
                in_flight.append((group, pool.apply_async(_worker_scan, (texts,))))
                while len(in_flight) >= limit or (in_flight and in_flight[0][1].ready()):
                    done_group, pending = in_flight.popleft()
                    yield from _assemble(done_group, pending.get())
            while in_flight:
                done_group, pending = in_flight.popleft()
                yield from _assemble(done_group, pending.get())
        except BaseException:
            self.close(terminate=True)
            raise

    def _ensure_pool(self) -> Any:
        if self._pool is None:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self._pool = context.Pool(
                self.processes, initializer=_worker_init, initargs=(self.config,)
            )
        return self._pool

    def close(self, terminate: bool = False) -> None:
        """Stop the worker processes, if any."""
        if self._pool is not None:
            if terminate:
                self._pool.terminate()
            else:
                self._pool.close()
            self._pool.join()
            self._pool = None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# A group: records (with where their texts sit in the batch) sent to one worker together.
_Slot = tuple[RecordId, int, Mapping[str, Any], list[tuple[str, int]]]


def _field_texts(record: Mapping[str, Any], fields: Sequence[str]) -> Iterator[tuple[str, str]]:
    """(field, text) of each text in `fields`: a string, or each message of a conversation
    (a list of {"role", "content"}), named `field[i].content`."""
    for name in fields:
        value = record.get(name)
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, list):
            for index, message in enumerate(value):
                content = message.get("content") if isinstance(message, dict) else None
                if isinstance(content, str):
                    yield f"{name}[{index}].content", content


# A record read for scanning: its id, line, the record, and its (field, text) pairs to scan.
_Item = tuple[RecordId, int, Mapping[str, Any], list[tuple[str, str]]]


def _items(
    records: Iterable[tuple[Any, Mapping[str, Any]]], fields: Sequence[str], id_field: str | None
) -> Iterator[_Item]:
    for position, (line, record) in enumerate(records):
        record_id = record.get(id_field, position) if id_field else position
        named = [(n, v) for n, v in _field_texts(record, fields) if v and not v.isspace()]
        yield record_id, line if line is not None else position, record, named


def _group(items: Sequence[_Item]) -> tuple[list[_Slot], list[str]]:
    group: list[_Slot] = []
    texts: list[str] = []
    for record_id, line, record, named in items:
        group.append(
            (record_id, line, record, [(n, len(texts) + i) for i, (n, _) in enumerate(named)])
        )
        texts.extend(v for _, v in named)
    return group, texts


def _grouped(
    records: Iterable[tuple[Any, Mapping[str, Any]]],
    fields: Sequence[str],
    id_field: str | None,
    batch_size: int,
    parts: int = 1,
) -> Iterator[tuple[list[_Slot], list[str]]]:
    """Batches of about `batch_size` texts (or 1M characters), in order.

    The tail (what is left once the input ends, up to `parts + 1` batches' worth) is cut into a
    multiple of `parts` equal batches, so no worker scans a last full batch while the others
    idle: a 300-record call on two workers is two batches of 150, not 128, 128 and 44.
    """
    pending: deque[_Item] = deque()
    held = chars = 0
    for item in _items(records, fields, id_field):
        pending.append(item)
        held += len(item[3])
        chars += sum(len(v) for _, v in item[3])
        while (
            held >= batch_size * (parts + 1)
            or chars >= 1_000_000
            or len(pending) >= 10 * batch_size * (parts + 1)  # records with nothing to scan
        ):
            batch: list[_Item] = []
            count = size = 0
            while pending and count < batch_size and size < 1_000_000:
                batch.append(pending.popleft())
                count += len(batch[-1][3])
                size += sum(len(v) for _, v in batch[-1][3])
            held, chars = held - count, chars - size
            yield _group(batch)
    if not pending:
        return
    pieces = min(len(pending), parts * max(1, round(held / (batch_size * parts))))
    batch, count, cut = [], 0, 1
    for item in pending:
        batch.append(item)
        count += len(item[3])
        if count * pieces >= held * cut:  # the cut-th of `pieces` equal shares is full
            yield _group(batch)
            batch, cut = [], cut + 1
    if batch:
        yield _group(batch)


def _assemble(group: list[_Slot], results: list[list[SpanTuple]]) -> Iterator[ScannedRecord]:
    for record_id, line, record, slots in group:
        findings = [
            Finding(record_id, name, start, end, entity_type, score, recognizer)
            for name, index in slots
            for start, end, entity_type, score, recognizer in results[index]
        ]
        yield ScannedRecord(record_id, line, record, findings)
