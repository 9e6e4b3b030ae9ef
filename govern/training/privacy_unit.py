"""What a run's ε protects, as its `run.started` entry recorded it: one record or one subject.

Reports, attestations and OpenLineage facets state the unit beside every ε (DESIGN invariant
10). Runs started before the unit was recorded are record-level.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from govern.catalog.models import LedgerEntry

RECORD, SUBJECT = "record", "subject"


@dataclass(frozen=True)
class PrivacyUnit:
    """The unit one ε covers and, by subject, the cap on a subject's records per step."""

    unit: str = RECORD
    max_records_per_subject: int | None = None

    def describe(self) -> str:
        """A phrase for reports: what adding or removing one unit means."""
        if self.unit == SUBJECT:
            return (
                "one data subject (all of their records; at most "
                f"{self.max_records_per_subject} per step)"
            )
        return "one training example (one record)"

    def as_dict(self) -> dict[str, Any]:
        """`privacy_unit` and, by subject, `max_records_per_subject`."""
        if self.unit == SUBJECT:
            return {
                "privacy_unit": SUBJECT,
                "max_records_per_subject": self.max_records_per_subject,
            }
        return {"privacy_unit": RECORD}


def unit_of_payload(payload: dict[str, Any]) -> PrivacyUnit:
    """The unit a `run.started` payload records (record-level when it names none)."""
    if payload.get("privacy_unit") == SUBJECT:
        cap = payload.get("max_records_per_subject")
        return PrivacyUnit(SUBJECT, int(cap) if cap is not None else None)
    return PrivacyUnit()


def run_privacy_unit(session: Session, started_seq: int) -> PrivacyUnit:
    """The unit of the run whose `run.started` entry has sequence number `started_seq`."""
    entry = session.get(LedgerEntry, started_seq)
    if entry is None or entry.event != "run.started":
        return PrivacyUnit()
    return unit_of_payload(json.loads(entry.payload))
