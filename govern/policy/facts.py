"""SnapshotFacts: everything a policy decision needs, gathered from the catalog by the caller.

Facts are plain data (JSON-serialisable through `to_dict` / `from_dict`), so a decision is a pure
function of (pack, facts, now) and the example cases beside each pack are written in this shape.
Record ids here are the catalog's opaque record keys; subject identifiers and record text never
appear. `approvals` and `training` are the facts of the later phases: the caller adds them when it
checks an approval or gates a training run; they are not part of the decision's hash.

The structure is declared once, as the pydantic models below (govern/config_models.py): they are
the schema (`FACTS_SCHEMA` is generated from them), the types, `to_dict` and `from_dict`. A new
fact is one field on its model; a field that older decisions lack is left out of `to_dict` when
unset (see `TrainingPlan` and `synthetic`), so their hashes hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, Literal

import jsonschema
from pydantic import (
    BeforeValidator,
    Field,
    InstanceOf,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    StringConstraints,
    WithJsonSchema,
    model_serializer,
)

from govern.canonical import hash_value
from govern.config_models import (
    GOVERN_MESSAGES,
    KeyedError,
    Model,
    Number,
    StrictBool,
    StrictInt,
    StrictStr,
    check,
)
from govern.errors import BadInput
from govern.policy.synthetic_facts import SYNTHETIC_FACTS_SCHEMA, SyntheticFacts


def parse_time(value: Any, where: str) -> datetime | None:
    """An aware datetime from an ISO 8601 string (a bare date means midnight UTC); None stays None."""
    if value is None or isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day, tzinfo=UTC)
    else:
        text = str(value)
        try:
            if len(text) == 10:
                parsed = datetime.fromisoformat(text).replace(tzinfo=UTC)
            else:
                parsed = datetime.fromisoformat(text)
        except ValueError:
            raise BadInput(
                f"{where}: {text!r} is not an ISO 8601 time; write e.g. 2024-05-01 or 2024-05-01T12:00:00Z"
            ) from None
    if parsed is not None and parsed.tzinfo is None:
        raise BadInput(f"{where}: {value!s} has no time zone; add one, e.g. a trailing Z for UTC")
    return parsed


def format_time(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a trailing Z, the one form times take in facts and decisions."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _time(value: Any) -> Any:
    try:
        return parse_time(value, "time")
    except BadInput as error:
        raise ValueError(str(error).split(": ", 1)[1]) from None


def _synthetic(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    for error in jsonschema.Draft202012Validator(SYNTHETIC_FACTS_SCHEMA).iter_errors(value):
        raise KeyedError(error.message, key=tuple(error.absolute_path))
    return SyntheticFacts.from_dict(value)


Id = Annotated[str, StringConstraints(min_length=1), Field(strict=True)]
Count = Annotated[StrictInt, Field(ge=0)]
Entity = Annotated[StrictStr, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]
Time = Annotated[
    datetime | None,
    BeforeValidator(_time),
    PlainSerializer(format_time, return_type=str | None),
    WithJsonSchema({"type": ["string", "null"], "minLength": 1}),
]
Synthetic = Annotated[
    InstanceOf[SyntheticFacts] | None,
    BeforeValidator(_synthetic),
    PlainSerializer(lambda s: None if s is None else s.to_dict()),
    WithJsonSchema(SYNTHETIC_FACTS_SCHEMA),
]


class _Facts(Model):
    """A facts model: keyword or positional construction (`ConsentCoverage("training", 9)`).

    A wrong type is worded in JSON's terms, as facts are JSON data (`7 is not of type 'string'`).
    """

    messages: ClassVar[dict[str, str]] = {
        **GOVERN_MESSAGES,
        **{
            kind: f"{{input!r}} is not of type {json_type!r}"
            for kind, json_type in {
                "string_type": "string",
                "int_type": "integer",
                "float_type": "number",
                "bool_type": "boolean",
                "tuple_type": "array",
                "model_type": "object",
                "dict_type": "object",
            }.items()
        },
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(**dict(zip(type(self).model_fields, args, strict=False)), **kwargs)


class Provenance(_Facts):
    """What the dataset's registration declared about where its records came from."""

    source: StrictStr | None = None
    license: StrictStr | None = None  # an SPDX id, or ids joined by OR / AND
    legal_basis: StrictStr | None = None
    jurisdiction: StrictStr | None = None
    collected_at: Time = None
    registered_at: Time = None
    declared_fields: tuple[StrictStr, ...] = ()
    synthetic_generator: StrictStr | None = None
    synthetic_record_count: Count = 0

    def get(self, name: str) -> Any:
        return getattr(self, name)


class ConsentCoverage(_Facts):
    """For one purpose: how many records have an active grant, and the ids of those that do not."""

    purpose: Id
    records_with_grant: Count
    records_without_grant: tuple[Id, ...] = ()


class PiiFindingCount(_Facts):
    """How many findings of one entity type in one field scored at or above the scan's threshold."""

    entity_type: Entity
    count: Count
    field: StrictStr | None = None


class PiiScanSummary(_Facts):
    """The latest PII scan of this snapshot: its config hash, threshold, entity types and counts."""

    config_hash: Id
    score_threshold: float = Field(ge=0, le=1)
    entity_types: tuple[Entity, ...] = ()
    findings: tuple[PiiFindingCount, ...] = ()

    def totals(self) -> dict[str, int]:
        """Findings per entity type over all fields."""
        out: dict[str, int] = {}
        for finding in self.findings:
            out[finding.entity_type] = out.get(finding.entity_type, 0) + finding.count
        return out

    def by_field(self, entity_type: str) -> dict[str, int]:
        """Findings of one entity type per field."""
        out: dict[str, int] = {}
        for finding in self.findings:
            if finding.entity_type == entity_type and finding.count:
                key = finding.field or "(any)"
                out[key] = out.get(key, 0) + finding.count
        return out


class ApprovalFacts(_Facts):
    """One recorded approval whose signature the caller has already verified."""

    approver_key_id: Id
    roles: tuple[StrictStr, ...]
    decision_hash: StrictStr | None = (
        None  # the decision it signed; None when the caller does not know
    )
    approved_at: Time = None
    person: StrictStr | None = None  # who holds the key (its registered name, normalised)


class TrainingPlan(_Facts):
    """The planned training run: who runs it and its differential-privacy parameters."""

    trainer_key_id: StrictStr | None = None
    trainer_person: StrictStr | None = None
    dp_enabled: StrictBool = False
    epsilon: Number | None = Field(None, gt=0)
    delta: Number | None = Field(None, ge=0, lt=1)
    dataset_epsilon_spent: float = Field(0.0, ge=0)  # ε already spent on this data by earlier runs
    # ε of this data's subjects once the run has run: earlier runs and this plan composed by the accountant
    lifetime_epsilon_after: Number | None = Field(None, ge=0)
    privacy_unit: Literal["record", "subject"] = "record"  # what one ε protects
    max_records_per_subject: StrictInt | None = Field(None, ge=1)

    @model_serializer(mode="wrap")
    def _record_unit_left_out(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if self.privacy_unit != "subject":  # record-level plans keep their older form
            data.pop("privacy_unit", None)
            data.pop("max_records_per_subject", None)
        return data


class SnapshotFacts(_Facts):
    """Everything `evaluate` needs to decide on one snapshot, and nothing it should not see."""

    snapshot_id: Id
    dataset_id: Id
    record_count: Count
    provenance: Provenance
    snapshot_hash: StrictStr | None = None
    registered_by: StrictStr | None = None
    # who registered the data or made this snapshot or its ancestors
    involved_people: tuple[Id, ...] = ()
    parent_id: StrictStr | None = None
    transform: StrictStr | None = None
    transform_hash: StrictStr | None = None
    anonymized: StrictBool = False
    consent: tuple[ConsentCoverage, ...] = ()
    pii_scan: PiiScanSummary | None = None
    approvals: tuple[ApprovalFacts, ...] = ()
    training: TrainingPlan | None = None
    synthetic: Synthetic = None  # issue 15: seeds, validation, review

    def consent_for(self, purpose: str) -> ConsentCoverage | None:
        for coverage in self.consent:
            if coverage.purpose == purpose:
                return coverage
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; `from_dict(to_dict())` gives the facts back."""
        # issue 15: `synthetic` is absent, not null, when unset, so older decision hashes hold
        exclude = {"synthetic"} if self.synthetic is None else set()
        data: dict[str, Any] = self.model_dump(mode="json", exclude=exclude)
        return data

    def data_inputs(self) -> dict[str, Any]:
        """The facts the data decision rests on: everything except approvals and the training plan."""
        data = self.to_dict()
        del data["approvals"], data["training"]
        return data

    def inputs_digest(self) -> str:
        """SHA-256 of the canonical data inputs; part of every decision's hash."""
        return hash_value(self.data_inputs())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "facts") -> SnapshotFacts:
        """Facts from plain data; BadInput lists every problem with its key (see `facts_problems`)."""
        problems = facts_problems(data)
        if problems:
            raise BadInput(
                f"{source}: the snapshot facts are not valid:\n"
                + "\n".join(f"  - key {_dotted(key)}: {message}" for key, message in problems)
            )
        return cls.model_validate(data)


FACTS_SCHEMA: dict[str, Any] = SnapshotFacts.model_json_schema()


def _dotted(path: Any) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def facts_problems(data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Every structural and consistency problem of facts data, as (key path, message).

    An unknown key is reported at the mapping that holds it.
    """
    facts, found = check(SnapshotFacts, data)
    problems = [
        (p.path[:-1], f"unknown key {p.path[-1]!r}; {p.message}")
        if p.kind == "extra_forbidden"
        else (p.path, p.message)
        for p in found
    ]
    if facts is None:
        return sorted(problems, key=lambda p: [str(part) for part in p[0]])
    record_count = facts.record_count
    synthetic = facts.provenance.synthetic_record_count
    if synthetic > record_count:
        problems.append(
            (
                ("provenance", "synthetic_record_count"),
                f"{synthetic} synthetic records is more than the snapshot's {record_count} records",
            )
        )
    purposes: set[str] = set()
    for index, coverage in enumerate(facts.consent):
        covered = coverage.records_with_grant + len(coverage.records_without_grant)
        if covered > record_count:
            problems.append(
                (
                    ("consent", index),
                    f"{covered} records counted for purpose {coverage.purpose!r}, "
                    f"more than the snapshot's {record_count}",
                )
            )
        if coverage.purpose in purposes:
            problems.append(
                (("consent", index, "purpose"), f"purpose {coverage.purpose!r} appears twice")
            )
        purposes.add(coverage.purpose)
    return problems
