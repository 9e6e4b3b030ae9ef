"""Per-item metrics of generated text against references, and bootstrap confidence intervals.

ROUGE-L comes from Google's `rouge-score`, chrF from `sacrebleu`; exact match and label accuracy
compare normalised strings. Every metric scores each item on its own, so one resampling of the
items gives the confidence interval of every metric (the percentile bootstrap).
"""

from __future__ import annotations

import functools
import random
import re
import statistics
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

TEXT_METRICS = ("exact_match", "rouge_l", "chrf", "accuracy")
METRICS = (*TEXT_METRICS, "loss")


def normalise(text: str) -> str:
    """Lower case, NFKC, punctuation dropped and whitespace collapsed (SQuAD-style)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text)
    return " ".join(text.split())


def exact_match(prediction: str, reference: str) -> float:
    return float(normalise(prediction) == normalise(reference))


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure (rouge-score, with stemming)."""
    return float(_rouge_scorer().score(reference, prediction)["rougeL"].fmeasure)


def chrf(prediction: str, reference: str) -> float:
    """Sentence chrF (sacrebleu's defaults: character 6-grams, β = 2), on a 0..100 scale."""
    from sacrebleu.metrics.chrf import CHRF

    return float(CHRF().sentence_score(prediction, [reference]).score)


def accuracy(prediction: str, reference: str) -> float:
    """Classification by label match: the prediction's first word is the reference label."""
    words = normalise(prediction).split()
    return float(bool(words) and words[0] == normalise(reference))


SCORERS: dict[str, Callable[[str, str], float]] = {
    "exact_match": exact_match,
    "rouge_l": rouge_l,
    "chrf": chrf,
    "accuracy": accuracy,
}


@functools.cache
def _rouge_scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


@dataclass(frozen=True)
class Estimate:
    """A metric's mean over items with its percentile-bootstrap interval."""

    mean: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "low": self.low, "high": self.high}


def bootstrap(scores: Sequence[float], resamples: int, confidence: float, seed: int) -> Estimate:
    """Mean of `scores` and its percentile-bootstrap interval at `confidence`."""
    if not scores:
        raise ValueError("no scores to summarise")
    rng = random.Random(seed)
    n = len(scores)
    means = sorted(sum(scores[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    tail = (1.0 - confidence) / 2.0
    low = means[int(tail * (resamples - 1))]
    high = means[round((1.0 - tail) * (resamples - 1))]
    return Estimate(statistics.fmean(scores), low, high)


def paired_difference(
    adapter: Sequence[float], base: Sequence[float], resamples: int, confidence: float, seed: int
) -> Estimate:
    """Adapter minus base, resampling items (both systems saw the same prompts)."""
    return bootstrap(
        [a - b for a, b in zip(adapter, base, strict=True)], resamples, confidence, seed
    )


_SPACE = re.compile(r"\s+")


def clean_generation(text: str) -> str:
    """A generated continuation as scored: stripped, whitespace collapsed."""
    return _SPACE.sub(" ", text).strip()
