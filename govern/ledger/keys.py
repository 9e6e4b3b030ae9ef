"""Identities: Ed25519 key pairs with a role. Private keys live in files, never in the catalog."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from govern.atomic import make_dirs, write_new_file
from govern.errors import BadInput

ROLES = ("admin", "officer", "engineer", "auditor", "reviewer")


def key_id_for(public_key_hex: str) -> str:
    """A key's id: the first 32 hex digits of the SHA-256 of its raw public bytes."""
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:32]


class Signer(Protocol):
    """What acts in the library: a key id, its public key, and a way to sign bytes with it.

    A `PrivateIdentity` is one; govern.ledger.signing makes one for a key held elsewhere (a browser)."""

    @property
    def key_id(self) -> str: ...

    @property
    def public_key_hex(self) -> str: ...

    def sign(self, message: bytes) -> str:
        """Hex Ed25519 signature of `message`."""
        ...


@dataclass(frozen=True)
class PrivateIdentity:
    """A private key loaded from its file: it can sign as the key `key_id`."""

    private_key: Ed25519PrivateKey
    path: Path | None = None

    @property
    def public_key_hex(self) -> str:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return raw.hex()

    @property
    def key_id(self) -> str:
        return key_id_for(self.public_key_hex)

    def sign(self, message: bytes) -> str:
        """Hex Ed25519 signature of `message`."""
        return self.private_key.sign(message).hex()


def verify_signature(public_key_hex: str, message: bytes, signature_hex: str) -> bool:
    """True when `signature_hex` is a valid Ed25519 signature of `message` by the key."""
    try:
        public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        public_key.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def generate_identity() -> PrivateIdentity:
    """A fresh Ed25519 key pair."""
    return PrivateIdentity(Ed25519PrivateKey.generate())


def write_private_key(identity: PrivateIdentity, path: Path) -> Path:
    """Write the private key as PKCS#8 PEM, mode 0600, refusing to overwrite an existing file."""
    path = Path(path)
    if path.exists():
        raise BadInput(f"{path}: a file is already there; choose another --out path")
    make_dirs(path.parent, 0o700)
    pem = identity.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_new_file(path, pem, 0o600)
    return path


def load_identity(path: Path) -> PrivateIdentity:
    """Load a private key file written by `govern keys create` or `govern init`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such key file (pass --key PATH or set GOVERN_KEY)") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot read the key file ({error.strerror})") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise BadInput(f"{path}: not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadInput(f"{path}: not an Ed25519 key; govern keys are Ed25519")
    return PrivateIdentity(key, path)
