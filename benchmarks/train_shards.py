"""Utility of sharded training (SISA, `train.shards = k`): held-out loss of k = 1 against k = 2, 4.

The example records (160 records of 56 subjects) are read through a real gate. A fifth of the
subjects (a keyed-hash split, seed 99) is held out; the others are split into k shards exactly as
`govern train` splits them (govern.training.shards), and each shard trains its own DP-LoRA adapter
at the same ε target (each subject is in one shard, so the family's ε is that target too), for
the same number of epochs. The held-out loss (mean per-example next-token loss on the completion)
is reported for the base model, for k = 1, and, for k > 1, for each way of combining the shards
(govern.training.shard_inference): ensemble of probabilities, mean of the LoRA deltas, mean of
the LoRA factors. Rounds use different seeds (sampling noise and shard split), k interleaved in a
rotating order; the report gives the median and the min–max over rounds, and the training time.

    python benchmarks/train_shards.py                  # 3 rounds, k = 1, 2, 4 (about 4 min a round on 2 cores)
    python benchmarks/train_shards.py --rounds 1 --shards 1 2
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests/pipeline.py builds the governed workspace

EPOCHS, LOGICAL, EPSILON = 3, 8, 3.0


def build_world(root: Path) -> tuple[Path, Any, Any, Any]:
    """The tiny Llama, the workspace, the engineer and the approved snapshot."""
    from govern.policy.approvals import approve
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl
    from tests.pipeline import EXAMPLES, governed_workspace

    corpus = corpus_from_jsonl(EXAMPLES, ("prompt", "completion", "text"))
    model_dir = build_tiny_model(root / "model", corpus)
    workspace, engineer, officer, snapshot = governed_workspace(root, model_dir)
    approve(workspace, officer, snapshot.id)
    return model_dir, workspace, engineer, snapshot


def recipe_for(model_dir: Path, out: Path, seed: int) -> Any:
    from govern.training.recipe import recipe_from_dict

    raw = {
        "name": "shards",
        "output_dir": str(out),
        "checkpoint_every": 1_000_000,
        "model": {"path": str(model_dir)},
        "data": {"format": "prompt_completion", "max_length": 128},
        "lora": {"r": 8, "alpha": 16, "target_modules": ["q_proj", "v_proj"]},
        "dp": {"target_epsilon": EPSILON, "delta": 1e-4, "accountant": "rdp", "clipping": "hooks"},
        "schedule": {
            "epochs": EPOCHS,
            "logical_batch_size": LOGICAL,
            "learning_rate": 5e-3,
            "seed": seed,
        },
    }
    return recipe_from_dict(raw, source="shards.toml", base_dir=model_dir.parent)


def handles(
    workspace: Any, engineer: Any, snapshot_id: str, recipe: Any, k: int, seed: int
) -> tuple[list[Any], Any]:
    """(the k shard handles without the held-out subjects, the held-out handle), from the gate."""
    from govern.gate import Gate
    from govern.training.shards import ShardSpec

    held = ShardSpec("heldout", 0, 5, 99)
    with workspace.catalog.reading() as session:
        not_held = held.outside(session, [snapshot_id])[snapshot_id]
    full = Gate(workspace).admit(engineer, [snapshot_id], recipe).data
    every = set(range(len(full.manifests[snapshot_id])))
    heldout = dataclasses.replace(full, erased={snapshot_id: not_held})  # narrows the gate's handle
    shards = []
    for index in range(k):
        shard = (
            Gate(workspace)
            .admit(engineer, [snapshot_id], recipe, shard=ShardSpec("b", index, k, seed))
            .data
        )
        leave_out = shard.erased[snapshot_id] | (every - not_held)
        shards.append(dataclasses.replace(shard, erased={snapshot_id: leave_out}))
    return shards, heldout


def heldout_losses(recipe: Any, adapters: list[Path], heldout: Any) -> dict[str, float]:
    from peft import PeftModel

    from govern.training.data import encode_records
    from govern.training.inference import example_losses
    from govern.training.model import load_base_model, load_tokenizer
    from govern.training.shard_inference import averaged_deltas, ensemble_losses, merged_model

    tokenizer = load_tokenizer(recipe.tokenizer_path)
    examples = encode_records(list(heldout.read()), tokenizer, recipe["data"])
    pad, device = tokenizer.pad_token_id, "cpu"

    def base() -> Any:
        return load_base_model(recipe.model_path, "none", device).eval()

    out = {"base": statistics.mean(example_losses(base(), examples, pad, device))}
    models = [PeftModel.from_pretrained(base(), a, is_trainable=False).eval() for a in adapters]
    if len(adapters) == 1:
        out["single"] = statistics.mean(example_losses(models[0], examples, pad, device))
        return out
    out["ensemble"] = statistics.mean(ensemble_losses(models, examples, pad, device))
    for combination in ("delta-average", "factor-average"):
        merged = merged_model(base(), averaged_deltas(adapters, combination))
        out[combination] = statistics.mean(example_losses(merged, examples, pad, device))
    return out


def one_family(world: tuple[Path, Any, Any, Any], out: Path, k: int, seed: int) -> dict[str, Any]:
    from govern.training import train

    model_dir, workspace, engineer, snapshot = world
    recipe = recipe_for(model_dir, out, seed)
    shards, heldout = handles(workspace, engineer, snapshot.id, recipe, k, seed)
    started = time.perf_counter()
    results = [
        train(recipe, data, run_dir=out / f"k{k}-s{seed}-{i}") for i, data in enumerate(shards)
    ]
    seconds = time.perf_counter() - started
    losses = heldout_losses(recipe, [Path(r["adapter_dir"]) for r in results], heldout)
    return {
        "train_s": seconds,
        "epsilon": max(float(r["epsilon"]) for r in results),
        "records": [d.count() for d in shards],
        "heldout_records": heldout.count(),
        **losses,
    }


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.4f} ({min(values):.4f}–{max(values):.4f})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--first-seed", type=int, default=0, help="seed of the first round")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        world = build_world(Path(tmp))
        rounds: list[dict[int, dict[str, Any]]] = []
        for number in range(args.rounds):
            order = (
                args.shards[number % len(args.shards) :] + args.shards[: number % len(args.shards)]
            )
            rounds.append(
                {
                    k: one_family(world, Path(tmp) / f"r{number}", k, args.first_seed + number)
                    for k in order
                }
            )
    if args.json:
        print(json.dumps(rounds, indent=2))
        return
    first = rounds[0][args.shards[0]]
    print(
        f"{args.rounds} round(s); ε {EPSILON} per shard (the family's ε), {EPOCHS} epochs, L = {LOGICAL}; "
        f"held-out: {first['heldout_records']} records; base model loss {spread([r[args.shards[0]]['base'] for r in rounds])}"
    )
    print(
        f"{'k':<3} {'records per shard':<20} {'combination':<16} {'held-out loss (median, min–max)':<34} train s"
    )
    for k in args.shards:
        names = ["single"] if k == 1 else ["ensemble", "delta-average", "factor-average"]
        for name in names:
            print(
                f"{k:<3} {rounds[0][k]['records']!s:<20} {name:<16} {spread([r[k][name] for r in rounds]):<34} "
                f"{statistics.median(r[k]['train_s'] for r in rounds):.1f}"
            )


if __name__ == "__main__":
    main()
