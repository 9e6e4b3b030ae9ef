"""Human reviews of a run's adapter: signed, append-only, by a reviewer or an officer."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from govern import ledger
from govern.canonical import canonical_bytes, canonical_json
from govern.catalog.models import Review
from govern.clock import new_id, utc_now
from govern.errors import BadInput
from govern.ledger.authority import Authority, RegisteredIdentity, require, row_problem
from govern.ledger.keys import Signer, verify_signature
from govern.training.run_status import get_run

if TYPE_CHECKING:
    from govern.workspace import Workspace


def signed_statement(row: Review) -> bytes:
    """The bytes a review's signature covers."""
    return canonical_bytes(
        {
            "run_id": row.run_id,
            "rating": row.rating,
            "criteria": json.loads(row.criteria),
            "notes": row.notes,
            "reviewer_key_id": row.reviewer_key_id,
            "signed_at": row.signed_at,
        }
    )


def parse_criteria(pairs: list[str] | tuple[str, ...]) -> dict[str, int]:
    """`NAME=SCORE` pairs (score 1..5) as a mapping; BadInput names the bad pair."""
    criteria: dict[str, int] = {}
    for pair in pairs:
        name, sep, score = pair.partition("=")
        if not sep or not name.strip() or not score.strip().isdigit() or not 1 <= int(score) <= 5:
            raise BadInput(
                f"--criteria {pair!r}: write NAME=SCORE with a score from 1 to 5, e.g. helpfulness=4"
            )
        criteria[name.strip()] = int(score)
    return criteria


def review_run(
    workspace: Workspace,
    actor: Signer,
    run_id: str,
    rating: int,
    criteria: dict[str, int],
    notes: str,
) -> Review:
    """Record a signed review of a run's adapter."""
    if not 1 <= rating <= 5:
        raise BadInput(f"--rating {rating}: give a rating from 1 to 5")
    if not notes.strip():
        raise BadInput("a review needs --notes saying what was looked at")
    with workspace.catalog.transaction() as session:
        require(session, actor, "run.review")
        run = get_run(session, run_id)
        row = Review(
            id=new_id(),
            run_id=run.id,
            rating=rating,
            criteria=canonical_json(criteria),
            notes=notes,
            reviewer_key_id=actor.key_id,
            signed_at=utc_now(),
            signature="",
            ledger_seq=0,
        )
        row.signature = actor.sign(signed_statement(row))
        ledger.record(session, actor, "run.reviewed", row, [run.id])
    return row


def verified_reviews(
    session: Session, run_id: str
) -> tuple[list[tuple[Review, RegisteredIdentity]], list[str]]:
    """A run's reviews that a verified `run.reviewed` entry recorded and whose signatures verify with
    the key as the ledger registered it, and the problems with the others."""
    authority = Authority.of(session)
    good: list[tuple[Review, RegisteredIdentity]] = []
    problems: list[str] = []
    for row in session.exec(
        select(Review).where(Review.run_id == run_id).order_by(col(Review.ledger_seq))
    ):
        identity = authority.identity(row.reviewer_key_id)
        if identity is None or not verify_signature(
            identity.public_key, signed_statement(row), row.signature
        ):
            problems.append(
                f"review {row.id[:12]}: its signature does not verify (forged or altered)"
            )
            continue
        found = row_problem(session, row, ("run.reviewed",))
        if found is not None:
            problems.append(found)
            continue
        good.append((row, identity))
    return good, problems
