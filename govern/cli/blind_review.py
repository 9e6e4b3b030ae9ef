"""`govern review`: rate a run (`govern review RUN --rating ...`, as before), or run a blind
side-by-side review of base and adapter outputs (`review sample`, `review import`, `review summary`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from govern.cli._common import Invocation, common_options
from govern.cli.release import review_command


class ReviewGroup(click.Group):
    """Subcommands, and `govern review RUN ...` meaning `govern review rate RUN ...`."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "rate", self.commands["rate"], args
        return super().resolve_command(ctx, args)


@click.group("review", cls=ReviewGroup)
def review_group() -> None:
    """Review a run: a signed rating, or a blind side-by-side review of its outputs.

    \b
    Example:
      govern review run-0123abcd4567 --rating 4 --notes "50 prompts read" --key reviewer.key
      govern review sample run-0123abcd4567 --suite support-answers --n 50 --out sheet.csv --key eng.key
      govern review import sheet.csv --sample 5f0c... --key reviewer.key
    """


review_group.add_command(review_command, "rate")


def _summary_text(data: dict[str, Any]) -> str:
    low, high = data["win_rate_interval"]
    rate = "n/a" if data["win_rate"] is None else f"{data['win_rate']:.2f}"
    alpha = data["agreement_alpha"]
    lines = [
        f"Blind review of run {data['run_id']}: adapter preferred {data['adapter_wins']}, base "
        f"{data['base_wins']}, ties {data['ties']}",
        f"  adapter win rate {rate} ({round(100 * data['confidence'])}% Wilson interval "
        f"{low:.2f}-{high:.2f}); reviewer agreement (Krippendorff's alpha) "
        + ("n/a (one reviewer)" if alpha is None else f"{alpha:.2f}"),
    ]
    lines += [
        f"  sample {s['sample_id']} ({s['suite']}): {s['items']} items, {s['reviewers']} reviewer(s)"
        for s in data["samples"]
    ]
    return "\n".join(lines)


@review_group.command("sample")
@click.argument("run_id")
@click.option(
    "--suite", required=True, help="Evaluation suite evals/NAME.yaml to draw prompts from."
)
@click.option("--n", "n", type=click.IntRange(min=1), default=50, show_default=True, help="Items.")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="New sheet file, .csv or .jsonl.",
)
@click.option(
    "--criteria",
    multiple=True,
    default=("correctness", "fluency"),
    show_default=True,
    help="A criterion scored 1..5 for each output (repeatable).",
)
@click.option("--device", help="cpu, cuda or cuda:N.")
@common_options(acts_as_key=True)
def sample_command(
    inv: Invocation,
    run_id: str,
    suite: str,
    n: int,
    out: Path,
    criteria: tuple[str, ...],
    device: str | None,
) -> None:
    """Write a blind review sheet: N random suite prompts with base and adapter outputs as A and B.

    The order is drawn per item; which output is the adapter stays in a private file whose hash
    is ledgered (review.sampled). Engineer or reviewer keys.

    \b
    Example:
      govern review sample run-0123abcd4567 --suite support-answers --n 50 --out sheet.csv --key eng.key
    """
    from govern.evaluation.blind_review import sample_for_review

    data = sample_for_review(
        inv.workspace(), inv.actor(), run_id, suite, n, out, tuple(criteria), device
    )
    inv.emit(
        data,
        f"Review sample {data['sample_id']}: {len(data['items'])} items written to {out}; fill "
        "`preference` (A, B or tie) and the criteria, then `govern review import`",
    )


@review_group.command("import")
@click.argument("sheet", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--sample", "sample_id", required=True, help="The sample id `review sample` printed.")
@common_options(acts_as_key=True)
def import_command(inv: Invocation, sheet: Path, sample_id: str) -> None:
    """Record a filled review sheet as the reviewer's signed verdicts (reviewer or officer keys).

    Not by whoever trained the run, and once per reviewer and sample.

    \b
    Example:
      govern review import sheet.csv --sample 5f0c2a... --key reviewer.key
    """
    from govern.evaluation.blind_review import import_verdicts

    data = import_verdicts(inv.workspace(), inv.actor(), sample_id, sheet)
    inv.emit(data, lambda: _summary_text(data))


@review_group.command("summary")
@click.argument("run_id")
@common_options()
def summary_command(inv: Invocation, run_id: str) -> None:
    """The blind review's result: win rate with its interval, ties, reviewer agreement.

    \b
    Example:
      govern review summary run-0123abcd4567 --json
    """
    from govern.evaluation.blind_review import review_summary
    from govern.training.run_status import get_run

    with inv.workspace().catalog.reading() as session:
        data = review_summary(session, get_run(session, run_id).id)
    inv.emit(data, lambda: _summary_text(data))
