"""The blind-review page in a real browser (Debian's Chromium under Playwright): a signed-in
reviewer sees a sample's items as A and B in the sample's order, never which is the adapter,
answers them, and the verdicts are signed in the browser and recorded by the same code as
`govern review import` (which then refuses the same reviewer a second time)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.console.test_console_browser import (  # noqa: F401  (fixtures)
    CHROMIUM,
    chromium,
    screenshots,
    serving,
    visit,
)

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    pytest.mark.slow,
]

SUITE = """\
name: tickets
snapshot: {snapshot}
metrics: [rouge_l]
limit: 3
generation:
  max_new_tokens: 8
  batch_size: 3
bootstrap:
  resamples: 100
pii_probe: false
"""


def _sample(console_ws: Any, tmp_path: Path) -> dict[str, Any]:
    from govern.evaluation.blind_review import sample_for_review
    from govern.ledger.keys import load_identity
    from govern.policy.approvals import approve

    workspace = console_ws.workspace
    approve(workspace, load_identity(console_ws.keys["officer"]), console_ws.pending)
    (workspace.root / "evals" / "tickets.yaml").write_text(
        SUITE.format(snapshot=console_ws.pending)
    )
    return sample_for_review(
        workspace,
        load_identity(console_ws.keys["engineer"]),
        str(console_ws.run_id),
        "tickets",
        3,
        tmp_path / "sheet.csv",
        ("correctness",),
    )


def test_a_reviewer_answers_a_blind_sample_in_the_browser_and_it_is_signed_and_recorded(
    console_ws, visit, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from govern.cli import cli
    from govern.console.review_reads import review_sample
    from govern.evaluation.blind_review import VERDICT_EVENT, review_summary
    from govern.ledger.authority import verified_entries
    from govern.ledger.verify import verify_workspace

    if console_ws.run_id is None:
        pytest.skip("needs govern[train] for the console's run")
    sample = _sample(console_ws, tmp_path)
    sample_id = sample["sample_id"]
    workspace = console_ws.workspace
    secret = workspace.state_dir / "secrets" / f"review-{sample_id}.json"
    assignment = json.loads(secret.read_text())["assignment"]
    sheet = tmp_path / "sheet.csv"
    with serving(workspace) as base:
        browser = visit(base)
        browser.login(console_ws.keys["reviewer"])
        browser.go("/reviews")
        browser.shot("reviewer-reviews")
        browser.page.click(f"a[href='/reviews/{sample_id}']")
        browser.page.wait_for_selector("form[data-action=blind_review]")
        items = browser.page.locator("section.review-item")
        assert items.count() == 3
        # Nothing but the texts themselves could tell A from B: no label, attribute or class.
        markup = re.sub(
            r'<p class="note[^"]*">.*?</p>',
            "",
            browser.page.inner_html("form[data-action=blind_review]"),
            flags=re.S,
        ).lower()
        assert "adapter" not in markup and "base" not in markup
        sheet_text = sheet.read_text()
        for index in range(3):
            card = items.nth(index)
            item = card.get_attribute("data-item")
            # A and B as the sheet shows them (the sample's random order), not re-drawn.
            assert card.locator(".output-a").inner_text().strip() in sheet_text
            adapter_side = "A" if assignment[item] == "adapter" else "B"
            choice = "tie" if index == 0 else adapter_side
            card.locator(f"input[name=item_{item}_preference][value={choice}]").check()
            card.locator(
                f"select[name=item_{item}_correctness_{adapter_side.lower()}]"
            ).select_option("5")
        browser.shot("reviewer-sample-filled")
        browser.page.click("form[data-action=blind_review] button[type=submit]")
        browser.page.wait_for_url("**/reviews")
        browser.page.wait_for_selector("#flash:not([hidden])")
        assert "Recorded 3 verdict(s)" in browser.page.inner_text("#flash")
        assert "rita" in browser.page.inner_text("table.grid")
        browser.go(f"/reviews/{sample_id}")
        assert browser.page.locator("#answered").count() == 1
        browser.shot("reviewer-sample-answered")
        engineer = visit(base)  # an engineer may not open the review page
        engineer.login(console_ws.keys["engineer"])
        assert engineer.go(f"/reviews/{sample_id}").status == 403
    with workspace.catalog.reading() as session:
        summary = review_summary(session, str(console_ws.run_id))
        [(entry, payload)] = verified_entries(session, VERDICT_EVENT, sample_id)
    assert (summary["adapter_wins"], summary["base_wins"], summary["ties"]) == (2, 0, 1)
    reviewer_key = json.loads(entry.payload)["reviewer_key_id"]
    assert reviewer_key == payload["reviewer_key_id"] and entry.actor_key_id == reviewer_key
    assert all(v["criteria"]["adapter"] == {"correctness": 5} for v in payload["verdicts"])
    assert verify_workspace(workspace).ok
    # The same reviewer importing a sheet goes through the same check and is refused.
    again = CliRunner().invoke(
        cli,
        [
            "review",
            "import",
            str(sheet),
            "--sample",
            sample_id,
            "--key",
            str(console_ws.keys["reviewer"]),
            "--workspace",
            str(workspace.root),
        ],
    )
    assert again.exit_code == 1 and "already reviewed" in again.output
    # Erasing a subject of the sample's snapshot deletes the page's copy of the record text.
    from govern.consent.erasure import erase_subject
    from govern.errors import NotFound
    from govern.evaluation.blind_review import items_path
    from govern.ledger.keys import load_identity

    erase_subject(workspace, load_identity(console_ws.keys["officer"]), "subj-0011")
    assert not items_path(workspace, sample_id).exists()
    with pytest.raises(NotFound, match="erasing a subject"):
        review_sample(workspace, sample_id, "k")
