"""Every report kind renders in every format from a real pipeline run, is ledgered by its hash,
and its JSON facts agree with the catalog; no output holds raw personal data or key material."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from govern import ledger
from govern.canonical import file_sha256
from govern.catalog.models import Approval, LedgerEntry, Snapshot
from govern.reports import FORMATS, make_report, render
from tests.reports.conftest import Pipeline, records

KINDS = ("dataset", "run", "audit")


def _subject(pipeline: Pipeline, kind: str) -> str | None:
    return {"dataset": pipeline.trained_snapshot, "run": pipeline.run_id, "audit": None}[kind]


@pytest.fixture(scope="session")
def rendered(
    trained_pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], Path]:
    """Every kind in every format, rendered once into a folder outside the workspace."""
    out = tmp_path_factory.mktemp("rendered")
    files = {}
    for kind in KINDS:
        for fmt in FORMATS:
            written = make_report(
                trained_pipeline.workspace,
                trained_pipeline.auditor,
                kind,
                _subject(trained_pipeline, kind),
                fmt,
                out / f"{kind}.{fmt}",
            )
            files[(kind, fmt)] = written.path
    return files


def _facts(rendered: dict[tuple[str, str], Path], kind: str) -> dict:  # type: ignore[type-arg]
    return json.loads(rendered[(kind, "json")].read_text())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_report_renders_and_is_ledgered_by_its_hash(
    trained_pipeline, rendered, kind, fmt
) -> None:  # type: ignore[no-untyped-def]
    path = rendered[(kind, fmt)]
    text = path.read_text(encoding="utf-8")
    assert len(text) > 500
    with trained_pipeline.workspace.catalog.reading() as session:
        entries = [
            json.loads(e.payload)
            for e in ledger.iter_entries(session)
            if e.event == "report.rendered"
        ]
    entry = next(p for p in entries if p["sha256"] == file_sha256(path))
    assert (entry["kind"], entry["format"], entry["file_name"]) == (kind, fmt, path.name)
    assert f"head={entry['ledger_head']['seq']}:{entry['ledger_head']['hash']}" in text
    if fmt == "html":
        assert (
            "Content-Security-Policy" in text
            and "<script" not in text.lower()
            and "<link" not in text.lower()
        )


def test_run_facts_match_the_catalog_and_the_run_result(trained_pipeline, rendered) -> None:  # type: ignore[no-untyped-def]
    facts = _facts(rendered, "run")
    result = trained_pipeline.result
    assert facts["dp"]["epsilon"] == pytest.approx(result["epsilon"])
    assert facts["dp"]["epsilon_from_charges"] == pytest.approx(result["epsilon"])
    assert (facts["dp"]["delta"], facts["dp"]["accountant"], facts["dp"]["charged_steps"]) == (
        1e-5,
        "rdp",
        3,
    )
    assert facts["dp"]["noise_multiplier"] == pytest.approx(result["noise_multiplier"])
    assert facts["dp"]["sample_rate"] == pytest.approx(result["sample_rate"])
    assert facts["dp"]["max_grad_norm"] == 1.0
    assert [s["id"] for s in facts["snapshots"]] == [trained_pipeline.trained_snapshot]
    assert facts["base_model"]["hash"] == result["base_model_hash"]
    assert facts["recipe"]["hash"] == result["recipe_hash"]
    assert facts["adapter"]["hash"] == result["adapter_hash"]
    # ε at each ledgered checkpoint (every 2 steps) and at completion; never the training loss
    assert [m["step"] for m in facts["metrics"]] == [2, 3, 3]
    assert all(set(m) == {"step", "epsilon"} for m in facts["metrics"])
    assert facts["metrics"][-1]["epsilon"] == pytest.approx(result["epsilon"])
    with trained_pipeline.workspace.catalog.reading() as session:
        approvals = session.exec(
            select(Approval).where(Approval.snapshot_id == trained_pipeline.trained_snapshot)
        ).all()
    assert facts["snapshots"][0]["verified_approvals"] == len(approvals) == 1
    assert facts["snapshots"][0]["approvals"][0]["signature_verified"]
    budget = facts["budget"][0]
    assert budget["lifetime_budget"] == 10.0 and budget["spent"] == pytest.approx(result["epsilon"])
    assert budget["remaining"] == pytest.approx(10.0 - result["epsilon"])
    assert (
        "approvals verified from scratch under the active pack; consent active for every record"
        in facts["gate"]["checks"]
    )
    assert facts["verification"]["ok"] and facts["run"]["status"] == "completed"
    kinds = {n["kind"] for n in facts["lineage"]["nodes"]}
    assert kinds == {"dataset", "snapshot", "run", "adapter"}
    assert {
        "from": trained_pipeline.trained_snapshot,
        "to": trained_pipeline.run_id,
        "label": "trained on",
    } in facts["lineage"]["edges"]


def test_dataset_facts_match_the_catalog(trained_pipeline, rendered) -> None:  # type: ignore[no-untyped-def]
    facts = _facts(rendered, "dataset")
    with trained_pipeline.workspace.catalog.reading() as session:
        snapshot = session.get(Snapshot, trained_pipeline.trained_snapshot)
    assert (
        facts["snapshot"]["id"] == snapshot.id
        and facts["snapshot"]["record_count"] == snapshot.record_count
    )
    assert (
        facts["dataset"]["license"] == "CC-BY-4.0" and facts["dataset"]["legal_basis"] == "consent"
    )
    assert facts["consent"] == [
        {
            "purpose": "model_training",
            "records": 160,
            "records_with_grant": 160,
            "records_without_grant": 0,
            "share": 1.0,
            "uncovered_record_ids": [],
        }
    ]
    assert len(facts["approvals"]) == 1 and facts["approvals"][0]["signature_verified"]
    assert facts["readiness"]["approved_for_training"]
    assert facts["runs"] == [trained_pipeline.run_id]
    latest = facts["policy"]["latest"]
    assert latest["pack"]["name"] == "reports"
    assert {r["rule"] for r in latest["results"]} >= {
        "consent.coverage",
        "approvals.min_approvers",
        "dp.lifetime_budget",
    }
    assert all("evidence" in r for r in latest["results"])


def test_dataset_report_shows_findings_before_and_after_anonymization(
    trained_pipeline, rendered
) -> None:  # type: ignore[no-untyped-def]
    if not trained_pipeline.anonymized:
        pytest.skip(f"no anonymized snapshot to report on: {trained_pipeline.scan_skip_reason}")
    pii = _facts(rendered, "dataset")["pii"]
    assert pii["before_snapshot"] == trained_pipeline.raw_snapshot
    assert pii["after_snapshot"] == trained_pipeline.trained_snapshot
    assert pii["before"]["findings_count"] == sum(c["before"] for c in pii["comparison"])
    assert pii["before"]["findings_count"] > 0
    assert set(pii["before"]["config"]) >= {
        "config_hash",
        "spacy_model",
        "presidio_version",
        "score_threshold",
    }


def test_audit_facts_count_every_ledger_event(trained_pipeline, rendered) -> None:  # type: ignore[no-untyped-def]
    facts = _facts(rendered, "audit")
    head = facts["ledger_head"]["seq"]
    with trained_pipeline.workspace.catalog.reading() as session:
        entries = session.exec(select(LedgerEntry).where(LedgerEntry.seq <= head)).all()
    assert {e["event"]: e["count"] for e in facts["events"]["by_type"]} == dict(
        Counter(e.event for e in entries)
    )
    assert [d["verdict"] for d in facts["decisions"]] == ["approved"]
    assert facts["verification"]["ok"]
    assert facts["runs"][0]["epsilon"] == pytest.approx(trained_pipeline.result["epsilon"])
    assert facts["budget"][0]["spent_in_period"] == pytest.approx(
        trained_pipeline.result["epsilon"]
    )


def test_no_report_holds_raw_subject_ids_record_text_or_key_material(
    trained_pipeline, rendered
) -> None:  # type: ignore[no-untyped-def]
    workspace = trained_pipeline.workspace
    forbidden = {r["subject_id"] for r in records()}
    forbidden |= {r[f].strip()[:40] for r in records() for f in ("prompt", "completion", "text")}
    forbidden.add(workspace.subject_secret.hex())
    for key_file in trained_pipeline.key_files:
        pem = key_file.read_text()
        forbidden |= {line for line in pem.splitlines() if line and not line.startswith("-----")}
        forbidden.add("PRIVATE KEY")
    with workspace.catalog.reading() as session:
        forbidden |= {row[0] for row in session.execute(select(LedgerEntry.signature)).all()}
        from govern.catalog.models import Identity

        forbidden |= {i.public_key for i in session.exec(select(Identity)).all()}
    for path in rendered.values():
        text = path.read_text(encoding="utf-8")
        leaked = sorted(item for item in forbidden if item and item in text)
        assert not leaked, f"{path.name} shows {leaked[:3]}"


def test_a_workspace_template_overrides_the_shipped_one(
    trained_pipeline, rendered, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    facts = {**_facts(rendered, "run")}
    (tmp_path / "run.md.j2").write_text(
        "custom card for {{ r.run.id }} at ε {{ r.dp.epsilon|num }}\n"
    )
    assert render(facts, "md", tmp_path).startswith(f"custom card for {trained_pipeline.run_id}")
    assert "# Training run report" in render(facts, "md", tmp_path / "missing")


def test_markdown_mirrors_the_html_sections(rendered) -> None:  # type: ignore[no-untyped-def]
    import re

    for kind in KINDS:
        html = re.findall(r"<h2>(.*?)</h2>", rendered[(kind, "html")].read_text())
        md = re.findall(r"^## (.*)$", rendered[(kind, "md")].read_text(), re.MULTILINE)
        assert [h.replace("&amp;", "&") for h in html] == md, kind
