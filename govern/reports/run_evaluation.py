"""The run report's evaluation facts: every suite metric for base and adapter with its interval,
the blind review (win rate with its interval, reviewer agreement), the PII probe, and the chain
of stages the adapter continues (issue 16)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from govern.catalog.models import TrainingRun

METRIC_NAMES = {
    "exact_match": "Exact match",
    "rouge_l": "ROUGE-L",
    "chrf": "chrF",
    "accuracy": "Label accuracy",
    "loss": "Loss",
}


def evaluation_facts(session: Session, run: TrainingRun) -> dict[str, Any]:
    """Suites (newest run of each), the blind review summary and the run's chain of stages."""
    from govern.evaluation.blind_review import review_summary
    from govern.evaluation.chain import run_chain, suite_deltas
    from govern.evaluation.suite_run import suite_results

    confidence = {r["suite"]: r["bootstrap"]["confidence"] for r in suite_results(session, run.id)}
    suites = [
        {
            **suite,
            "confidence": confidence.get(suite["suite"]),
            "rows": [
                {"metric": name, "label": METRIC_NAMES.get(name, name), **values}
                for name, values in sorted(suite["metrics"].items(), key=_metric_order)
            ],
        }
        for suite in suite_deltas(session, run.id)
    ]
    review = review_summary(session, run.id)
    return {
        "suites": suites,
        "review": review if review["samples"] else None,
        "chain": run_chain(session, run.id)["stages"],
    }


def _metric_order(item: tuple[str, Any]) -> tuple[int, str]:
    names = list(METRIC_NAMES)
    return (names.index(item[0]) if item[0] in names else len(names), item[0])
