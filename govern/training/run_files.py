"""The files of a run folder, their names, and the durable ways they are written and read.

  run.json          what the run is: recipe, snapshot ids, base-model hash, DP plan, RNG kind, status
  charges.jsonl     one fsynced line per step, written BEFORE the step runs (the privacy journal)
  metrics.jsonl     per step: ε (where computed: at checkpoints and at the end), learning rate
  training-loss.NOT-COVERED-BY-EPSILON.jsonl
                    the un-noised mean loss of each step's private batch: a statistic of the
                    training data outside the DP guarantee, kept for the engineer only; it never
                    reaches the result, the ledger, the card or a report
  checkpoints/      atomic checkpoints (see checkpoint.py)
  adapter/          the PEFT adapter (safetensors) and its model card, once the run completes
  result.json       ε, δ, steps, adapter file hashes: only what the guarantee covers

Exact Poisson batch sizes are written nowhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from govern.atomic import atomic_write_bytes, atomic_write_json, fsync_dir
from govern.errors import BadInput
from govern.training.accounting import normalise_history

RUN_FILE = "run.json"
JOURNAL_FILE = "charges.jsonl"
METRICS_FILE = "metrics.jsonl"
LOSS_FILE = "training-loss.NOT-COVERED-BY-EPSILON.jsonl"
LOSS_NOTE = "NOT covered by ε: the un-noised mean loss of this step's private batch; do not publish"
RESULT_FILE = "result.json"
ADAPTER_DIR = "adapter"
CHECKPOINTS_DIR = "checkpoints"

__all__ = [
    "ADAPTER_DIR",
    "CHECKPOINTS_DIR",
    "JOURNAL_FILE",
    "LOSS_FILE",
    "LOSS_NOTE",
    "METRICS_FILE",
    "RESULT_FILE",
    "RUN_FILE",
    "append_line",
    "append_line_durable",
    "atomic_write_json",
    "charged_history",
    "drop_torn_tail",
    "fsync_dir",
    "new_run_info",
    "now",
    "read_jsonl",
    "read_run",
    "versions",
]


def now() -> str:
    """The current UTC time as govern records it (govern.clock)."""
    from govern.clock import utc_now

    return utc_now()


def read_run(run_dir: str | Path) -> dict[str, Any]:
    """run.json of a run folder."""
    path = Path(run_dir) / RUN_FILE
    if not path.is_file():
        raise BadInput(f"{run_dir}: no {RUN_FILE}; not a training run folder")
    info: dict[str, Any] = json.loads(path.read_text())
    return info


def charged_history(run_dir: str | Path) -> list[tuple[float, float, int]]:
    """The accountant history of every step charged in a run's journal (crashed steps included)."""
    rows = read_jsonl(Path(run_dir) / JOURNAL_FILE)
    return normalise_history((r["noise_multiplier"], r["sample_rate"], 1) for r in rows)


def append_line(path: Path, value: Any, durable: bool = False) -> None:
    """Append one JSON line; `durable` fsyncs before returning (the privacy-charge journal must)."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(value, sort_keys=True) + "\n")
        if durable:
            handle.flush()
            os.fsync(handle.fileno())


def append_line_durable(path: Path, value: Any) -> None:
    """Append one JSON line and fsync before returning (the privacy-charge journal)."""
    append_line(path, value, durable=True)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Whole lines of a JSONL file; a torn last line (a crash mid-write) is dropped."""
    if not path.is_file():
        return []
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break
            rows.append(json.loads(line))
    return rows


def drop_torn_tail(path: Path) -> None:
    """Cut a partial last line off a JSONL file so appends start on a line boundary."""
    if not path.is_file():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        atomic_write_bytes(path, data[: data.rfind(b"\n") + 1])


def new_run_info(
    run_dir: Path,
    recipe: Any,
    snapshot_ids: list[str],
    plan: Any,
    device: Any,
    world_size: int,
    init_adapter: Path | None,
) -> dict[str, Any]:
    """run.json of a new run: what it is (recipe, data, model, plan, randomness), before it computes."""
    from govern.canonical import file_sha256
    from govern.training.engine import resolve_clipping_mode
    from govern.training.model import hash_model_folder, hash_tokenizer_folder
    from govern.training.randomness import rng_record

    info: dict[str, Any] = {
        "run_id": run_dir.name,
        "status": "running",
        "created_at": now(),
        "recipe": recipe.settings,
        "recipe_hash": recipe.hash,
        "recipe_source": recipe.source,
        "base_dir": str(recipe.base_dir.resolve()),
        "snapshot_ids": snapshot_ids,
        "base_model": {"path": str(recipe.model_path), **hash_model_folder(recipe.model_path)},
        "tokenizer": {
            "path": str(recipe.tokenizer_path),
            **hash_tokenizer_folder(recipe.tokenizer_path),
        },
        "quantization": recipe["model"]["quantization"],
        "dtype": recipe.dtype,
        "gradient_checkpointing": recipe.gradient_checkpointing,
        "plan": plan.as_dict(),
        "private": plan.private,
        "clipping_mode": resolve_clipping_mode(recipe["dp"]["clipping"], plan.private),
        "privacy_rng": rng_record(plan.private, bool(recipe["dp"]["secure_rng"])),
        "init_adapter": None,
        "attempts": 1,
        "device": str(device),
        "world_size": world_size,
        "versions": versions(),
    }
    if init_adapter is not None:
        info["init_adapter"] = {
            "path": str(init_adapter),
            "files": {p.name: file_sha256(p) for p in sorted(init_adapter.glob("*.safetensors"))},
        }
    return info


def versions() -> dict[str, str]:
    """The versions of the libraries that shape a run's numbers."""
    import opacus
    import peft
    import torch
    import transformers

    return {
        "torch": torch.__version__,
        "opacus": opacus.__version__,
        "peft": peft.__version__,
        "transformers": transformers.__version__,
    }
