"""govern's fast paths through Presidio give Presidio's own findings and scores, text for text.

The scanner gates Presidio's regex recognizers (pattern_gate), boosts scores by context words
through token offsets (context_words) and sorts results by recognizer in one pass; each is
compared here with the stock path on the same texts and the same recognizers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
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
    "Server 10.0.0.12:8080 and fe80::1ff:fe23:4567:890a answered; SSN: 123-45-6789.",
    "No digits and no identifiers here at all.",
]


def _texts() -> list[str]:
    rows = [json.loads(line)["text"] for line in TUNE.read_text(encoding="utf-8").splitlines()]
    return CRAFTED + rows[:250]


def _engine(scanner: Scanner) -> Any:
    from govern.pii.scanner import _engine_for

    return _engine_for(scanner.config)


@contextmanager
def _stock(engine: Any) -> Iterator[Any]:
    """Presidio's AnalyzerEngine and context enhancer over the same recognizers, ungated."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    gated = [r for r in engine.analyzer.registry.recognizers if "analyze" in vars(r)]
    assert len(gated) >= 5, "the regex recognizers are not gated: nothing would be compared"
    with pytest.MonkeyPatch.context() as patch:
        for recognizer in gated:
            patch.delattr(recognizer, "analyze")  # back to the class's own analyze
        yield AnalyzerEngine(
            registry=engine.analyzer.registry,
            nlp_engine=engine.nlp_engine,
            supported_languages=[engine.language],
            context_aware_enhancer=LemmaContextAwareEnhancer(),
        )


def _findings(analyzer: Any, engine: Any, texts: list[str]) -> list[list[tuple]]:
    found = []
    for text, artifacts in engine.nlp_engine.process_batch(texts, engine.language, 64):
        results = analyzer.analyze(
            text=text,
            language=engine.language,
            entities=engine.entities,
            nlp_artifacts=artifacts,
            score_threshold=0.0,
        )
        found.append(sorted((r.start, r.end, r.entity_type, r.score) for r in results))
    return found


def test_findings_and_scores_are_presidios_exactly(loaded_scanner):
    engine = _engine(loaded_scanner)
    texts = _texts()
    ours = _findings(engine.analyzer, engine, texts)
    with _stock(engine) as stock:
        assert ours == _findings(stock, engine, texts)


def test_the_comparison_covers_context_boosts(loaded_scanner):
    """Without the context step some scores are lower: the test above compares boosts."""
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

    class NoBoost(ContextAwareEnhancer):
        def enhance_using_context(
            self, text, raw_results, nlp_artifacts, recognizers, context=None
        ):
            return raw_results

    engine = _engine(loaded_scanner)
    with _stock(engine) as stock:
        boosted = _findings(stock, engine, CRAFTED)
        stock.context_aware_enhancer = NoBoost(0, 0, 0, 0)
        plain = _findings(stock, engine, CRAFTED)
    assert sum(a != b for a, b in zip(plain, boosted, strict=True)) >= 3


def test_a_gated_recognizer_finds_what_it_found_ungated_deny_lists_included():
    from presidio_analyzer import PatternRecognizer
    from presidio_analyzer.predefined_recognizers import IbanRecognizer, IpRecognizer

    from govern.pii.pattern_gate import gate_pattern_recognizers

    deny = PatternRecognizer(supported_entity="PROJECT", deny_list=["Project Nightingale"])
    recognizers = [deny, IpRecognizer(), IbanRecognizer()]
    texts = [
        *_texts(),
        "Budget for project nightingale, IP 192.168.0.1, DE89 3704 0044 0532 0130 00",
    ]
    ungated = [[r.analyze(t, [r.supported_entities[0]]) for t in texts] for r in recognizers]
    gate_pattern_recognizers(recognizers)
    assert all("analyze" in vars(r) for r in recognizers)
    gated = [[r.analyze(t, [r.supported_entities[0]]) for t in texts] for r in recognizers]
    spans = [[[(x.start, x.end, x.score) for x in found] for found in per] for per in gated]
    assert spans == [
        [[(x.start, x.end, x.score) for x in found] for found in per] for per in ungated
    ]
    assert all(any(per) for per in spans)  # each found something somewhere
