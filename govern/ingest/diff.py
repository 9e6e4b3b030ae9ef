"""`govern dataset diff OLD NEW`: what changed between two snapshots, as statistics only.

Records are matched by their record key: added, removed, changed (same key, other content) and
unchanged. Each text field's length distribution is compared with a two-sample Kolmogorov-Smirnov
test, its word distribution with the Jensen-Shannon divergence (base 2, 0 = same, 1 = disjoint).
PII findings per type come from each snapshot's newest verified scan, subjects from the record
index (keyed hashes, counted, never shown). No record text leaves this module.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from govern.catalog.models import Dataset, Snapshot, SnapshotRecord

_WORD = re.compile(r"\w+", re.UNICODE)


def _index(session: Session, snapshot_id: str) -> dict[str, tuple[str, str]]:
    rows = session.exec(
        select(SnapshotRecord.record_key, SnapshotRecord.record_hash, SnapshotRecord.subject_hash)
        .where(SnapshotRecord.snapshot_id == snapshot_id)
        .order_by(col(SnapshotRecord.position))
    )
    return {key: (record_hash, subject) for key, record_hash, subject in rows}


def _field_profile(records: Iterable[Any], fields: list[str]) -> dict[str, dict[str, Any]]:
    lengths: dict[str, list[int]] = {f: [] for f in fields}
    words: dict[str, Counter[str]] = {f: Counter() for f in fields}
    for _, record in records:
        for name in fields:
            value = record.get(name)
            if isinstance(value, str):
                lengths[name].append(len(value))
                words[name].update(w.lower() for w in _WORD.findall(value))
    return {f: {"lengths": lengths[f], "words": words[f]} for f in fields}


def _js_divergence(a: Counter[str], b: Counter[str]) -> float | None:
    from scipy.spatial.distance import jensenshannon

    vocabulary = sorted(set(a) | set(b))
    if not vocabulary or not a or not b:
        return None
    distance = jensenshannon([a[w] for w in vocabulary], [b[w] for w in vocabulary], base=2)
    return float(distance) ** 2


def _length_drift(old: list[int], new: list[int]) -> dict[str, Any]:
    from scipy.stats import ks_2samp

    summary: dict[str, Any] = {
        "old_mean": statistics.fmean(old) if old else None,
        "new_mean": statistics.fmean(new) if new else None,
        "old_median": statistics.median(old) if old else None,
        "new_median": statistics.median(new) if new else None,
    }
    if old and new:
        test = ks_2samp(old, new)
        summary.update(ks_statistic=float(test.statistic), ks_p_value=float(test.pvalue))
    return summary


def _pii(session: Session, snapshot_id: str) -> dict[str, int] | None:
    from govern.policy.decisions import latest_scan

    scan = latest_scan(session, snapshot_id)
    if scan is None:
        return None
    counts: Counter[str] = Counter()
    for row in json.loads(scan.summary):
        counts[row["entity_type"]] += int(row["count"])
    return dict(sorted(counts.items()))


def diff_snapshots(
    workspace: Any, old_ref: str, new_ref: str, purpose: str = "model_training"
) -> dict[str, Any]:
    """Records, field drift, PII and subjects of NEW against OLD."""
    from govern.clock import now
    from govern.consent.registry import active_subjects
    from govern.ingest.snapshots import iter_snapshot_records, resolve_snapshot

    at = now()

    with workspace.catalog.reading() as session:
        old, new = resolve_snapshot(session, old_ref), resolve_snapshot(session, new_ref)
        old_index, new_index = _index(session, old.id), _index(session, new.id)
        fields = sorted(
            set(json.loads(_dataset(session, old).text_fields))
            | set(json.loads(_dataset(session, new).text_fields))
        )
        pii_old, pii_new = _pii(session, old.id), _pii(session, new.id)
        consent = {
            "purpose": purpose,
            "old_with_active_consent": len(active_subjects(session, old.id, purpose, at)),
            "new_with_active_consent": len(active_subjects(session, new.id, purpose, at)),
        }
    shared = old_index.keys() & new_index.keys()
    changed = sum(old_index[k][0] != new_index[k][0] for k in shared)
    old_profile = _field_profile(iter_snapshot_records(workspace, old.id), fields)
    new_profile = _field_profile(iter_snapshot_records(workspace, new.id), fields)
    drift = {
        name: {
            "length": _length_drift(old_profile[name]["lengths"], new_profile[name]["lengths"]),
            "vocabulary_js_divergence": _js_divergence(
                old_profile[name]["words"], new_profile[name]["words"]
            ),
            "new_words_share": _new_share(old_profile[name]["words"], new_profile[name]["words"]),
        }
        for name in fields
    }
    old_subjects = {s for _, s in old_index.values()}
    new_subjects = {s for _, s in new_index.values()}
    return {
        "old": old.id,
        "new": new.id,
        "records": {
            "old": len(old_index),
            "new": len(new_index),
            "added": len(new_index.keys() - old_index.keys()),
            "removed": len(old_index.keys() - new_index.keys()),
            "changed": changed,
            "unchanged": len(shared) - changed,
        },
        "fields": drift,
        "pii": {"old": pii_old, "new": pii_new},
        "subjects": {
            "old": len(old_subjects),
            "new": len(new_subjects),
            "added": len(new_subjects - old_subjects),
            "removed": len(old_subjects - new_subjects),
            **consent,
        },
    }


def _new_share(old: Counter[str], new: Counter[str]) -> float | None:
    """Share of NEW's word occurrences that OLD never used."""
    total = sum(new.values())
    return sum(n for w, n in new.items() if w not in old) / total if total else None


def _dataset(session: Session, snapshot: Snapshot) -> Dataset:
    return session.get_one(Dataset, snapshot.dataset_id)


def diff_text(data: dict[str, Any]) -> str:
    """The diff as lines a person reads."""
    r, s = data["records"], data["subjects"]
    lines = [
        f"Snapshot {data['old'][:12]} -> {data['new'][:12]}",
        f"  records: {r['old']} -> {r['new']} (+{r['added']} added, -{r['removed']} removed, "
        f"{r['changed']} changed, {r['unchanged']} unchanged)",
        f"  subjects: {s['old']} -> {s['new']} (+{s['added']}, -{s['removed']}); with active "
        f"{s['purpose']} consent: {s['old_with_active_consent']} -> {s['new_with_active_consent']}",
    ]
    for name, drift in data["fields"].items():
        length = drift["length"]
        js = drift["vocabulary_js_divergence"]
        p_value = length.get("ks_p_value")
        lines.append(
            f"  {name}: mean length {_num(length['old_mean'])} -> {_num(length['new_mean'])}"
            + (f" (KS p = {p_value:.3g})" if p_value is not None else "")
            + (f"; vocabulary JS divergence {js:.3f}" if js is not None else "")
            + (
                f"; {100 * drift['new_words_share']:.1f}% new words"
                if drift["new_words_share"] is not None
                else ""
            )
        )
    pii_old, pii_new = data["pii"]["old"], data["pii"]["new"]
    for label, counts in (("old", pii_old), ("new", pii_new)):
        shown = (
            "not scanned"
            if counts is None
            else ", ".join(f"{k} {v}" for k, v in counts.items()) or "no findings"
        )
        lines.append(f"  PII findings ({label}): {shown}")
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
