"""Red team: blind review. The A/B assignment must stay secret until verdicts are imported, and a
reviewer must not count twice for the same item."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from govern.canonical import canonical_bytes, sha256_hex
from govern.evaluation import blind_review, suite_run
from govern.ledger.authority import verified_entries
from tests.conftest import _new_key

SUITE = """\
name: held-out
snapshot: 0123456789abcdef
pii_probe: false
"""


def _fake_generation(items: int) -> Any:
    """What generate_both returns, without a model: the attack is on the sheet and the ledger."""

    def generate_both(workspace: Any, actor: Any, run_id: str, suite: Any, device: Any) -> Any:
        run = SimpleNamespace(id=run_id)
        prompts = [f"question {i}" for i in range(items)]
        data = SimpleNamespace(snapshot_id="0123456789abcdef" * 4, prompts=prompts)
        return (
            run,
            data,
            [f"base {i}" for i in range(items)],
            [f"tuned {i}" for i in range(items)],
            None,
        )

    return generate_both


def test_the_assignment_cannot_be_recovered_from_the_ledger(
    sqlite_workspace: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = sqlite_workspace
    engineer = _new_key(workspace, "engineer", "erin")
    (workspace.root / "evals").mkdir(exist_ok=True)
    (workspace.root / "evals" / "held-out.yaml").write_text(SUITE)
    monkeypatch.setattr(suite_run, "generate_both", _fake_generation(12))
    blind_review.sample_for_review(
        workspace, engineer, "r" * 32, "held-out", 12, tmp_path / "sheet.jsonl"
    )
    # The reviewer: reads only the ledger (`govern audit log --event review.sampled --json`).
    with workspace.catalog.reading() as session:
        ((_, sample),) = verified_entries(session, blind_review.SAMPLE_EVENT, "r" * 32)
    items = [str(i) for i in sample["items"]]
    recovered = None
    for sides in itertools.product(("adapter", "base"), repeat=len(items)):
        guess = {
            "sample_id": sample["sample_id"],
            "assignment": dict(zip(items, sides, strict=True)),
        }
        if sha256_hex(canonical_bytes(guess)) == sample["assignment_hash"]:
            recovered = guess["assignment"]
            break
    secret = json.loads(
        (workspace.state_dir / "secrets" / f"review-{sample['sample_id']}.json").read_bytes()
    )
    assert recovered != secret["assignment"], "the blind review was unblinded from the ledger"


def _sample_for(workspace: Any, engineer: Any, run_id: str, items: int, out: Path) -> str:
    return str(
        blind_review.sample_for_review(workspace, engineer, run_id, "held-out", items, out)[
            "sample_id"
        ]
    )


def _fill_for_adapter(workspace: Any, sample_id: str, sheet: Path, filled: Path) -> None:
    secret = json.loads(
        (workspace.state_dir / "secrets" / f"review-{sample_id}.json").read_bytes()
    )["assignment"]
    rows = [json.loads(line) for line in sheet.read_text().splitlines()]
    for row in rows:
        row["preference"] = "A" if secret[str(row["item"])] == "adapter" else "B"
    filled.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.slow
def test_one_reviewer_counts_once_per_item(
    trained: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, engineer, _officer, run_id, _ = trained
    (workspace.root / "evals").mkdir(exist_ok=True)
    (workspace.root / "evals" / "held-out.yaml").write_text(SUITE)
    monkeypatch.setattr(suite_run, "generate_both", _fake_generation(5))
    ruth = _new_key(workspace, "reviewer", "ruth")
    for round_ in range(4):  # the same 5 items, sampled four times, all reviewed by ruth
        sheet = tmp_path / f"sheet-{round_}.jsonl"
        sample_id = _sample_for(workspace, engineer, run_id, 5, sheet)
        filled = tmp_path / f"filled-{round_}.jsonl"
        _fill_for_adapter(workspace, sample_id, sheet, filled)
        summary = blind_review.import_verdicts(workspace, ruth, sample_id, filled)
    # 5 distinct items judged by one person: 5 trials, not 20 (20 wins give an interval low of
    # 0.84, enough for `min_review_win_rate: 0.8`; 5 wins give 0.57).
    assert summary["adapter_wins"] + summary["base_wins"] == 5


@pytest.mark.slow
def test_verdicts_on_a_doctored_sheet_are_refused(
    trained: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govern.errors import BadInput, IntegrityFailure

    workspace, engineer, _officer, run_id, _ = trained
    (workspace.root / "evals").mkdir(exist_ok=True)
    (workspace.root / "evals" / "held-out.yaml").write_text(SUITE)
    monkeypatch.setattr(suite_run, "generate_both", _fake_generation(5))
    sheet = tmp_path / "sheet.jsonl"
    sample_id = _sample_for(workspace, engineer, run_id, 5, sheet)
    secret = json.loads(
        (workspace.state_dir / "secrets" / f"review-{sample_id}.json").read_bytes()
    )["assignment"]
    rows = [json.loads(line) for line in sheet.read_text().splitlines()]
    for row in (
        rows
    ):  # the trainer swaps in a polished answer on the adapter's side, a bad one on the base's
        adapter_side = "a" if secret[str(row["item"])] == "adapter" else "b"
        base_side = "b" if adapter_side == "a" else "a"
        row[f"output_{adapter_side}"] = "A clear, correct, friendly answer."
        row[f"output_{base_side}"] = "asdf asdf"
    sheet.write_text("".join(json.dumps(r) + "\n" for r in rows))
    filled = tmp_path / "filled.jsonl"
    for row in rows:  # an honest reviewer prefers the better text
        row["preference"] = "A" if row["output_a"].startswith("A clear") else "B"
    filled.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ruth = _new_key(workspace, "reviewer", "ruth")
    with pytest.raises((BadInput, IntegrityFailure)):
        blind_review.import_verdicts(workspace, ruth, sample_id, filled)


@pytest.mark.slow
def test_reviewers_who_judged_no_item_in_common_have_no_agreement(
    trained: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, engineer, _officer, run_id, _ = trained
    (workspace.root / "evals").mkdir(exist_ok=True)
    (workspace.root / "evals" / "held-out.yaml").write_text(SUITE)
    monkeypatch.setattr(suite_run, "generate_both", _fake_generation(4))
    sheet = tmp_path / "sheet.jsonl"
    sample_id = _sample_for(workspace, engineer, run_id, 4, sheet)
    filled = tmp_path / "filled.jsonl"
    _fill_for_adapter(workspace, sample_id, sheet, filled)
    rows = filled.read_text().splitlines()
    for name, half in (("ruth", rows[:2]), ("rami", rows[2:])):
        part = tmp_path / f"{name}.jsonl"
        part.write_text("".join(line + "\n" for line in half))
        summary = blind_review.import_verdicts(
            workspace, _new_key(workspace, "reviewer", name), sample_id, part
        )
    assert summary["agreement_alpha"] is None, "agreement reported with no item judged twice"


@pytest.mark.slow
def test_the_person_who_drew_the_sample_may_not_judge_it(
    trained: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govern.errors import Refused

    workspace, _engineer, _officer, run_id, _ = trained
    (workspace.root / "evals").mkdir(exist_ok=True)
    (workspace.root / "evals" / "held-out.yaml").write_text(SUITE)
    monkeypatch.setattr(suite_run, "generate_both", _fake_generation(4))
    ruth = _new_key(workspace, "reviewer", "ruth")
    sheet = tmp_path / "sheet.jsonl"
    sample_id = str(
        blind_review.sample_for_review(workspace, ruth, run_id, "held-out", 4, sheet)["sample_id"]
    )
    filled = tmp_path / "filled.jsonl"
    _fill_for_adapter(workspace, sample_id, sheet, filled)  # she reads the file she wrote
    with pytest.raises(Refused):
        blind_review.import_verdicts(workspace, ruth, sample_id, filled)
