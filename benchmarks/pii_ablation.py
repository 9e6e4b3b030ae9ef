"""What each part of the scanner contributes: the same sets scored with parts switched off.

Used by `pii_eval.py --ablation`. Runs in one process on one engine whose recognizer list is
swapped per variant: spaCy NER (its recognizer, and its entities as evidence for names), the
name lists, the context cues, the word frequencies (a word English almost never uses), and
govern's identifier recognizers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pii_scoring import score

Variant = Callable[[list[Any]], list[Any]]


def _person(**flags: bool) -> Variant:
    from govern.pii.recognizers.person import PersonNameRecognizer

    def swap(recognizers: list[Any]) -> list[Any]:
        return [
            PersonNameRecognizer("en", **flags) if r.name == "PersonNameRecognizer" else r
            for r in recognizers
        ]

    return swap


def _without(*names: str) -> Variant:
    return lambda recognizers: [r for r in recognizers if r.name not in names]


_IDENTIFIERS = (
    "UkNinoRecognizer",
    "UkNhsRecognizer",
    "AuTfnRecognizer",
    "AuAbnRecognizer",
    "AuMedicareRecognizer",
    "CaSinRecognizer",
    "IePpsnRecognizer",
    "InPanRecognizer",
    "InAadhaarRecognizer",
    "NzIrdRecognizer",
    "NzNhiRecognizer",
    "BankAccountRecognizer",
)


def variants() -> dict[str, Variant]:
    return {
        "everything": lambda recognizers: list(recognizers),
        "no spaCy NER": lambda rs: _person(use_ner=False)(_without("SpacyNerRecognizer")(rs)),
        "no name lists": _person(use_lists=False),
        "no context cues": _person(use_context=False),
        "no word frequencies": _person(use_frequency=False),
        "names: spaCy only": _without("PersonNameRecognizer"),
        "names: lists only": lambda rs: _person(use_context=False, use_ner=False)(
            _without("SpacyNerRecognizer")(rs)
        ),
        "no identifier recognizers": _without(*_IDENTIFIERS),
    }


def run_ablation(sets: Mapping[str, list[dict[str, Any]]]) -> None:
    from govern.pii import ScannerConfig
    from govern.pii.engine import build_engine
    from govern.pii.scanner import scan_batch

    config = ScannerConfig()
    engine = build_engine(config)
    full = list(engine.analyzer.registry.recognizers)
    print("\n| variant | set | recall | PERSON recall | precision | PERSON precision | F2 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for label, variant in variants().items():
        engine.analyzer.registry.recognizers = variant(full)
        for name, rows in sets.items():
            texts = [row["text"] for row in rows]
            found: dict[str, list[tuple[int, int, str]]] = {}
            for i in range(0, len(texts), 128):
                for offset, spans in enumerate(
                    scan_batch(engine, texts[i : i + 128], config.chunk_chars)
                ):
                    found[str(rows[i + offset]["id"])] = [(s[0], s[1], s[2]) for s in spans]
            result = score(rows, found)
            t, person = result.total, result.by_type.get("PERSON")
            person_recall = f"{person.recall:.4f}" if person and person.gold else "-"
            person_precision = f"{person.precision:.4f}" if person and person.findings else "-"
            print(
                f"| {label} | {name} | {t.recall:.4f} | {person_recall} | {t.precision:.4f} | {person_precision} | {t.f2:.4f} |"
            )
    engine.analyzer.registry.recognizers = full
