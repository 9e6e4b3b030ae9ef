"""Release rules over the suite evaluations, the PII probe and the blind review of a run.

Pack keys (in `release:`): `require_suite: {name: NAME, sha256: HASH}` (that suite, with the
content the officer pinned, was run on the adapter; `require_suite: NAME` alone is unpinned, and
the rule says so),
`max_pii_regurgitation: N` (every probed suite run of the adapter found at most N training values
in the outputs: the worst run counts, since a later, weaker probe is no fix; a probe must exist), `min_review_win_rate: P` (the lower end of the adapter's Wilson
interval is at least P), `min_review_agreement: A` (Krippendorff's alpha of the reviewers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from govern.catalog.models import TrainingRun


def suite_rule(results: list[dict[str, Any]], wanted: str | Mapping[str, Any]) -> Any:
    """`require_suite`: the suite was run on the adapter. Pinned (`{name, sha256}`), only a run
    whose ledgered suite hash is the pinned one counts, so a suite weakened by editing
    `evals/NAME.yaml` does not; by name alone the rule holds for any content and says UNPINNED."""
    from govern.evaluation.release import ReleaseRule

    name = wanted if isinstance(wanted, str) else str(wanted["name"])
    pinned = None if isinstance(wanted, str) else wanted.get("sha256")
    runs = [r for r in results if r["suite"] == name]
    found = [r for r in runs if pinned is None or r.get("suite_hash") == pinned]
    others = [r for r in runs if r not in found]
    latest = found[-1] if found else None
    evidence = {
        "suite": name,
        "pinned": pinned is not None,
        "pinned_sha256": pinned,
        "ledger_seq": latest["ledger_seq"] if latest else None,
        "suite_hash": latest.get("suite_hash") if latest else None,
        "other_versions": [
            {"ledger_seq": r["ledger_seq"], "suite_hash": r.get("suite_hash")} for r in others
        ],
    }
    if pinned is None:
        pin = (
            "review it, then pin it as require_suite: {name: "
            + name
            + ", sha256: "
            + (str(latest.get("suite_hash")) if latest else "HASH")
            + "}"
        )
        message = (
            f"suite {name} was run (ledger entry {latest['ledger_seq']})"
            if latest
            else f"suite {name} was not run; `govern eval RUN --suite {name}`"
        ) + (
            f"; UNPINNED: the pack names the suite but not its content, so any edit of "
            f"evals/{name}.yaml satisfies this rule ({pin})"
        )
    elif latest:
        message = (
            f"suite {name} at its pinned content (sha256 {pinned[:12]}) was run "
            f"(ledger entry {latest['ledger_seq']})"
        )
    elif others:
        seen = ", ".join(
            f"{str(r.get('suite_hash'))[:12]} (entry {r['ledger_seq']})" for r in others
        )
        message = (
            f"suite {name} was run only with other content than the pack pins (sha256 "
            f"{pinned[:12]}): {seen}; evals/{name}.yaml was edited: run the pinned content, or "
            "an officer reviews the new content and pins it"
        )
    else:
        message = (
            f"suite {name} (pinned, sha256 {pinned[:12]}) was not run; "
            f"`govern eval RUN --suite {name}`"
        )
    return ReleaseRule("release.suite", latest is not None, message, evidence)


def quality_rules(session: Session, run: TrainingRun, config: Mapping[str, Any]) -> list[Any]:
    """The rules above that the pack sets, each with its evidence."""
    from govern.evaluation.blind_review import review_summary
    from govern.evaluation.release import ReleaseRule
    from govern.evaluation.suite_run import suite_results

    rules: list[Any] = []
    results = suite_results(session, run.id)
    wanted = config.get("require_suite")
    if wanted:
        rules.append(suite_rule(results, wanted))
    limit = config.get("max_pii_regurgitation")
    if limit is not None:
        probed = [r for r in results if r.get("pii_probe")]
        worst = max(
            probed, key=lambda r: int(r["pii_probe"]["matched_training_values"]), default=None
        )
        matched = int(worst["pii_probe"]["matched_training_values"]) if worst else None
        ok = matched is not None and matched <= int(limit)
        rules.append(
            ReleaseRule(
                "release.pii_regurgitation",
                ok,
                "no suite run with the PII probe; run a suite with `pii_probe: true`"
                if matched is None
                else f"{matched} training value(s) reproduced in outputs (at most {limit})",
                {
                    "matched_training_values": matched,
                    "max": limit,
                    "ledger_seq": worst["ledger_seq"] if worst else None,
                    "probed_runs": [r["ledger_seq"] for r in probed],
                },
            )
        )
    min_win, min_alpha = config.get("min_review_win_rate"), config.get("min_review_agreement")
    if min_win is not None or min_alpha is not None:
        summary = review_summary(session, run.id)
        if min_win is not None:
            low = summary["win_rate_interval"][0] if summary["win_rate"] is not None else None
            rules.append(
                ReleaseRule(
                    "release.review_win_rate",
                    low is not None and low >= float(min_win),
                    "no blind review verdicts; `govern review sample` then `review import`"
                    if low is None
                    else f"adapter win rate {summary['win_rate']:.2f}, interval low {low:.2f} "
                    f"(at least {min_win})",
                    {
                        k: summary[k]
                        for k in ("adapter_wins", "base_wins", "ties", "win_rate_interval")
                    },
                )
            )
        if min_alpha is not None:
            alpha = summary["agreement_alpha"]
            rules.append(
                ReleaseRule(
                    "release.review_agreement",
                    alpha is not None and alpha >= float(min_alpha),
                    "agreement needs two reviewers of one sample"
                    if alpha is None
                    else f"reviewer agreement alpha {alpha:.2f} (at least {min_alpha})",
                    {"agreement_alpha": alpha, "min": min_alpha},
                )
            )
    return rules
