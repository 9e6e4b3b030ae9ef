"""Detached signatures for rendered reports: FILE.sig next to FILE, checkable without a workspace.

FILE.sig is a small JSON document naming the file, its SHA-256, the renderer's key id and public
key, and the renderer's Ed25519 signature over the file's bytes (exactly as written). Whoever
holds the renderer's public key (`govern keys export NAME`) checks it with
`govern report verify FILE --public-key KEY.pem`, or with OpenSSL alone:

    jq -r .signature FILE.sig | xxd -r -p > FILE.sig.bin
    openssl pkeyutl -verify -pubin -inkey KEY.pem -rawin -in FILE -sigfile FILE.sig.bin

The key id and public key inside FILE.sig say who claims to have signed; only the public key the
verifier brings decides whether to believe it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from govern.canonical import sha256_hex
from govern.errors import BadInput
from govern.ledger.keys import Signer, key_id_for, verify_signature

SIGNATURE_FORMAT = "govern.report-signature.v1"
SUFFIX = ".sig"


def signature_path(path: Path) -> Path:
    """Where a report's detached signature lives: FILE.sig beside FILE."""
    path = Path(path)
    return path.with_name(path.name + SUFFIX)


def signature_document(data: bytes, file_name: str, signer: Signer) -> bytes:
    """The bytes of FILE.sig for a report's bytes, signed by `signer`."""
    document = {
        "format": SIGNATURE_FORMAT,
        "file": file_name,
        "sha256": sha256_hex(data),
        "bytes": len(data),
        "algorithm": "ed25519",
        "signed": "the file's bytes, exactly as written",
        "key_id": signer.key_id,
        "public_key": signer.public_key_hex,
        "signature": signer.sign(data),
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def public_key_pem(public_key_hex: str) -> str:
    """A raw Ed25519 public key (hex) as SubjectPublicKeyInfo PEM, as OpenSSL reads it."""
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def public_key_hex_from_pem(path: Path) -> str:
    """The raw public key (hex) in a PEM file; BadInput naming the file if it is not Ed25519."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BadInput(f"{path}: cannot read the public key file ({error.strerror})") from None
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise BadInput(
            f"{path}: not a PEM public key (export one with `govern keys export NAME`)"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise BadInput(f"{path}: not an Ed25519 public key; govern keys are Ed25519")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


@dataclass
class SignatureCheck:
    """What checking a detached signature found; `ok` when nothing is wrong."""

    path: str
    signature_path: str
    sha256: str
    key_id: str | None = None
    trusted_key_id: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def _read_document(sig: Path) -> dict[str, Any]:
    try:
        document = json.loads(sig.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(
            f"{sig}: no detached signature beside the report (pass --signature PATH)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"{sig}: not a govern report signature ({error})") from None
    if not isinstance(document, dict) or document.get("format") != SIGNATURE_FORMAT:
        raise BadInput(f"{sig}: not a {SIGNATURE_FORMAT} document")
    for name in ("key_id", "signature", "sha256"):
        if not isinstance(document.get(name), str):
            raise BadInput(f"{sig}: field {name!r} is missing or not text")
    return document


def verify_detached(
    path: Path, public_key_hex: str, signature_file: Path | None = None
) -> SignatureCheck:
    """Check FILE against FILE.sig with the public key the verifier trusts (no workspace needed)."""
    path = Path(path)
    sig = Path(signature_file) if signature_file is not None else signature_path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BadInput(f"{path}: cannot read the report ({error.strerror})") from None
    document = _read_document(sig)
    trusted = key_id_for(public_key_hex)
    check = SignatureCheck(
        path=str(path),
        signature_path=str(sig),
        sha256=sha256_hex(data),
        key_id=document["key_id"],
        trusted_key_id=trusted,
    )
    if document["key_id"] != trusted:
        check.problems.append(
            f"{sig.name} says key {document['key_id']} signed, but the public key given is key {trusted}"
        )
    if document["sha256"] != check.sha256:
        check.problems.append(
            f"the file's SHA-256 is {check.sha256}, but {sig.name} signed {document['sha256']}: "
            "the file was altered, or the signature belongs to another file"
        )
    if not verify_signature(public_key_hex, data, document["signature"]):
        check.problems.append(
            f"the Ed25519 signature in {sig.name} does not verify over the file's bytes with key {trusted}"
        )
    return check
