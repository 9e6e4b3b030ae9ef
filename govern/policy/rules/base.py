"""The base of every rule family, the result a check returns, and the family registry.

A rule family is one small class in its own file: it owns the model of its pack section (a
`RuleConfig`, govern/config_models.py; a new setting is a field there), any semantic checks of
that section the model cannot express, and the checks it runs on a snapshot's facts. `@register`
puts it in `RULE_FAMILIES`, keyed by its pack section name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, StringConstraints, model_validator

from govern.config_models import GOVERN_MESSAGES, KeyedError, Model, StrictStr

if TYPE_CHECKING:
    from govern.policy.facts import SnapshotFacts

Status = Literal["pass", "fail", "not_applicable", "pending"]
Phase = Literal["data", "approval", "training"]

STATUSES: tuple[Status, ...] = ("pass", "fail", "not_applicable", "pending")
PHASES: tuple[Phase, ...] = ("data", "approval", "training")

ConfigPath = tuple[str | int, ...]
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def _unique(items: tuple[T, ...]) -> tuple[T, ...]:
    if len(set(map(repr, items))) != len(items):
        raise ValueError("has repeated items; list each once")
    return items


Unique = Annotated[tuple[T, ...], AfterValidator(_unique)]
Name = Annotated[StrictStr, StringConstraints(min_length=1)]
Entity = Annotated[StrictStr, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]


def at_least_one_key(model: M) -> M:
    """A model validator: the section must set at least one key."""
    if not model.model_fields_set:
        raise ValueError("set at least one key here, or leave the section out")
    return model


class RuleConfig(Model):
    """The model of one pack section; its wording is the pack's (`unknown key 'x'; ...`).

    The model only validates: a family reads its section as written (`self.config`), its own
    defaults included. An optional key is declared `x: T | None = None`; leaving it out is fine,
    but an explicit `null` is refused (it must not switch a check off unannounced).
    """

    messages: ClassVar[dict[str, str]] = {
        **GOVERN_MESSAGES,
        "extra_forbidden": "unknown key {key!r}; the keys allowed here are {allowed}",
        "missing": "the required key {key!r} is missing; add it",
        "literal_error": "{input!r} is not allowed; use one of {quoted}",
    }

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key, value in data.items():
                if value is None:
                    raise KeyedError("null is not a value here; give one or remove the key", (key,))
        return data


@dataclass(frozen=True)
class RuleResult:
    """One check's verdict: its id (`family.check`), status, a message saying what to do, and evidence.

    Evidence holds counts, ids, limits and dates, never record text or raw identifiers.
    `pending` means the check waits on facts that do not exist yet (approvals, a training plan).
    """

    rule: str
    status: Status
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    phase: Phase = "data"

    @property
    def family(self) -> str:
        return self.rule.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "status": self.status,
            "message": self.message,
            "evidence": dict(self.evidence),
            "phase": self.phase,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleResult:
        return cls(
            rule=data["rule"],
            status=data["status"],
            message=data["message"],
            evidence=dict(data.get("evidence", {})),
            phase=data.get("phase", "data"),
        )


@dataclass(frozen=True)
class EvaluationContext:
    """What a check may know besides the facts: the time, and the hash of the data decision."""

    now: datetime
    decision_hash: str | None = None


class RuleFamily:
    """A family of related checks configured by one section of a policy pack (`rules.<name>`)."""

    name: ClassVar[str]
    phase: ClassVar[Phase] = "data"
    summary: ClassVar[str] = ""
    config_model: ClassVar[type[RuleConfig]] = RuleConfig
    checks: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    def config_problems(self) -> list[tuple[ConfigPath, str]]:
        """Semantic problems the schema cannot see, as (path inside the section, message); all of them."""
        return []

    def evaluate(self, facts: SnapshotFacts, ctx: EvaluationContext) -> list[RuleResult]:
        """Run every configured check of this family on the facts."""
        raise NotImplementedError

    def excluded_record_ids(self, facts: SnapshotFacts) -> list[str]:
        """Record ids this family asks the caller to leave out of a derived snapshot (usually none)."""
        return []

    def result(self, check: str, status: Status, message: str, **evidence: Any) -> RuleResult:
        """A RuleResult for `<family>.<check>` in this family's phase."""
        if check not in self.checks:
            raise ValueError(f"{type(self).__name__} does not declare the check {check!r}")
        return RuleResult(f"{self.name}.{check}", status, message, evidence, self.phase)


RULE_FAMILIES: dict[str, type[RuleFamily]] = {}

F = TypeVar("F", bound=type[RuleFamily])


def register(cls: F) -> F:
    """Class decorator: add a rule family to the registry under its `name`."""
    if cls.name in RULE_FAMILIES and RULE_FAMILIES[cls.name] is not cls:
        raise ValueError(f"rule family {cls.name!r} is registered twice")
    RULE_FAMILIES[cls.name] = cls
    return cls


def sample(ids: list[str] | tuple[str, ...], limit: int = 20) -> list[str]:
    """The first `limit` ids (sorted), for evidence that must stay short."""
    return sorted(ids)[:limit]
