"""`govern report dataset|run|audit` through the CLI: default output folder, JSON, errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from govern.cli import cli


def _cli(pipeline, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        cli, [*args, "--workspace", str(pipeline.workspace.root)], catch_exceptions=False
    )


def test_reports_land_in_the_workspace_audit_reports_folder_by_default(pipeline_copy) -> None:  # type: ignore[no-untyped-def]
    key = str(pipeline_copy.workspace.root / "audrey.key")
    result = _cli(
        pipeline_copy,
        "report",
        "dataset",
        pipeline_copy.trained_snapshot[:10],
        "--key",
        key,
        "--json",
    )
    assert result.exit_code == 0, result.output
    written = json.loads(result.output)
    path = pipeline_copy.workspace.root / "audit_reports" / written["path"].rsplit("/", 1)[-1]
    assert (
        path.is_file()
        and path.name.startswith(f"dataset-{pipeline_copy.trained_snapshot[:12]}")
        and path.suffix == ".html"
    )
    md = _cli(
        pipeline_copy,
        "report",
        "audit",
        "--since",
        "2020-01-01",
        "--until",
        "2099-12-31",
        "--format",
        "md",
        "--key",
        key,
    )
    assert md.exit_code == 0 and "audit-2020-01-01-2100-01-01" in md.output
    assert _cli(pipeline_copy, "report", "verify", str(path)).exit_code == 0


def test_report_errors_name_the_fix(pipeline_copy) -> None:  # type: ignore[no-untyped-def]
    key = str(pipeline_copy.workspace.root / "audrey.key")
    missing = _cli(pipeline_copy, "report", "run", "run-nope", "--key", key)
    assert missing.exit_code == 2 and "govern runs list" in missing.output
    bad_date = _cli(pipeline_copy, "report", "audit", "--since", "last tuesday", "--key", key)
    assert bad_date.exit_code == 2 and "not an ISO date" in bad_date.output
    no_key = _cli(pipeline_copy, "report", "audit")
    assert no_key.exit_code == 2 and "--key" in no_key.output
