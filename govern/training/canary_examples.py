"""The canaries a run plants, as extra training examples (none unless the recipe's [audit] asks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govern.errors import BadInput, Refused
from govern.training.data import encode_records


def canary_examples(
    recipe: Any,
    info: dict[str, Any],
    run_dir: Path,
    dist: Any,
    primary: bool,
    tokenizer: Any,
    resume_info: dict[str, Any] | None,
) -> list[Any]:
    """The included canaries as extra examples (none unless the recipe's [audit] plants them).

    The canaries are drawn once per run (by `govern.training.runs` before run.started, else here) and
    kept in the run folder's secret file; a resume re-reads that file and refuses it if it no
    longer hashes to what run.json committed. Canaries are not records: N, and so the sample
    rate q = L/N, the steps and δ, are those of the approved records alone; each canary is
    Poisson-sampled at the same q, so the accountant's ε covers it like any record.
    """
    from govern.evaluation.privacy_audit.canaries import (
        CANARY_FILE,
        CanarySet,
        canary_from_settings,
        read_canary_file,
        training_records,
        write_canary_file,
    )

    audit = recipe.canaries
    stored = (resume_info or {}).get("canaries")
    if audit is None:
        if stored:
            raise Refused(f"run {info['run_id']} planted canaries; resume it with its own recipe")
        return []
    payload = None
    if primary:
        if resume_info is not None:
            if not stored:
                raise Refused(
                    f"run {info['run_id']} planted no canaries; resume it with its own recipe"
                )
            canaries, digest = read_canary_file(run_dir, stored["file_sha256"])
        elif (run_dir / CANARY_FILE).exists():  # planted before the run was ledgered
            canaries, digest = read_canary_file(run_dir)
        else:
            canaries = canary_from_settings(audit)
            digest = write_canary_file(run_dir, canaries)
        wanted = (
            int(audit["canaries"]),
            int(audit["canary_length"]),
            str(audit["canary_prefix"]),
            int(audit["canary_repeats"]),
        )
        if (canaries.count, canaries.length, canaries.prefix, canaries.repeats) != wanted:
            raise BadInput(
                f"{run_dir / CANARY_FILE}: its canaries do not match the recipe's [audit] section"
            )
        info["canaries"] = {
            **canaries.summary(),
            "file": CANARY_FILE,
            "file_sha256": digest,
        }
        payload = canaries.to_dict()
    canaries = CanarySet.from_dict(dist.broadcast(payload))
    data = recipe["data"]
    return (
        encode_records(training_records(canaries, data), tokenizer, data)
        if canaries.included_count
        else []
    )
