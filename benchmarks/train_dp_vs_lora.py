"""The whole DP trainer against the same trainer without DP: end-to-end `train()` runs, one process.

Modes, each a complete `govern.training.train` call on the same model, data and schedule:
  lora             non-private LoRA (uniform batches of exactly the logical size)
  lora-poisson     diagnostic: non-private LoRA over batches of Poisson-drawn size, split as
                   Opacus splits them (what Poisson sampling alone costs, without clipping/noise)
  dp-hooks         DP-SGD, per-sample gradients by hooks, secure RNG (the default)
  dp-hooks-torch   the same with dp.secure_rng = false (torch generators)
  dp-ghost         DP-SGD with Opacus ghost clipping, secure RNG
  dp-ghost-torch   the same with dp.secure_rng = false
The data is the example records, read through a real gate (a governed workspace built on the
spot, as tests/pipeline.py builds it). The modes run interleaved, in a rotating order, for
--rounds rounds; each round's ratio is mode time / lora time of that round, and the report
gives the median ratio with its min–max spread (goal: DP at most 1.2x), for wall time and for
process CPU time (steadier where other jobs share the cores).

What a run's time includes: loading the model, tokenizing, every step, the checkpoint, the
adapter and its card, and the final ε. The plan (σ, planned ε) is computed just before each run,
as the gate does before `govern train` hands over, with the accountant's in-memory caches
cleared, twice: once with empty caches (the whole search: "plan, search") and once with the σ
and RDP orders the search left in noise_cache.py's and rdp_cache.py's files (one checking
evaluation: "plan, cached", what a repeated `govern train` of the same plan pays). Both are reported apart and added in the
"with the plan" ratios.

    python benchmarks/train_dp_vs_lora.py --model quickstart            # the quickstart's tiny model and recipe
    python benchmarks/train_dp_vs_lora.py --model small                 # hidden 256, 4 layers, r 8 on q,k,v,o
    python benchmarks/train_dp_vs_lora.py --model larger --rounds 3     # hidden 512, 4 layers, r 16 on q,k,v,o
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests/pipeline.py builds the governed workspace

MODES = {
    "lora": {"enabled": False},
    "lora-poisson": {"enabled": False},
    "dp-hooks": {"clipping": "hooks", "secure_rng": True},
    "dp-hooks-torch": {"clipping": "hooks", "secure_rng": False},
    "dp-ghost": {"clipping": "ghost", "secure_rng": True},
    "dp-ghost-torch": {"clipping": "ghost", "secure_rng": False},
}

MODELS: dict[str, dict[str, Any]] = {
    # examples/make_tiny_model.py's defaults and train/dp-lora.toml's schedule (3 epochs of 160 records)
    "quickstart": {
        "config": {},
        "lora": {"r": 8, "alpha": 16, "target_modules": ["q_proj", "v_proj"]},
        "schedule": {"epochs": 3, "logical_batch_size": 32, "physical_batch_size": 8},
        "max_length": 128,
        "dp": {"target_epsilon": 4.0},
    },
    # the old benchmark's default model: a small Llama, logical batch 16, physical 16
    "small": {
        "config": {
            "hidden_size": 256,
            "intermediate_size": 1024,
            "num_hidden_layers": 4,
            "num_attention_heads": 4,
            "num_key_value_heads": 4,
        },
        "lora": {"r": 8, "alpha": 16, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"]},
        "schedule": {"steps": 10, "logical_batch_size": 16, "physical_batch_size": 16},
        "max_length": 128,
        "dp": {"noise_multiplier": 1.0},
    },
    "larger": {
        "config": {
            "hidden_size": 512,
            "intermediate_size": 2048,
            "num_hidden_layers": 4,
            "num_attention_heads": 8,
            "num_key_value_heads": 8,
        },
        "lora": {"r": 16, "alpha": 32, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"]},
        "schedule": {"steps": 10, "logical_batch_size": 32, "physical_batch_size": 16},
        "max_length": 128,
        "dp": {"noise_multiplier": 1.0},
    },
}


def build_world(root: Path, model: str) -> tuple[Path, Any]:
    """A tiny or larger Llama built from a config, and the gate's handle on the example records."""
    from govern.policy.approvals import approve
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl
    from tests.pipeline import EXAMPLES, governed_workspace
    from tests.training.training_helpers import admitted_data

    corpus = corpus_from_jsonl(EXAMPLES, ("prompt", "completion", "text"))
    model_dir = build_tiny_model(root / "model", corpus, **MODELS[model]["config"])
    workspace, engineer, officer, snapshot = governed_workspace(root, model_dir)
    approve(workspace, officer, snapshot.id)
    return model_dir, admitted_data(workspace.root, engineer.path, snapshot.id)


def recipe_for(mode: str, model: str, model_dir: Path, out: Path) -> Any:
    from govern.training.recipe import recipe_from_dict

    spec = MODELS[model]
    dp = (
        {**spec["dp"], "delta": 1e-5, "accountant": "prv", **MODES[mode]}
        if not mode.startswith("lora")
        else MODES[mode]
    )
    raw = {
        "name": mode,
        "output_dir": str(out),
        "checkpoint_every": 1_000_000,
        "model": {"path": str(model_dir)},
        "data": {"format": "prompt_completion", "max_length": spec["max_length"]},
        "lora": spec["lora"],
        "dp": dp,
        "schedule": {**spec["schedule"], "learning_rate": 2e-3},
    }
    return recipe_from_dict(raw, source=f"{mode}.toml", base_dir=model_dir.parent)


def poisson_sized_batches(
    dataset: Any, collator: Any, logical: int, physical: int, generator: Any, steps: int
) -> Iterator[Iterator[dict[str, Any]]]:
    """uniform_batches' stand-in for `lora-poisson`: each example in with probability
    logical / N, the batch cut into ceil(size / physical) near-equal passes (Opacus's split)."""
    import torch

    count = len(dataset)
    for _ in range(steps):
        chosen = torch.nonzero(torch.rand(count, generator=generator) < logical / count)
        indices = chosen.flatten()
        pieces = indices.tensor_split(max(1, math.ceil(len(indices) / physical)))
        yield (collator([dataset[i] for i in piece.tolist()]) for piece in pieces if len(piece))


def one_run(mode: str, model: str, model_dir: Path, data: Any, out: Path) -> dict[str, float]:
    from govern.training import noise_cache, plan_run, sampling, train
    from govern.training.accounting import clear_cache

    recipe = recipe_for(mode, model, model_dir, out)
    cache_file = noise_cache.cache_path()
    assert cache_file is not None
    clear_cache()
    cache_file.unlink(missing_ok=True)
    cache_file.with_name("rdp-orders.json").unlink(missing_ok=True)  # rdp_cache.py, beside it
    started = time.perf_counter()
    plan_run(recipe, data.count())  # what the gate computes before the trainer starts
    plan_search_s = time.perf_counter() - started
    clear_cache()
    started = time.perf_counter()
    plan = plan_run(recipe, data.count())  # the same, σ from the cache the search wrote
    plan_s = time.perf_counter() - started
    uniform = sampling.uniform_batches
    if mode == "lora-poisson":  # the trainer imports it from the module when it runs
        sampling.uniform_batches = poisson_sized_batches  # type: ignore[assignment]
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        result = train(recipe, data, run_dir=out / f"{mode}-{time.monotonic_ns()}")
    finally:
        sampling.uniform_batches = uniform
    return {
        "train_s": time.perf_counter() - started,
        "train_cpu_s": time.process_time() - cpu_started,
        "plan_search_s": plan_search_s,
        "plan_s": plan_s,
        "steps": result["steps"],
        "sigma": plan.noise_multiplier or 0.0,
    }


def expected_pass_ratio(records: int, logical: int, physical: int) -> float:
    """Physical passes per step of Poisson batches over those of uniform batches, in expectation.

    A Poisson batch holds Binomial(records, logical / records) examples, cut into
    ceil(size / physical) passes (Opacus's BatchMemoryManager); a uniform batch of exactly
    `logical` examples takes ceil(logical / physical). What those extra (smaller) passes cost
    is measured by the `lora-poisson` mode: only the fixed part of a pass's cost is repeated.
    """
    from scipy.stats import binom

    rate = logical / records
    passes = sum(
        binom.pmf(size, records, rate) * max(1, math.ceil(size / physical))
        for size in range(records + 1)
    )
    return float(passes / math.ceil(logical / physical))


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x (min {min(values):.2f}, max {max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", choices=sorted(MODELS), default="quickstart")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: steadiest on a shared machine)"
    )
    args = parser.parse_args()

    import warnings

    import torch
    from transformers.utils import logging as hf_logging

    warnings.filterwarnings("ignore")
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    torch.set_num_threads(args.threads)
    modes = args.modes.split(",")
    load_before = os.getloadavg()
    times: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GOVERN_CACHE_DIR"] = str(Path(tmp) / "cache")  # not the user's σ cache
        model_dir, data = build_world(Path(tmp), args.model)
        records = data.count()
        for mode in modes:  # warm-up, every mode once: imports and first calls are no mode's cost
            one_run(mode, args.model, model_dir, data, Path(tmp) / "runs")
        for round_index in range(args.rounds):
            order = (
                modes[round_index % len(modes) :] + modes[: round_index % len(modes)]
            )  # rotate the order
            for mode in order:
                run = one_run(mode, args.model, model_dir, data, Path(tmp) / "runs")
                times[mode].append(run)
                print(
                    json.dumps(
                        {
                            "round": round_index,
                            "mode": mode,
                            **{k: round(v, 3) for k, v in run.items()},
                        }
                    ),
                    flush=True,
                )

    print(
        f"\nmodel {args.model}, {args.rounds} rounds, {args.threads} threads, steps {times[modes[0]][0]['steps']:.0f}, "
        f"load average (1 min) {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    schedule = MODELS[args.model]["schedule"]
    logical = schedule["logical_batch_size"]
    print(
        f"Poisson batches: {expected_pass_ratio(records, logical, schedule['physical_batch_size'] or logical):.3f}x "
        f"the physical passes of uniform batches, in expectation ({records} records, logical "
        f"{logical}, physical {schedule['physical_batch_size']})"
    )
    base = times.get("lora")
    for mode in modes:
        for key, label in (("train_s", "wall"), ("train_cpu_s", "CPU")):
            values = [r[key] for r in times[mode]]
            line = f"{mode:15s} {label:4s} median {statistics.median(values):6.2f} s (min {min(values):.2f}, max {max(values):.2f})"
            if base and mode != "lora":
                ratios = [r[key] / b[key] for r, b in zip(times[mode], base, strict=True)]
                line += f"; vs lora {spread(ratios)}"
                if key == "train_s":
                    for plan_key, plan_label in (("plan_search_s", "search"), ("plan_s", "cached")):
                        whole = [
                            (r[key] + r[plan_key]) / (b[key] + b[plan_key])
                            for r, b in zip(times[mode], base, strict=True)
                        ]
                        line += f"; with the plan ({plan_label}) {spread(whole)}"
            print(line)
        for plan_key, plan_label in (("plan_search_s", "search"), ("plan_s", "cached σ")):
            values = [r[plan_key] for r in times[mode]]
            print(
                f"{mode:15s} plan ({plan_label}) median {statistics.median(values):.2f} s "
                f"(min {min(values):.2f}, max {max(values):.2f}; the gate's, before train())"
            )
    for secure, plain in (("dp-hooks", "dp-hooks-torch"), ("dp-ghost", "dp-ghost-torch")):
        if secure in times and plain in times:
            for key, label in (("train_s", "wall"), ("train_cpu_s", "CPU")):
                ratios = [a[key] / b[key] for a, b in zip(times[secure], times[plain], strict=True)]
                print(f"secure RNG cost ({label}), {secure} / {plain}: {spread(ratios)}")


if __name__ == "__main__":
    main()
