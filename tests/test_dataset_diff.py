"""`govern dataset diff`: record counts, field drift, PII findings and subjects between snapshots."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from govern.ingest.diff import diff_snapshots


def _write(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _records(n: int, start: int = 0, text: str = "my parcel is late again") -> list[dict[str, str]]:
    return [
        {"id": f"r{i}", "subject_id": f"s{i % 4}", "text": f"{text} order {i}"}
        for i in range(start, start + n)
    ]


def test_diff_counts_records_drift_pii_and_subjects(fresh_workspace, engineer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from govern.cli import cli
    from govern.ingest.datasets import DatasetSpec, add_dataset, add_version
    from govern.pii.scans import scan_snapshot

    workspace = fresh_workspace
    spec = DatasetSpec(
        name="tickets",
        source="example",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject_id",
        text_fields=("text",),
        id_field="id",
    )
    old = add_dataset(
        workspace, engineer, spec, _write(tmp_path / "v1.jsonl", _records(8))
    ).snapshot
    second = _records(6) + _records(3, start=20, text="please call me on my new number")
    second[0]["text"] = "Write to anna.berg@example.com about order 0, she is waiting for it"
    second[1]["subject_id"] = "s99"
    new = add_version(
        workspace, engineer, "tickets", _write(tmp_path / "v2.jsonl", second)
    ).snapshot
    scan_snapshot(workspace, engineer, old.id, processes=1)
    scan_snapshot(workspace, engineer, new.id, processes=1)

    data = diff_snapshots(workspace, old.id[:10], new.id[:10])
    assert data["records"] == {
        "old": 8,
        "new": 9,
        "added": 3,
        "removed": 2,
        "changed": 2,
        "unchanged": 4,
    }
    text = data["fields"]["text"]
    assert text["length"]["new_mean"] > text["length"]["old_mean"]
    assert 0.0 <= text["length"]["ks_p_value"] <= 1.0
    assert 0.0 < text["vocabulary_js_divergence"] < 1.0 and text["new_words_share"] > 0
    assert data["pii"]["old"] == {} and data["pii"]["new"].get("EMAIL_ADDRESS") == 1
    assert data["subjects"]["old"] == 4 and data["subjects"]["added"] == 1
    assert data["subjects"]["old_with_active_consent"] == 0  # nobody consented yet

    same = diff_snapshots(workspace, old.id, old.id)
    assert (
        same["records"]["unchanged"] == 8
        and same["fields"]["text"]["vocabulary_js_divergence"] == 0.0
    )

    shown = CliRunner().invoke(
        cli, ["dataset", "diff", old.id[:10], new.id[:10], "--workspace", str(workspace.root)]
    )
    assert shown.exit_code == 0, shown.output
    assert "+3 added, -2 removed, 2 changed" in shown.output and "EMAIL_ADDRESS 1" in shown.output
    assert "anna.berg" not in shown.output and "parcel" not in shown.output
    missing = CliRunner().invoke(
        cli, ["dataset", "diff", "ffffffff", new.id, "--workspace", str(workspace.root)]
    )
    assert missing.exit_code != 0 and "ffffffff" in missing.output
