"""Policy packs: YAML files validated by their models (the envelope and `release` here, each rule
family's section in its file under rules/) plus each rule family's own checks.

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

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import Field, StringConstraints, create_model, model_validator

from govern.canonical import hash_value
from govern.config_models import Number, StrictBool, StrictInt, StrictStr, check
from govern.errors import BadInput, NotFound
from govern.policy.rules import RULE_FAMILIES, RuleFamily
from govern.policy.rules.base import Name, RuleConfig
from govern.safe_yaml import LocatedYaml, PathKey, load_located, plain

PACK_SUFFIXES = (".yaml", ".yml")

# Every pack configures these families, so no control is switched off by leaving its section out;
# a pack relaxes one only by saying so in that section (e.g. `dp.required: false` with a waiver reason).
REQUIRED_FAMILIES = ("provenance", "consent", "pii", "synthetic", "dp", "approvals")


class RequiredSuite(RuleConfig):
    """`require_suite: {name: NAME, sha256: HASH}`: the suite that must have been run on the
    adapter, pinned to the content it must have had (`Suite.hash`, the hash `govern eval --suite`
    ledgers), so the officer who activates the pack decides what the suite holds: a run of an
    edited `evals/NAME.yaml` does not count. `require_suite: NAME` (or no sha256) is UNPINNED:
    any content counts, and the release rule says so."""

    name: Annotated[
        StrictStr,
        StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"),
        Field(description="a suite name (evals/NAME.yaml)"),
    ]
    sha256: Annotated[StrictStr, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        None,
        description="the suite's hash, 64 lowercase hex digits (`govern eval --json`: suite_hash)",
    )

    @model_validator(mode="before")
    @classmethod
    def _name_alone(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if not isinstance(data, Mapping):
            raise ValueError(
                "write the suite's name, or {name: NAME, sha256: HASH} to pin its content"
            )
        return data


class ReleaseRules(RuleConfig):
    """`release:`, the rules `govern release` checks (evaluation/release.py reads them).

    A new release rule is one field here, `Field(None, ...)` with its bounds, read in release.py.
    """

    min_reviews: StrictInt | None = Field(None, ge=0)
    reviewer_role: Name | None = None
    min_rating: StrictInt | None = Field(None, ge=1, le=5)
    require_compliance_report: StrictBool | None = None
    require_eval_report: StrictBool | None = None
    require_evaluation: StrictBool | None = None
    require_privacy_audit: StrictBool | None = None
    max_days_since_approval: StrictInt | None = Field(None, ge=1)
    require_suite: RequiredSuite | None = None  # NAME, or {name: NAME, sha256: HASH} (pinned)
    max_pii_regurgitation: StrictInt | None = Field(None, ge=0)
    min_review_win_rate: Number | None = Field(None, ge=0, le=1)
    min_review_agreement: Number | None = Field(None, ge=-1, le=1)
    # retrain rules (govern/evaluation/staleness.py)
    max_adapter_age_days: Number | None = Field(None, gt=0)
    max_drift: Number | None = Field(None, ge=0, le=1)


class _Rules(RuleConfig):
    messages: ClassVar[dict[str, str]] = {
        **RuleConfig.messages,
        "extra_forbidden": "unknown rule family {key!r}; the known families are {allowed}"
        " (a new family is a new class in govern/policy/rules/)",
        "missing": "every pack configures the rule family {key!r}, so that no check is off "
        "because its section was left out; add the section (see policies/default.yaml)",
    }


class _Pack(RuleConfig):
    name: Annotated[StrictStr, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    version: Annotated[
        StrictStr, StringConstraints(pattern=r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
    ]
    description: Name
    disclaimer: Name
    release: ReleaseRules | None = None


def pack_model() -> type[RuleConfig]:
    """The model of a policy pack, its `rules` assembled from the registered rule families."""
    families = tuple(sorted(RULE_FAMILIES.items()))
    return _pack_model(families)


@functools.lru_cache(maxsize=4)
def _pack_model(families: tuple[tuple[str, type[RuleFamily]], ...]) -> type[RuleConfig]:
    sections: dict[str, Any] = {
        name: (family.config_model, ...)
        if name in REQUIRED_FAMILIES
        else (family.config_model | None, None)
        for name, family in families
    }
    rules: Any = create_model("PackRules", __base__=_Rules, **sections)
    model: type[RuleConfig] = create_model("PolicyPack", __base__=_Pack, rules=(rules, ...))
    return model


def pack_schema() -> dict[str, Any]:
    """The JSON Schema of a policy pack (generated from its models), with each family's inline."""
    schema = pack_model().model_json_schema()
    schema["properties"]["rules"] = {
        "type": "object",
        "required": list(REQUIRED_FAMILIES),
        "additionalProperties": False,
        "properties": {
            name: family.config_model.model_json_schema()
            for name, family in sorted(RULE_FAMILIES.items())
        },
    }
    return schema


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


def _model_violations(located: LocatedYaml) -> tuple[list[PackViolation], set[str]]:
    """Every violation of the pack's models, and the rule families whose sections are sound."""
    _, problems = check(pack_model(), located.data, located)
    out = [PackViolation(located.source, p.line, p.key, p.message) for p in problems]
    unsound = {str(p.path[1]) for p in problems if len(p.path) > 1 and p.path[0] == "rules"}
    rules = located.data.get("rules")
    sound = {str(k) for k in rules if str(k) not in unsound} if isinstance(rules, dict) else set()
    return out, sound


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
    found, sound = _model_violations(located)
    violations += found
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
            if str(name) in sound:
                for sub, message in family_cls(config).config_problems():
                    key = ("rules", str(name)) + tuple(sub)
                    violations.append(
                        PackViolation(located.source, located.line_of(key), _dotted(key), message)
                    )
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
