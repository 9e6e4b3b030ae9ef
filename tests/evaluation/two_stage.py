"""A two-stage fine-tune on the tiny model, for the cycle tests and the README's eval table.

Stage 1 learns facts (the support answers); stage 2 continues its adapter (`--init-adapter`) on
the same questions answered in a friendlier tone. Both are DP runs; the same held-out suite is
scored on each. `python -m tests.evaluation.two_stage` prints the README's table.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.evaluation.conftest import World, make_world

SUITE = """\
name: support-answers
snapshot: {snapshot}
prompt_field: prompt
reference_field: completion
metrics: [exact_match, rouge_l, chrf, loss]
limit: 16
generation:
  max_new_tokens: 16
  batch_size: 8
bootstrap:
  resamples: 200
  confidence: 0.9
pii_probe: true
"""
TONE = "Thanks for asking!"


def tone(lines: list[str]) -> list[str]:
    """The same records, each answer opened in the friendlier tone stage 2 learns."""
    out = []
    for line in lines:
        record = json.loads(line)
        record["completion"] = f" {TONE}" + record["completion"]
        record["text"] = record["prompt"] + record["completion"]
        out.append(json.dumps(record) + "\n")
    return out


@dataclass
class TwoStage:
    world: World
    tone_snapshot: Any
    stage1: dict[str, Any]
    stage2: dict[str, Any]
    suite1: dict[str, Any]
    suite2: dict[str, Any]


def build_two_stage(root: Path, model: Path) -> TwoStage:
    """Train stage 1 (facts) and stage 2 (tone, from stage 1's adapter); run the suite on both."""
    from govern.evaluation.suite_run import evaluate_suite
    from govern.policy.approvals import approve
    from govern.training.runs import start_run
    from tests.pipeline import EXAMPLES

    world = make_world(root, model)
    lines = EXAMPLES.read_text().splitlines(keepends=True)
    tone_snapshot = world.add_dataset("support-tone", tone(lines[:120]))
    approve(world.workspace, world.officer, tone_snapshot.id)
    suite_file = world.workspace.root / "evals" / "support-answers.yaml"
    suite_file.write_text(SUITE.format(snapshot=world.heldout_snapshot.id))
    recipe = Path("train/dp.toml")
    stage1 = start_run(world.workspace, world.engineer, recipe, [world.train_snapshot.id])
    suite1 = evaluate_suite(world.workspace, world.engineer, stage1["run_id"], "support-answers")
    stage2 = start_run(
        world.workspace, world.engineer, recipe, [tone_snapshot.id], init_run_id=stage1["run_id"]
    )
    suite2 = evaluate_suite(world.workspace, world.engineer, stage2["run_id"], "support-answers")
    return TwoStage(world, tone_snapshot, stage1, stage2, suite1, suite2)


def eval_table(chain: dict[str, Any]) -> str:
    """The chain's suite deltas as a Markdown table (one row per stage and metric)."""
    rows = [
        "| Stage | Run | Data | ε (record) | Metric | Base | Adapter | Adapter − base (90% CI) |",
        "|---:|---|---|---:|---|---:|---:|---:|",
    ]
    for stage in chain["stages"]:
        data = ", ".join(s["dataset"] for s in stage["snapshots"])
        for suite in stage["suites"]:
            for name, m in suite["metrics"].items():
                d = m["delta"]
                rows.append(
                    f"| {stage['stage']} | `{stage['run_id']}` | {data} | {stage['epsilon']:.2f} "
                    f"| {name} | {m['base']['mean']:.3f} | {m['adapter']['mean']:.3f} "
                    f"| {d['mean']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}] |"
                )
    return "\n".join(rows)


def main() -> int:
    from govern.evaluation.chain import run_chain
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl
    from tests.pipeline import EXAMPLES

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        model = build_tiny_model(root / "model", corpus_from_jsonl(EXAMPLES, ("text",)))
        done = build_two_stage(root / "world", model)
        with done.world.workspace.catalog.reading() as session:
            print(eval_table(run_chain(session, done.stage2["run_id"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
