"""What the console's blind-review page reads and records (re-exported by library.py).

A reviewer sees a sample's items as the sheet shows them: prompt, output A, output B, in the order
drawn per item when the sample was made, and never which one is the adapter. Their answers are
recorded by `blind_review.record_verdicts`, the code `govern review import` runs, signed by the
key in the browser; the form's answers are hashed as the sheet is.

This is the one console page that shows record text (the held-out prompts and the two outputs),
as the review sheet does, and only to reviewer and officer keys: blind review needs it. The copy
it reads is kept 0600 in the workspace's state folder and deleted when a subject of its snapshot
is erased.
"""

from __future__ import annotations

from typing import Any

from govern.canonical import canonical_bytes, sha256_hex
from govern.errors import BadInput
from govern.evaluation.blind_review import record_verdicts, sample_items, samples
from govern.ledger.authority import require
from govern.ledger.keys import Signer

ITEM_PREFIX = "item_"
REVIEW_FIELDS = ("sample", ITEM_PREFIX + "*")  # item_<n>_preference, item_<n>_<criterion>_<a|b>
MAX_FIELDS = 5000


def review_samples(workspace: Any) -> list[dict[str, Any]]:
    """Every review sample, newest first (ids, suite, counts)."""
    with workspace.catalog.reading() as session:
        return samples(session)


def review_sample(workspace: Any, sample_id: str, key_id: str) -> dict[str, Any]:
    """A sample's items for the review form, and whether this key has answered it already."""
    with workspace.catalog.reading() as session:
        found = sample_items(workspace, session, sample_id.strip()[:64])
    return {**found, "answered": key_id in found["reviewers"]}


def record_console_verdicts(workspace: Any, signer: Signer, inputs: dict[str, str]) -> Any:
    """The review form's answers as sheet rows, recorded through `record_verdicts`."""
    if len(inputs) > MAX_FIELDS:
        raise BadInput(f"the form sent more than {MAX_FIELDS} fields")
    sample_id = str(inputs.get("sample") or "").strip()[:64]
    with workspace.catalog.reading() as session:
        require(session, signer, "run.review")  # a key that may not review learns nothing more
        sample = sample_items(workspace, session, sample_id)
    rows = []
    for item in sample["items"]:
        number = item["item"]
        key = f"{ITEM_PREFIX}{number}_"
        row = {
            "item": str(number),
            "preference": inputs.get(key + "preference", ""),
            **{
                f"{c}_{side}": inputs.get(f"{key}{c}_{side}", "")
                for c in sample["criteria"]
                for side in ("a", "b")
            },
        }
        if any(str(v).strip() for k, v in row.items() if k != "item"):
            rows.append((f"review form, item {number}", row))
    answers = sha256_hex(canonical_bytes([row for _, row in rows]))
    summary = record_verdicts(workspace, signer, sample_id, rows, answers, "the review form")
    return {"sample_id": sample_id, "answered": len(rows), **summary}
