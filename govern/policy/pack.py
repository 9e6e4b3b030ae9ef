"""Policy packs: YAML files validated by a JSON Schema plus each rule family's own checks.

A pack's identity is `Pack.hash`, the SHA-256 of its canonical content (key order, whitespace and
comments do not count; any change of a value does). Every decision records it.

    name: default
    version: "1.0.0"
    description: ...
    disclaimer: ...          # says plainly what the pack is and is not
    rules:                   # one section per rule family; see RULE_FAMILIES
      provenance: {...}
      consent: {...}
    release: {...}           # optional: the rules `govern release` checks (govern/evaluation/release.py)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from govern.canonical import hash_value
from govern.errors import BadInput, NotFound
from govern.policy._yaml import LocatedYaml, PathKey, load_located, plain
from govern.policy.rules import RULE_FAMILIES, RuleFamily

PACK_SUFFIXES = (".yaml", ".yml")

# Every pack configures these families, so no control is switched off by leaving its section out;
# a pack relaxes one only by saying so in that section (e.g. `dp.required: false` with a waiver reason).
REQUIRED_FAMILIES = ("provenance", "consent", "pii", "synthetic", "dp", "approvals")

RELEASE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "min_reviews": {"type": "integer", "minimum": 0},
        "reviewer_role": {"type": "string", "minLength": 1},
        "min_rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "require_compliance_report": {"type": "boolean"},
        "require_eval_report": {"type": "boolean"},
        "require_evaluation": {"type": "boolean"},
        "require_privacy_audit": {"type": "boolean"},
        "max_days_since_approval": {"type": "integer", "minimum": 1},
        "require_suite": {"type": "string", "minLength": 1},
        "max_pii_regurgitation": {"type": "integer", "minimum": 0},
        "min_review_win_rate": {"type": "number", "minimum": 0, "maximum": 1},
        "min_review_agreement": {"type": "number", "minimum": -1, "maximum": 1},
        # retrain rules (govern/evaluation/staleness.py)
        "max_adapter_age_days": {"type": "number", "exclusiveMinimum": 0},
        "max_drift": {"type": "number", "minimum": 0, "maximum": 1},
    },
}


def pack_schema() -> dict[str, Any]:
    """The JSON Schema of a policy pack, assembled from the registered rule families."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "govern policy pack",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "version", "description", "disclaimer", "rules"],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
            "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$"},
            "description": {"type": "string", "minLength": 1},
            "disclaimer": {"type": "string", "minLength": 1},
            "rules": {
                "type": "object",
                "required": list(REQUIRED_FAMILIES),
                "additionalProperties": False,
                "properties": {
                    name: family.schema for name, family in sorted(RULE_FAMILIES.items())
                },
            },
            "release": RELEASE_SCHEMA,
        },
    }


@dataclass(frozen=True)
class PackViolation:
    """One thing wrong with a pack: the file, line and key, and what to do."""

    source: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}, line {self.line}"
        return f"{where}, key {self.key}: {self.message}"


@dataclass(frozen=True)
class Pack:
    """A validated policy pack. `content` is the parsed YAML; `hash` identifies it."""

    name: str
    version: str
    description: str
    disclaimer: str
    rules: Mapping[str, Mapping[str, Any]]
    release: Mapping[str, Any] | None
    content: Mapping[str, Any]
    hash: str
    source: str = "<string>"
    families: tuple[RuleFamily, ...] = field(default=(), repr=False, compare=False)

    @property
    def path(self) -> Path | None:
        return None if self.source.startswith("<") else Path(self.source)

    def family(self, name: str) -> RuleFamily | None:
        """The configured rule family `name`, or None when the pack has no such section."""
        for family in self.families:
            if family.name == name:
                return family
        return None

    def consent_purposes(self) -> list[str]:
        """Purposes whose consent coverage the caller must gather into the facts."""
        consent = self.rules.get("consent")
        return [consent["purpose"]] if consent else []

    def pii_score_threshold(self) -> float | None:
        """The score at or above which the caller should count PII findings into the facts."""
        pii = self.rules.get("pii")
        return float(pii["score_threshold"]) if pii else None

    def summary(self) -> dict[str, Any]:
        """Name, version, hash and families, for listings and decisions."""
        return {
            "name": self.name,
            "version": self.version,
            "hash": self.hash,
            "source": self.source,
            "families": [f.name for f in self.families],
            "disclaimer": self.disclaimer,
        }


def _dotted(path: PathKey) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def _schema_violations(located: LocatedYaml) -> list[PackViolation]:
    validator = jsonschema.Draft202012Validator(pack_schema())
    out: list[PackViolation] = []
    for error in validator.iter_errors(located.data):
        path: PathKey = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = sorted(error.schema.get("properties", {}))
            for extra in sorted(k for k in error.instance if k not in known):
                key = path + (str(extra),)
                if path == ("rules",):
                    message = (
                        f"unknown rule family {extra!r}; the known families are {', '.join(known)}"
                        " (a new family is a new class in govern/policy/rules/)"
                    )
                else:
                    message = f"unknown key {extra!r}; the keys allowed here are {', '.join(known)}"
                out.append(
                    PackViolation(located.source, located.line_of(key), _dotted(key), message)
                )
        elif error.validator == "required" and isinstance(error.instance, dict):
            for missing in error.validator_value:
                if missing not in error.instance:
                    message = f"the required key {missing!r} is missing; add it"
                    if path == ("rules",):
                        message = (
                            f"every pack configures the rule family {missing!r}, so that no check is off because its "
                            "section was left out; add the section (see policies/default.yaml)"
                        )
                    out.append(
                        PackViolation(
                            located.source,
                            located.line_of(path),
                            _dotted(path + (missing,)),
                            message,
                        )
                    )
        else:
            out.append(
                PackViolation(located.source, located.line_of(path), _dotted(path), _explain(error))
            )
    return out


def _explain(error: jsonschema.ValidationError) -> str:
    value: Any = error.validator_value
    if error.validator == "enum":
        return f"{error.instance!r} is not allowed; use one of {', '.join(map(repr, value))}"
    if error.validator == "pattern":
        return f"{error.instance!r} does not match the pattern {value}"
    if error.validator == "type":
        expected = value if isinstance(value, str) else " or ".join(value)
        return f"{error.instance!r} should be of type {expected}"
    return error.message


def validate_pack_text(
    text: str, source: str | Path = "<string>", expected_name: str | None = None
) -> tuple[LocatedYaml, list[PackViolation]]:
    """Parse and validate a pack; return the parsed YAML and every violation found (empty when valid).

    `expected_name` (a pack file's stem) must equal the pack's `name`.
    """
    located = load_located(text, source)
    violations = [
        PackViolation(
            located.source,
            line,
            _dotted(path),
            "this key appears twice in the same mapping; keep one",
        )
        for path, line in located.duplicate_keys
    ]
    if not isinstance(located.data, dict):
        violations.append(
            PackViolation(
                located.source,
                located.line_of(()),
                "(top level)",
                "a pack is a mapping with name, version, rules, ...",
            )
        )
        return located, violations
    violations += _schema_violations(located)
    name = located.data.get("name")
    if expected_name is not None and isinstance(name, str) and name != expected_name:
        violations.append(
            PackViolation(
                located.source,
                located.line_of(("name",)),
                "name",
                f"the pack is named {name!r} but its file is named for {expected_name!r}; make them agree",
            )
        )
    rules = located.data.get("rules")
    if isinstance(rules, dict):
        for name, config in rules.items():
            family_cls = RULE_FAMILIES.get(str(name))
            if family_cls is None or not isinstance(config, dict):
                continue
            if jsonschema.Draft202012Validator(family_cls.schema).is_valid(config):
                for sub, message in family_cls(config).config_problems():
                    key = ("rules", str(name)) + tuple(sub)
                    violations.append(
                        PackViolation(located.source, located.line_of(key), _dotted(key), message)
                    )
    # jsonschema reports a `required` error once per missing key, each listing all of them.
    violations = sorted(set(violations), key=lambda v: (v.line or 0, v.key))
    return located, violations


def load_pack_text(
    text: str, source: str | Path = "<string>", expected_name: str | None = None
) -> Pack:
    """A Pack from YAML text; BadInput lists every violation with its file, line and key."""
    located, violations = validate_pack_text(text, source, expected_name)
    if violations:
        raise BadInput(
            f"{source}: the policy pack is not valid ({len(violations)} problems):\n"
            + "\n".join(f"  - {v}" for v in violations)
        )
    data: dict[str, Any] = plain(located.data)
    rules = data["rules"]
    families = tuple(RULE_FAMILIES[name](rules[name]) for name in RULE_FAMILIES if name in rules)
    return Pack(
        name=data["name"],
        version=data["version"],
        description=data["description"],
        disclaimer=data["disclaimer"],
        rules=rules,
        release=data.get("release"),
        content=data,
        hash=hash_value(data),
        source=str(source),
        families=families,
    )


def default_policies_dir() -> Path:
    """The policies folder that ships with govern."""
    from govern.resources import shipped_dir

    return shipped_dir("policies")


def list_packs(directory: str | Path | None = None) -> list[Path]:
    """The pack files in a policies folder (default: the shipped one), sorted by name."""
    folder = Path(directory) if directory is not None else default_policies_dir()
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in PACK_SUFFIXES)


def load_pack(name_or_path: str | Path, directory: str | Path | None = None) -> Pack:
    """Load a pack by file path, or by name from `directory` (default: the shipped policies folder).

    Raises NotFound when there is no such pack, BadInput when it is not valid.
    """
    candidate = Path(name_or_path)
    if candidate.suffix in PACK_SUFFIXES and candidate.is_file():
        path = candidate
    else:
        folder = Path(directory) if directory is not None else default_policies_dir()
        matches = [folder / f"{name_or_path}{suffix}" for suffix in PACK_SUFFIXES]
        found = [m for m in matches if m.is_file()]
        if not found:
            known = ", ".join(p.stem for p in list_packs(folder)) if folder.is_dir() else "none"
            raise NotFound(
                f"no policy pack {str(name_or_path)!r} in {folder}; the packs there are: {known}"
            )
        path = found[0]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: cannot read the policy pack: {error}") from error
    return load_pack_text(text, path, expected_name=path.stem)
