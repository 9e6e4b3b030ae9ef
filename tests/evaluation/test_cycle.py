"""Fine-tuning as a continuous cycle: the chain of stages, retrain rules (adapter age, data drift
against the newest approved snapshot), stale adapters in the audit report, and the run report's
evaluation section. One two-stage world on the tiny model serves the module (tests run in order)."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from govern.errors import BadInput
from govern.policy.pack import load_pack_text
from govern.reports.charts import interval_chart
from tests.evaluation.conftest import EVAL_PACK
from tests.evaluation.two_stage import TONE, TwoStage, build_two_stage, eval_table, tone

RETRAIN_PACK = (
    EVAL_PACK.replace("name: evalpack", "name: evalretrain")
    + "release:\n  max_adapter_age_days: 0.00001\n  max_drift: 0.05\n"
)


# --------------------------------------------------------------------------- no model


def test_the_pack_accepts_retrain_limits_and_names_a_bad_one() -> None:
    pack = load_pack_text(RETRAIN_PACK)
    assert pack.release == {"max_adapter_age_days": 0.00001, "max_drift": 0.05}
    with pytest.raises(BadInput, match=r"line \d+, key release\.max_drift"):
        load_pack_text(RETRAIN_PACK.replace("max_drift: 0.05", "max_drift: 3"))
    with pytest.raises(BadInput, match=r"key release\.max_adapter_age_days"):
        load_pack_text(RETRAIN_PACK.replace("0.00001", "0"))


def test_an_interval_chart_spans_the_metric_range_from_zero() -> None:
    estimate = {
        "base": {"mean": 0.2, "low": 0.1, "high": 0.3},
        "adapter": {"mean": 0.5, "low": 0.4, "high": 0.6},
    }
    svg = str(interval_chart("rouge_l", estimate))
    ticks = re.findall(r'class="chart-tick"[^>]*>([^<]+)<', svg)
    assert ticks[0] == "0" and ticks[-1] == "1"  # the whole 0..1 scale, not zoomed to 0.1..0.6
    widths = [float(w) for w in re.findall(r'<rect class="bar-\w+"[^>]* width="([\d.]+)"', svg)]
    assert widths[1] == pytest.approx(2.5 * widths[0], rel=0.01)
    loss = str(interval_chart("loss", {"base": {"mean": 3.2, "low": 3.0, "high": 3.4}}))
    assert re.findall(r'class="chart-tick"[^>]*>([^<]+)<', loss)[0] == "0"
    assert "no data" in str(interval_chart("chrf", {}))


# --------------------------------------------------------------------------- two stages


@pytest.fixture(scope="module")
def two_stage(tmp_path_factory: pytest.TempPathFactory, eval_tiny_model: Path) -> TwoStage:
    return build_two_stage(tmp_path_factory.mktemp("two-stage"), eval_tiny_model)


def _render(facts: dict[str, Any], fmt: str) -> str:
    from govern.reports import render, shipped_templates

    report = {"id": "t", "format": fmt, "rendered_by": "k", "rendered_at": "now", "marker": "m"}
    return render({**facts, "report": report}, fmt, shipped_templates())


def _cli(world: Any, *args: str) -> Any:
    from click.testing import CliRunner

    from govern.cli import cli

    return CliRunner().invoke(cli, [*args, "--workspace", str(world.workspace.root)])


@pytest.mark.slow
def test_the_chain_shows_each_stage_with_its_data_epsilon_and_suite_deltas(
    two_stage: TwoStage,
) -> None:
    from govern.evaluation.chain import run_chain

    world, s1, s2 = two_stage.world, two_stage.stage1, two_stage.stage2
    with world.workspace.catalog.reading() as session:
        chain = run_chain(session, s2["run_id"])
        first = run_chain(session, s1["run_id"])
    stages = chain["stages"]
    assert [s["run_id"] for s in stages] == [s1["run_id"], s2["run_id"]]
    assert [s["stage"] for s in stages] == [1, 2] and stages[1]["init_run_id"] == s1["run_id"]
    assert [s["snapshots"][0]["dataset"] for s in stages] == ["support-train", "support-tone"]
    assert stages[0]["epsilon"] == pytest.approx(s1["epsilon"])
    assert stages[1]["epsilon"] == pytest.approx(s2["epsilon"])
    assert all(s["privacy_unit"] == "record" and s["dp"] for s in stages)
    for stage, suite in zip(stages, (two_stage.suite1, two_stage.suite2), strict=True):
        assert stage["suites"][0]["ledger_seq"] == suite["ledger_seq"]
        assert stage["suites"][0]["metrics"] == suite["metrics"]
    assert [s["run_id"] for s in first["stages"]] == [s1["run_id"]]

    text = _cli(world, "runs", "chain", s2["run_id"])
    assert text.exit_code == 0, text.output
    assert "stage 1: " + s1["run_id"] in text.output and "→ stage 2: " + s2["run_id"] in text.output
    assert "support-tone" in text.output and "suite support-answers (adapter - base)" in text.output
    as_json = _cli(world, "runs", "chain", s2["run_id"], "--json")
    assert json.loads(as_json.output)["stages"][1]["run_id"] == s2["run_id"]
    mermaid = _cli(world, "runs", "chain", s2["run_id"], "--mermaid").output
    assert mermaid.startswith("flowchart LR") and "s1 -->|init adapter| s2" in mermaid
    assert _cli(world, "runs", "chain", "run-nosuchrun000").exit_code != 0
    table = eval_table(chain)
    assert table.count("\n") == 1 + 2 * 4 and "| 2 |" in table and "chrf" in table


@pytest.mark.slow
def test_retrain_rules_follow_adapter_age_and_drift_to_the_newest_approved_snapshot(
    two_stage: TwoStage,
) -> None:
    from govern.clock import now
    from govern.evaluation.staleness import data_drift, drift_figure, retrain_rules
    from govern.ingest.datasets import add_version
    from govern.ingest.diff import diff_snapshots
    from govern.pii.scans import scan_snapshot
    from govern.policy.approvals import approve
    from govern.training.run_status import get_run
    from tests.pipeline import EXAMPLES

    world = two_stage.world
    workspace = world.workspace
    limits = {"max_adapter_age_days": 30, "max_drift": 0.05}

    def rules(at: Any = None) -> dict[str, Any]:
        with workspace.catalog.reading() as session:
            run = get_run(session, two_stage.stage1["run_id"])
            found = retrain_rules(workspace, session, run, limits, at or now())
        return {r.rule: r for r in found}

    fresh = rules()
    assert fresh["release.adapter_age"].passed and fresh["release.data_drift"].passed
    assert fresh["release.data_drift"].evidence["drift"] == 0.0  # still the newest approved
    assert not rules(now() + timedelta(days=31))["release.adapter_age"].passed

    # A new version of the facts dataset: half the answers reworded. Unapproved, it moves nothing.
    lines = EXAMPLES.read_text().splitlines(keepends=True)[:120]
    path = world.root / "support-train-v2.jsonl"
    path.write_text("".join(lines[:60] + tone(lines[60:])))
    newer = add_version(workspace, world.engineer, "support-train", path).snapshot
    scan_snapshot(workspace, world.engineer, newer.id, processes=1)
    assert rules()["release.data_drift"].evidence["drift"] == 0.0
    approve(workspace, world.officer, newer.id)
    drifted = rules()["release.data_drift"]
    expected = drift_figure(diff_snapshots(workspace, world.train_snapshot.id, newer.id))
    assert drifted.evidence["drift"] == pytest.approx(expected)
    assert expected >= 60 / 120  # 60 of 120 records changed
    assert not drifted.passed and "retrain on the newest snapshot" in drifted.message
    with workspace.catalog.reading() as session:
        detail = data_drift(workspace, session, get_run(session, two_stage.stage1["run_id"]))
    assert detail["snapshots"][0]["newest"] == newer.id
    assert detail["snapshots"][0]["records"]["changed"] == 60
    assert TONE not in json.dumps(detail)  # figures only, no record text


@pytest.mark.slow
def test_the_audit_report_lists_a_released_adapter_past_the_retrain_rule(
    two_stage: TwoStage,
) -> None:
    from govern.errors import Refused
    from govern.evaluation.release import release_run
    from govern.reports import build_audit_report
    from tests.conftest import activate

    world = two_stage.world
    workspace = world.workspace
    before = build_audit_report(workspace)["stale_adapters"]
    assert before == {
        "max_adapter_age_days": None,
        "max_drift": None,
        "set": False,
        "adapters": [],
    }
    release_run(workspace, world.officer, two_stage.stage2["run_id"])
    activate(workspace, world.officer, "evalretrain", RETRAIN_PACK)
    time.sleep(1.0)  # past 0.00001 days (0.86 s)
    stale = build_audit_report(workspace)["stale_adapters"]
    assert stale["set"] and [a["run_id"] for a in stale["adapters"]] == [two_stage.stage2["run_id"]]
    entry = stale["adapters"][0]
    assert entry["age_days"] > 0.00001 and entry["drift"] == 0.0  # the tone data is the newest
    assert "days old" in entry["reasons"][0]
    facts = build_audit_report(workspace)
    html, md = _render(facts, "html"), _render(facts, "md")
    assert (
        "Stale adapters" in html and two_stage.stage2["run_id"] in html.split("Stale adapters")[1]
    )
    assert "| Run | Released | Age (days) | Drift | Why |" in md
    with pytest.raises(Refused) as refused:  # stage 1 is too old (and drifted) to release now
        release_run(workspace, world.officer, two_stage.stage1["run_id"])
    reasons = " ".join(refused.value.reasons)
    assert "release.adapter_age" in reasons and "release.data_drift" in reasons


@pytest.mark.slow
def test_the_run_report_shows_every_suite_metric_with_intervals_charts_and_the_chain(
    two_stage: TwoStage,
) -> None:
    from govern.reports import build_run_report

    facts = build_run_report(two_stage.world.workspace, two_stage.stage2["run_id"])
    evaluation = facts["evaluation"]
    suite = evaluation["suites"][0]
    assert [r["metric"] for r in suite["rows"]] == ["exact_match", "rouge_l", "chrf", "loss"]
    assert suite["confidence"] == 0.9 and suite["pii_probe"]["outputs"] == 16
    assert [s["stage"] for s in evaluation["chain"]] == [1, 2]
    html, md = _render(facts, "html"), _render(facts, "md")
    assert html.count('class="chart chart-interval"') == 4
    assert "Suite support-answers" in html and "PII regurgitation probe" in html
    assert "Stages (<code>--init-adapter</code> chain)" in html
    loss = suite["metrics"]["loss"]
    assert f"{loss['adapter']['mean']:.4g} [{loss['adapter']['low']:.4g}" in md
    assert "| Metric | Base | Adapter | Adapter − base |" in md and "### Stages" in md
