"""Fidelity statistics: divergence 0 for the same text, 1 for disjoint text; the KS test's p-value."""

from __future__ import annotations

from govern.synthetic.fidelity import TextRecord, compare, distinct_n


def _records(texts: list[str]) -> list[TextRecord]:
    return [TextRecord(f"r-{i}", {"text": t}) for i, t in enumerate(texts)]


def test_identical_sets_do_not_diverge_and_disjoint_ones_diverge_fully() -> None:
    texts = [f"valve {i} leaked and was replaced" for i in range(30)]
    same = compare(_records(texts), _records(texts), ["text"], 2)
    assert same["divergence"] == 0.0 and same["min_length_ks_pvalue"] == 1.0
    other = [f"zebra z{i} quietly sang songs of rain" for i in range(30)]
    apart = compare(_records(texts), _records(other), ["text"], 2)
    assert apart["fields"]["text"]["unigram_js"] == 1.0 == apart["divergence"]
    assert apart["min_length_ks_pvalue"] < 0.01  # 6 tokens against 7, every time


def test_distinct_n_is_one_for_all_new_ngrams_and_low_for_repetition() -> None:
    assert distinct_n([["a", "b", "c"], ["d", "e", "f"]], 2) == 1.0
    assert distinct_n([["a", "b"]] * 10, 2) == 0.1
    assert distinct_n([], 2) == 0.0
