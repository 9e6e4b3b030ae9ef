"""How the scanner cuts its input into batches: in order, whole records, and a tail every worker shares."""

from __future__ import annotations

from govern.pii.scanner import _grouped


def _records(count: int, texts_each: int = 1) -> list[tuple[int, dict[str, object]]]:
    return [
        (i, {"id": i, **{f"f{k}": f"text {i}.{k}" for k in range(texts_each)}})
        for i in range(count)
    ]


def _sizes(count: int, batch: int, parts: int, texts_each: int = 1) -> list[int]:
    fields = [f"f{k}" for k in range(texts_each)]
    return [
        len(texts) for _, texts in _grouped(_records(count, texts_each), fields, "id", batch, parts)
    ]


def test_a_short_input_is_cut_into_one_equal_batch_per_worker():
    assert _sizes(300, 128, 2) == [150, 150]
    sizes = _sizes(3000, 128, 2)
    assert sum(sizes) == 3000 and sizes[-2:] == [156, 156] and set(sizes[:-2]) == {128}


def test_one_worker_gets_batches_between_half_and_one_and_a_half_the_batch_size():
    for count in (1000, 1100, 1200):
        sizes = _sizes(count, 128, 1)
        assert sum(sizes) == count and max(sizes) <= 192 and min(sizes) >= 64


def test_every_record_comes_back_once_in_order_with_its_texts_together():
    groups = list(_grouped(_records(517, 3), ["f0", "f1", "f2"], "id", 64, 3))
    ids = [slot[0] for group, _ in groups for slot in group]
    assert ids == list(range(517))
    for group, texts in groups:
        for record_id, _line, _record, slots in group:
            assert [texts[i] for _, i in slots] == [f"text {record_id}.{k}" for k in range(3)]
    tail = [len(texts) for _, texts in groups[-3:]]
    assert max(tail) - min(tail) <= 3  # the tail is split over every worker, a record apart


def test_records_with_nothing_to_scan_are_not_held_back_without_end():
    blanks = [(i, {"id": i, "text": " "}) for i in range(5000)]
    first = next(iter(_grouped(blanks, ["text"], "id", 10, 2)))
    assert len(first[0]) < 5000 and first[1] == []
