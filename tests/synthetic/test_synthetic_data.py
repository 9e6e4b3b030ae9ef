"""Synthetic data end to end: provenance, validation, review, policy, consent inheritance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from govern.cli import cli
from govern.consent.erasure import erase_subject, impact
from govern.consent.registry import revoke
from govern.errors import BadInput
from govern.ingest.datasets import add_dataset
from govern.ledger.authority import RoleRefused
from govern.ledger.verify import verify_workspace
from govern.lineage.graph import workspace_graph
from govern.policy.decisions import check_snapshot
from govern.reports import make_report
from govern.reports.dataset import build_dataset_report
from govern.synthetic.provenance import GeneratorSpec, register_synthetic
from govern.synthetic.review import export_sample, import_verdicts
from govern.synthetic.validation import validate_snapshot
from tests.conftest import _new_key, write_jsonl
from tests.synthetic.conftest import log_records, spec

pytestmark = pytest.mark.slow  # each runs a real PII scan (Presidio, spaCy) per validation


def _synthetic(workspace, engineer, seed, records, tmp_path: Path, name: str = "logs-synth"):  # type: ignore[no-untyped-def]
    config = tmp_path / f"{name}.yaml"
    config.write_text("prompt: write a maintenance log like these\ntemperature: 0.9\n")
    generated = [{**r, "subject": "generated"} for r in records]
    return register_synthetic(
        workspace,
        engineer,
        spec(name),
        GeneratorSpec("llama-synth@3.1", config, (seed.id,)),
        write_jsonl(tmp_path / f"{name}.jsonl", generated),
    ).snapshot


def _review_all(workspace, reviewer, snapshot, tmp_path: Path, verdict: str = "pass") -> Any:  # type: ignore[no-untyped-def]
    out = tmp_path / "sample.jsonl"
    count = export_sample(workspace, snapshot.id, out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == count and all("text" in line["fields"] for line in lines)
    out.write_text("".join(json.dumps({**line, "verdict": verdict}) + "\n" for line in lines))
    return import_verdicts(workspace, reviewer, snapshot.id, out)


def test_a_snapshot_copying_seed_records_fails_policy_naming_the_copied_records(
    seeded, engineer, officer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    workspace, seed, reference = seeded
    seed_records = log_records("s", 40, 1)
    copied = [
        {"id": f"c-{i}", "subject": "generated", "text": r["text"].rsplit(" ", 1)[0] + " 41"}
        for i, r in enumerate(seed_records[:12])
    ]
    records = copied + log_records("g", 28, 3)
    data = write_jsonl(tmp_path / "copying.jsonl", records)
    config = tmp_path / "gen.yaml"
    config.write_text("prompt: copy these\n")
    args = ["dataset", "add", "logs-copy", str(data), "--source", "llama", "--license", "CC-BY-4.0"]
    args += ["--legal-basis", "consent", "--subject-field", "subject", "--text-field", "text"]
    args += ["--id-field", "id", "--synthetic", "--generator", "llama-synth@3.1"]
    args += ["--generator-config", str(config), "--seed-snapshot", seed.id[:12]]
    common = ["--workspace", str(workspace.root), "--key", str(workspace.root / "erin.key")]
    added = CliRunner().invoke(cli, [*args, *common, "--json"])
    assert added.exit_code == 0, added.output
    snapshot_id = json.loads(added.output)["snapshot"]

    validated = CliRunner().invoke(
        cli, ["synth", "validate", snapshot_id, "--reference", reference.id, *common, "--json"]
    )
    assert validated.exit_code == 0, validated.output
    summary = json.loads(validated.output)
    assert summary["near_duplicate_rate"] == pytest.approx(12 / 40)
    assert summary["verbatim_copy_rate"] == pytest.approx(12 / 40)

    shown = CliRunner().invoke(cli, ["synth", "show", snapshot_id[:12], *common[:2], "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["review"] is None
    out = tmp_path / "to-review.jsonl"
    exported = CliRunner().invoke(
        cli, ["synth", "review", "export", snapshot_id, "--out", str(out), *common[:2]]
    )
    assert exported.exit_code == 0 and out.read_text().count("\n") == summary["review_sample_size"]

    decision, _ = check_snapshot(workspace, officer, snapshot_id)
    copied_ids = {f"c-{i}" for i in range(12)}
    for rule in ("synthetic.near_duplicates", "synthetic.verbatim"):
        result = decision.result(rule)
        assert result.status == "fail", result
        assert set(result.evidence["record_ids"]) == copied_ids
        assert set(result.evidence["seed_record_ids"]) == {f"s-{i}" for i in range(12)}
    assert decision.result("synthetic.seeds").status == "pass"
    # The ledger holds record ids and rates, never the copied text.
    with workspace.catalog.reading() as session:
        from govern.catalog.models import LedgerEntry

        payloads = " ".join(e.payload for e in session.query(LedgerEntry).all())
    assert "technician" not in payloads
    assert verify_workspace(workspace).ok


def test_a_faithful_reviewed_snapshot_passes_and_a_seed_revocation_moves_its_decision(
    seeded, engineer, officer, reviewer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    workspace, seed, reference = seeded
    snapshot = _synthetic(workspace, engineer, seed, log_records("g", 40, 4), tmp_path)
    validation, created = validate_snapshot(workspace, engineer, snapshot.id, reference.id)
    assert created
    assert validate_snapshot(workspace, engineer, snapshot.id, reference.id) == (validation, False)

    unreviewed, _ = check_snapshot(workspace, officer, snapshot.id)
    assert unreviewed.result("synthetic.review").status == "fail"
    assert "sampled records are reviewed" in unreviewed.result("synthetic.review").message

    review = _review_all(workspace, reviewer, snapshot, tmp_path)
    sample_size = len(json.loads(validation.result)["review_sample"])
    assert review.reviewed == review.passed == sample_size == 13  # 40 records, 90 % ± 20 %, FPC
    decision, _ = check_snapshot(workspace, officer, snapshot.id)
    assert not decision.failed, [r for r in decision.failures]
    for rule in ("validation", "near_duplicates", "verbatim", "divergence", "duplicates", "review"):
        assert decision.result(f"synthetic.{rule}").status == "pass", rule
    assert decision.result("consent.coverage").status == "pass"
    report = build_dataset_report(workspace, snapshot.id)
    assert report["synthetic"]["review"]["passed"] == 13
    auditor = _new_key(workspace, "auditor", "audrey")
    for fmt in ("html", "md"):
        text = make_report(workspace, auditor, "dataset", snapshot.id, fmt).path.read_text()
        assert "8. Synthetic data" in text and "llama-synth@3.1" in text
        assert "13 of 13 sampled records passed" in text
        assert "technician" not in text and "checked, ref" not in text

    revoke(workspace, officer, "eng-3", "model_training")
    moved, _ = check_snapshot(workspace, officer, snapshot.id)
    seeds = moved.result("synthetic.seeds")
    assert seeds.status == "fail"
    failing = seeds.evidence["seeds_failing"][0]
    assert failing["snapshot_id"] == seed.id and "consent.coverage" in failing["failed_rules"]
    assert set(failing["record_ids"]) == {f"s-{i}" for i in range(40) if i % 8 == 2}
    assert moved.result("consent.coverage").status == "fail"

    with workspace.catalog.reading() as session:
        found = impact(session, workspace.hash_subject("eng-3"))
        graph = workspace_graph(session)
    assert found.synthetic_snapshots == {snapshot.id: [seed.id]}
    assert any(
        e.source.endswith(seed.id) and e.target.endswith(snapshot.id) and "seeded" in e.relation
        for e in graph.edges
    )
    assert verify_workspace(workspace).ok


def test_review_verdicts_come_from_a_reviewer_and_only_for_sampled_records_and_erasure_reaches_them(
    seeded, engineer, officer, reviewer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    workspace, seed, reference = seeded
    snapshot = _synthetic(workspace, engineer, seed, log_records("g", 40, 5), tmp_path)
    validation, _ = validate_snapshot(workspace, engineer, snapshot.id, reference.id)
    sampled = set(json.loads(validation.result)["review_sample"])
    outsider = next(f"g-{i}" for i in range(40) if f"g-{i}" not in sampled)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps(
            {"validation_id": validation.id, "record_key": sorted(sampled)[0], "verdict": "pass"}
        )
        + "\n"
        + json.dumps({"validation_id": validation.id, "record_key": outsider, "verdict": "pass"})
        + "\n"
    )
    with pytest.raises(BadInput, match=r"bad.jsonl.*line 2"):
        import_verdicts(workspace, reviewer, snapshot.id, bad)
    with pytest.raises(RoleRefused):
        _review_all(workspace, engineer, snapshot, tmp_path)

    # Erasing a seed subject reaches the synthetic snapshot made from their records.
    erased = erase_subject(workspace, officer, "eng-5")
    assert erased.synthetic_snapshots == {snapshot.id: [seed.id]}
    seeds = check_snapshot(workspace, officer, snapshot.id)[0].result("synthetic.seeds")
    assert seeds.status == "fail"
    assert set(seeds.evidence["seeds_failing"][0]["record_ids"]) == {
        f"s-{i}" for i in range(40) if i % 8 == 4
    }


def test_synthetic_provenance_is_refused_whole_when_incomplete(
    seeded, engineer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    workspace, seed, _ = seeded
    data = write_jsonl(tmp_path / "s.jsonl", log_records("g", 5, 6))
    with pytest.raises(BadInput, match="NAME@VERSION") as error:
        register_synthetic(
            workspace, engineer, spec("x"), GeneratorSpec("llama", tmp_path / "none.yaml", ()), data
        )
    assert "--generator-config" in str(error.value) and "--seed-snapshot" in str(error.value)
    with workspace.catalog.reading() as session:
        from govern.ingest.datasets import list_datasets

        assert [d.name for d in list_datasets(session)] == ["logs", "logs-holdout"]
    args = ["dataset", "add", "y", str(data), "--source", "s", "--license", "CC-BY-4.0"]
    args += ["--legal-basis", "consent", "--subject-field", "subject", "--text-field", "text"]
    args += ["--generator", "llama@1", "--workspace", str(workspace.root)]
    without_flag = CliRunner().invoke(cli, [*args, "--key", str(workspace.root / "erin.key")])
    assert without_flag.exit_code == 2 and "need --synthetic" in without_flag.output
    real = add_dataset(workspace, engineer, spec("plain"), data).snapshot
    with pytest.raises(BadInput, match="is not synthetic"):
        validate_snapshot(workspace, engineer, real.id, seed.id)


def test_a_seed_under_a_licence_the_pack_refuses_fails_its_synthetic_offspring(
    seeded, engineer, officer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    workspace, _, _ = seeded
    records = log_records("n", 10, 7)
    noncommercial = dataclasses.replace(spec("logs-nc"), license="CC-BY-NC-4.0")
    seed = add_dataset(
        workspace, engineer, noncommercial, write_jsonl(tmp_path / "nc.jsonl", records)
    ).snapshot
    snapshot = _synthetic(workspace, engineer, seed, log_records("g", 10, 8), tmp_path)
    decision, _ = check_snapshot(workspace, officer, snapshot.id)
    assert decision.result("provenance.license").status == "pass"  # the synthetic set's own licence
    seeds = decision.result("synthetic.seeds")
    assert seeds.status == "fail" and "provenance.license" in seeds.message
    assert seeds.evidence["seeds_failing"][0]["failed_rules"] == ["provenance.license"]
