"""PII: a snapshot was scanned, and personal data found in it was anonymized down to allowed residuals."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from govern.config_models import Number, StrictInt, StrictStr
from govern.policy.facts import SnapshotFacts
from govern.policy.rules.base import (
    ConfigPath,
    Entity,
    EvaluationContext,
    Name,
    RuleConfig,
    RuleFamily,
    RuleResult,
    Unique,
    register,
)


class PiiIdentifier(RuleConfig):
    """What some entity types stand for in a regime (e.g. HIPAA's 18 identifiers)."""

    name: Name
    entity_types: Unique[Entity]
    note: StrictStr | None = None


class PiiConfig(RuleConfig):
    """rules.pii."""

    score_threshold: Number = Field(ge=0, le=1)
    required_entity_types: Unique[Entity] | None = None
    ignore_entity_types: Unique[Entity] | None = None
    allowed_residuals: dict[Entity, Annotated[StrictInt, Field(ge=0)]] | None = None
    default_allowed_residual: StrictInt | None = Field(None, ge=0)
    identifiers: tuple[PiiIdentifier, ...] | None = None


@register
class PiiRules(RuleFamily):
    """Scan present and sensitive enough; a raw snapshot with findings fails; residuals within limits.

    Findings of entity types in `ignore_entity_types` are not counted. After anonymization, each
    entity type may keep `allowed_residuals[TYPE]` findings (default `default_allowed_residual`, 0).
    """

    name = "pii"
    phase = "data"
    summary = "a PII scan, anonymization of raw data, and allowed residual findings"
    checks = ("scan", "raw_snapshot", "residuals")
    config_model = PiiConfig

    def config_problems(self) -> list[tuple[ConfigPath, str]]:
        ignored = set(self.config.get("ignore_entity_types", []))
        required = set(self.config.get("required_entity_types", []))
        problems: list[tuple[ConfigPath, str]] = []
        for index, identifier in enumerate(self.config.get("identifiers", [])):
            for entity in identifier["entity_types"]:
                if entity not in required:
                    problems.append(
                        (
                            ("identifiers", index, "entity_types"),
                            f"{entity} stands for {identifier['name']!r} but is not in required_entity_types, "
                            "so a scan that skips it would pass; add it there",
                        )
                    )
        for entity in sorted(ignored & set(self.config.get("required_entity_types", []))):
            problems.append(
                (
                    ("ignore_entity_types",),
                    f"{entity} is both required and ignored; keep it in one list",
                )
            )
        for entity in sorted(ignored & set(self.config.get("allowed_residuals", {}))):
            problems.append(
                (
                    ("allowed_residuals", entity),
                    f"{entity} is ignored, so an allowed residual for it has no effect; remove one",
                )
            )
        return problems

    def evaluate(self, facts: SnapshotFacts, ctx: EvaluationContext) -> list[RuleResult]:
        threshold = float(self.config["score_threshold"])
        required = list(self.config.get("required_entity_types", []))
        scan = facts.pii_scan
        if scan is None:
            message = (
                f"snapshot {facts.snapshot_id} has no PII scan; run govern scan {facts.snapshot_id}"
            )
            return [
                self.result("scan", "fail", message, scanned=False, score_threshold=threshold),
                self.result(
                    "raw_snapshot",
                    "fail",
                    "cannot be checked without a PII scan; " + message,
                    scanned=False,
                ),
                self.result(
                    "residuals",
                    "fail",
                    "cannot be checked without a PII scan; " + message,
                    scanned=False,
                ),
            ]
        return [
            self._scan(
                scan.config_hash, scan.score_threshold, scan.entity_types, threshold, required
            ),
            *self._findings(facts),
        ]

    def _scan(
        self,
        config_hash: str,
        scanned_at: float,
        scanned: tuple[str, ...],
        threshold: float,
        required: list[str],
    ) -> RuleResult:
        evidence: dict[str, Any] = {
            "scan_config_hash": config_hash,
            "scan_score_threshold": scanned_at,
            "score_threshold": threshold,
        }
        problems = []
        if scanned_at > threshold:
            problems.append(
                f"the scan kept only findings scoring {scanned_at} or more, above this pack's {threshold}; "
                f"rescan with a threshold of {threshold} or less"
            )
        missing = [entity for entity in required if entity not in scanned]
        if required:
            evidence["required_entity_types"] = required
        uncovered = [i["name"] for i in self.config.get("identifiers", []) if not i["entity_types"]]
        if uncovered:
            evidence["identifiers_without_recognizer"] = uncovered
        if missing:
            evidence["entity_types_not_scanned"] = missing
            problems.append(
                f"the scan did not look for {', '.join(missing)}; add them to the scanner config and rescan"
            )
        if problems:
            return self.result("scan", "fail", "; ".join(problems), **evidence)
        message = "the snapshot has a PII scan that meets this pack"
        if uncovered:
            message += (
                f"; {len(uncovered)} identifiers have no recognizer ({', '.join(uncovered)}): "
                "review for them by hand or add custom recognizers"
            )
        return self.result("scan", "pass", message, **evidence)

    def _counted(self, facts: SnapshotFacts) -> dict[str, int]:
        assert facts.pii_scan is not None
        ignored = set(self.config.get("ignore_entity_types", []))
        return {e: n for e, n in sorted(facts.pii_scan.totals().items()) if n and e not in ignored}

    def _findings(self, facts: SnapshotFacts) -> list[RuleResult]:
        assert facts.pii_scan is not None
        counted = self._counted(facts)
        per_field = {entity: facts.pii_scan.by_field(entity) for entity in counted}
        total = sum(counted.values())
        if not facts.anonymized:
            if total:
                raw = self.result(
                    "raw_snapshot",
                    "fail",
                    f"raw snapshot holds {total} PII findings ({_listing(counted)}); anonymize it "
                    f"(govern anonymize {facts.snapshot_id}) and check the derived snapshot",
                    anonymized=False,
                    findings=counted,
                    findings_by_field=per_field,
                )
            else:
                raw = self.result(
                    "raw_snapshot",
                    "pass",
                    "the scan found no PII in this raw snapshot",
                    anonymized=False,
                    findings={},
                )
            residuals = self.result(
                "residuals",
                "not_applicable",
                "residual limits apply to anonymized snapshots",
                anonymized=False,
            )
            return [raw, residuals]
        raw = self.result(
            "raw_snapshot",
            "not_applicable",
            f"the snapshot is anonymized (transform {facts.transform!r} of parent {facts.parent_id})",
            anonymized=True,
            parent_id=facts.parent_id,
        )
        limits = dict(self.config.get("allowed_residuals", {}))
        default = int(self.config.get("default_allowed_residual", 0))
        over = {entity: n for entity, n in counted.items() if n > limits.get(entity, default)}
        allowed = {entity: limits.get(entity, default) for entity in counted}
        evidence = {
            "anonymized": True,
            "residuals": counted,
            "allowed": allowed,
            "residuals_by_field": per_field,
        }
        if over:
            detail = ", ".join(f"{e} {n} (allowed {allowed[e]})" for e, n in over.items())
            residuals = self.result(
                "residuals",
                "fail",
                f"anonymized snapshot still holds too many findings: {detail}; anonymize those entity "
                "types (add them to the anonymizer config) and derive a new snapshot",
                over_limit=sorted(over),
                **evidence,
            )
        else:
            residuals = self.result(
                "residuals", "pass", "residual findings are within the allowed limits", **evidence
            )
        return [raw, residuals]


def _listing(counts: dict[str, int]) -> str:
    return ", ".join(f"{entity} {n}" for entity, n in counts.items())
