"""One status vocabulary: a decision reads the same in the datasheet, `govern policy check` and
the console, and one function (govern.policy.status.status_label) writes it."""

from __future__ import annotations

from click.testing import CliRunner

from govern.cli import cli
from govern.policy.status import state_class, status_label
from govern.reports import build_report


def _rules(**by_phase: str) -> list[dict[str, str]]:
    return [{"rule": f"{phase}.x", "phase": phase, "status": s} for phase, s in by_phase.items()]


def test_the_label_reads_data_rules_first_then_approval() -> None:
    assert status_label(_rules(data="fail", approval="pending")) == "data rules failed"
    assert (
        status_label(_rules(data="pass", approval="pending", training="pending"))
        == "data rules passed · pending approval"
    )
    assert (
        status_label(_rules(data="pass", approval="pass", training="pending"))
        == "data rules passed · approved"
    )
    assert (
        status_label(_rules(data="pass", approval="pass"), rejected=True)
        == "data rules passed · rejected"
    )
    assert (
        status_label(_rules(data="not_applicable", approval="fail"))
        == "data rules passed · approval rules failed"
    )
    assert state_class("data rules failed") == "failed"
    assert state_class("data rules passed · pending approval") == "pending"
    assert state_class("data rules passed · approved") == "approved"
    assert state_class("data rules passed · rejected") == "rejected"


def test_an_approved_snapshot_reads_the_same_in_datasheet_policy_check_and_console(
    pipeline_copy,
) -> None:  # type: ignore[no-untyped-def]
    from govern.console.library import snapshot_evidence

    p = pipeline_copy
    snapshot = p.trained_snapshot
    facts = build_report(p.workspace, "dataset", snapshot)
    assert facts["readiness"]["status"] == "data rules passed · approved"
    # The decision `policy check` recorded before the approval was "pending" then, and says so.
    assert [d["status_when_checked"] for d in facts["policy"]["decisions"]] == [
        "data rules passed · pending approval"
    ]
    assert [d["status"] for d in facts["policy"]["decisions"]] == ["data rules passed · approved"]
    result = CliRunner().invoke(
        cli,
        [
            "policy",
            "check",
            snapshot[:12],
            "--key",
            str(p.workspace.root / "erin.key"),
            "--workspace",
            str(p.workspace.root),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "data rules passed · approved" in result.output.splitlines()[0]
    assert "PENDING" not in result.output and "PASS\n" not in result.output
    assert snapshot_evidence(p.workspace, snapshot)["status"] == facts["readiness"]["status"]
    again = build_report(p.workspace, "dataset", snapshot)
    newest = again["policy"]["decisions"][-1]
    assert newest["status"] == again["readiness"]["status"]
    assert newest["status_when_checked"] == "data rules passed · pending approval"


def test_a_raw_snapshot_with_personal_data_fails_its_data_rules_everywhere(
    trained_pipeline,
) -> None:  # type: ignore[no-untyped-def]
    from govern.console.library import snapshot_evidence

    p = trained_pipeline
    if not p.anonymized:
        import pytest

        pytest.skip(p.scan_skip_reason or "the scanner did not run")
    facts = build_report(p.workspace, "dataset", p.raw_snapshot)
    assert facts["readiness"]["status"] == "data rules failed"
    assert facts["readiness"]["state"] == "failed"
    assert snapshot_evidence(p.workspace, p.raw_snapshot)["status"] == "data rules failed"
