"""PII scans and anonymization of catalogued snapshots (the library behind `govern scan` and
`govern anonymize`), built on govern.pii.

A scan stores findings per record and field (type, offsets, score, recognizer; never the
matched text), a summary per entity type and field, and what makes it reproducible: the
snapshot, the scanner config hash, the spaCy model and version, and the Presidio version. The
same snapshot scanned with the same configuration reuses the stored result.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from govern import ledger, tmpfiles
from govern.canonical import canonical_json, hash_value
from govern.catalog.models import Dataset, Scan, ScanFinding, Snapshot, SnapshotRecord
from govern.clock import utc_now
from govern.errors import IntegrityFailure
from govern.ingest.datasets import AddResult
from govern.ingest.derive import derive_snapshot
from govern.ingest.snapshots import iter_snapshot_records, resolve_snapshot, storage_failure
from govern.ledger.authority import require, row_problem
from govern.ledger.keys import PrivateIdentity
from govern.progress import progress

if TYPE_CHECKING:
    from govern.pii.ray_engine import RayOptions

_INSERT_BATCH = 5000


@dataclass(frozen=True)
class StoredFinding:
    """A finding as stored (and as the anonymizer needs it)."""

    field: str
    start: int
    end: int
    entity_type: str
    score: float
    recognizer: str


def scanner_config(workspace: Any) -> Any:
    """The workspace's `[pii]` configuration, validated."""
    from govern.pii import ScannerConfig

    return ScannerConfig.from_mapping(
        workspace.config.section("pii"),
        source=f"{workspace.config.path} [pii]",
        base_dir=workspace.root,
    )


def _scan_id(snapshot_id: str, provenance: dict[str, Any], with_code: bool = True) -> str:
    """A scan's id: what it scanned and everything that decides its findings.

    The scanner code is part of it, so a govern whose recognizers changed scans again instead of
    handing back the old scan; scans stored before the code was recorded have ids without it
    (`with_code=False`)."""
    inputs = {
        "snapshot": snapshot_id,
        "config_hash": provenance["config_hash"],
        "spacy_model": provenance["spacy_model"],
        "spacy_model_version": provenance["spacy_model_version"],
        "presidio_version": provenance["presidio_version"],
    }
    if with_code:
        inputs["scanner_code"] = provenance["scanner_code"]
    return hash_value(inputs)


def _same_scanner(scan: Scan, provenance: dict[str, Any]) -> bool:
    """Whether `scan` was made under this scanner's configuration, model and Presidio version
    (its code is checked apart: an id with other code differs for an honest reason)."""
    recorded = json.loads(scan.config).get("scanner_code") or provenance["scanner_code"]
    return scan.id in (
        _scan_id(scan.snapshot_id, {**provenance, "scanner_code": recorded}),
        _scan_id(scan.snapshot_id, provenance, with_code=False),
    )


def scan_snapshot(
    workspace: Any,
    actor: PrivateIdentity,
    snapshot_ref: str,
    show_progress: bool | None = None,
    processes: int | None = None,
    ray: RayOptions | None = None,
) -> tuple[Scan, bool]:
    """Scan a snapshot's text fields; returns (scan, created). A repeat with the same config is reused.

    With `ray`, the records are scanned on a Ray cluster (govern.pii.ray_engine); the findings
    stored are the same as a local scan's, and the engine is recorded in the scan's config."""
    config = scanner_config(workspace)
    try:
        with tmpfiles.terminable():
            return _scan_snapshot(
                workspace, actor, config, snapshot_ref, show_progress, processes, ray
            )
    except OSError as error:
        raise storage_failure(error, f"scanning snapshot {snapshot_ref}") from error


def _scan_snapshot(
    workspace: Any,
    actor: PrivateIdentity,
    config: Any,
    snapshot_ref: str,
    show_progress: bool | None,
    processes: int | None,
    ray: RayOptions | None,
) -> tuple[Scan, bool]:
    with workspace.catalog.reading() as session:
        require(session, actor, "pii.scan")
        snapshot = resolve_snapshot(session, snapshot_ref)
        keys = dict(
            session.exec(
                select(SnapshotRecord.position, SnapshotRecord.record_key).where(
                    SnapshotRecord.snapshot_id == snapshot.id
                )
            ).all()
        )
        fields = _text_fields(session, snapshot)
    with _open_scanner(workspace, config, processes, ray) as scanner:
        provenance = scanner.provenance()
        scan_id = _scan_id(snapshot.id, provenance)
        with workspace.catalog.reading() as session:
            existing = session.get(Scan, scan_id)
            if existing is not None:
                problem = row_problem(session, existing, ("pii.scanned",))
                if problem is not None:
                    raise IntegrityFailure(f"{problem}; run `govern audit verify`")
                return existing, False
        spool = tmpfiles.owned_path(workspace.tmp_dir, "scan", ".jsonl")
        try:
            summary, total = _scan_to_spool(
                workspace, scanner, snapshot, fields, spool, show_progress
            )
            return _store_scan(
                workspace, actor, snapshot, scan_id, provenance, summary, total, spool, keys
            ), True
        finally:
            spool.unlink(missing_ok=True)


def _open_scanner(
    workspace: Any, config: Any, processes: int | None, ray: RayOptions | None
) -> Any:
    """The local Scanner, or its Ray counterpart (imported only when asked for)."""
    if ray is None:
        from govern.pii import Scanner

        return Scanner(config, processes=processes)
    from govern.pii.ray_engine import RayScanner

    return RayScanner(config, ray, tmpfiles.owned_path(workspace.tmp_dir, "ray-spill"))


def _text_fields(session: Session, snapshot: Snapshot) -> list[str]:
    dataset = session.get(Dataset, snapshot.dataset_id)
    assert dataset is not None
    return list(json.loads(dataset.text_fields))


def _scan_to_spool(
    workspace: Any,
    scanner: Any,
    snapshot: Snapshot,
    fields: list[str],
    spool: Path,
    show_progress: bool | None,
) -> tuple[list[dict[str, Any]], int]:
    """Scan every record into a spool file of finding rows; return the summary and the count."""
    counts: Counter[tuple[str, str]] = Counter()
    total = 0
    with (
        open(spool, "w", encoding="utf-8") as out,
        progress(f"scanning {snapshot.id[:12]}", snapshot.record_count, show_progress) as advance,
    ):
        for scanned in scanner.scan_records(iter_snapshot_records(workspace, snapshot.id), fields):
            for finding in scanned.findings:
                total += 1
                counts[(finding.entity_type, finding.field)] += 1
                out.write(
                    json.dumps(
                        [
                            scanned.line,
                            finding.field,
                            finding.start,
                            finding.end,
                            finding.entity_type,
                            round(finding.score, 4),
                            finding.recognizer,
                        ]
                    )
                    + "\n"
                )
            advance(1)
    return [
        {"entity_type": t, "field": f, "count": n} for (t, f), n in sorted(counts.items())
    ], total


def rescan_problems(workspace: Any, show_progress: bool | None = None) -> list[str]:
    """Re-run every ledgered scan (scans are deterministic) and name those whose findings differ.

    A scan made under another scanner configuration, model or Presidio version than the
    workspace's now cannot be re-run here; it is named as such, not passed."""
    from govern.pii import Scanner

    config = scanner_config(workspace)
    with workspace.catalog.reading() as session:
        scans = [
            s
            for s in session.exec(select(Scan).order_by(col(Scan.ledger_seq)))
            if row_problem(session, s, ("pii.scanned",)) is None
        ]
        work = [
            (
                scan,
                session.get(Snapshot, scan.snapshot_id),
                _text_fields(session, session.get(Snapshot, scan.snapshot_id)),
            )
            for scan in scans
        ]
    if not work:
        return []
    problems = []
    with Scanner(config) as scanner:
        provenance = scanner.provenance()
        for scan, snapshot, fields in work:
            if not _same_scanner(scan, provenance):
                problems.append(
                    f"scan {scan.id[:12]} of snapshot {scan.snapshot_id[:12]} was made under another scanner "
                    "configuration, model or Presidio version than the workspace's; it cannot be re-run here"
                )
                continue
            recorded = json.loads(scan.config).get("scanner_code")
            if recorded is not None and recorded != provenance["scanner_code"]:
                problems.append(
                    f"scan {scan.id[:12]} of snapshot {scan.snapshot_id[:12]} was made by other scanner "
                    f"code ({recorded[:12]}; this govern runs {provenance['scanner_code'][:12]}), so its "
                    "findings cannot be re-checked here and stay unconfirmed; re-run the check with the "
                    "govern version that made it, or scan the snapshot again"
                )
                continue
            spool = tmpfiles.owned_path(workspace.tmp_dir, "rescan", ".jsonl")
            try:
                _, total = _scan_to_spool(
                    workspace, scanner, snapshot, fields, spool, show_progress
                )
                digest = findings_digest(_spool_rows(spool))
            finally:
                spool.unlink(missing_ok=True)
            if digest != scan.findings_hash or total != scan.findings_count:
                problems.append(
                    f"scan {scan.id[:12]} of snapshot {scan.snapshot_id[:12]}: re-running it finds {total} "
                    f"findings, not the {scan.findings_count} it recorded (its findings were not what the "
                    "scanner finds)"
                )
    return problems


def _spooled(spool: Path, scan_id: str, keys: dict[int, str]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    with open(spool, encoding="utf-8") as handle:
        for seq, line in enumerate(handle, start=1):
            position, field, start, end, entity_type, score, recognizer = json.loads(line)
            batch.append(
                {
                    "scan_id": scan_id,
                    "seq": seq,
                    "position": position,
                    "record_key": keys.get(position, str(position)),
                    "field": field,
                    "start": start,
                    "end": end,
                    "entity_type": entity_type,
                    "score": score,
                    "recognizer": recognizer,
                }
            )
            if len(batch) >= _INSERT_BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def findings_digest(rows: Iterable[Sequence[Any]]) -> str:
    """The hash a scan records over its findings: (position, field, start, end, type, score, recognizer), in order."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(canonical_json(list(row)).encode() + b"\n")
    return digest.hexdigest()


def _spool_rows(spool: Path) -> Iterator[list[Any]]:
    with open(spool, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _store_scan(
    workspace: Any,
    actor: PrivateIdentity,
    snapshot: Snapshot,
    scan_id: str,
    provenance: dict[str, Any],
    summary: list[dict[str, Any]],
    total: int,
    spool: Path,
    keys: dict[int, str],
) -> Scan:
    scan = Scan(
        id=scan_id,
        snapshot_id=snapshot.id,
        config_hash=provenance["config_hash"],
        config=canonical_json(provenance),
        spacy_model=provenance["spacy_model"],
        spacy_version=provenance["spacy_model_version"],
        presidio_version=provenance["presidio_version"],
        summary=canonical_json(summary),
        findings_count=total,
        findings_hash=findings_digest(_spool_rows(spool)),
        created_at=utc_now(),
        created_by=actor.key_id,
        ledger_seq=0,
    )
    with workspace.catalog.transaction() as session:
        ledger.record(session, actor, "pii.scanned", scan, [snapshot.id, scan_id])
        session.flush()
        for batch in _spooled(spool, scan_id, keys):
            session.execute(insert(ScanFinding), batch)
    return scan


def stored_findings(session: Session, scan_id: str) -> Iterator[tuple[int, StoredFinding]]:
    """A scan's findings as (position, finding), in record order."""
    rows = session.exec(
        select(ScanFinding)
        .where(ScanFinding.scan_id == scan_id)
        .order_by(col(ScanFinding.position), col(ScanFinding.seq))
        .execution_options(yield_per=5000)
    )
    for r in rows:
        yield (
            r.position,
            StoredFinding(r.field, r.start, r.end, r.entity_type, r.score, r.recognizer),
        )


def pseudonym_secret(workspace: Any) -> bytes:
    """The workspace's pseudonym key (outside the catalog), created on first use."""
    from govern.workspace import write_private_file

    path: Path = workspace.state_dir / "secrets" / "pseudonym.key"
    if not path.exists():
        write_private_file(path, os.urandom(32).hex().encode())
    return path.read_bytes().strip()


@dataclass
class AnonymizeResult:
    """The derived snapshot, the scan it was made from, and the residual scan of the result."""

    derived: AddResult
    source_scan: Scan
    residual_scan: Scan
    dropped_records: int


def anonymize_snapshot(
    workspace: Any,
    actor: PrivateIdentity,
    snapshot_ref: str,
    operators_path: Path | None = None,
    show_progress: bool | None = None,
    ray: RayOptions | None = None,
) -> AnonymizeResult:
    """Derive an anonymized snapshot (parent and operator-config hash recorded), then scan it for residuals.

    With `ray`, both scans and the rewriting run on a Ray cluster; the pseudonym key, if the
    operators use it, reaches only the anonymize workers, in memory."""
    from govern.pii import Anonymizer, OperatorConfig, load_operators

    operators = load_operators(operators_path) if operators_path else OperatorConfig()
    secret = pseudonym_secret(workspace) if operators.uses("pseudonym") else None
    anonymizer = Anonymizer(operators, secret=secret)
    with ExitStack() as joined:
        if ray is not None:  # one Ray session for both scans and the rewriting
            from govern.pii.ray_engine import ray_session

            joined.enter_context(
                ray_session(ray, tmpfiles.owned_path(workspace.tmp_dir, "ray-spill"))
            )
        source_scan, _ = scan_snapshot(workspace, actor, snapshot_ref, show_progress, ray=ray)
        dropped = 0

        def apply(
            records: Iterable[tuple[int, dict[str, Any]]],
        ) -> Iterator[tuple[int, dict[str, Any]]]:
            nonlocal dropped
            with (
                workspace.catalog.reading() as session,
                _rewriter(workspace, anonymizer, operators, secret, ray) as rewrite,
            ):
                found = _with_findings(records, stored_findings(session, source_scan.id))
                for position, _record, result in rewrite(found):
                    if result is None:
                        dropped += 1
                        continue
                    yield position, result

        config = {
            "operators": operators.content(),
            "anonymizer_hash": anonymizer.config_hash(),
            "source_scan": source_scan.id,
            "scanner_config_hash": source_scan.config_hash,
        }
        derived = derive_snapshot(
            workspace,
            actor,
            source_scan.snapshot_id,
            "anonymize",
            config,
            apply,
            {"source_scan": source_scan.id},
            show_progress,
        )
        residual, _ = scan_snapshot(workspace, actor, derived.snapshot.id, show_progress, ray=ray)
        return AnonymizeResult(derived, source_scan, residual, dropped)


def _with_findings(
    records: Iterable[tuple[int, dict[str, Any]]], findings: Iterator[tuple[int, StoredFinding]]
) -> Iterator[tuple[int, dict[str, Any], list[StoredFinding]]]:
    """Each (position, record) with its stored findings (both in position order)."""
    pending = next(findings, None)
    for position, record in records:
        mine = []
        while pending is not None and pending[0] < position:
            pending = next(findings, None)
        while pending is not None and pending[0] == position:
            mine.append(pending[1])
            pending = next(findings, None)
        yield position, record, mine


@contextmanager
def _rewriter(
    workspace: Any, anonymizer: Any, operators: Any, secret: bytes | None, ray: RayOptions | None
) -> Iterator[Any]:
    """A function from (position, record, findings) to (position, record, rewritten or None):
    the local Anonymizer, or Ray actors given the operators and the key in memory."""
    if ray is None:
        yield lambda items: (
            (p, r, anonymizer.anonymize_record(r, f) if f else r) for p, r, f in items
        )
        return
    from govern.pii.ray_engine import RayAnonymizer

    with RayAnonymizer(
        operators,
        secret,
        anonymizer.config_hash(),
        ray,
        tmpfiles.owned_path(workspace.tmp_dir, "ray-spill"),
    ) as remote:
        yield remote.map
