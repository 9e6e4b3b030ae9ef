"""DP-LoRA against non-private LoRA: step time and peak memory on the same model and batch.

Each mode runs in a fresh child process, so its peak memory is its own:
  lora         non-private LoRA: per-example loss, mean, backward, AdamW step
  dp-hooks     Opacus per-sample gradients (hooks), flat clipping, Gaussian noise, same step
  dp-ghost     Opacus fast/ghost clipping (two backward passes, no per-sample gradients kept)
Every mode sees the same fixed batch, so the ratios isolate the cost of DP. Memory is the
CUDA peak allocation on a GPU; on CPU it is the peak RSS, reported whole and as the growth
over the loaded model. On a shared CPU, wall time is noisy: the modes run interleaved for
--rounds rounds and each keeps its fastest; process CPU time is printed too. Goal: DP at most 1.3x the time and 1.1x the memory of LoRA.

    python benchmarks/train_dp_vs_lora.py                      # a small Llama, batch 16 x 128 tokens
    python benchmarks/train_dp_vs_lora.py --hidden-size 64 --layers 2 --steps 5   # quick
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODES = ("lora", "dp-hooks", "dp-ghost")


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    import opacus  # noqa: F401 - every mode imports it (as govern's trainer does), so RSS compares training only
    import torch

    from govern.training.loss import per_example_loss
    from govern.training.model import build_training_model, trainable_parameters
    from govern.training.plan import PrivacyPlan
    from govern.training.recipe import recipe_from_dict
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl
    from govern.training.trainer import DPEngine

    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = corpus_from_jsonl(Path(__file__).resolve().parents[1] / "examples" / "support_records.jsonl", ("text",))
        build_tiny_model(
            Path(tmp) / "model", corpus, hidden_size=args.hidden_size, intermediate_size=args.hidden_size * 4,
            num_hidden_layers=args.layers, num_attention_heads=args.heads, num_key_value_heads=args.heads,
            vocab_size=args.vocab, max_position_embeddings=max(256, args.seq),
        )
        recipe = recipe_from_dict(
            {
                "model": {"path": "model"},
                "data": {"format": "text"},
                "lora": {"r": args.rank, "alpha": 2 * args.rank, "target_modules": args.targets.split(",")},
                "dp": {"enabled": mode != "lora", "noise_multiplier": 1.0, "clipping": mode.removeprefix("dp-") if mode != "lora" else "auto"},
                "schedule": {"steps": args.steps, "logical_batch_size": args.batch, "learning_rate": 1e-3},
            },
            base_dir=tmp,
        )
        model = build_training_model(recipe, device)
        params = trainable_parameters(model)
        optimizer = torch.optim.AdamW(params, lr=1e-3)
        gen = torch.Generator().manual_seed(0)
        ids = torch.randint(4, args.vocab, (args.batch, args.seq), generator=gen)
        batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids.clone()}
        engine = None
        if mode != "lora":
            plan = PrivacyPlan(private=True, num_examples=args.batch * 10, sample_rate=0.1, steps=args.steps,
                               logical_batch_size=args.batch, noise_multiplier=1.0, max_grad_norm=1.0, delta=1e-5,
                               accountant="rdp")
            engine = DPEngine.build(model, optimizer, plan, mode.removeprefix("dp-"), torch.Generator(device=device).manual_seed(1))

        def step() -> None:
            if engine is not None:
                engine.physical_step(model, engine.optimizer, batch, device, args.batch)
            else:
                moved = {k: v.to(device) for k, v in batch.items()}
                logits = model(input_ids=moved["input_ids"], attention_mask=moved["attention_mask"]).logits
                per_example_loss(logits, moved["labels"]).mean().backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)

        for _ in range(args.warmup):
            step()
        if device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        rss_before = _rss_mb()
        times, cpu_times = [], []
        for _ in range(args.steps):
            start, cpu_start = time.perf_counter(), time.process_time()
            step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result = {
            "mode": mode,
            "device": str(device),
            "step_s": statistics.median(times),
            "step_cpu_s": statistics.median(cpu_times),
            "peak_mb": torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else peak_rss,
            "growth_mb": (torch.cuda.max_memory_allocated() / 2**20) if device.type == "cuda" else max(peak_rss - rss_before, 0.0),
            "trainable_params": sum(p.numel() for p in params),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", choices=MODES)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=384)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--targets", default="q_proj,k_proj,v_proj,o_proj")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="run the modes in turn this many times; keep each mode's fastest")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args)))
        return
    keys = ("hidden_size", "layers", "heads", "vocab", "seq", "batch", "rank", "targets", "steps", "warmup", "threads")
    passthrough = [item for key in keys for item in (f"--{key.replace('_', '-')}", str(getattr(args, key)))]
    results: dict[str, dict[str, Any]] = {}
    for _ in range(args.rounds):  # interleaved, so load from other processes hits every mode alike
        for mode in args.modes.split(","):
            out = subprocess.run([sys.executable, __file__, "--child", mode, *passthrough], capture_output=True, text=True, check=True)
            run = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps(run))
            if mode not in results or run["step_s"] < results[mode]["step_s"]:
                results[mode] = run
    base = results.get("lora")
    if base:
        for mode, r in results.items():
            if mode == "lora":
                continue
            print(
                f"{mode}: time x{r['step_s'] / base['step_s']:.2f} (goal <= 1.3; CPU time x{r['step_cpu_s'] / base['step_cpu_s']:.2f}), "
                f"peak memory x{r['peak_mb'] / base['peak_mb']:.2f} (goal <= 1.1), "
                f"memory growth over the loaded model {r['growth_mb']:.0f} MB vs {base['growth_mb']:.0f} MB"
            )


if __name__ == "__main__":
    main()
