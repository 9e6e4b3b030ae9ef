"""Copies of seed records: MinHash/LSH near-duplicates, verbatim spans, duplicates within the set."""

from __future__ import annotations

from govern.synthetic.fidelity import TextRecord
from govern.synthetic.privacy import near_duplicates, verbatim_copies, within_duplicates

SEED = TextRecord(
    "s-1",
    {"text": "pump 7 leaked at the north seal after the night shift, bearing replaced and tested"},
)
OTHER = TextRecord(
    "s-2", {"text": "crane 2 cable frayed near the hook, inspection booked for monday"}
)


def _r(key: str, text: str) -> TextRecord:
    return TextRecord(key, {"text": text})


def test_a_one_word_edit_of_a_seed_is_a_near_duplicate_of_that_seed_only() -> None:
    edited = _r("g-1", SEED.fields["text"].replace("tested", "checked"))
    fresh = _r("g-2", "boiler 4 pressure dropped overnight so the relief valve was cleaned")
    found = near_duplicates([edited, fresh], [SEED, OTHER], threshold=0.7)
    assert [(m.record_key, m.source_key) for m in found] == [("g-1", "s-1")]
    assert 0.7 <= found[0].score < 1.0


def test_a_copied_span_of_n_tokens_is_verbatim_and_a_shorter_one_is_not() -> None:
    eight = _r("g-1", "report: leaked at the north seal after the night shift, nothing else")
    seven = _r("g-2", "report: leaked at the north seal after the, nothing else")
    found = verbatim_copies([eight, seven], [SEED, OTHER], span_tokens=8)
    assert [(m.record_key, m.source_key) for m in found] == [("g-1", "s-1")]


def test_duplicates_within_the_set_name_the_later_record_and_its_earlier_twin() -> None:
    a = _r("g-1", SEED.fields["text"])
    b = _r("g-2", SEED.fields["text"].upper())
    c = _r("g-3", SEED.fields["text"].replace("tested", "checked"))
    d = _r("g-4", OTHER.fields["text"])
    exact, near = within_duplicates([a, b, c, d], threshold=0.7)
    assert [(m.record_key, m.source_key) for m in exact] == [("g-2", "g-1")]
    assert [(m.record_key, m.source_key) for m in near] == [("g-3", "g-1")]
