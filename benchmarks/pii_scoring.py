"""Score PII findings against labelled records, the way ../shared/eval/pii_metrics.py does, grouped.

A gold span is found when findings of any type cover at least half of its characters (typed: one
finding of the same type covers half); a finding counts against precision when it overlaps no
gold span; a leak is a gold value still present verbatim in the redacted text. F2 weighs recall
twice as much as precision. Figures are given overall, per entity type and per locale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FindingTuple = tuple[int, int, str]


@dataclass
class Tally:
    """Counts behind recall, typed recall, precision and leak rate for one group of records."""

    gold: int = 0
    found: int = 0
    typed: int = 0
    findings: int = 0
    findings_on_gold: int = 0
    leak_checked: int = 0
    leaked: int = 0

    def add(self, other: Tally) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def typed_recall(self) -> float:
        return self.typed / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.findings_on_gold / self.findings if self.findings else 1.0

    @property
    def f2(self) -> float:
        p, r = self.precision, self.recall
        return 5 * p * r / (4 * p + r) if p + r else 0.0

    @property
    def leak_rate(self) -> float | None:
        return self.leaked / self.leak_checked if self.leak_checked else None


@dataclass
class Score:
    """A whole set's tally and the same counts per entity type and per locale."""

    total: Tally = field(default_factory=Tally)
    by_type: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_locale: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_domain: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # (id, label, value)
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)  # (id, type, value)


def _covered(span: Mapping[str, Any], findings: Sequence[FindingTuple]) -> tuple[bool, bool]:
    start, end = span["start"], span["end"]
    covered: set[int] = set()
    typed = False
    for a, b, entity in findings:
        overlap = range(max(a, start), min(b, end))
        covered.update(overlap)
        if entity == span["label"] and len(overlap) * 2 >= end - start:
            typed = True
    return len(covered) * 2 >= end - start, typed


def score(
    gold: Iterable[Mapping[str, Any]],
    findings: Mapping[str, Sequence[FindingTuple]],
    redacted: Mapping[str, str] | None = None,
) -> Score:
    """Score findings (by record id) and, if given, redacted texts (by record id) against gold rows."""
    result = Score()
    for row in gold:
        rid = str(row["id"])
        text = row["text"]
        found = findings.get(rid, [])
        locale = str(row.get("locale", "-"))
        domain = str(row.get("domain", "-"))
        per_row = Tally()
        per_type: dict[str, Tally] = defaultdict(Tally)
        for span in row["spans"]:
            hit, typed = _covered(span, found)
            piece = Tally(gold=1, found=int(hit), typed=int(typed))
            if redacted is not None and rid in redacted:
                piece.leak_checked = 1
                piece.leaked = int(text[span["start"] : span["end"]] in redacted[rid])
            per_row.add(piece)
            per_type[span["label"]].add(piece)
            if not hit:
                result.missed.append((rid, span["label"], text[span["start"] : span["end"]]))
        for a, b, entity in found:
            on_gold = any(min(b, s["end"]) > max(a, s["start"]) for s in row["spans"])
            piece = Tally(findings=1, findings_on_gold=int(on_gold))
            per_row.add(piece)
            per_type[entity].add(piece)
            if not on_gold:
                result.false_positives.append((rid, entity, text[a:b]))
        result.total.add(per_row)
        result.by_locale[locale].add(per_row)
        result.by_domain[domain].add(per_row)
        for entity, tally in per_type.items():
            result.by_type[entity].add(tally)
    return result


def _cell(value: float | None) -> str:
    return "  -   " if value is None else f"{value:.4f}"


def table(groups: Mapping[str, Tally], title: str) -> str:
    """A plain-text table of one grouping: n gold spans, recall, typed recall, precision, F2, leak."""
    lines = [
        f"{title:<14} {'gold':>5} {'recall':>7} {'typed':>7} {'prec':>7} {'F2':>7} {'leak':>7}"
    ]
    for name in sorted(groups):
        t = groups[name]
        lines.append(
            f"{name:<14} {t.gold:>5} {_cell(t.recall if t.gold else None):>7} {_cell(t.typed_recall if t.gold else None):>7} "
            f"{_cell(t.precision if t.findings else None):>7} {_cell(t.f2 if t.gold else None):>7} {_cell(t.leak_rate):>7}"
        )
    return "\n".join(lines)
