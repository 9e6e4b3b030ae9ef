"""SnapshotFacts: everything a policy decision needs, gathered from the catalog by the caller.

Facts are plain data (JSON-serialisable through `to_dict` / `from_dict`), so a decision is a pure
function of (pack, facts, now) and the example cases beside each pack are written in this shape.
Record ids here are the catalog's opaque record keys; subject identifiers and record text never
appear. `approvals` and `training` are the facts of the later phases: the caller adds them when it
checks an approval or gates a training run; they are not part of the decision's hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import jsonschema

from govern.canonical import hash_value
from govern.errors import BadInput
from govern.policy.synthetic_facts import SYNTHETIC_FACTS_SCHEMA, SyntheticFacts

_TIME = {"type": ["string", "null"], "minLength": 1}
_ID = {"type": "string", "minLength": 1}
_COUNT = {"type": "integer", "minimum": 0}
_ENTITY = {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"}

FACTS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "govern snapshot facts",
    "type": "object",
    "additionalProperties": False,
    "required": ["snapshot_id", "dataset_id", "record_count", "provenance"],
    "properties": {
        "snapshot_id": _ID,
        "snapshot_hash": {"type": ["string", "null"]},
        "dataset_id": _ID,
        "record_count": _COUNT,
        "registered_by": {"type": ["string", "null"]},
        "involved_people": {"type": "array", "items": _ID},
        "parent_id": {"type": ["string", "null"]},
        "transform": {"type": ["string", "null"]},
        "transform_hash": {"type": ["string", "null"]},
        "anonymized": {"type": "boolean"},
        "provenance": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "source": {"type": ["string", "null"]},
                "license": {"type": ["string", "null"]},
                "legal_basis": {"type": ["string", "null"]},
                "jurisdiction": {"type": ["string", "null"]},
                "collected_at": _TIME,
                "registered_at": _TIME,
                "declared_fields": {"type": "array", "items": {"type": "string"}},
                "synthetic_generator": {"type": ["string", "null"]},
                "synthetic_record_count": _COUNT,
            },
        },
        "consent": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["purpose", "records_with_grant", "records_without_grant"],
                "properties": {
                    "purpose": _ID,
                    "records_with_grant": _COUNT,
                    "records_without_grant": {"type": "array", "items": _ID},
                },
            },
        },
        "pii_scan": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["config_hash", "score_threshold"],
            "properties": {
                "config_hash": _ID,
                "score_threshold": {"type": "number", "minimum": 0, "maximum": 1},
                "entity_types": {"type": "array", "items": _ENTITY},
                "findings": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["entity_type", "count"],
                        "properties": {
                            "entity_type": _ENTITY,
                            "field": {"type": ["string", "null"]},
                            "count": _COUNT,
                        },
                    },
                },
            },
        },
        "synthetic": SYNTHETIC_FACTS_SCHEMA,  # issue 15: see synthetic_facts.py
        "approvals": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["approver_key_id", "roles"],
                "properties": {
                    "approver_key_id": _ID,
                    "person": {"type": ["string", "null"]},
                    "roles": {"type": "array", "items": {"type": "string"}},
                    "decision_hash": {"type": ["string", "null"]},
                    "approved_at": _TIME,
                },
            },
        },
        "training": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {
                "trainer_key_id": {"type": ["string", "null"]},
                "trainer_person": {"type": ["string", "null"]},
                "dp_enabled": {"type": "boolean"},
                "epsilon": {"type": ["number", "null"], "exclusiveMinimum": 0},
                "delta": {"type": ["number", "null"], "minimum": 0, "exclusiveMaximum": 1},
                "dataset_epsilon_spent": {"type": "number", "minimum": 0},
                "lifetime_epsilon_after": {"type": ["number", "null"], "minimum": 0},
                "privacy_unit": {"enum": ["record", "subject"]},
                "max_records_per_subject": {"type": ["integer", "null"], "minimum": 1},
            },
        },
    },
}


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


@dataclass(frozen=True)
class Provenance:
    """What the dataset's registration declared about where its records came from."""

    source: str | None = None
    license: str | None = None  # an SPDX id, or ids joined by OR / AND
    legal_basis: str | None = None
    jurisdiction: str | None = None
    collected_at: datetime | None = None
    registered_at: datetime | None = None
    declared_fields: tuple[str, ...] = ()
    synthetic_generator: str | None = None
    synthetic_record_count: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "declared_fields", tuple(self.declared_fields))

    def get(self, name: str) -> Any:
        return getattr(self, name)


@dataclass(frozen=True)
class ConsentCoverage:
    """For one purpose: how many records have an active grant, and the ids of those that do not."""

    purpose: str
    records_with_grant: int
    records_without_grant: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "records_without_grant", tuple(self.records_without_grant))


@dataclass(frozen=True)
class PiiFindingCount:
    """How many findings of one entity type in one field scored at or above the scan's threshold."""

    entity_type: str
    count: int
    field: str | None = None


@dataclass(frozen=True)
class PiiScanSummary:
    """The latest PII scan of this snapshot: its config hash, threshold, entity types and counts."""

    config_hash: str
    score_threshold: float
    entity_types: tuple[str, ...] = ()
    findings: tuple[PiiFindingCount, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "entity_types", tuple(self.entity_types))
        object.__setattr__(self, "findings", tuple(self.findings))

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


@dataclass(frozen=True)
class ApprovalFacts:
    """One recorded approval whose signature the caller has already verified."""

    approver_key_id: str
    roles: tuple[str, ...]
    decision_hash: str | None = None  # the decision it signed; None when the caller does not know
    approved_at: datetime | None = None
    person: str | None = None  # who holds the key (its registered name, normalised)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", tuple(self.roles))


@dataclass(frozen=True)
class TrainingPlan:
    """The planned training run: who runs it and its differential-privacy parameters."""

    trainer_key_id: str | None = None
    trainer_person: str | None = None
    dp_enabled: bool = False
    epsilon: float | None = None
    delta: float | None = None
    dataset_epsilon_spent: float = 0.0  # ε already spent on this data by earlier runs
    # ε of this data's subjects once the run has run: earlier runs and this plan composed by the accountant
    lifetime_epsilon_after: float | None = None
    privacy_unit: str = "record"  # what one ε protects: "record" or "subject"
    max_records_per_subject: int | None = None


@dataclass(frozen=True)
class SnapshotFacts:
    """Everything `evaluate` needs to decide on one snapshot, and nothing it should not see."""

    snapshot_id: str
    dataset_id: str
    record_count: int
    provenance: Provenance
    snapshot_hash: str | None = None
    registered_by: str | None = None
    involved_people: tuple[
        str, ...
    ] = ()  # who registered the data or made this snapshot or its ancestors
    parent_id: str | None = None
    transform: str | None = None
    transform_hash: str | None = None
    anonymized: bool = False
    consent: tuple[ConsentCoverage, ...] = ()
    pii_scan: PiiScanSummary | None = None
    approvals: tuple[ApprovalFacts, ...] = ()
    training: TrainingPlan | None = None
    synthetic: SyntheticFacts | None = None  # issue 15: seeds, validation, review

    def __post_init__(self) -> None:
        object.__setattr__(self, "consent", tuple(self.consent))
        object.__setattr__(self, "approvals", tuple(self.approvals))
        object.__setattr__(self, "involved_people", tuple(self.involved_people))

    def consent_for(self, purpose: str) -> ConsentCoverage | None:
        for coverage in self.consent:
            if coverage.purpose == purpose:
                return coverage
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data; `from_dict(to_dict())` gives the facts back."""
        p = self.provenance
        data: dict[str, Any] = {
            "snapshot_id": self.snapshot_id,
            "snapshot_hash": self.snapshot_hash,
            "dataset_id": self.dataset_id,
            "record_count": self.record_count,
            "registered_by": self.registered_by,
            "involved_people": list(self.involved_people),
            "parent_id": self.parent_id,
            "transform": self.transform,
            "transform_hash": self.transform_hash,
            "anonymized": self.anonymized,
            "provenance": {
                "source": p.source,
                "license": p.license,
                "legal_basis": p.legal_basis,
                "jurisdiction": p.jurisdiction,
                "collected_at": format_time(p.collected_at),
                "registered_at": format_time(p.registered_at),
                "declared_fields": list(p.declared_fields),
                "synthetic_generator": p.synthetic_generator,
                "synthetic_record_count": p.synthetic_record_count,
            },
            "consent": [
                {
                    "purpose": c.purpose,
                    "records_with_grant": c.records_with_grant,
                    "records_without_grant": list(c.records_without_grant),
                }
                for c in self.consent
            ],
            "pii_scan": None
            if self.pii_scan is None
            else {
                "config_hash": self.pii_scan.config_hash,
                "score_threshold": self.pii_scan.score_threshold,
                "entity_types": list(self.pii_scan.entity_types),
                "findings": [
                    {"entity_type": f.entity_type, "field": f.field, "count": f.count}
                    for f in self.pii_scan.findings
                ],
            },
            "approvals": [
                {
                    "approver_key_id": a.approver_key_id,
                    "person": a.person,
                    "roles": list(a.roles),
                    "decision_hash": a.decision_hash,
                    "approved_at": format_time(a.approved_at),
                }
                for a in self.approvals
            ],
            "training": None
            if self.training is None
            else {
                "trainer_key_id": self.training.trainer_key_id,
                "trainer_person": self.training.trainer_person,
                "dp_enabled": self.training.dp_enabled,
                "epsilon": self.training.epsilon,
                "delta": self.training.delta,
                "dataset_epsilon_spent": self.training.dataset_epsilon_spent,
                "lifetime_epsilon_after": self.training.lifetime_epsilon_after,
                **(
                    {
                        "privacy_unit": "subject",
                        "max_records_per_subject": self.training.max_records_per_subject,
                    }
                    if self.training.privacy_unit == "subject"
                    else {}
                ),
            },
        }
        if self.synthetic is not None:  # issue 15: absent, not null, so older decision hashes hold
            data["synthetic"] = self.synthetic.to_dict()
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
        return _build(data, source)


def _dotted(path: Any) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def facts_problems(data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Every schema and consistency problem of facts data, as (key path, message)."""
    validator = jsonschema.Draft202012Validator(FACTS_SCHEMA)
    problems = [
        (tuple(error.absolute_path), error.message)
        for error in sorted(
            validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]
        )
    ]
    if not isinstance(data, Mapping):
        return problems
    for key, value in _times(data):
        try:
            parse_time(value, _dotted(key))
        except BadInput as error:
            problems.append((key, str(error).split(": ", 1)[1]))
    if problems:
        return sorted(problems, key=lambda p: [str(part) for part in p[0]])
    record_count = data["record_count"]
    synthetic = data["provenance"].get("synthetic_record_count", 0)
    if synthetic > record_count:
        problems.append(
            (
                ("provenance", "synthetic_record_count"),
                f"{synthetic} synthetic records is more than the snapshot's {record_count} records",
            )
        )
    purposes: set[str] = set()
    for index, coverage in enumerate(data.get("consent", [])):
        covered = coverage["records_with_grant"] + len(coverage["records_without_grant"])
        if covered > record_count:
            problems.append(
                (
                    ("consent", index),
                    f"{covered} records counted for purpose {coverage['purpose']!r}, "
                    f"more than the snapshot's {record_count}",
                )
            )
        if coverage["purpose"] in purposes:
            problems.append(
                (("consent", index, "purpose"), f"purpose {coverage['purpose']!r} appears twice")
            )
        purposes.add(coverage["purpose"])
    return problems


def _times(data: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], Any]]:
    """The time strings in facts data, wherever the structure around them is sound."""
    found: list[tuple[tuple[str | int, ...], Any]] = []
    provenance = data.get("provenance")
    if isinstance(provenance, Mapping):
        found += [(("provenance", k), provenance.get(k)) for k in ("collected_at", "registered_at")]
    approvals = data.get("approvals")
    if isinstance(approvals, list):
        found += [
            (("approvals", i, "approved_at"), a.get("approved_at"))
            for i, a in enumerate(approvals)
            if isinstance(a, Mapping)
        ]
    return [(key, value) for key, value in found if isinstance(value, str)]


def _build(data: Mapping[str, Any], source: str) -> SnapshotFacts:
    p = data["provenance"]
    scan = data.get("pii_scan")
    training = data.get("training")
    return SnapshotFacts(
        snapshot_id=data["snapshot_id"],
        snapshot_hash=data.get("snapshot_hash"),
        dataset_id=data["dataset_id"],
        record_count=data["record_count"],
        registered_by=data.get("registered_by"),
        involved_people=tuple(data.get("involved_people", ())),
        parent_id=data.get("parent_id"),
        transform=data.get("transform"),
        transform_hash=data.get("transform_hash"),
        anonymized=data.get("anonymized", False),
        provenance=Provenance(
            source=p.get("source"),
            license=p.get("license"),
            legal_basis=p.get("legal_basis"),
            jurisdiction=p.get("jurisdiction"),
            collected_at=parse_time(p.get("collected_at"), f"{source}: provenance.collected_at"),
            registered_at=parse_time(p.get("registered_at"), f"{source}: provenance.registered_at"),
            declared_fields=tuple(p.get("declared_fields", ())),
            synthetic_generator=p.get("synthetic_generator"),
            synthetic_record_count=p.get("synthetic_record_count", 0),
        ),
        consent=tuple(
            ConsentCoverage(
                c["purpose"], c["records_with_grant"], tuple(c["records_without_grant"])
            )
            for c in data.get("consent", ())
        ),
        pii_scan=None
        if scan is None
        else PiiScanSummary(
            config_hash=scan["config_hash"],
            score_threshold=float(scan["score_threshold"]),
            entity_types=tuple(scan.get("entity_types", ())),
            findings=tuple(
                PiiFindingCount(f["entity_type"], f["count"], f.get("field"))
                for f in scan.get("findings", ())
            ),
        ),
        approvals=tuple(
            ApprovalFacts(
                approver_key_id=a["approver_key_id"],
                person=a.get("person"),
                roles=tuple(a["roles"]),
                decision_hash=a.get("decision_hash"),
                approved_at=parse_time(
                    a.get("approved_at"), f"{source}: approvals.{i}.approved_at"
                ),
            )
            for i, a in enumerate(data.get("approvals", ()))
        ),
        training=None
        if training is None
        else TrainingPlan(
            trainer_key_id=training.get("trainer_key_id"),
            trainer_person=training.get("trainer_person"),
            dp_enabled=training.get("dp_enabled", False),
            epsilon=training.get("epsilon"),
            delta=training.get("delta"),
            dataset_epsilon_spent=float(training.get("dataset_epsilon_spent", 0.0)),
            lifetime_epsilon_after=training.get("lifetime_epsilon_after"),
            privacy_unit=str(training.get("privacy_unit", "record")),
            max_records_per_subject=training.get("max_records_per_subject"),
        ),
        synthetic=SyntheticFacts.from_dict(data["synthetic"]) if data.get("synthetic") else None,
    )
