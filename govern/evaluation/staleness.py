"""When an adapter is due for retraining: too old, or its data drifted from the newest approved.

Pack keys (in `release:`): `max_adapter_age_days: N` (days since the run's verified completion)
and `max_drift: D` (0..1). Drift compares each snapshot the run trained on with the newest
approved snapshot of its dataset, using `govern dataset diff`'s figures: the largest vocabulary
Jensen-Shannon divergence over the text fields and the share of records added, removed or
changed, whichever is larger. A run whose data is still the newest approved has drift 0.

At release the rules refuse a stale adapter; the audit report lists released adapters that have
gone stale since (`stale_adapters`), with their age and drift.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from govern.catalog.models import Approval, Release, Snapshot, TrainingRun
from govern.clock import parse_time


def drift_figure(diff: Mapping[str, Any]) -> float:
    """One number from a `diff_snapshots` result: max(vocabulary JS divergence, record churn)."""
    divergences = [
        float(field["vocabulary_js_divergence"])
        for field in diff["fields"].values()
        if field["vocabulary_js_divergence"] is not None
    ]
    records = diff["records"]
    churn = float(records["added"] + records["removed"] + records["changed"]) / max(
        1, records["old"] + records["added"]
    )
    return float(max([churn, *divergences]))


def _newest_approved(session: Session, dataset_id: str) -> str | None:
    """The dataset's newest snapshot whose latest approval verdict is `approved`."""
    snapshots = session.exec(
        select(Snapshot.id)
        .where(Snapshot.dataset_id == dataset_id)
        .order_by(col(Snapshot.ledger_seq).desc())
    ).all()
    for snapshot_id in snapshots:
        latest = session.exec(
            select(Approval.verdict)
            .where(Approval.snapshot_id == snapshot_id)
            .order_by(col(Approval.ledger_seq).desc())
        ).first()
        if latest == "approved":
            return snapshot_id
    return None


def adapter_age_days(session: Session, run: TrainingRun, now: datetime) -> float | None:
    """Days since the run's verified `run.completed` entry; None while it has not completed."""
    from govern.training.spending import run_entries

    found = run_entries(session, run.id, ("run.completed",))
    if not found:
        return None
    return (now - parse_time(found[-1][0].recorded_at)).total_seconds() / 86400.0


def data_drift(workspace: Any, session: Session, run: TrainingRun) -> dict[str, Any]:
    """Per trained snapshot, the newest approved snapshot of its dataset and the drift to it."""
    from govern.ingest.diff import diff_snapshots

    per_snapshot = []
    for snapshot_id in json.loads(run.snapshot_ids):
        snapshot = session.get(Snapshot, snapshot_id)
        newest = _newest_approved(session, snapshot.dataset_id) if snapshot else None
        if snapshot is None or newest is None or newest == snapshot_id:
            per_snapshot.append({"snapshot_id": snapshot_id, "newest": newest, "drift": 0.0})
            continue
        diff = diff_snapshots(workspace, snapshot_id, newest)
        per_snapshot.append(
            {
                "snapshot_id": snapshot_id,
                "newest": newest,
                "drift": drift_figure(diff),
                "records": diff["records"],
            }
        )
    return {
        "drift": max((s["drift"] for s in per_snapshot), default=0.0),
        "snapshots": per_snapshot,
    }


def staleness(
    workspace: Any, session: Session, run: TrainingRun, config: Mapping[str, Any], now: datetime
) -> dict[str, Any] | None:
    """Age and drift of a run's adapter against the pack's limits; None when the pack sets neither."""
    max_age, max_drift = config.get("max_adapter_age_days"), config.get("max_drift")
    if max_age is None and max_drift is None:
        return None
    age = adapter_age_days(session, run, now)
    drift = data_drift(workspace, session, run) if max_drift is not None else None
    reasons = []
    if max_age is not None and age is not None and age > float(max_age):
        reasons.append(f"adapter is {age:.1f} days old (at most {max_age})")
    if drift is not None and drift["drift"] > float(max_drift):  # type: ignore[arg-type]
        reasons.append(
            f"data drifted {drift['drift']:.3f} from the newest approved snapshot "
            f"(at most {max_drift})"
        )
    return {
        "run_id": run.id,
        "age_days": age,
        "max_adapter_age_days": max_age,
        "drift": drift["drift"] if drift else None,
        "drift_detail": drift["snapshots"] if drift else None,
        "max_drift": max_drift,
        "stale": bool(reasons),
        "reasons": reasons,
    }


def retrain_rules(
    workspace: Any, session: Session, run: TrainingRun, config: Mapping[str, Any], now: datetime
) -> list[Any]:
    """`release.adapter_age` and `release.data_drift`, when the pack sets them."""
    from govern.evaluation.release import ReleaseRule

    found = staleness(workspace, session, run, config, now)
    if found is None:
        return []
    rules = []
    if found["max_adapter_age_days"] is not None:
        age, limit = found["age_days"], found["max_adapter_age_days"]
        rules.append(
            ReleaseRule(
                "release.adapter_age",
                age is not None and age <= float(limit),
                "the run has not completed"
                if age is None
                else f"adapter is {age:.1f} days old (at most {limit}); "
                + ("retrain it" if age > float(limit) else "within the limit"),
                {"age_days": age, "max_adapter_age_days": limit},
            )
        )
    if found["max_drift"] is not None:
        drift, limit = found["drift"], found["max_drift"]
        rules.append(
            ReleaseRule(
                "release.data_drift",
                drift <= float(limit),
                f"data drift {drift:.3f} from the newest approved snapshot (at most {limit})"
                + ("; retrain on the newest snapshot" if drift > float(limit) else ""),
                {"drift": drift, "max_drift": limit, "snapshots": found["drift_detail"]},
            )
        )
    return rules


def stale_adapters(
    workspace: Any, session: Session, config: Mapping[str, Any], now: datetime
) -> list[dict[str, Any]]:
    """Released (and not withdrawn) runs past the pack's age or drift limit, oldest release first.
    A release counts only when a verified `run.released` entry recorded its row as it is."""
    from govern.consent.remediation import withdrawn
    from govern.ledger.authority import row_problem

    released = session.exec(select(Release).order_by(col(Release.ledger_seq))).all()
    found, seen = [], set()
    for release in released:
        if release.run_id in seen or withdrawn(session, release.run_id) is not None:
            continue
        if row_problem(session, release, ("run.released",)) is not None:
            continue
        seen.add(release.run_id)
        run = session.get(TrainingRun, release.run_id)
        state = staleness(workspace, session, run, config, now) if run else None
        if state is not None and state["stale"]:
            found.append({**state, "released_at": release.released_at})
    return found


def stale_adapters_facts(workspace: Any, session: Session) -> dict[str, Any]:
    """For the audit report: the active pack's limits and the released adapters past them."""
    from govern.clock import now as clock_now
    from govern.reports.dataset import _active_pack

    pack, _ = _active_pack(workspace)
    config = dict(pack.release or {}) if pack is not None else {}
    limits = {k: config.get(k) for k in ("max_adapter_age_days", "max_drift")}
    if all(v is None for v in limits.values()):
        return {**limits, "set": False, "adapters": []}
    return {
        **limits,
        "set": True,
        "adapters": stale_adapters(workspace, session, config, clock_now()),
    }
