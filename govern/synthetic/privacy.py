"""Whether synthetic records copy the real ones they were made from (pure, on datasketch).

- near-duplicates: each record's word 3-shingles go into a MinHash; an LSH index (datasketch's
  MinHashLSH) of the seed and reference records finds, for each synthetic record, the real
  records whose estimated Jaccard similarity reaches the pack's threshold;
- verbatim spans: every window of `span_tokens` consecutive tokens of a seed record is indexed,
  and a synthetic record containing any of them is a verbatim copy;
- within the synthetic set: exact duplicates (same normalised text) and near-duplicates.

Matches name record keys (synthetic and seed), never the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from govern.synthetic.fidelity import TextRecord, ngrams, tokens

SHINGLE = 3
NUM_PERM = 128


@dataclass(frozen=True)
class Match:
    """A synthetic record and the real (or other synthetic) record it copies."""

    record_key: str
    source_key: str
    score: float  # estimated Jaccard similarity, or the span length in tokens

    def to_dict(self) -> dict[str, Any]:
        return {"record": self.record_key, "source": self.source_key, "score": self.score}


def _shingles(record: TextRecord) -> set[bytes]:
    words = tokens(record.text())
    grams = ngrams(words, SHINGLE) if len(words) >= SHINGLE else [tuple(words)]
    return {" ".join(g).encode("utf-8") for g in grams if g}


def _minhashes(records: Sequence[TextRecord], num_perm: int) -> list[Any]:
    from datasketch import MinHash

    sets = [_shingles(r) for r in records]
    return list(MinHash.bulk(sets, num_perm=num_perm)) if sets else []


def near_duplicates(
    synthetic: Sequence[TextRecord],
    sources: Sequence[TextRecord],
    threshold: float,
    num_perm: int = NUM_PERM,
) -> list[Match]:
    """Synthetic records whose estimated Jaccard similarity to a source record is >= threshold
    (the most similar source for each)."""
    from datasketch import MinHashLSH

    if not synthetic or not sources:
        return []
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    source_hashes = _minhashes(sources, num_perm)
    by_key = {}
    for index, (record, minhash) in enumerate(zip(sources, source_hashes, strict=True)):
        name = f"{index}"
        lsh.insert(name, minhash)
        by_key[name] = (record.key, minhash)
    found = []
    for record, minhash in zip(synthetic, _minhashes(synthetic, num_perm), strict=True):
        scored = [
            (round(float(minhash.jaccard(by_key[c][1])), 4), by_key[c][0])
            for c in lsh.query(minhash)
        ]
        best = max((s for s in scored if s[0] >= threshold), default=None)
        if best is not None:
            found.append(Match(record.key, best[1], best[0]))
    return found


def verbatim_copies(
    synthetic: Sequence[TextRecord], seeds: Sequence[TextRecord], span_tokens: int
) -> list[Match]:
    """Synthetic records that contain a run of `span_tokens` consecutive tokens of a seed record."""
    index: dict[tuple[str, ...], str] = {}
    for seed in seeds:
        for gram in ngrams(tokens(seed.text()), span_tokens):
            index.setdefault(gram, seed.key)
    found = []
    for record in synthetic:
        words = tokens(record.text())
        for gram in ngrams(words, span_tokens):
            source = index.get(gram)
            if source is not None:
                found.append(Match(record.key, source, float(span_tokens)))
                break
    return found


def within_duplicates(
    synthetic: Sequence[TextRecord], threshold: float, num_perm: int = NUM_PERM
) -> tuple[list[Match], list[Match]]:
    """Exact and near-duplicates inside the synthetic set: each later record matched to an earlier one."""
    from datasketch import MinHashLSH

    exact: list[Match] = []
    first_of: dict[str, str] = {}
    for record in synthetic:
        normal = " ".join(tokens(record.text()))
        if normal in first_of:
            exact.append(Match(record.key, first_of[normal], 1.0))
        else:
            first_of[normal] = record.key
    near: list[Match] = []
    if not synthetic:
        return exact, near
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    exact_keys = {m.record_key for m in exact}
    hashes = _minhashes(synthetic, num_perm)
    for index, (record, minhash) in enumerate(zip(synthetic, hashes, strict=True)):
        if record.key in exact_keys:
            continue  # counted once, as an exact duplicate
        earlier = [
            (round(float(minhash.jaccard(hashes[int(c)])), 4), synthetic[int(c)].key)
            for c in lsh.query(minhash)
        ]
        best = max((e for e in earlier if e[0] >= threshold), default=None)
        if best is not None:
            near.append(Match(record.key, best[1], best[0]))
        lsh.insert(str(index), minhash)
    return exact, near
