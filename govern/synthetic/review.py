"""Human review of a synthetic snapshot: the validation's sample out, signed verdicts back in.

The sample is fixed by the validation (drawn from its id), so nobody picks which records are
read. `export_sample` writes those records for the reviewer (the file holds record text and
stays outside the catalog); `import_verdicts` reads one verdict per line back, refuses a record
outside the sample or a verdict that is not `pass` / `fail`, and stores every verdict of the file
as one row signed by the reviewer's key (`synthetic.reviewed`). `review_facts` counts the latest
verified verdict per record, whoever gave it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from govern import ledger
from govern.atomic import atomic_output
from govern.canonical import canonical_bytes, canonical_json
from govern.catalog.models import Snapshot, SyntheticReview, SyntheticValidation
from govern.clock import new_id, utc_now
from govern.errors import BadInput, NotFound, record_error
from govern.ingest.snapshots import resolve_snapshot
from govern.ledger.authority import Authority, require, row_problem
from govern.ledger.keys import Signer, verify_signature
from govern.policy.synthetic_facts import ReviewFacts
from govern.synthetic.validation import latest_validation, records_of

REVIEW_EVENTS = ("synthetic.reviewed",)
VERDICTS = ("pass", "fail")


def _validation_of(session: Session, snapshot_ref: str) -> tuple[Snapshot, SyntheticValidation]:
    snapshot = resolve_snapshot(session, snapshot_ref)
    validation = latest_validation(session, snapshot.id)
    if validation is None:
        raise NotFound(
            f"snapshot {snapshot.id[:12]} has no validation; run `govern synth validate "
            f"{snapshot.id[:12]} --reference REAL_SNAPSHOT` first"
        )
    return snapshot, validation


def sample_of(validation: SyntheticValidation) -> list[str]:
    """The record keys of a validation's review sample."""
    return [str(k) for k in json.loads(validation.result).get("review_sample", [])]


def export_sample(workspace: Any, snapshot_ref: str, out: Path) -> int:
    """Write the review sample of the snapshot's latest validation to `out` (JSONL); returns its size."""
    with workspace.catalog.reading() as session:
        snapshot, validation = _validation_of(session, snapshot_ref)
        wanted = set(sample_of(validation))
        records = [r for r in records_of(workspace, session, snapshot) if r.key in wanted]
    with atomic_output(Path(out)) as handle:
        for record in records:
            line = {
                "validation_id": validation.id,
                "record_key": record.key,
                "fields": dict(record.fields),
                "verdict": None,
                "note": "",
            }
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len(records)


def signed_statement(row: SyntheticReview) -> bytes:
    """The bytes a review's signature covers."""
    return canonical_bytes(
        {
            "validation_id": row.validation_id,
            "snapshot_id": row.snapshot_id,
            "verdicts": json.loads(row.verdicts),
            "reviewer_key_id": row.reviewer_key_id,
            "signed_at": row.signed_at,
        }
    )


def _parse(path: Path, sample: set[str], validation_id: str) -> list[dict[str, str]]:
    verdicts: dict[str, str] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: cannot read the verdicts ({error})") from None
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except json.JSONDecodeError as error:
            raise record_error(path, number, f"not JSON ({error.msg})") from None
        if not isinstance(line, dict):
            raise record_error(path, number, "each line must be a JSON object")
        key, verdict = line.get("record_key"), line.get("verdict")
        if line.get("validation_id") != validation_id:
            raise record_error(
                path,
                number,
                "validation_id is not the snapshot's latest validation; export the sample again",
            )
        if key not in sample:
            raise record_error(path, number, f"record {key!r} is not in the review sample")
        if verdict not in VERDICTS:
            raise record_error(path, number, f'verdict {verdict!r}: write "pass" or "fail"')
        if key in verdicts:
            raise record_error(path, number, f"record {key!r} has a second verdict")
        verdicts[str(key)] = str(verdict)
    if not verdicts:
        raise BadInput(f'{path}: no verdicts (set "verdict" to "pass" or "fail" on each line)')
    return [{"record_key": k, "verdict": v} for k, v in sorted(verdicts.items())]


def import_verdicts(
    workspace: Any, actor: Signer, snapshot_ref: str, path: Path
) -> SyntheticReview:
    """Store a reviewer's signed verdicts on the sample of the snapshot's latest validation."""
    with workspace.catalog.transaction() as session:
        require(session, actor, "synthetic.review")
        snapshot, validation = _validation_of(session, snapshot_ref)
        verdicts = _parse(path, set(sample_of(validation)), validation.id)
        row = SyntheticReview(
            id=new_id(),
            validation_id=validation.id,
            snapshot_id=snapshot.id,
            verdicts=canonical_json(verdicts),
            reviewed=len(verdicts),
            passed=sum(v["verdict"] == "pass" for v in verdicts),
            reviewer_key_id=actor.key_id,
            signed_at=utc_now(),
            signature="",
            ledger_seq=0,
        )
        row.signature = actor.sign(signed_statement(row))
        ledger.record(
            session,
            actor,
            "synthetic.reviewed",
            row,
            [snapshot.id, validation.id],
            {"reviewed": row.reviewed, "passed": row.passed},
        )
    return row


def verified_reviews(session: Session, validation_id: str) -> list[SyntheticReview]:
    """The reviews of a validation whose ledger entry and signature verify, oldest first."""
    authority = Authority.of(session)
    good = []
    for row in session.exec(
        select(SyntheticReview)
        .where(SyntheticReview.validation_id == validation_id)
        .order_by(col(SyntheticReview.ledger_seq))
    ):
        identity = authority.identity(row.reviewer_key_id)
        if identity is None or not verify_signature(
            identity.public_key, signed_statement(row), row.signature
        ):
            continue
        if row_problem(session, row, REVIEW_EVENTS) is None:
            good.append(row)
    return good


def review_facts(session: Session, validation: SyntheticValidation) -> ReviewFacts | None:
    """The latest verified verdict per sampled record, counted; None when nobody reviewed."""
    latest: dict[str, str] = {}
    reviewers: set[str] = set()
    for row in verified_reviews(session, validation.id):
        reviewers.add(row.reviewer_key_id)
        for verdict in json.loads(row.verdicts):
            latest[verdict["record_key"]] = verdict["verdict"]
    if not latest:
        return None
    failed = sorted(k for k, v in latest.items() if v == "fail")
    return ReviewFacts(
        reviewed=len(latest),
        passed=len(latest) - len(failed),
        failed_ids=tuple(failed),
        reviewers=tuple(sorted(reviewers)),
    )
