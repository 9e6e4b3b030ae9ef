"""The audit report lists what happened, not only how often: policy decisions (the failed one
first, with its failing rules), PII scans with findings per type, gate refusals with their
reasons, and remediations (the anonymized snapshot answering the raw one's failing rule)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.errors import Refused
from govern.reports import build_report, render, shipped_templates


@pytest.fixture
def eventful(pipeline_copy):  # type: ignore[no-untyped-def]
    """The trained workspace, plus a failing decision on the raw snapshot and a gate refusal."""
    from govern.policy.decisions import check_snapshot
    from govern.training.runs import start_run

    p = pipeline_copy
    if not p.anonymized:
        pytest.skip(p.scan_skip_reason or "the scanner did not run")
    decision, _ = check_snapshot(p.workspace, p.engineer, p.raw_snapshot)
    assert decision.failed
    with pytest.raises(Refused):
        start_run(p.workspace, p.engineer, Path("train/reports.toml"), [p.raw_snapshot])
    return p


def test_the_failed_decision_comes_first_with_its_rules(eventful) -> None:  # type: ignore[no-untyped-def]
    p = eventful
    facts = build_report(p.workspace, "audit")
    decisions = facts["policy_decisions"]
    assert len(decisions) >= 2
    first = decisions[0]
    assert first["snapshot_id"] == p.raw_snapshot and first["failed"]
    assert first["status"] == "data rules failed"
    assert "pii.raw_snapshot" in {f["rule"] for f in first["failed_rules"]}
    assert all(not d["failed"] for d in decisions[1:])
    assert decisions[1]["status"] == "data rules passed · pending approval"

    scans = {s["snapshot_id"]: s for s in facts["scans"]}
    assert scans[p.raw_snapshot]["by_type"].get("EMAIL_ADDRESS", 0) >= 10
    assert scans[p.trained_snapshot]["findings"] == 0

    refusal = facts["refusals"][-1]
    assert refusal["snapshot_ids"] == [p.raw_snapshot] and refusal["reasons"]

    remedy = next(x for x in facts["remediations"] if x["kind"] == "anonymize")
    assert remedy["from_snapshot"] == p.raw_snapshot
    assert remedy["to_snapshot"] == p.trained_snapshot
    assert "pii.raw_snapshot" in remedy["answers_failing_rules"]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_rendered_audit_report_shows_the_lists(eventful, fmt) -> None:  # type: ignore[no-untyped-def]
    p = eventful
    facts = build_report(p.workspace, "audit")
    facts["report"] = {
        "id": "t",
        "format": fmt,
        "rendered_by": p.auditor.key_id,
        "rendered_at": facts["generated_at"],
        "marker": "m",
    }
    text = render(facts, fmt, shipped_templates())
    decisions = text[text.index(". Policy decisions") : text.index(". PII scans")]
    assert decisions.index("data rules failed") < decisions.index("pending approval")
    assert "raw" in decisions.replace("<wbr>", "") and p.raw_snapshot[:12] in decisions
    assert "EMAIL" in text[text.index(". PII scans") : text.index(". Remediations")]
    refusals = text[text.index(". Gate refusals") : text.index(". Consent")]
    assert p.raw_snapshot[:12] in refusals
    assert "anonymize" in text[text.index(". Remediations") : text.index(". Gate refusals")]
