"""Sharded training for exact unlearning: k adapters on disjoint shards of subjects, ε the worst
shard's, and an erasure that retrains only the shard that held the subject."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("opacus", reason="sharded runs train: they need govern[train]")

from govern.catalog.models import SnapshotRecord
from govern.cli import cli
from govern.consent.erasure import erase_subject
from govern.consent.remediation import decide, list_remediations
from govern.ingest.snapshots import store_of
from govern.ledger.verify import verify_workspace
from govern.policy.approvals import approve
from govern.training import spending
from govern.training.runs import start_run
from govern.training.sharded_runs import family_members, retrain_shards
from govern.training.shards import ShardSpec
from tests.test_gate import _pipeline, tiny_model  # noqa: F401

SUBJECT = "subj-0010"


def _shard_digest(workspace, snapshot_id: str, spec: ShardSpec, without: str) -> str:  # type: ignore[no-untyped-def]
    """The records of `spec`'s subjects, `without` one, hashed as the shard run records them."""
    from sqlmodel import select

    hashes = store_of(workspace).manifest_path(snapshot_id).read_text().split()
    with workspace.catalog.reading() as session:
        rows = session.exec(
            select(SnapshotRecord.position, SnapshotRecord.subject_hash).where(
                SnapshotRecord.snapshot_id == snapshot_id
            )
        ).all()
    subject_at = dict(rows)
    digest = hashlib.sha256()
    for position, record_hash in enumerate(hashes):
        if spec.holds(subject_at[position]) and subject_at[position] != without:
            digest.update(bytes.fromhex(record_hash))
    return digest.hexdigest()


@pytest.mark.slow
def test_an_erasure_retrains_only_the_shard_that_held_the_subject(
    tmp_path: Path,
    tiny_model: Path,  # noqa: F811
) -> None:
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    recipe = (workspace.root / "train" / "gate.toml").read_text()
    (workspace.root / "train" / "shards.toml").write_text(recipe + "[train]\nshards = 2\n")
    approve(workspace, officer, snapshot.id)

    result = start_run(workspace, engineer, Path("train/shards.toml"), [snapshot.id])
    family, shards = result["family"], result["shards"]
    assert [s["index"] for s in shards] == [0, 1]
    assert result["epsilon"] == max(s["epsilon"] for s in shards)
    with workspace.catalog.reading() as session:
        members = family_members(session, family)
        specs = {i: ShardSpec.from_payload(run.payload) for i, run in members.items()}
        # the pool's ε is the worst shard's (parallel), not the two composed
        spent = spending.spent_epsilon(session, [snapshot.id], result["delta"], "rdp")
        sequential = spending.pool_groups(session, [snapshot.id])[1]
    assert sequential == [] and spent == pytest.approx(result["epsilon"], rel=1e-3)
    from govern.reports.audit import build_audit_report

    (budget,) = build_audit_report(workspace)["budget"]  # the auditor sees the same parallel ε
    assert budget["spent"] == pytest.approx(result["epsilon"], rel=1e-3)
    from govern.console.audit_reads import budget as console_budget

    (chart,) = console_budget(workspace)  # and so does the console's budget page
    assert chart["spent"] == pytest.approx(result["epsilon"], rel=1e-3)
    from govern.reports import make_report
    from govern.reports.run import build_run_report
    from tests.conftest import _new_key

    second = members[1].run_id  # the run card names the shard and its family
    assert build_run_report(workspace, second)["dp"]["shard"] == {
        "family": family,
        "index": 1,
        "of": 2,
    }
    auditor = _new_key(workspace, "auditor", "aldo")
    card = make_report(workspace, auditor, "run", second, "md", tmp_path / "card.md").path
    assert f"| Shard | 2 of 2 of family `{family}`" in card.read_text()
    from huggingface_hub import ModelCard

    hub_card = ModelCard.load(
        Path(shards[1]["adapter_dir"]) / "README.md"
    )  # the adapter's own card
    assert hub_card.data.to_dict()["govern"]["shard"] == {
        "family": family,
        "index": 1,
        "of": 2,
        "assignment": "hmac-sha256(seed, subject_hash) mod shards",
    }
    assert f"shard 2 of 2 of family `{family}`" in hub_card.text
    records = [members[i].payload["shard"]["records"] for i in (0, 1)]
    assert sum(records) == snapshot.record_count and min(records) > 0  # disjoint and covering

    subject_hash = workspace.hash_subject(SUBJECT)
    holder = next(i for i, spec in specs.items() if spec is not None and spec.holds(subject_hash))
    other = 1 - holder
    found = erase_subject(workspace, officer, SUBJECT)
    assert found.runs == [members[holder].run_id] and len(found.remediations) == 1

    approve(workspace, officer, snapshot.id)  # the blanked snapshot is a new decision to approve
    retrained = retrain_shards(workspace, engineer, family)
    assert [s["index"] for s in retrained["retrained"]] == [holder]
    assert retrained["reused"] == [{"index": other, "run_id": members[other].run_id}]
    new_run = retrained["retrained"][0]["run_id"]
    assert retrained["retrained"][0]["replaces"] == members[holder].run_id

    spec = specs[holder]
    assert spec is not None
    with workspace.catalog.reading() as session:
        now = family_members(session, family)
        started = spending.ledgered_runs(session)[new_run].payload["shard"]
    assert now[holder].run_id == new_run and now[other].run_id == members[other].run_id
    assert started["records_sha256"] == _shard_digest(workspace, snapshot.id, spec, subject_hash)
    assert started["records_sha256"] != members[holder].payload["shard"]["records_sha256"]
    run_json = json.loads(
        (Path(retrained["retrained"][0]["adapter_dir"]).parent / "run.json").read_text()
    )
    assert subject_hash not in json.dumps(run_json)

    (opened,) = list_remediations(workspace, open_only=True)
    assert opened["run_id"] == members[holder].run_id
    closed = decide(workspace, officer, opened["id"], "retrain", successor_run_id=new_run)
    assert closed.successor_run_id == new_run
    assert list_remediations(workspace, open_only=True) == []

    # nothing changed since: every shard is reused, nothing trains
    again = CliRunner().invoke(
        cli,
        [
            "train",
            "--retrain-shards",
            family,
            "--workspace",
            str(workspace.root),
            "--key",
            str(engineer.path),
            "--json",
        ],
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["retrained"] == []
    assert verify_workspace(workspace).ok
