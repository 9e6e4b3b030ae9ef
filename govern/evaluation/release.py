"""Releasing a run's adapter: only when the policy pack's release rules hold, every one checked.

Rules (from the pack's `release:` section and its dp family):
- reviews: at least `min_reviews` signed reviews from distinct keys holding `reviewer_role` (or
  officer), none by whoever trained the run, each rated at least `min_rating` when set;
- evaluation: a held-out evaluation exists (`require_evaluation` or `require_eval_report`);
- privacy audit: a canary audit exists and no audit's empirical lower bound exceeds the
  accountant's ε: the worst audit decides, so a failing one is not hidden by a later pass
  (`require_privacy_audit`);
- ε: the run's ε is within the dp family's `max_epsilon_per_run`;
- compliance report: a run report was rendered and ledgered (`require_compliance_report`);
- approvals: the run's snapshots were approved within `max_days_since_approval` days;
- retrain: the adapter is within `max_adapter_age_days` and `max_drift` (evaluation/staleness.py).

Each rule reads only catalog rows and ledger entries that a verified ledger entry vouches for
(`row_problem`, `verified_entries`): a row written around govern never satisfies a rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from govern import ledger
from govern.canonical import canonical_bytes, canonical_json
from govern.catalog.models import (
    Approval,
    Evaluation,
    Release,
    TrainingRun,
)
from govern.clock import new_id, parse_time, utc_now
from govern.clock import now as clock_now
from govern.errors import Refused
from govern.evaluation.reviews import verified_reviews
from govern.ledger.authority import require, row_problem, verified_entries
from govern.ledger.keys import Signer
from govern.training.run_status import get_run

if TYPE_CHECKING:
    from govern.workspace import Workspace


@dataclass(frozen=True)
class ReleaseRule:
    """One release rule's result."""

    rule: str
    passed: bool
    message: str
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "passed": self.passed,
            "message": self.message,
            "evidence": self.evidence,
        }


def _run_epsilon(session: Session, run: TrainingRun) -> float | None:
    from govern.training.spending import completed_payload

    done = completed_payload(session, run.id)
    return done.get("epsilon") if done else None


def _newest_vouched(
    session: Session,
    query: Any,
    events: tuple[str, ...],
    fits: Callable[[Any], bool] = lambda row: True,
) -> Any:
    """The first row of `query` that a verified ledger entry of `events` recorded as it stands
    (`row_problem`) and that `fits`; None when no row does (rows written around govern never count)."""
    return next(
        (
            row
            for row in session.exec(query)
            if fits(row) and row_problem(session, row, events) is None
        ),
        None,
    )


def _privacy_audit_rule(session: Session, run: TrainingRun) -> ReleaseRule:
    """The worst vouched privacy audit of the run decides: a failing audit stays failing however
    many passing ones are run after it (each audit is a measurement; none retracts another)."""
    from govern.evaluation.privacy_audit.audit import vouched_audits, worst_audit

    audits, _unvouched = vouched_audits(session, run.id)
    worst = worst_audit(audits)
    if worst is None:
        return ReleaseRule(
            "release.privacy_audit",
            False,
            "no empirical privacy audit; train with canaries and run `govern audit privacy RUN`",
            {},
        )
    failing = [a.id for a in audits if not a.consistent]
    message = (
        f"privacy audit {worst.id}: empirical ε lower bound {worst.epsilon_lower_bound:.3f} "
        + ("is consistent with" if worst.consistent else "EXCEEDS")
        + f" the accountant's ε {worst.accountant_epsilon}"
    )
    if len(audits) > 1:
        message += f" (the worst of {len(audits)} audits" + (
            f"; {len(failing)} failing: {', '.join(failing)})" if failing else ")"
        )
    return ReleaseRule(
        "release.privacy_audit",
        bool(worst.consistent),
        message,
        {
            "audit": worst.id,
            "epsilon_lower_bound": worst.epsilon_lower_bound,
            "accountant_epsilon": worst.accountant_epsilon,
            "audits": [a.id for a in audits],
            "failing_audits": failing,
        },
    )


def check_release(
    workspace: Workspace, session: Session, run: TrainingRun, now: datetime | None = None
) -> list[ReleaseRule]:
    """Every release rule of the active pack, evaluated on a run."""
    now = now or clock_now()
    from govern.policy.activation import active_pack_in
    from govern.training.spending import completed_payload

    pack = active_pack_in(workspace, session)
    config = dict(pack.release or {})
    rules: list[ReleaseRule] = []
    completed = completed_payload(session, run.id)
    rules.append(
        ReleaseRule(
            "run.completed",
            completed is not None,
            "the run completed"
            if completed
            else "the run has not completed; finish or resume it first",
            {},
        )
    )

    needed = int(config.get("min_reviews", 0))
    if needed:
        role = str(config.get("reviewer_role", "reviewer"))
        min_rating = config.get("min_rating")
        reviews, problems = verified_reviews(session, run.id)
        from govern.ledger.authority import Authority

        trainer = Authority.of(session).identity(run.created_by)
        trainer_person = trainer.person if trainer else None

        def by_trainer_person(review: Any, identity: Any) -> bool:
            return bool(
                review.reviewer_key_id == run.created_by or identity.person == trainer_person
            )

        counted = {
            review.reviewer_key_id
            for review, identity in reviews
            if identity.role in (role, "officer")
            and not by_trainer_person(review, identity)
            and (min_rating is None or review.rating >= int(min_rating))
        }
        by_trainer = sorted({r.reviewer_key_id for r, i in reviews if by_trainer_person(r, i)})
        ok = len(counted) >= needed
        message = f"{len(counted)} of {needed} distinct reviews" + (
            ""
            if ok
            else f"; {needed - len(counted)} more needed from keys holding {role!r} or officer, not the trainer (govern review)"
        )
        rules.append(
            ReleaseRule(
                "release.reviews",
                ok,
                message,
                {
                    "required": needed,
                    "counted_reviewers": sorted(counted),
                    "reviews_by_trainer_ignored": by_trainer,
                    "invalid_reviews": problems,
                    "min_rating": min_rating,
                },
            )
        )

    if config.get("require_evaluation") or config.get("require_eval_report"):
        trained_on = set(json.loads(run.snapshot_ids))
        evaluation = _newest_vouched(
            session,
            select(Evaluation)
            .where(Evaluation.run_id == run.id)
            .order_by(col(Evaluation.ledger_seq).desc()),
            ("run.evaluated",),
            lambda row: row.snapshot_id not in trained_on,
        )
        rules.append(
            ReleaseRule(
                "release.evaluation",
                evaluation is not None,
                f"evaluated on held-out snapshot {evaluation.snapshot_id[:12]}"
                if evaluation
                else "no evaluation on held-out data; run `govern eval RUN --snapshot HELD_OUT`",
                {"evaluation": evaluation.id if evaluation else None},
            )
        )

    if config.get("require_privacy_audit"):
        rules.append(_privacy_audit_rule(session, run))

    from govern.evaluation.release_quality import quality_rules

    rules += quality_rules(session, run, config)
    from govern.evaluation.staleness import retrain_rules

    rules += retrain_rules(workspace, session, run, config, now)

    dp = pack.family("dp")
    limit = dp.config.get("max_epsilon_per_run") if dp else None
    if limit is not None:
        epsilon = _run_epsilon(session, run)
        ok = run.dp_enabled and epsilon is not None and epsilon <= float(limit)
        rules.append(
            ReleaseRule(
                "release.epsilon",
                ok,
                f"ε {epsilon} within the pack's {limit}"
                if ok
                else f"ε {epsilon if run.dp_enabled else '(not private)'} is not within the pack's {limit}",
                {"epsilon": epsilon, "max_epsilon_per_run": limit},
            )
        )

    if config.get("require_compliance_report"):
        rendered = [e for e, _ in verified_entries(session, "report.rendered", run.id)]
        rules.append(
            ReleaseRule(
                "release.compliance_report",
                bool(rendered),
                "a run report was rendered and ledgered"
                if rendered
                else f"no compliance report for this run; run `govern report run {run.id}`",
                {"reports": [e.seq for e in rendered]},
            )
        )

    from govern.consent.remediation import release_rule

    rules.append(ReleaseRule("release.remediation", *release_rule(session, run.id)))

    max_days = config.get("max_days_since_approval")
    if max_days:
        snapshots = json.loads(run.snapshot_ids)
        stale = []
        for snapshot_id in snapshots:
            latest = _newest_vouched(
                session,
                select(Approval)
                .where(Approval.snapshot_id == snapshot_id, Approval.verdict == "approved")
                .order_by(col(Approval.ledger_seq).desc()),
                ("snapshot.approved",),
            )
            if latest is None or now - parse_time(latest.signed_at) > timedelta(days=int(max_days)):
                stale.append(snapshot_id)
        rules.append(
            ReleaseRule(
                "release.approval_age",
                not stale,
                f"every snapshot approved within {max_days} days"
                if not stale
                else f"{len(stale)} snapshot(s) lack an approval within {max_days} days; re-approve them",
                {"stale_snapshots": stale},
            )
        )
    return rules


def release_run(
    workspace: Workspace, actor: Signer, run_id: str
) -> tuple[Release, list[ReleaseRule]]:
    """Mark a run's adapter released when every release rule holds; otherwise refuse listing each unmet rule."""
    with workspace.catalog.transaction() as session:
        require(session, actor, "run.release")
        run = get_run(session, run_id)
        rules = check_release(workspace, session, run)
        failed = [r for r in rules if not r.passed]
        if failed:
            raise Refused(
                f"run {run.id} cannot be released", [f"{r.rule}: {r.message}" for r in failed]
            )
        row = Release(
            id=new_id(),
            run_id=run.id,
            released_by=actor.key_id,
            released_at=utc_now(),
            rules=canonical_json([r.to_dict() for r in rules]),
            signature="",
            ledger_seq=0,
        )
        row.signature = actor.sign(
            canonical_bytes(
                {
                    "run_id": row.run_id,
                    "released_at": row.released_at,
                    "rules": json.loads(row.rules),
                }
            )
        )
        ledger.record(session, actor, "run.released", row, [run.id])
    return row, rules
