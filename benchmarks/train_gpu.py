"""A real local model on a GPU: throughput, peak memory and the DP / non-DP ratio, in bf16.

Each mode is a whole `govern.training.train` run of the given model folder on the example
records, read through a real gate (a governed workspace built on the spot, as
tests/pipeline.py builds it), with model.dtype = "bfloat16" (or --dtype):

  lora   non-private LoRA
  dp     DP-SGD with per-sample gradients by hooks, secure RNG (govern's default)

The modes run interleaved, in a rotating order, for --rounds rounds. Reported per mode: wall
time, tokens per second (the tokens of the records a step is expected to read, truncated to
--max-length, times the steps: DP's Poisson batches have the logical size in expectation),
peak GPU memory (torch.cuda.max_memory_allocated), and the median DP / LoRA time ratio with its
min–max spread. Without CUDA, or without --model, it prints why it skipped and exits 0.

A GPU machine without Presidio and spaCy can take a world prepared elsewhere: `--prepare-world
DIR` builds the governed workspace (registered, scanned, approved) and exits; `--world DIR`
then admits from it instead of building one (the gate still checks everything).

    python benchmarks/train_gpu.py --model /models/Llama-3.2-1B --steps 20 --rounds 3
    python benchmarks/train_gpu.py --model ./model --dtype float32 --target-modules q_proj,v_proj
    python benchmarks/train_gpu.py --prepare-world ./world && python benchmarks/train_gpu.py --world ./world --model ./model
    python benchmarks/train_gpu.py --build-model /tmp/big   # a TinyLlama-1.1B shape, random weights

benchmarks/train_gpu_device.sh is a tidied copy of the one device call that ran it on a lent H200
(results/train_gpu_h200.txt); the copy itself has not run on a GPU.
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

MODES = ("lora", "dp")


def skip_reason(model: Path | None) -> str | None:
    """Why this benchmark cannot run here, or None when it can."""
    try:
        import torch
    except ImportError:
        return "skipped: torch is not installed (pip install 'govern[train]')"
    if not torch.cuda.is_available():
        return "skipped: no CUDA (this benchmark measures a GPU; benchmarks/train_dp_vs_lora.py runs on CPU)"
    if model is None:
        return "skipped: no --model PATH given (a local Hugging Face model folder)"
    if not (model / "config.json").is_file():
        return f"skipped: {model} is not a model folder (no config.json)"
    return None


def build_world(root: Path, model_dir: Path) -> tuple[Path, Path, str]:
    """A governed workspace holding the example records, approved: (workspace, engineer key, snapshot)."""
    from govern.policy.approvals import approve
    from tests.pipeline import governed_workspace

    workspace, engineer, officer, snapshot = governed_workspace(root, model_dir)
    approve(workspace, officer, snapshot.id)
    workspace.catalog.dispose()
    return workspace.root, Path(engineer.path), snapshot.id


def prepare_world(root: Path) -> None:
    """Build a world under `root` (its recipe's tiny model inside it) for `--world` elsewhere."""
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl
    from tests.pipeline import EXAMPLES

    root.mkdir(parents=True, exist_ok=True)
    model = build_tiny_model(root / "tiny-model", corpus_from_jsonl(EXAMPLES, ("text",)))
    workspace, key, snapshot_id = build_world(root, model)
    (root / "world.json").write_text(
        json.dumps({"workspace": str(workspace), "key": str(key), "snapshot": snapshot_id})
    )
    print(f"world ready in {root} (snapshot {snapshot_id[:12]})")


# A TinyLlama-1.1B shape with random weights: what a GPU without downloads can still measure.
SHAPE_1B = {
    "hidden_size": 2048,
    "intermediate_size": 5632,
    "num_hidden_layers": 22,
    "num_attention_heads": 32,
    "num_key_value_heads": 4,
    "max_position_embeddings": 2048,
    "vocab_size": 4096,
}


def build_model(path: Path) -> None:
    """A 1.1B-shaped Llama (random weights, BPE tokenizer trained on the examples) at `path`."""
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl
    from tests.pipeline import EXAMPLES

    build_tiny_model(path, corpus_from_jsonl(EXAMPLES, ("text",)), **SHAPE_1B)
    print(f"model built in {path}")


def admitted(world: dict[str, str]) -> Any:
    """The gate's handle on the world's approved snapshot."""
    from tests.training.training_helpers import admitted_data

    return admitted_data(Path(world["workspace"]), Path(world["key"]), world["snapshot"])


def recipe_for(mode: str, args: argparse.Namespace, out: Path) -> Any:
    from govern.training.recipe import recipe_from_dict

    dp = (
        {"enabled": False}
        if mode == "lora"
        else {"noise_multiplier": 1.0, "delta": 1e-5, "clipping": "hooks", "secure_rng": True}
    )
    raw = {
        "name": f"gpu-{mode}",
        "output_dir": str(out),
        "checkpoint_every": 1_000_000,
        "model": {
            "path": str(args.model),
            "dtype": args.dtype,
            "gradient_checkpointing": args.gradient_checkpointing,
        },
        "data": {"format": "prompt_completion", "max_length": args.max_length},
        "lora": {"r": 16, "alpha": 32, "target_modules": args.target_modules.split(",")},
        "dp": dp,
        "schedule": {
            "steps": args.steps,
            "logical_batch_size": args.batch,
            "physical_batch_size": args.physical_batch or args.batch,
            "learning_rate": 2e-4,
        },
    }
    return recipe_from_dict(raw, source=f"gpu-{mode}.toml", base_dir=out)


def mean_tokens(model: Path, data: Any, max_length: int) -> float:
    """Mean tokens of one training example (prompt and completion, truncated as the trainer does)."""
    from govern.training.model import load_tokenizer

    tokenizer = load_tokenizer(model)
    lengths = [
        min(len(tokenizer(f"{r['prompt']}{r['completion']}")["input_ids"]) + 1, max_length)
        for r in data.read()
    ]
    return statistics.mean(lengths)


def one_run(mode: str, args: argparse.Namespace, data: Any, out: Path) -> dict[str, float]:
    import torch

    from govern.training import train

    recipe = recipe_for(mode, args, out)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    torch.cuda.synchronize()
    started = time.perf_counter()
    result = train(recipe, data, run_dir=out / f"{mode}-{time.monotonic_ns()}", device="cuda")
    torch.cuda.synchronize()
    return {
        "train_s": time.perf_counter() - started,
        "peak_gib": torch.cuda.max_memory_allocated() / 2**30,
        "steps": float(result["steps"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, help="a local Hugging Face model folder")
    parser.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float16", "float32"))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16, help="logical batch size")
    parser.add_argument("--physical-batch", type=int, default=None)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target-modules", default="q_proj,k_proj,v_proj,o_proj")
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--world", type=Path, help="a world made by --prepare-world")
    parser.add_argument("--prepare-world", type=Path, metavar="DIR", help="build a world and exit")
    parser.add_argument(
        "--build-model", type=Path, metavar="DIR", help="build a 1.1B-shaped model and exit"
    )
    args = parser.parse_args()
    if args.prepare_world is not None:
        prepare_world(args.prepare_world.resolve())
        return 0
    if args.build_model is not None:
        build_model(args.build_model.resolve())
        return 0

    args.model = args.model.resolve() if args.model is not None else None
    reason = skip_reason(args.model)
    if reason is not None:
        print(reason)
        return 0
    import torch

    times: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    with tempfile.TemporaryDirectory() as tmp:
        if args.world is not None:
            world = json.loads((args.world / "world.json").read_text())
        else:
            workspace, key, snapshot_id = build_world(Path(tmp), args.model.resolve())
            world = {"workspace": str(workspace), "key": str(key), "snapshot": snapshot_id}
        data = admitted(world)
        tokens_per_step = mean_tokens(args.model, data, args.max_length) * args.batch
        one_run("lora", args, data, Path(tmp) / "runs")  # warm-up: CUDA context, kernels
        for round_index in range(args.rounds):
            order = MODES[round_index % 2 :] + MODES[: round_index % 2]
            for mode in order:
                run = one_run(mode, args, data, Path(tmp) / "runs")
                run["tokens_per_s"] = tokens_per_step * run["steps"] / run["train_s"]
                times[mode].append(run)
                print(json.dumps({"round": round_index, "mode": mode, **run}), flush=True)
    print(
        f"\n{args.model.name} on {torch.cuda.get_device_name()}, {args.dtype}, {args.steps} steps of "
        f"{args.batch} records (~{tokens_per_step:.0f} tokens a step), {args.rounds} rounds"
    )
    for mode in MODES:
        runs = times[mode]
        wall = [r["train_s"] for r in runs]
        print(
            f"{mode:5s} wall median {statistics.median(wall):.2f} s (min {min(wall):.2f}, max {max(wall):.2f}); "
            f"{statistics.median(r['tokens_per_s'] for r in runs):,.0f} tokens/s; "
            f"peak memory {max(r['peak_gib'] for r in runs):.2f} GiB"
        )
    ratios = [d["train_s"] / p["train_s"] for d, p in zip(times["dp"], times["lora"], strict=True)]
    print(
        f"DP / LoRA: {statistics.median(ratios):.2f}x (min {min(ratios):.2f}, max {max(ratios):.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
