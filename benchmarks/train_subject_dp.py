"""The cost of subject-level DP against record-level DP: end-to-end `train()` runs, one process.

Modes, each a complete `govern.training.train` call on the same model, data, σ and steps:
  record         record-level DP-SGD (per-sample hooks, secure RNG): q = L / records
  subject-capN   subject-level DP, at most N records of a sampled subject per step: q = L / subjects
The data is the example records (160 records of 56 subjects, up to 7 each) read through a real
gate. The logical batch L is the same number in both units, so a subject step reads more
records (up to N per subject); the report gives, per mode, the median time ratio to `record` in
the same round with its min–max spread, the records read per step, and the ε each run states
(per record for `record`, per subject otherwise). The modes run interleaved in a rotating order.

    python benchmarks/train_subject_dp.py                      # 5 rounds, quickstart-sized model
    python benchmarks/train_subject_dp.py --rounds 3 --caps 1 4
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests/pipeline.py builds the governed workspace

SCHEDULE = {"steps": 8, "logical_batch_size": 8, "physical_batch_size": 8, "learning_rate": 2e-3}


def build_world(root: Path) -> tuple[Path, Any]:
    """The quickstart-sized tiny Llama and the gate's handle on the example records."""
    from govern.policy.approvals import approve
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl
    from tests.pipeline import EXAMPLES, governed_workspace
    from tests.training.training_helpers import admitted_data

    corpus = corpus_from_jsonl(EXAMPLES, ("prompt", "completion", "text"))
    model_dir = build_tiny_model(root / "model", corpus)
    workspace, engineer, officer, snapshot = governed_workspace(root, model_dir)
    approve(workspace, officer, snapshot.id)
    return model_dir, admitted_data(workspace.root, engineer.path, snapshot.id)


def recipe_for(mode: str, model_dir: Path, out: Path) -> Any:
    from govern.training.recipe import recipe_from_dict

    dp: dict[str, Any] = {
        "noise_multiplier": 1.0,
        "delta": 1e-5,
        "accountant": "prv",
        "clipping": "hooks",
    }
    if mode.startswith("subject-cap"):
        dp.update(unit="subject", max_records_per_subject=int(mode.removeprefix("subject-cap")))
    raw = {
        "name": mode,
        "output_dir": str(out),
        "checkpoint_every": 1_000_000,
        "model": {"path": str(model_dir)},
        "data": {"format": "prompt_completion", "max_length": 128},
        "lora": {"r": 8, "alpha": 16, "target_modules": ["q_proj", "v_proj"]},
        "dp": dp,
        "schedule": SCHEDULE,
    }
    return recipe_from_dict(raw, source=f"{mode}.toml", base_dir=model_dir.parent)


def one_run(mode: str, model_dir: Path, data: Any, out: Path) -> dict[str, float]:
    from govern.training import train
    from govern.training.loop import StepLoop

    records: list[int] = []
    original = StepLoop._logical_step

    def counting(self: Any, batches: Any) -> tuple[float, int]:
        loss, count = original(self, batches)
        records.append(count)
        return loss, count

    StepLoop._logical_step = counting  # type: ignore[method-assign]
    try:
        recipe = recipe_for(mode, model_dir, out)
        started, cpu_started = time.perf_counter(), time.process_time()
        result = train(recipe, data, run_dir=out / f"{mode}-{time.monotonic_ns()}")
        return {
            "train_s": time.perf_counter() - started,
            "train_cpu_s": time.process_time() - cpu_started,
            "records_per_step": statistics.mean(records),
            "epsilon": float(result["epsilon"]),
            "sample_rate": float(result["sample_rate"]),
        }
    finally:
        StepLoop._logical_step = original  # type: ignore[method-assign]


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x (min {min(values):.2f}, max {max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--caps", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args()
    modes = ["record", *(f"subject-cap{c}" for c in args.caps)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model_dir, data = build_world(root)
        one_run("record", model_dir, data, root / "warmup")  # imports and caches, not measured
        rounds: list[dict[str, dict[str, float]]] = []
        for number in range(args.rounds):
            order = modes[number % len(modes) :] + modes[: number % len(modes)]
            rounds.append({m: one_run(m, model_dir, data, root / f"r{number}") for m in order})
    if args.json:
        print(json.dumps(rounds, indent=2))
        return
    print(
        f"{args.rounds} rounds, σ = 1.0, {SCHEDULE['steps']} steps, L = {SCHEDULE['logical_batch_size']}"
    )
    print(
        f"{'mode':<15} {'wall vs record':<32} {'cpu vs record':<32} records/step  q       ε (unit)"
    )
    for mode in modes:
        wall = [r[mode]["train_s"] / r["record"]["train_s"] for r in rounds]
        cpu = [r[mode]["train_cpu_s"] / r["record"]["train_cpu_s"] for r in rounds]
        per_step = statistics.mean(r[mode]["records_per_step"] for r in rounds)
        first = rounds[0][mode]
        unit = "record" if mode == "record" else "subject"
        print(
            f"{mode:<15} {spread(wall):<32} {spread(cpu):<32} {per_step:<13.1f} "
            f"{first['sample_rate']:<7.4f} {first['epsilon']:.3f} ({unit})"
        )


if __name__ == "__main__":
    main()
