"""`govern review` and `govern release`: signed human reviews and the release of an adapter."""

from __future__ import annotations

import click

from govern.cli._common import Invocation, common_options


@click.command("review")
@click.argument("run_id")
@click.option(
    "--rating", type=int, required=True, help="Overall rating, 1 (unusable) to 5 (ready)."
)
@click.option(
    "--criteria", multiple=True, help="NAME=SCORE (1..5), repeatable, e.g. helpfulness=4."
)
@click.option("--notes", required=True, help="What was looked at and what was found.")
@common_options(acts_as_key=True)
def review_command(
    inv: Invocation, run_id: str, rating: int, criteria: tuple[str, ...], notes: str
) -> None:
    """Record a signed review of RUN's adapter (reviewer or officer keys; reviews are append-only).

    \b
    Example:
      govern review run-0123abcd4567 --rating 4 --criteria helpfulness=4 --criteria leakage=5 \\
        --notes "50 prompts, no personal data reproduced" --key reviewer.key
    """
    from govern.evaluation.reviews import parse_criteria

    row = inv.workspace().release.review(
        inv.actor(), run_id, rating, notes, parse_criteria(criteria)
    )
    inv.emit(
        {
            "review": row.id,
            "run_id": row.run_id,
            "rating": row.rating,
            "reviewer": row.reviewer_key_id,
        },
        f"Review {row.id} of {row.run_id} recorded (rating {row.rating})",
    )


@click.command("release")
@click.argument("run_id")
@click.option("--check", is_flag=True, help="Only show which release rules hold; release nothing.")
@common_options(acts_as_key=True)
def release_command(inv: Invocation, run_id: str, check: bool) -> None:
    """Release RUN's adapter if every release rule of the policy pack holds (officer keys).

    A refusal (exit 1) lists every unmet rule.

    \b
    Example:
      govern release run-0123abcd4567 --key officer.key
      govern release run-0123abcd4567 --check
    """
    from govern.errors import Refused

    release = inv.workspace().release
    if check:
        rules = release.check(run_id)
        data = [r.to_dict() for r in rules]
        inv.emit(
            data,
            lambda: "\n".join(
                f"[{'PASS' if r.passed else 'FAIL'}] {r.rule}: {r.message}" for r in rules
            ),
        )
        if not all(r.passed for r in rules):
            raise Refused(f"run {run_id} does not meet every release rule yet")
        return
    row, rules = release.release(inv.actor(), run_id)
    inv.emit(
        {"release": row.id, "run_id": row.run_id, "rules": [r.to_dict() for r in rules]},
        f"Released {row.run_id} (release {row.id})",
    )
