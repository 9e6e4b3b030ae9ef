"""Publishing a finished run: its RNG state removed, the adapter and card written atomically, result.json.

The result holds only what the DP guarantee covers or the plan fixed in advance: ε, δ, the
accountant and its history, σ, q, C, steps, the randomness kind, hashes. No loss and no batch
size: those are noise-free statistics of the private data (the loss stays in the run folder's
LOSS_FILE, marked as not covered by ε).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from govern.canonical import file_sha256, hash_value
from govern.training.accounting import epsilon_of_history
from govern.training.checkpoint import strip_rng
from govern.training.plan import PrivacyPlan
from govern.training.run_files import (
    ADAPTER_DIR,
    CHECKPOINTS_DIR,
    RESULT_FILE,
    atomic_write_json,
    fsync_dir,
    now,
)


def publish_run(
    run_dir: Path,
    model: Any,
    info: dict[str, Any],
    plan: PrivacyPlan,
    history: list[tuple[float, float, int]],
    steps: int,
    data: Any = None,
) -> dict[str, Any]:
    """Strip RNG state from the checkpoints, write the adapter and card, then result.json; return the result.

    The checkpoints lose their RNG state before anything says the run completed, so a completed
    run never holds state that would replay its noise (a crash in between leaves a resumable run
    whose resume draws fresh randomness). `data` (the gate's handle) gives the card its licences.
    """
    from govern.training.card import write_model_card
    from govern.training.card_render import data_licenses

    strip_rng(run_dir / CHECKPOINTS_DIR, "the run completed")
    adapter_dir = run_dir / ADAPTER_DIR
    tmp = run_dir / f".tmp-{ADAPTER_DIR}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    model.save_pretrained(tmp, safe_serialization=True)
    epsilon = epsilon_of_history(history, plan.delta, plan.accountant) if plan.private else None  # type: ignore[arg-type]
    result = {
        "run_id": info["run_id"],
        "status": "completed",
        "private": plan.private,
        "epsilon": epsilon,
        "delta": plan.delta,
        "accountant": plan.accountant,
        "noise_multiplier": plan.noise_multiplier,
        "sample_rate": plan.sample_rate,
        "max_grad_norm": plan.max_grad_norm,
        "privacy_unit": plan.unit,
        **(
            {"max_records_per_subject": plan.max_records_per_subject}
            if plan.unit == "subject"
            else {}
        ),
        "steps": steps,
        "charged_steps": sum(h[2] for h in history),
        "accountant_history": [list(h) for h in history],
        "clipping_mode": info["clipping_mode"],
        "privacy_rng": info["privacy_rng"],
        "snapshot_ids": info["snapshot_ids"],
        "base_model_hash": info["base_model"]["hash"],
        "recipe_hash": info["recipe_hash"],
        "attempts": info["attempts"],
        "canaries": info.get("canaries"),
        "finished_at": now(),
    }
    write_model_card(tmp, info, result, data_licenses(data) if data is not None else ())
    result["adapter_files"] = {p.name: file_sha256(p) for p in sorted(tmp.iterdir()) if p.is_file()}
    for path in tmp.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    if adapter_dir.exists():
        shutil.rmtree(adapter_dir)
    os.rename(tmp, adapter_dir)
    fsync_dir(run_dir)
    result["adapter_dir"] = str(adapter_dir)
    result["adapter_hash"] = hash_value(result["adapter_files"])
    atomic_write_json(run_dir / RESULT_FILE, result)
    return result
