"""Where a run's randomness comes from, and what a checkpoint keeps of it.

  "csprng"   dp.secure_rng = true (the default for private runs): noise and Poisson sampling
             from `secure_rng` (os.urandom-keyed ChaCha20, floating-point-hardened noise).
             No state exists, none is saved; a resume draws fresh randomness.
  "torch"    dp.secure_rng = false: torch generators seeded from os.urandom (noise drawn on the
             training device, faster where the adapter is large). Their states go into
             checkpoints so a resume continues the same streams, and are stripped from every
             checkpoint when the run completes. Not a CSPRNG, and not hardened against
             floating-point attacks: the card says so.
  "none"     a non-private run: uniform batches from a torch generator seeded from os.urandom.

There is no seed a recipe can set: a predictable noise source voids the guarantee. Tests that
need determinism replace `secure_rng.random_bytes` (a monkeypatch), never a recipe key.
"""

from __future__ import annotations

import os
from typing import Any

CSPRNG = "csprng"
TORCH = "torch"
NONE = "none"

DESCRIPTIONS = {
    CSPRNG: "noise and Poisson sampling from the OS CSPRNG (os.urandom-keyed ChaCha20), noise hardened "
    "against floating-point attacks as Opacus secure_mode; no RNG state is kept",
    TORCH: "noise and Poisson sampling from torch generators seeded from OS entropy (not a CSPRNG, noise not "
    "hardened against floating-point attacks); generator states are kept in checkpoints until the run completes",
    NONE: "not private: uniform batches from a torch generator seeded from OS entropy",
}


def rng_kind(private: bool, secure_rng: bool) -> str:
    """The randomness kind a run with these settings uses."""
    if not private:
        return NONE
    return CSPRNG if secure_rng else TORCH


def rng_record(private: bool, secure_rng: bool) -> dict[str, str]:
    """What run.json, the result and the card say about a run's randomness: its kind and what that means."""
    kind = rng_kind(private, secure_rng)
    return {"kind": kind, "description": DESCRIPTIONS[kind]}


def _os_seed() -> int:
    return int.from_bytes(os.urandom(8), "little") >> 1


class RunRandomness:
    """The run's generators (none for "csprng") and their checkpointable state."""

    def __init__(self, kind: str, device: Any) -> None:
        import torch

        self.kind = kind
        self.sampler_gen: Any = None
        self.noise_gen: Any = None
        if kind != CSPRNG:
            self.sampler_gen = torch.Generator().manual_seed(_os_seed())
            self.noise_gen = (
                torch.Generator(device=device) if device.type != "cpu" else torch.Generator()
            ).manual_seed(_os_seed())

    def state(self) -> dict[str, Any] | None:
        """The tensors a checkpoint keeps (None for "csprng": there is no state)."""
        if self.kind == CSPRNG:
            return None
        import torch

        states = {
            "torch_cpu": torch.get_rng_state(),
            "sampler": self.sampler_gen.get_state(),
            "noise": self.noise_gen.get_state().cpu(),
        }
        if torch.cuda.is_available():
            for index, cuda_state in enumerate(torch.cuda.get_rng_state_all()):
                states[f"torch_cuda_{index}"] = cuda_state
        return states

    def restore(self, states: dict[str, Any] | None) -> None:
        """Continue from a checkpoint's states; with none (secure RNG, or stripped) keep fresh OS-seeded ones."""
        if states is None or self.kind == CSPRNG:
            return
        import torch

        torch.set_rng_state(states["torch_cpu"])
        self.sampler_gen.set_state(states["sampler"])
        noise = states["noise"]
        self.noise_gen.set_state(
            noise.to(self.noise_gen.device) if self.noise_gen.device.type != "cpu" else noise
        )
        if torch.cuda.is_available():
            cuda = [states[k] for k in sorted(states) if k.startswith("torch_cuda_")]
            if cuda:
                torch.cuda.set_rng_state_all(cuda)
