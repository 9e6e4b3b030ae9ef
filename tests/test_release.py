"""Reviews and release: an adapter is released only when every release rule of the pack holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

pytest.importorskip("opacus", reason="release tests train a run: they need govern[train]")

from govern.errors import BadInput, Refused
from govern.evaluation.release import release_run
from govern.evaluation.reviews import parse_criteria, review_run
from govern.ledger.verify import verify_workspace
from govern.policy.activation import activate_pack
from govern.policy.approvals import approve
from govern.training.runs import start_run
from tests.conftest import _new_key
from tests.test_gate import _pipeline, tiny_model  # noqa: F401

RELEASE = """
release:
  min_reviews: 2
  reviewer_role: reviewer
  min_rating: 3
"""


@pytest.fixture
def trained(tmp_path, tiny_model):  # type: ignore[no-untyped-def]
    workspace, engineer, officer, snapshot = _pipeline(tmp_path, tiny_model)
    pack = workspace.root / "policies" / "gate.yaml"
    pack.write_text(pack.read_text() + RELEASE)
    activate_pack(workspace, officer, "gate")
    approve(workspace, officer, snapshot.id)
    result = start_run(workspace, engineer, Path("train/gate.toml"), [snapshot.id])
    return workspace, engineer, officer, result["run_id"]


def test_release_is_refused_until_two_distinct_reviewers_sign(trained) -> None:  # type: ignore[no-untyped-def]
    workspace, _engineer, officer, run_id = trained
    with pytest.raises(Refused, match="release.reviews: 0 of 2") as caught:
        release_run(workspace, officer, run_id)
    assert "govern review" in str(caught.value)
    ruth, rami = _new_key(workspace, "reviewer", "ruth"), _new_key(workspace, "reviewer", "rami")
    review_run(workspace, ruth, run_id, 4, {"helpfulness": 4}, "20 prompts, no personal data")
    review_run(workspace, ruth, run_id, 5, {}, "second look, same person")
    with pytest.raises(Refused, match="1 of 2"):
        release_run(workspace, officer, run_id)
    review_run(workspace, rami, run_id, 2, {}, "too weak")
    with pytest.raises(Refused, match="1 of 2"):
        release_run(workspace, officer, run_id)
    review_run(workspace, rami, run_id, 4, {}, "better on a second pass")
    release, rules = release_run(workspace, officer, run_id)
    assert release.run_id == run_id and all(rule.passed for rule in rules)
    assert verify_workspace(workspace).ok


def test_only_reviewers_and_officers_review_and_only_officers_release(trained) -> None:  # type: ignore[no-untyped-def]
    workspace, engineer, _, run_id = trained
    with pytest.raises(Refused, match="needs the role reviewer or officer"):
        review_run(workspace, engineer, run_id, 5, {}, "my own run is great")
    with pytest.raises(Refused, match="needs the role officer"):
        release_run(workspace, engineer, run_id)


def test_a_forged_review_row_does_not_count(trained) -> None:  # type: ignore[no-untyped-def]
    workspace, _, officer, run_id = trained
    ruth = _new_key(workspace, "reviewer", "ruth")
    real = review_run(workspace, ruth, run_id, 4, {}, "fine")
    forged = {**real.model_dump(), "id": "f" * 32, "reviewer_key_id": officer.key_id}
    with workspace.catalog.engine.begin() as connection:
        connection.execute(
            text(
                f"INSERT INTO reviews ({', '.join(forged)}) VALUES ({', '.join(':' + k for k in forged)})"
            ),
            forged,
        )
    with pytest.raises(Refused) as caught:
        release_run(workspace, officer, run_id)
    assert "1 of 2" in str(caught.value)
    assert any("reviews row" in p for p in verify_workspace(workspace).problems)


@pytest.mark.parametrize(
    "pairs,message",
    [(["helpfulness"], "NAME=SCORE"), (["x=9"], "from 1 to 5"), (["=3"], "NAME=SCORE")],
)
def test_bad_review_criteria_are_rejected(pairs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadInput, match=message):
        parse_criteria(pairs)


def test_the_run_report_shows_reviews_and_the_release(trained, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from govern.reports import build_run_report, make_report

    workspace, _, officer, run_id = trained
    ruth, rami = _new_key(workspace, "reviewer", "ruth"), _new_key(workspace, "reviewer", "rami")
    review_run(
        workspace, ruth, run_id, 4, {"helpfulness": 4}, "20 prompts, nothing personal reproduced"
    )
    review_run(workspace, rami, run_id, 5, {}, "fine")
    release_run(workspace, officer, run_id)
    facts = build_run_report(workspace, run_id)["release"]
    assert (
        len(facts["reviews"]) == 2
        and facts["released"]
        and all(rule["passed"] for rule in facts["rules"])
    )
    assert facts["evaluations"] == [] and facts["privacy_audit"] is None
    auditor = _new_key(workspace, "auditor", "aldo")
    html = make_report(
        workspace, auditor, "run", run_id, "html", tmp_path / "run.html"
    ).path.read_text()
    md = make_report(workspace, auditor, "run", run_id, "md", tmp_path / "run.md").path.read_text()
    assert "Released" in html and "nothing personal reproduced" in html
    assert "Review by" in md and "No evaluation on held-out data yet" in md
