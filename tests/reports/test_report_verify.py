"""`govern report verify`: an untouched report stands, an edited one fails with exit 3, and a
later consent revocation touching its data is named as a contradiction."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import text

from govern.cli import cli
from govern.reports import make_report, verify_report
from tests.reports.conftest import Pipeline, records


def _cli(pipeline: Pipeline, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        cli, [*args, "--workspace", str(pipeline.workspace.root)], catch_exceptions=False
    )


def test_an_untouched_report_stands(pipeline_copy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    written = make_report(
        pipeline_copy.workspace,
        pipeline_copy.auditor,
        "run",
        pipeline_copy.run_id,
        "md",
        tmp_path / "card.md",
    )
    result = _cli(pipeline_copy, "report", "verify", str(written.path), "--json")
    assert result.exit_code == 0, result.output
    check = json.loads(result.output)
    assert (
        check["stands"]
        and check["ledger_seq"] == written.ledger_seq
        and check["head_seq"] == written.ledger_head["seq"]
    )


def test_an_edited_report_fails_with_exit_3_naming_its_entry(pipeline_copy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    written = make_report(
        pipeline_copy.workspace,
        pipeline_copy.auditor,
        "run",
        pipeline_copy.run_id,
        "html",
        tmp_path / "card.html",
    )
    original = written.path.read_text()
    written.path.write_text(
        original.replace("-differentially private", "-differentially private (ε halved)", 1)
    )
    result = _cli(pipeline_copy, "report", "verify", str(written.path))
    assert result.exit_code == 3
    assert (
        "the file was altered" in result.output
        and f"ledger entry {written.ledger_seq}" in result.output
    )
    marker_gone = tmp_path / "stripped.html"
    marker_gone.write_text(original.replace("govern-report id=", "x"))
    assert _cli(pipeline_copy, "report", "verify", str(marker_gone)).exit_code == 3


def test_a_report_whose_head_was_rewritten_fails_with_exit_3(pipeline_copy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    written = make_report(
        pipeline_copy.workspace,
        pipeline_copy.auditor,
        "audit",
        None,
        "json",
        tmp_path / "audit.json",
    )
    head = written.ledger_head["seq"]
    with pipeline_copy.workspace.catalog.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER IF EXISTS ledger_entries_no_update"))
        triggers = [
            r[0]
            for r in connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='ledger_entries'"
                )
            )
        ]
        for name in triggers:
            connection.execute(text(f"DROP TRIGGER {name}"))
        connection.execute(
            text("UPDATE ledger_entries SET entry_hash = :h WHERE seq = :s"),
            {"h": "f" * 64, "s": head},
        )
    check = verify_report(pipeline_copy.workspace, written.path)
    assert not check.intact
    assert any("history was rewritten" in p for p in check.problems)


def test_a_later_consent_revocation_contradicts_run_and_dataset_reports(
    pipeline_copy, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from govern.consent.registry import revoke

    workspace, auditor = pipeline_copy.workspace, pipeline_copy.auditor
    card = make_report(
        workspace, auditor, "run", pipeline_copy.run_id, "json", tmp_path / "card.json"
    )
    sheet = make_report(
        workspace, auditor, "dataset", pipeline_copy.trained_snapshot, "md", tmp_path / "sheet.md"
    )
    audit = make_report(workspace, auditor, "audit", None, "md", tmp_path / "audit.md")
    subject = records()[0]["subject_id"]
    revoke(workspace, pipeline_copy.officer, subject)
    for written in (card, sheet):
        result = _cli(pipeline_copy, "report", "verify", str(written.path))
        assert result.exit_code == 1, result.output
        assert "consent for 'model_training' revoked" in result.output
        assert subject not in result.output
        check = verify_report(workspace, written.path)
        assert check.intact and not check.stands and len(check.contradictions) == 1
    assert verify_report(workspace, audit.path).stands  # revoked after the period it covers


def test_a_report_never_rendered_here_is_not_verified(pipeline_copy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stranger = tmp_path / "stranger.md"
    stranger.write_text("# Training run report\n")
    check = verify_report(pipeline_copy.workspace, stranger)
    assert not check.intact and "never rendered" in check.problems[0]


def test_rendering_needs_a_registered_key_and_never_overwrites(pipeline_copy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from govern.errors import BadInput, Refused
    from govern.ledger.keys import generate_identity

    with pytest.raises(Refused, match="not registered"):
        make_report(
            pipeline_copy.workspace, generate_identity(), "audit", None, "md", tmp_path / "a.md"
        )
    assert not (tmp_path / "a.md").exists()
    existing = tmp_path / "b.md"
    existing.write_text("keep me")
    with pytest.raises(BadInput, match="never overwritten"):
        make_report(pipeline_copy.workspace, pipeline_copy.auditor, "audit", None, "md", existing)
    assert existing.read_text() == "keep me"
