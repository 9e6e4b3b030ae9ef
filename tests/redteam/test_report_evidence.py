"""Red team: the run report (model card) must not show catalog rows written around govern as
evidence. A planted evaluation, privacy audit or release row is left out of the card's evidence
and named as unverified (DESIGN invariant 9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govern.reports.run import build_run_report
from tests.conftest import _new_key
from tests.redteam.conftest import insert_row

pytestmark = pytest.mark.slow

PLANTED = "f" * 32


def _planted(run_id: str, created_by: str) -> dict[str, Any]:
    return {
        "id": PLANTED,
        "run_id": run_id,
        "created_at": "2026-12-03T00:00:00Z",
        "created_by": created_by,
        "ledger_seq": 1,
    }


def test_a_planted_evaluation_row_is_not_evidence_in_the_run_report(
    trained: Any, tmp_path: Path
) -> None:
    from govern.reports import make_report

    workspace, engineer, _officer, run_id, snapshot = trained
    insert_row(
        workspace,
        "evaluations",
        {
            **_planted(run_id, engineer.key_id),
            "snapshot_id": snapshot.id,
            "examples": 50,
            "base_loss": 3.0,
            "base_perplexity": 20.0,
            "adapter_loss": 0.123456,
            "adapter_perplexity": 1.13,
        },
    )
    release = build_run_report(workspace, run_id)["release"]
    assert PLANTED not in [e["id"] for e in release["evaluations"]], (
        "a planted evaluation row is listed as evidence in the run report"
    )
    assert any(PLANTED in problem for problem in release["unverified"])
    auditor = _new_key(workspace, "auditor", "aldo")
    card = make_report(workspace, auditor, "run", run_id, "md", tmp_path / "card.md").path
    text = card.read_text()
    assert "0.1235" not in text, "the planted evaluation's adapter loss is shown in the card"
    assert f"evaluations row {PLANTED}" in text and "not counted" in text


def test_planted_audit_and_release_rows_are_not_evidence_in_the_run_report(
    trained: Any,
) -> None:
    workspace, engineer, officer, run_id, _snapshot = trained
    insert_row(
        workspace,
        "privacy_audits",
        {
            **_planted(run_id, engineer.key_id),
            "canaries": 100,
            "included": 50,
            "exposure_mean": 0.1,
            "exposure_max": 0.5,
            "auc": 0.5,
            "epsilon_lower_bound": 0.0,
            "confidence": 0.95,
            "accountant_epsilon": 3.0,
            "consistent": 1,
            "result": "{}",
        },
    )
    insert_row(
        workspace,
        "releases",
        {
            "id": "e" * 32,
            "run_id": run_id,
            "released_by": officer.key_id,
            "released_at": "2026-12-03T00:00:00Z",
            "rules": "[]",
            "signature": "00" * 64,
            "ledger_seq": 1,
        },
    )
    release = build_run_report(workspace, run_id)["release"]
    assert release["privacy_audit"] is None, "a planted privacy audit is shown as the run's audit"
    assert release["released"] == [], "a planted release row shows the run as released"
    assert any(PLANTED in p for p in release["unverified"])
    assert any("e" * 32 in p for p in release["unverified"])


def test_a_planted_release_row_does_not_list_a_stale_adapter_in_the_audit_report(
    trained: Any,
) -> None:
    """The audit report's stale adapters are released runs past the retrain rules; a release row
    written around govern released nothing."""
    import time

    from govern.reports import build_audit_report
    from tests.conftest import activate
    from tests.pipeline import PACK

    workspace, _engineer, officer, run_id, _snapshot = trained
    retrain = (
        PACK.replace("NAME", "retrain").replace("BUDGET", "100").replace("PER_RUN", "3.5")
        + "release:\n  max_adapter_age_days: 0.00001\n"
    )
    activate(workspace, officer, "retrain", retrain)
    insert_row(
        workspace,
        "releases",
        {
            "id": "d" * 32,
            "run_id": run_id,
            "released_by": officer.key_id,
            "released_at": "2026-12-03T00:00:00Z",
            "rules": "[]",
            "signature": "00" * 64,
            "ledger_seq": 1,
        },
    )
    time.sleep(1.0)  # past 0.00001 days
    stale = build_audit_report(workspace)["stale_adapters"]
    assert stale["set"] and stale["adapters"] == [], (
        "a planted release row lists the run as a released, stale adapter"
    )


def test_a_planted_review_is_not_evidence_and_is_named_in_the_run_card(
    trained: Any, tmp_path: Path
) -> None:
    from govern.reports import make_report

    workspace, _engineer, officer, run_id, _snapshot = trained
    insert_row(
        workspace,
        "reviews",
        {
            "id": "c" * 32,
            "run_id": run_id,
            "rating": 5,
            "criteria": "{}",
            "notes": "flawless, ship it",
            "reviewer_key_id": officer.key_id,
            "signed_at": "2026-12-03T00:00:00Z",
            "signature": "00" * 64,
            "ledger_seq": 1,
        },
    )
    release = build_run_report(workspace, run_id)["release"]
    assert release["reviews"] == []
    assert any("c" * 12 in problem for problem in release["unverified"])
    auditor = _new_key(workspace, "auditor", "aldo")
    card = make_report(workspace, auditor, "run", run_id, "md", tmp_path / "card.md").path
    text = card.read_text()
    assert "flawless, ship it" not in text
    assert f"review {'c' * 12}" in text and "not counted" in text, "the planted review is not named"
