"""The one wording of a policy decision's status, shared by `policy check`, the reports, the
lineage and the console.

A decision is read in two steps: did the snapshot's own data rules pass, and do approvals cover
it. Training-phase rules wait for a training plan and are the gate's to check, so they do not
move the status until a plan has been checked against them.

    status_label(decision.results)   # "data rules passed · pending approval"
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DATA_FAILED = "data rules failed"
DATA_PASSED = "data rules passed"
APPROVED = "approved"
PENDING_APPROVAL = "pending approval"
APPROVAL_REFUSED = "approval rules failed"
REJECTED = "rejected"
TRAINING_FAILED = "training rules failed"
SEPARATOR = " · "

# A short, stable class for styling the label (CSS, badges): one of these four.
STATE_CLASSES = ("failed", "pending", "approved", "rejected")


def _status_and_phase(result: Any) -> tuple[str, str]:
    if isinstance(result, Mapping):
        return str(result.get("status")), str(result.get("phase"))
    return str(result.status), str(result.phase)


def status_parts(results: Iterable[Any], rejected: bool = False) -> list[str]:
    """The label's parts from rule results (RuleResult objects or their dicts)."""
    by_phase: dict[str, set[str]] = {}
    for result in results:
        status, phase = _status_and_phase(result)
        by_phase.setdefault(phase, set()).add(status)
    if "fail" in by_phase.get("data", set()):
        return [DATA_FAILED]
    parts = [DATA_PASSED]
    approval = by_phase.get("approval", set())
    if rejected:
        parts.append(REJECTED)
    elif "fail" in approval:
        parts.append(APPROVAL_REFUSED)
    elif "pending" in approval:
        parts.append(PENDING_APPROVAL)
    else:
        parts.append(APPROVED)
    if "fail" in by_phase.get("training", set()):
        parts.append(TRAINING_FAILED)
    return parts


def status_label(results: Iterable[Any], rejected: bool = False) -> str:
    """E.g. "data rules passed · approved", "data rules failed", "data rules passed · pending approval".

    `rejected`: a verified rejection stands against the snapshot (it voids earlier approvals)."""
    return SEPARATOR.join(status_parts(results, rejected))


def state_class(label: str) -> str:
    """failed, rejected, pending or approved: for the colour of a label."""
    if label.startswith(DATA_FAILED) or APPROVAL_REFUSED in label or TRAINING_FAILED in label:
        return "failed"
    if REJECTED in label.split(SEPARATOR):
        return "rejected"
    return "pending" if PENDING_APPROVAL in label else "approved"


@dataclass(frozen=True)
class SnapshotStatus:
    """A snapshot's decision as re-evaluated now (today's facts and verified approvals), labelled."""

    label: str
    state: str
    check: Any  # govern.policy.approvals.ApprovalCheck


def rejected_now(session: Any, snapshot_id: str) -> bool:
    """The newest verdict on the snapshot whose signature verifies is a rejection."""
    from govern.policy.approvals import approval_problems, list_approvals

    verified = [
        row for row in list_approvals(session, snapshot_id) if not approval_problems(session, row)
    ]
    return bool(verified) and max(verified, key=lambda row: row.ledger_seq).verdict == "rejected"


def snapshot_status(workspace: Any, session: Any, snapshot: Any, pack: Any) -> SnapshotStatus:
    """The one status of a snapshot under `pack`: what the datasheet, `policy check` and the
    console all show. Approvals count as the training gate counts them."""
    from govern.policy.approvals import is_approved_for_training

    check = is_approved_for_training(workspace, session, snapshot, pack=pack)
    results = check.decision.results if check.decision is not None else ()
    label = status_label(results, rejected=rejected_now(session, snapshot.id))
    return SnapshotStatus(label, state_class(label), check)
