"""How close synthetic records are to real ones: pure statistics over tokenised text.

Per text field: the token-length distributions compared with a two-sample Kolmogorov-Smirnov
test (scipy), and the unigram and n-gram distributions compared with the Jensen-Shannon
divergence (base 2, so 0 = identical, 1 = disjoint). Over the whole set: distinct-n diversity
(distinct n-grams / all n-grams). Results hold statistics only, never text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class TextRecord:
    """One record as the validation sees it: its catalog key and its text fields."""

    key: str
    fields: Mapping[str, str]

    def text(self) -> str:
        return "\n".join(self.fields.get(name, "") for name in sorted(self.fields))


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _TOKEN.findall(text.lower())


def ngrams(items: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(items[i : i + n]) for i in range(len(items) - n + 1)]


def js_divergence(left: Counter[Any], right: Counter[Any]) -> float:
    """Jensen-Shannon divergence (base 2) of two count distributions; 1.0 when either is empty."""
    from scipy.spatial.distance import jensenshannon

    if not left or not right:
        return 1.0
    support = sorted(set(left) | set(right), key=repr)
    p = [left.get(k, 0) for k in support]
    q = [right.get(k, 0) for k in support]
    return round(float(jensenshannon(p, q, base=2)) ** 2, 6)


def distinct_n(token_lists: Sequence[Sequence[str]], n: int) -> float:
    """Distinct n-grams over all n-grams of the set (0 when there are none)."""
    grams: list[tuple[str, ...]] = [g for t in token_lists for g in ngrams(t, n)]
    return round(len(set(grams)) / len(grams), 6) if grams else 0.0


def field_fidelity(synthetic: Sequence[str], reference: Sequence[str], n: int) -> dict[str, Any]:
    """Length KS test and unigram / n-gram divergence of one field."""
    from scipy.stats import ks_2samp

    syn = [tokens(t) for t in synthetic]
    ref = [tokens(t) for t in reference]
    syn_len, ref_len = [len(t) for t in syn], [len(t) for t in ref]
    if syn_len and ref_len:
        test = ks_2samp(syn_len, ref_len)
        ks_statistic, ks_pvalue = round(float(test.statistic), 6), round(float(test.pvalue), 6)
    else:
        ks_statistic, ks_pvalue = 1.0, 0.0
    return {
        "mean_tokens_synthetic": round(sum(syn_len) / len(syn_len), 3) if syn_len else 0.0,
        "mean_tokens_reference": round(sum(ref_len) / len(ref_len), 3) if ref_len else 0.0,
        "length_ks_statistic": ks_statistic,
        "length_ks_pvalue": ks_pvalue,
        "unigram_js": js_divergence(
            Counter(w for t in syn for w in t), Counter(w for t in ref for w in t)
        ),
        f"{n}gram_js": js_divergence(
            Counter(g for t in syn for g in ngrams(t, n)),
            Counter(g for t in ref for g in ngrams(t, n)),
        ),
    }


def compare(
    synthetic: Sequence[TextRecord], reference: Sequence[TextRecord], fields: Sequence[str], n: int
) -> dict[str, Any]:
    """Fidelity of a synthetic set to a real reference: per field, the worst divergence, distinct-n."""
    per_field = {
        name: field_fidelity(
            [r.fields.get(name, "") for r in synthetic],
            [r.fields.get(name, "") for r in reference],
            n,
        )
        for name in fields
    }
    divergence = max(
        (max(f["unigram_js"], f[f"{n}gram_js"]) for f in per_field.values()), default=0.0
    )
    syn_tokens = [tokens(r.text()) for r in synthetic]
    ref_tokens = [tokens(r.text()) for r in reference]
    return {
        "n": n,
        "fields": per_field,
        "divergence": divergence,
        "min_length_ks_pvalue": min(
            (f["length_ks_pvalue"] for f in per_field.values()), default=1.0
        ),
        "distinct": {
            "synthetic_distinct_1": distinct_n(syn_tokens, 1),
            f"synthetic_distinct_{n}": distinct_n(syn_tokens, n),
            "reference_distinct_1": distinct_n(ref_tokens, 1),
            f"reference_distinct_{n}": distinct_n(ref_tokens, n),
        },
    }
