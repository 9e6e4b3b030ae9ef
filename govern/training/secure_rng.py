"""Randomness for DP noise and Poisson sampling from a cryptographically secure source.

With `dp.secure_rng = true` (the default) every Gaussian noise value and every Poisson
inclusion draw comes from the operating system's CSPRNG: each draw takes a fresh 256-bit key
from `os.urandom` and expands it with ChaCha20 (`cryptography`, i.e. OpenSSL), and the key is
dropped when the draw is done (fast key erasure, the construction behind Linux's own
/dev/urandom). No generator state outlives a draw, so there is nothing to save in a checkpoint,
to replay, or to predict; a resumed run simply draws fresh randomness.

Noise is hardened against floating-point attacks on Gaussian sampling (Jin et al. 2021, "Are we
there yet?"; Holohan & Braghin 2021, arXiv:2107.10138) as Opacus's `secure_mode` hardens it:
each value is the sum of four independent N(0, σ²) draws, halved. Opacus's secure_mode itself
needs torchcsprng, which has no build for torch 2.13; this module stands in for it.

Uniforms carry 52 random bits and lie strictly inside (0, 1); normals come from Box–Muller in
float64 and are rounded to the parameter's dtype only at the end.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

KEY_BYTES = 32
HARDENING_DRAWS = 4  # Opacus secure_mode: the sum of 2n draws, n = 2, divided by sqrt(2n) = 2
_NONCE = bytes(16)  # a fresh key per draw, so a fixed nonce (and a counter from 0) is safe
_LOW_52_BITS = (1 << 52) - 1


def random_bytes(count: int) -> bytes:
    """`count` bytes of a ChaCha20 keystream under a fresh os.urandom key, which is then dropped."""
    if count <= 0:
        return b""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    encryptor = Cipher(algorithms.ChaCha20(os.urandom(KEY_BYTES), _NONCE), mode=None).encryptor()
    return encryptor.update(bytes(count)) + encryptor.finalize()


def uniform(count: int, device: Any = None) -> Any:
    """`count` float64 uniforms strictly inside (0, 1), on `device` (CPU by default).

    Each is (k + 1/2) / 2^52 for the top 52 bits k of a keystream word: exact in float64, so never
    0 or 1 (with 53 bits, k + 1/2 rounds up to 2^53 for the largest k, giving exactly 1).

    The keystream is made on the CPU; on a GPU only its bytes travel and the arithmetic runs there,
    with the same integer steps, so every value is the one the CPU would compute.
    """
    import numpy as np
    import torch

    stream = random_bytes(8 * count)
    if device is None or torch.device(device).type == "cpu":
        words = np.frombuffer(stream, dtype=np.uint64)
        return torch.from_numpy((words >> np.uint64(12)).astype(np.float64) + 0.5).mul_(2.0**-52)
    raw = torch.frombuffer(bytearray(stream), dtype=torch.int64).to(device)
    # the same top 52 bits of each word (a logical shift, written for signed int64)
    return ((raw >> 12) & _LOW_52_BITS).to(torch.float64).add_(0.5).mul_(2.0**-52)


def standard_normal(count: int, device: Any = None) -> Any:
    """`count` independent N(0, 1) draws in float64 (Box–Muller over secure uniforms), on `device`."""
    import torch

    pairs = (count + 1) // 2
    u = uniform(2 * pairs, device)
    radius = u[:pairs].log_().mul_(-2.0).sqrt_()
    angle = u[pairs:].mul_(2.0 * math.pi)
    out = torch.empty(2 * pairs, dtype=torch.float64, device=u.device)
    torch.mul(radius, torch.cos(angle), out=out[:pairs])
    torch.mul(radius, angle.sin_(), out=out[pairs:])
    return out[:count]


def gaussian_like(references: Sequence[Any], std: float) -> list[Any]:
    """Hardened N(0, std²) noise shaped, typed and placed like each reference tensor.

    One secure draw covers every tensor. Each value is (z1 + z2 + z3 + z4) / 2 · std. When every
    reference lives on one accelerator, the draw's arithmetic runs there (the CPU makes only the
    keystream): a GPU run's noise would otherwise cost more than its step.
    """
    import torch

    if std == 0:
        return [torch.zeros_like(r) for r in references]
    sizes = [int(r.numel()) for r in references]
    total = sum(sizes)
    devices = {r.device for r in references}
    device = devices.pop() if len(devices) == 1 else None
    draws = standard_normal(HARDENING_DRAWS * total, device).reshape(HARDENING_DRAWS, total)
    values = draws.sum(dim=0) * (std / 2.0)
    out, start = [], 0
    for reference, size in zip(references, sizes, strict=True):
        piece = values[start : start + size].reshape(reference.shape)
        out.append(piece.to(device=reference.device, dtype=reference.dtype))
        start += size
    return out


def bernoulli_mask(count: int, probability: float) -> Any:
    """A bool tensor of `count` independent draws, each True with `probability` (Poisson sampling)."""
    return uniform(count) < probability
