"""Canonical JSON and hashing: the pure functions every hash in govern is built from."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import unicodedata
from typing import Any


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {_normalise(str(k)): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"non-finite number {value!r} has no canonical JSON form")
    return value


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no whitespace, NFC-normalised strings, no NaN: one text per value."""
    return json.dumps(
        _normalise(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def canonical_bytes(value: Any) -> bytes:
    """UTF-8 bytes of `canonical_json(value)`."""
    return canonical_json(value).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def hash_value(value: Any) -> str:
    """Hex SHA-256 of a value's canonical JSON."""
    return sha256_hex(canonical_bytes(value))


def keyed_hash(secret: bytes, value: str) -> str:
    """HMAC-SHA256 of a personal identifier, so catalogs and ledgers never hold it raw."""
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


def file_sha256(path: Any, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
