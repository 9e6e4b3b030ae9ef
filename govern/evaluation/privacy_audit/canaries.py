"""Canaries: random secrets planted in a run's training data, each included with probability 1/2.

A canary is a record of the recipe's own format whose fixed prefix is followed by a secret of
`length` characters drawn uniformly from `alphabet` with the operating system's CSPRNG
(`secrets`); whether each canary is included is a fair coin from the same source. No seed
exists, so nobody (the trainer included) can predict the secrets or the inclusion mask.

Which canaries exist and which were included is a secret of the run: it lives only in the run
folder's canary file (mode 0600, never in the catalog or the ledger) until `govern audit
privacy` scores the canaries and ledgers the file's content with the result. The file's
SHA-256 is committed in the `run.started` ledger entry and in run.json before any step runs,
so the audit can prove the mask it reveals is the one the run trained with.

Canaries are not anyone's data: they are not in any snapshot, carry no subject, and do not
count towards N. They are Poisson-sampled at the run's rate q = L/N like every record (so the
accountant's ε covers each canary exactly as it covers each record); the expected logical batch
grows by the included canaries, to L·(N + included)/N.
"""

from __future__ import annotations

import json
import math
import random
import secrets as _secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern import atomic
from govern.canonical import canonical_bytes, sha256_hex
from govern.errors import BadInput, IntegrityFailure

CANARY_FILE = "canaries.secret.json"
DEFAULT_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
DEFAULT_PREFIX = "The secret code is"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class CanarySet:
    """The canaries of one run: the format, every secret, and which were included."""

    prefix: str
    alphabet: str
    length: int
    secrets: tuple[str, ...]
    included: tuple[bool, ...]
    repeats: int = 1

    def __post_init__(self) -> None:
        if len(self.secrets) != len(self.included):
            raise BadInput("canary file: secrets and inclusion mask differ in length")

    @property
    def count(self) -> int:
        return len(self.secrets)

    @property
    def included_count(self) -> int:
        return sum(self.included)

    @property
    def space_bits(self) -> float:
        """log2 of the number of possible secrets: the highest exposure a canary can have."""
        return self.length * math.log2(len(self.alphabet))

    def included_secrets(self) -> list[str]:
        return [s for s, inc in zip(self.secrets, self.included, strict=True) if inc]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "prefix": self.prefix,
            "alphabet": self.alphabet,
            "length": self.length,
            "repeats": self.repeats,
            "secrets": list(self.secrets),
            "included": list(self.included),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CanarySet:
        try:
            return cls(
                prefix=str(data["prefix"]),
                alphabet=str(data["alphabet"]),
                length=int(data["length"]),
                secrets=tuple(str(s) for s in data["secrets"]),
                included=tuple(bool(i) for i in data["included"]),
                repeats=int(data.get("repeats", 1)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BadInput(f"canary file: malformed ({type(error).__name__}: {error})") from error

    def summary(self) -> dict[str, Any]:
        """What may be said of the canaries before the audit: the format and the count, not the mask."""
        return {
            "count": self.count,
            "length": self.length,
            "prefix": self.prefix,
            "alphabet_size": len(self.alphabet),
            "repeats": self.repeats,
        }


def random_secret(length: int, alphabet: str = DEFAULT_ALPHABET) -> str:
    """One secret of `length` characters from `alphabet`, drawn with the OS CSPRNG."""
    return "".join(_secrets.choice(alphabet) for _ in range(length))


def draw_canaries(
    count: int,
    length: int,
    prefix: str = DEFAULT_PREFIX,
    alphabet: str = DEFAULT_ALPHABET,
    repeats: int = 1,
) -> CanarySet:
    """`count` distinct random secrets, each included independently with probability 1/2 (CSPRNG)."""
    if count < 1 or length < 1:
        raise BadInput("audit.canaries and audit.canary_length must be at least 1")
    if len(alphabet) ** length < 4 * count:
        raise BadInput(
            f"audit.canary_length: {length} characters give too few distinct secrets for {count} canaries"
        )
    drawn: list[str] = []
    seen: set[str] = set()
    while len(drawn) < count:
        secret = random_secret(length, alphabet)
        if secret not in seen:
            seen.add(secret)
            drawn.append(secret)
    included = tuple(bool(_secrets.randbits(1)) for _ in range(count))
    return CanarySet(
        prefix=prefix,
        alphabet=alphabet,
        length=length,
        secrets=tuple(drawn),
        included=included,
        repeats=repeats,
    )


def canary_from_settings(audit: Mapping[str, Any]) -> CanarySet:
    """Draw the canaries a recipe's [audit] section asks for."""
    return draw_canaries(
        int(audit["canaries"]),
        int(audit["canary_length"]),
        str(audit["canary_prefix"]),
        DEFAULT_ALPHABET,
        int(audit["canary_repeats"]),
    )


def canary_record(prefix: str, secret: str, data_settings: Mapping[str, Any]) -> dict[str, str]:
    """A record of the recipe's format holding one canary: prompt = prefix, completion = " " + secret."""
    if data_settings["format"] == "text":
        return {data_settings["text_field"]: f"{prefix} {secret}"}
    return {data_settings["prompt_field"]: prefix, data_settings["completion_field"]: f" {secret}"}


def training_records(canaries: CanarySet, data_settings: Mapping[str, Any]) -> list[dict[str, str]]:
    """The records the trainer adds: each included canary, `repeats` times; excluded ones never."""
    return [
        canary_record(canaries.prefix, secret, data_settings)
        for secret in canaries.included_secrets()
        for _ in range(canaries.repeats)
    ]


def reference_secrets(canaries: CanarySet, count: int, seed: int) -> list[str]:
    """`count` random secrets of the canaries' format, none of them a canary, from a recorded seed.

    References are not secret (they are never trained on), so a seeded generator lets anyone
    recompute an audit's exposures.
    """
    generator = random.Random(seed)
    taken = set(canaries.secrets)
    out: list[str] = []
    while len(out) < count:
        secret = "".join(generator.choice(canaries.alphabet) for _ in range(canaries.length))
        if secret not in taken:
            out.append(secret)
    return out


def canary_file_bytes(canaries: CanarySet) -> bytes:
    """The canary file's content: canonical JSON, so its hash is a function of the canaries."""
    return canonical_bytes(canaries.to_dict())


def write_canary_file(run_dir: Path, canaries: CanarySet) -> str:
    """Write the run's canary file (owner read/write only, atomically); return its SHA-256."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / CANARY_FILE
    if path.exists():
        raise BadInput(f"{path}: the run already has canaries; they are drawn once per run")
    data = canary_file_bytes(canaries)
    try:
        atomic.write(path, data, mode=0o600, exclusive=True)
    except FileExistsError:
        raise BadInput(
            f"{path}: the run already has canaries; they are drawn once per run"
        ) from None
    return sha256_hex(data)


def read_canary_file(run_dir: Path, expected_sha256: str | None = None) -> tuple[CanarySet, str]:
    """The run's canaries and the file's SHA-256; IntegrityFailure if it differs from `expected_sha256`."""
    path = Path(run_dir) / CANARY_FILE
    if not path.is_file():
        raise IntegrityFailure(
            f"{path}: the run's canary file is missing; its canaries cannot be audited"
        )
    data = path.read_bytes()
    digest = sha256_hex(data)
    if expected_sha256 is not None and digest != expected_sha256:
        raise IntegrityFailure(
            f"{path}: the canary file hashes to {digest[:16]}, not to the {expected_sha256[:16]} committed when the "
            "run started; the secrets or the inclusion mask were altered"
        )
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as error:
        raise IntegrityFailure(f"{path}: not valid JSON ({error})") from error
    return CanarySet.from_dict(raw), digest


def plant_canaries(recipe: Any, run_dir: Path) -> dict[str, Any] | None:
    """Draw and write a run's canaries before it starts; the commitment for run.started (or None)."""
    audit = recipe.canaries
    if audit is None:
        return None
    canaries = canary_from_settings(audit)
    digest = write_canary_file(run_dir, canaries)
    return {**canaries.summary(), "file": CANARY_FILE, "file_sha256": digest}
