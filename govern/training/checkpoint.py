"""Atomic checkpoints and run files: temp, fsync, rename; tensors only through safetensors or
`torch.load(weights_only=True)`, never a blind unpickle.

A checkpoint folder `checkpoints/step-NNNNNNN/` holds:
  adapter_model.safetensors   the LoRA weights (PEFT key names)
  optimizer.pt, scheduler.pt  optimizer and LR-scheduler state (loaded with weights_only=True)
  rng.safetensors             torch CPU (and CUDA), the sampler's and the noise generator's states
  state.json                  step, snapshot ids, DP parameters, accountant history, hashes
It is written under a temporary name and renamed into place, so a folder named step-* is whole.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from govern.atomic import atomic_write_bytes, atomic_write_json, fsync_dir  # noqa: F401  (the trainer uses them through this module)
from govern.canonical import file_sha256
from govern.errors import IntegrityFailure

CHECKPOINT_PREFIX = "step-"


def append_line_durable(path: Path, value: Any) -> None:
    """Append one JSON line and fsync before returning (the privacy-charge journal)."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(value, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


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
        keep = data[: data.rfind(b"\n") + 1]
        atomic_write_bytes(path, keep)


def save_checkpoint(
    checkpoints_dir: Path,
    step: int,
    *,
    adapter_state: dict[str, Any],
    optimizer_state: dict[str, Any],
    scheduler_state: dict[str, Any],
    rng_states: dict[str, Any],
    state: dict[str, Any],
    keep: int = 2,
) -> Path:
    """Write a checkpoint folder atomically and prune all but the newest `keep`."""
    import torch
    from safetensors.torch import save_file

    checkpoints_dir.mkdir(parents=True, exist_ok=True)
    final = checkpoints_dir / f"{CHECKPOINT_PREFIX}{step:07d}"
    tmp = checkpoints_dir / f".tmp-{final.name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    save_file({k: v.detach().cpu().contiguous() for k, v in adapter_state.items()}, tmp / "adapter_model.safetensors")
    torch.save(optimizer_state, tmp / "optimizer.pt")
    torch.save(scheduler_state, tmp / "scheduler.pt")
    save_file({k: v.contiguous() for k, v in rng_states.items()}, tmp / "rng.safetensors")
    files = {name: file_sha256(tmp / name) for name in sorted(os.listdir(tmp))}
    (tmp / "state.json").write_text(json.dumps({**state, "files": files}, indent=2, sort_keys=True) + "\n")
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
    return sorted(p for p in checkpoints_dir.iterdir() if p.is_dir() and p.name.startswith(CHECKPOINT_PREFIX))


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint back, verifying each file against the hashes in its state.json."""
    import torch
    from safetensors.torch import load_file

    state = json.loads((path / "state.json").read_text())
    for name, digest in state.get("files", {}).items():
        if file_sha256(path / name) != digest:
            raise IntegrityFailure(f"{path / name}: checkpoint file does not match its recorded hash")
    return {
        "state": state,
        "adapter": load_file(path / "adapter_model.safetensors"),
        "optimizer": torch.load(path / "optimizer.pt", weights_only=True, map_location="cpu"),
        "scheduler": torch.load(path / "scheduler.pt", weights_only=True, map_location="cpu"),
        "rng": load_file(path / "rng.safetensors"),
    }
