"""govern's context-word boost gives the scores Presidio's own enhancer gives, text for text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from govern.pii import Scanner

TUNE = Path(__file__).resolve().parents[2] / "benchmarks" / "pii_data" / "tune.jsonl"
CRAFTED = [
    "Call me on 555 0134 after six.",
    "phone: 020 7946 0958",
    "tel:+44 20 7946 0958 or fax:+44 20 7946 0959",
    "The mobile you asked for, as promised to the team last week, is 07700 900123.",
    "Number 4111 1111 1111 1111 is the card; the SSN is 078-05-1120.",
    "İstanbul office, telefon or phone 0212 555 1234, ask for Ayşe Yılmaz.",
    "contact\n\n   +1 (415) 555-0199 x 22",
    "My IBAN is GB82 WEST 1234 5698 7654 32 and my passport is 912803456.",
]


def _texts() -> list[str]:
    rows = [json.loads(line)["text"] for line in TUNE.read_text(encoding="utf-8").splitlines()]
    return CRAFTED + rows[:250]


def _findings(analyzer: Any, engine: Any, texts: list[str]) -> list[list[tuple]]:
    found = []
    for text, artifacts in engine.nlp_engine.process_batch(texts, engine.language):
        results = analyzer.analyze(
            text=text,
            language=engine.language,
            entities=engine.entities,
            nlp_artifacts=artifacts,
            score_threshold=0.0,
        )
        found.append(sorted((r.start, r.end, r.entity_type, r.score) for r in results))
    return found


@pytest.fixture(scope="module")
def stock_analyzer(loaded_scanner: Scanner) -> Any:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    from govern.pii.scanner import _engine_for

    engine = _engine_for(loaded_scanner.config)
    return AnalyzerEngine(
        registry=engine.analyzer.registry,
        nlp_engine=engine.nlp_engine,
        supported_languages=[engine.language],
        context_aware_enhancer=LemmaContextAwareEnhancer(),
    )


def test_scores_after_context_words_are_presidios_exactly(loaded_scanner, stock_analyzer):
    from govern.pii.scanner import _engine_for

    engine = _engine_for(loaded_scanner.config)
    texts = _texts()
    ours = _findings(engine.analyzer, engine, texts)
    stock = _findings(stock_analyzer, engine, texts)
    assert ours == stock


def test_the_comparison_covers_boosted_scores(loaded_scanner, stock_analyzer):
    """Without the context step some of these scores are lower: the test above compares boosts."""
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

    from govern.pii.scanner import _engine_for

    class NoBoost(ContextAwareEnhancer):
        def enhance_using_context(
            self, text, raw_results, nlp_artifacts, recognizers, context=None
        ):
            return raw_results

    engine = _engine_for(loaded_scanner.config)
    enhancer = stock_analyzer.context_aware_enhancer
    stock_analyzer.context_aware_enhancer = NoBoost(0, 0, 0, 0)
    try:
        plain = _findings(stock_analyzer, engine, CRAFTED)
    finally:
        stock_analyzer.context_aware_enhancer = enhancer
    boosted = _findings(stock_analyzer, engine, CRAFTED)
    assert sum(a != b for a, b in zip(plain, boosted, strict=True)) >= 3
