"""One-run privacy audit on the tiny Llama: a memorising non-private run against DP runs.

Each configuration trains once with m canaries (each included with probability 1/2), scores every
canary and K reference secrets by the adapter's loss, and prints the one-run ε lower bound at the
stated confidence beside the accountant's ε, the membership AUC and the exposure of the included
canaries. The trainer reads the example records through a real gate (a workspace with a
permissive pack, as the evaluation tests build it); the audit maths is the same
`govern.evaluation.privacy_audit` code `govern audit privacy` runs.

    python benchmarks/privacy_audit_one_run.py                        # memorise, dp sigma=1.0, dp sigma=0.5
    python benchmarks/privacy_audit_one_run.py --canaries 200 --steps 200 --configs memorise
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
EXAMPLES = REPO / "examples" / "support_records.jsonl"
ALL_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def gated_examples(root: Path, model_dir: Path) -> Any:
    """The gate's handle on all 160 example records, in a workspace whose pack admits every config."""
    from govern.policy.approvals import approve
    from tests.evaluation.conftest import EVAL_PACK
    from tests.pipeline import governed_workspace
    from tests.training.training_helpers import admitted_data

    workspace, engineer, officer, snapshot = governed_workspace(root, model_dir)
    (workspace.root / "policies" / "gate.yaml").write_text(
        EVAL_PACK.replace("name: evalpack", "name: gate")
    )
    approve(workspace, officer, snapshot.id)
    return admitted_data(workspace.root, engineer.path, snapshot.id)


def run_config(
    name: str, args: argparse.Namespace, model_dir: Path, out_dir: Path, data: Any
) -> dict[str, Any]:
    import torch
    from peft import PeftModel

    from govern.evaluation.privacy_audit.audit import analyse, score_secrets
    from govern.evaluation.privacy_audit.canaries import read_canary_file, reference_secrets
    from govern.training import train
    from govern.training.model import load_base_model, load_tokenizer
    from govern.training.recipe import recipe_from_dict

    private = name != "memorise"
    sigma = {"dp-sigma1": 1.0, "dp-sigma0.5": 0.5, "dp-sigma0.3": 0.3}.get(name)
    dp: dict[str, Any] = {"enabled": False}
    if private:
        dp = {
            "noise_multiplier": sigma,
            "delta": 1e-5,
            "max_grad_norm": 1.0,
            "accountant": "prv",
            "clipping": "hooks",
        }
    raw = {
        "name": name,
        "output_dir": str(out_dir),
        "checkpoint_every": 100000,
        "model": {"path": str(model_dir)},
        "data": {"format": "prompt_completion", "max_length": 48},
        "lora": {
            "r": 16,
            "alpha": 32,
            "target_modules": ALL_MODULES if not private else args.dp_modules.split(","),
        },
        "dp": dp,
        "schedule": {
            "steps": args.steps if not private else args.dp_steps,
            "logical_batch_size": 32,
            "learning_rate": args.lr if not private else args.dp_lr,
        },
        "audit": {"canaries": args.canaries, "canary_length": args.canary_length},
    }
    recipe = recipe_from_dict(raw, source=f"{name}.toml", base_dir=model_dir.parent)
    started = time.perf_counter()
    result = train(recipe, data)
    train_s = time.perf_counter() - started
    run_dir = Path(result["adapter_dir"]).parent
    canaries, _ = read_canary_file(run_dir)
    started = time.perf_counter()
    base = load_base_model(model_dir, "none", torch.device("cpu"))
    model = PeftModel.from_pretrained(base, run_dir / "adapter")
    model.eval()
    tokenizer = load_tokenizer(model_dir)
    losses = score_secrets(
        model, tokenizer, canaries.prefix, canaries.secrets, recipe["data"], "cpu"
    )
    refs = score_secrets(
        model,
        tokenizer,
        canaries.prefix,
        reference_secrets(canaries, args.references, 0),
        recipe["data"],
        "cpu",
    )
    report = analyse(canaries, losses, refs, result["delta"] or 0.0, args.confidence)
    audit_s = time.perf_counter() - started
    bound, exposure = report["bound"], report["exposure"]
    return {
        "config": name,
        "private": private,
        "noise_multiplier": sigma,
        "steps": result["steps"],
        "accountant_epsilon": result["epsilon"],
        "delta": result["delta"],
        "canaries": canaries.count,
        "included": canaries.included_count,
        "epsilon_lower_bound": bound["epsilon_lower_bound"],
        "guesses": bound["guesses"],
        "correct": bound["correct"],
        "auc": report["auc"],
        "exposure_included_mean": exposure["included_mean"],
        "exposure_included_max": exposure["included_max"],
        "exposure_excluded_mean": exposure["excluded_mean"],
        "exposure_fitted_included_mean": exposure["included_fitted_mean"],
        "exposure_cap_bits": exposure["cap_bits"],
        "train_s": round(train_s, 1),
        "audit_s": round(audit_s, 2),
        "consistent": (not private) or bound["epsilon_lower_bound"] <= result["epsilon"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--configs",
        default="memorise,dp-sigma1,dp-sigma0.5",
        help="comma list of memorise, dp-sigma1, dp-sigma0.5, dp-sigma0.3",
    )
    parser.add_argument("--canaries", type=int, default=100)
    parser.add_argument("--canary-length", type=int, default=8)
    parser.add_argument("--references", type=int, default=1000)
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--steps", type=int, default=150, help="steps of the memorising run")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--dp-steps", type=int, default=60)
    parser.add_argument("--dp-lr", type=float, default=0.02)
    parser.add_argument("--dp-modules", default="q_proj,v_proj")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from govern.training.tiny import build_tiny_model, corpus_from_jsonl

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_tiny_model(Path(tmp) / "model", corpus_from_jsonl(EXAMPLES, ("text",)))
        data = gated_examples(Path(tmp) / "world", model_dir)
        rows = [
            run_config(name, args, model_dir, Path(tmp) / "runs", data)
            for name in args.configs.split(",")
        ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{'config':<13} {'ε accountant':>12} {'ε lower':>8} {'right':>8} {'AUC':>6} {'exp in':>7} {'exp out':>7} "
        f"{'fitted':>7} {'train s':>8}"
    )
    for r in rows:
        eps = f"{r['accountant_epsilon']:.2f}" if r["accountant_epsilon"] is not None else "none"
        print(
            f"{r['config']:<13} {eps:>12} {r['epsilon_lower_bound']:>8.3f} {r['correct']:>3}/{r['guesses']:<4} "
            f"{r['auc']:>6.3f} {r['exposure_included_mean']:>7.2f} {r['exposure_excluded_mean']:>7.2f} "
            f"{r['exposure_fitted_included_mean']:>7.1f} {r['train_s']:>8.1f}"
        )
    print(
        f"(m = {args.canaries} canaries, {args.references} references, exposure capped at "
        f"{rows[0]['exposure_cap_bits']:.2f} bits, confidence {args.confidence})"
    )


if __name__ == "__main__":
    main()
