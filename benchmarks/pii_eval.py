"""Quality of `govern pii` on labelled data: recall (overall and per type), precision, leak rate.

Runs `govern pii detect` and `govern pii redact` (the real CLI, in-process) on the gold file and
scores them with the project's scorer, ../shared/eval/pii_metrics.py. Targets: recall >= 0.98,
precision >= 0.90, leak rate < 0.01.

usage: python benchmarks/pii_eval.py [--gold PATH] [--metrics PATH] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=EVAL_DIR / "pii_dev.jsonl")
    parser.add_argument("--metrics", type=Path, default=EVAL_DIR / "pii_metrics.py")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    findings, redacted = args.out / "pii_findings.jsonl", args.out / "pii_redacted.jsonl"
    from click.testing import CliRunner

    from govern.cli import cli

    for command, out in (("detect", findings), ("redact", redacted)):
        result = CliRunner().invoke(cli, ["pii", command, str(args.gold), "--field", "text", "--id-field", "id", "--out", str(out)])
        if result.exit_code != 0:
            print(result.output, file=sys.stderr)
            return result.exit_code
    scored = subprocess.run(
        [sys.executable, str(args.metrics), str(args.gold), str(findings), "--redacted", str(redacted)],
        capture_output=True, text=True, check=True,
    ).stdout
    metrics = json.loads(scored)
    print(f"gold: {args.gold}")
    print(f"recall        {metrics['recall']:.4f}   (target >= 0.98)")
    print(f"typed recall  {metrics['typed_recall']:.4f}")
    print(f"precision     {metrics['precision']:.4f}   (target >= 0.90)")
    print(f"leak rate     {metrics['leak_rate']:.4f}   (target < 0.01)")
    for label, value in metrics["per_label_recall"].items():
        print(f"  recall {label:<14} {value:.3f}")
    met = metrics["recall"] >= 0.98 and metrics["precision"] >= 0.90 and metrics["leak_rate"] < 0.01
    print("targets met" if met else "targets NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
