"""Quality of `govern pii` on labelled sets: recall, typed recall, precision, F2 and leak rate,
overall, per entity type and per locale.

Sets: `dev` (../shared/eval/pii_dev.jsonl, the labelled set shipped to the project), `tune`,
`fresh`, `fresh2`, `heldout` and `fresh3` (benchmarks/pii_data/, made by pii_generate.py;
recognizers may be tuned on `tune`, `fresh` and `fresh2`, never on `heldout`; `fresh3` was written
by someone who never saw the recognizers and is never tuned on, like heldout). Each set goes
through `govern pii detect` and `govern pii redact` (the real CLI, in-process) and is scored by
pii_scoring.py; the headline figures are cross-checked with the project's scorer,
../shared/eval/pii_metrics.py. Targets on `heldout`: recall >= 0.98, precision >= 0.90, leak
rate < 0.01. `--ablation` also scores the scanner with parts of it switched off (spaCy NER, name
lists, context cues, identifier recognizers).

usage: python benchmarks/pii_eval.py [--sets dev,tune,fresh,heldout] [--ablation] [--misses SET] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pii_scoring import Score, Tally, score, table

HERE = Path(__file__).resolve().parent


def _eval_dir() -> Path:
    """The nearest shared/eval/ above this file (the repository sits beside shared/, maybe deeper)."""
    for parent in HERE.parents:
        if (parent / "shared" / "eval" / "pii_dev.jsonl").is_file():
            return parent / "shared" / "eval"
    return HERE.parents[1] / "shared" / "eval"


EVAL_DIR = _eval_dir()
SETS = {
    "dev": EVAL_DIR / "pii_dev.jsonl",
    "tune": HERE / "pii_data" / "tune.jsonl",
    "fresh": HERE / "pii_data" / "fresh.jsonl",
    "fresh2": HERE / "pii_data" / "fresh2.jsonl",
    "heldout": HERE / "pii_data" / "heldout.jsonl",
    "fresh3": HERE / "pii_data" / "fresh3.jsonl",
}
HELD_OUT = ("heldout", "fresh3")  # never tuned on: their misses stay hidden while tuning
TARGETS = {"recall": 0.98, "precision": 0.90, "leak_rate": 0.01}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def run_cli(gold: Path, out: Path) -> tuple[Path, Path]:
    from click.testing import CliRunner

    from govern.cli import cli

    findings, redacted = out / f"{gold.stem}.findings.jsonl", out / f"{gold.stem}.redacted.jsonl"
    for command, target in (("detect", findings), ("redact", redacted)):
        result = CliRunner().invoke(
            cli,
            [
                "pii",
                command,
                str(gold),
                "--field",
                "text",
                "--id-field",
                "id",
                "--out",
                str(target),
            ],
        )
        if result.exit_code != 0:
            raise SystemExit(f"govern pii {command} {gold} failed:\n{result.output}")
    return findings, redacted


def load_findings(path: Path) -> dict[str, list[tuple[int, int, str]]]:
    found: dict[str, list[tuple[int, int, str]]] = {}
    for row in read_jsonl(path):
        found.setdefault(str(row["id"]), []).append(
            (int(row["start"]), int(row["end"]), row["entity_type"])
        )
    return found


def cross_check(metrics: Path, gold: Path, findings: Path, redacted: Path) -> dict[str, Any] | None:
    if not metrics.is_file():
        return None
    done = subprocess.run(
        [sys.executable, str(metrics), str(gold), str(findings), "--redacted", str(redacted)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def headline(name: str, t: Tally, records: int) -> str:
    leak = t.leak_rate
    return (
        f"| {name} | {records} | {t.gold} | {t.recall:.4f} | {t.typed_recall:.4f} | {t.precision:.4f} | {t.f2:.4f} | "
        f"{'-' if leak is None else f'{leak:.4f}'} |"
    )


def evaluate_set(name: str, path: Path, out: Path, metrics: Path) -> tuple[Score, int]:
    gold = read_jsonl(path)
    findings_path, redacted_path = run_cli(path, out)
    redacted = {str(r["id"]): r["text"] for r in read_jsonl(redacted_path)}
    result = score(gold, load_findings(findings_path), redacted)
    t = result.total
    print(f"\n=== {name}: {path} ({len(gold)} records, {t.gold} gold spans, {t.findings} findings)")
    print(
        f"recall {t.recall:.4f}  typed recall {t.typed_recall:.4f}  precision {t.precision:.4f}  F2 {t.f2:.4f}  "
        f"leak rate {t.leak_rate:.4f}"
    )
    checked = cross_check(metrics, path, findings_path, redacted_path)
    if checked is not None:
        same = (
            abs(checked["recall"] - t.recall) < 1e-3
            and abs(checked["precision"] - t.precision) < 1e-3
            and abs(checked["leak_rate"] - (t.leak_rate or 0)) < 1e-3
        )
        print(
            f"pii_metrics.py: recall {checked['recall']}  precision {checked['precision']}  leak {checked['leak_rate']}"
            f"  ({'agrees' if same else 'DISAGREES'})"
        )
    print(table(result.by_type, "entity type"))
    if len(result.by_locale) > 1:
        print(table(result.by_locale, "locale"))
    if len(result.by_domain) > 1:
        print(table(result.by_domain, "domain"))
    return result, len(gold)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sets",
        default="dev,tune,fresh,heldout",
        help="comma-separated: dev, tune, fresh, fresh2, heldout, fresh3",
    )
    parser.add_argument("--metrics", type=Path, default=EVAL_DIR / "pii_metrics.py")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument(
        "--ablation", action="store_true", help="also score with parts of the scanner switched off"
    )
    parser.add_argument(
        "--misses",
        default="",
        help="print misses and false positives of these sets (not heldout or fresh3)",
    )
    parser.add_argument(
        "--show-heldout-misses",
        action="store_true",
        help="allow --misses heldout / fresh3: only once tuning is over, or the split stops being held out",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    names = [n for n in args.sets.split(",") if n]
    unknown = [n for n in names if n not in SETS]
    if unknown:
        parser.error(f"unknown set {', '.join(unknown)}; known: {', '.join(SETS)}")
    show = {n for n in args.misses.split(",") if n}
    hidden = [n for n in HELD_OUT if n in show]
    if hidden and not args.show_heldout_misses:
        parser.error(
            f"{' and '.join(hidden)} misses stay hidden while tuning; add --show-heldout-misses"
            " once tuning is over"
        )
    results: dict[str, tuple[Score, int]] = {}
    for name in names:
        results[name] = evaluate_set(name, SETS[name], args.out, args.metrics)
        if name in show:
            result = results[name][0]
            print(f"--- {name}: {len(result.missed)} missed spans")
            for rid, label, value in result.missed:
                print(f"  MISS {rid} {label:<14} {value!r}")
            print(f"--- {name}: {len(result.false_positives)} findings on no gold span")
            for rid, entity, value in result.false_positives:
                print(f"  FP   {rid} {entity:<14} {value!r}")
    print("\n| set | records | gold spans | recall | typed recall | precision | F2 | leak rate |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, (result, records) in results.items():
        print(headline(name, result.total, records))
    if args.ablation:
        from pii_ablation import run_ablation

        run_ablation({name: read_jsonl(SETS[name]) for name in names})
    if "heldout" not in results:
        return 0
    t = results["heldout"][0].total
    met = (
        t.recall >= TARGETS["recall"]
        and t.precision >= TARGETS["precision"]
        and (t.leak_rate or 0) < TARGETS["leak_rate"]
    )
    print(
        f"\nheldout targets (recall >= 0.98, precision >= 0.90, leak < 0.01): {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
