"""Atomic checkpoints: temp folder, fsync, rename; tensors only through safetensors or
`torch.load(weights_only=True)`, never a blind unpickle.

A checkpoint folder `checkpoints/step-NNNNNNN/` holds:
  adapter_model.safetensors   the LoRA weights (PEFT key names)
  optimizer.pt, scheduler.pt  optimizer and LR-scheduler state (loaded with weights_only=True)
  rng.safetensors             only where the run's RNG has state (dp.secure_rng = false, or a
                              non-private run): the torch, sampler and noise generator states
  state.json                  step, snapshot ids, DP plan, accountant history, file hashes, and
                              `rng`: {"kind", "saved"}, saying whether rng.safetensors exists
It is written under a temporary name and renamed into place, so a folder named step-* is whole.

With dp.secure_rng (the default) there is no generator state to save: a resume draws fresh
secure randomness, which the guarantee allows. When a run completes, `strip_rng` removes every
checkpoint's RNG state, so no completed run keeps what would replay its noise.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from govern.atomic import atomic_write_json, fsync_dir
from govern.canonical import file_sha256
from govern.errors import IntegrityFailure
from govern.training.run_files import read_jsonl  # noqa: F401  (govern.training.runs reads the journal through here)

CHECKPOINT_PREFIX = "step-"
RNG_FILE = "rng.safetensors"


def save_checkpoint(
    checkpoints_dir: Path,
    step: int,
    *,
    adapter_state: dict[str, Any],
    optimizer_state: dict[str, Any],
    scheduler_state: dict[str, Any],
    rng_kind: str,
    rng_states: dict[str, Any] | None,
    state: dict[str, Any],
    keep: int = 2,
) -> Path:
    """Write a checkpoint folder atomically and prune all but the newest `keep`.

    `rng_states` is None when the run's randomness has no state (secure RNG): no RNG file is written.
    """
    import torch
    from safetensors.torch import save_file

    checkpoints_dir.mkdir(parents=True, exist_ok=True)
    final = checkpoints_dir / f"{CHECKPOINT_PREFIX}{step:07d}"
    tmp = checkpoints_dir / f".tmp-{final.name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    save_file(
        {k: v.detach().cpu().contiguous() for k, v in adapter_state.items()},
        tmp / "adapter_model.safetensors",
    )
    torch.save(optimizer_state, tmp / "optimizer.pt")
    torch.save(scheduler_state, tmp / "scheduler.pt")
    if rng_states is not None:
        save_file({k: v.contiguous() for k, v in rng_states.items()}, tmp / RNG_FILE)
    files = {name: file_sha256(tmp / name) for name in sorted(os.listdir(tmp))}
    rng = {"kind": rng_kind, "saved": rng_states is not None}
    (tmp / "state.json").write_text(
        json.dumps({**state, "rng": rng, "files": files}, indent=2, sort_keys=True) + "\n"
    )
    for name in os.listdir(tmp):
        with open(tmp / name, "rb") as handle:
            os.fsync(handle.fileno())
    fsync_dir(tmp)
    if final.exists():
        shutil.rmtree(final)
    os.rename(tmp, final)
    fsync_dir(checkpoints_dir)
    for old in list_checkpoints(checkpoints_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def list_checkpoints(checkpoints_dir: Path) -> list[Path]:
    """Whole checkpoint folders, oldest first."""
    if not checkpoints_dir.is_dir():
        return []
    return sorted(
        p for p in checkpoints_dir.iterdir() if p.is_dir() and p.name.startswith(CHECKPOINT_PREFIX)
    )


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint back, verifying each file against the hashes in its state.json.

    "rng" is None when the checkpoint holds no RNG state (secure RNG, or stripped).
    """
    import torch
    from safetensors.torch import load_file

    state = json.loads((path / "state.json").read_text())
    for name, digest in state.get("files", {}).items():
        if not (path / name).is_file() or file_sha256(path / name) != digest:
            raise IntegrityFailure(
                f"{path / name}: checkpoint file does not match its recorded hash"
            )
    saved = bool(state.get("rng", {}).get("saved"))
    return {
        "state": state,
        "adapter": load_file(path / "adapter_model.safetensors"),
        "optimizer": torch.load(path / "optimizer.pt", weights_only=True, map_location="cpu"),
        "scheduler": torch.load(path / "scheduler.pt", weights_only=True, map_location="cpu"),
        "rng": load_file(path / RNG_FILE) if saved else None,
    }


def strip_rng(checkpoints_dir: Path, reason: str) -> None:
    """Remove the RNG state from every checkpoint (a completed run keeps none).

    Per checkpoint, state.json is rewritten first (atomically: it then says no RNG is saved and
    no longer lists the file), and the file is deleted after; a crash in between leaves a file
    that nothing reads, which the next call deletes.
    """
    for folder in list_checkpoints(checkpoints_dir):
        state_path = folder / "state.json"
        state = json.loads(state_path.read_text())
        if state.get("rng", {}).get("saved"):
            state["rng"] = {**state.get("rng", {}), "saved": False, "stripped": reason}
            state["files"] = {k: v for k, v in state.get("files", {}).items() if k != RNG_FILE}
            atomic_write_json(state_path, state)
        (folder / RNG_FILE).unlink(missing_ok=True)
        fsync_dir(folder)
