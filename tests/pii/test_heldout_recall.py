"""The scanner on text it was never tuned on: a fixed sample of the held-out split stays above a floor.

The floor sits a little under what the full split scores (benchmarks/pii_eval.py prints it); a
change that loses a class of names or identifiers on unseen wording drops below it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SAMPLE = 400  # the first records of the held-out split, every locale and domain among them
RECALL_FLOOR = 0.96
PRECISION_FLOOR = 0.90


@pytest.mark.slow
def test_held_out_recall_and_precision_on_a_fixed_sample_stay_above_their_floor(loaded_scanner):
    sys.path.insert(0, str(BENCHMARKS))
    from pii_scoring import score

    lines = (BENCHMARKS / "pii_data" / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines[:SAMPLE]]
    assert len({row["locale"] for row in rows}) == 8
    found = {
        str(row["id"]): [(s.start, s.end, s.entity_type) for s in spans]
        for row, spans in zip(rows, loaded_scanner.scan_texts(r["text"] for r in rows), strict=True)
    }
    result = score(rows, found)
    total = result.total
    assert total.recall >= RECALL_FLOOR, (total.recall, dict(result.by_locale))
    assert total.precision >= PRECISION_FLOOR, total.precision
    person = result.by_type["PERSON"]
    assert person.recall >= RECALL_FLOOR - 0.02, person.recall
