"""Policy tests, like `opa test`: example cases kept beside each pack, with their expected decisions.

Cases for pack `<name>` live in `<policies>/tests/<name>/*.yaml`, one suite per file:

    description: consent cases            # optional
    now: 2025-06-01T00:00:00Z             # the evaluation time (a case may override it)
    base_facts: {...}                     # SnapshotFacts data shared by the cases
    cases:
      - name: records without consent fail
        facts: {...}                      # deep-merged over base_facts (lists replace, null clears)
        expect:
          outcome: fail                   # pass | fail | pending (optional)
          rules: {consent.coverage: fail} # only the rules named are compared
          evidence: {consent.coverage: {records_without_grant: 2}}   # a subset of each rule's evidence
          excluded_record_ids: [rec-7, rec-9]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jsonschema

from govern.errors import BadInput
from govern.policy.engine import Decision, evaluate
from govern.policy.facts import SnapshotFacts, facts_problems, parse_time
from govern.policy.pack import PACK_SUFFIXES, Pack, default_policies_dir, list_packs, load_pack
from govern.policy.rules import STATUSES
from govern.safe_yaml import LocatedYaml, PathKey, load_located, plain

CaseStatus = Literal["pass", "fail", "error"]

SUITE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["cases"],
    "properties": {
        "description": {"type": "string"},
        "now": {"type": "string"},
        "base_facts": {"type": "object"},
        "cases": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "expect"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "now": {"type": "string"},
                    "facts": {"type": "object"},
                    "expect": {
                        "type": "object",
                        "additionalProperties": False,
                        "minProperties": 1,
                        "properties": {
                            "outcome": {"enum": ["pass", "fail", "pending"]},
                            "rules": {
                                "type": "object",
                                "propertyNames": {"pattern": r"^[a-z_]+\.[a-z_]+$"},
                                "additionalProperties": {"enum": list(STATUSES)},
                            },
                            "evidence": {
                                "type": "object",
                                "propertyNames": {"pattern": r"^[a-z_]+\.[a-z_]+$"},
                                "additionalProperties": {"type": "object"},
                            },
                            "excluded_record_ids": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class CaseResult:
    """One example case: where it is, whether the decision matched, and every mismatch."""

    pack: str
    source: str
    line: int | None
    name: str
    status: CaseStatus
    diffs: tuple[str, ...] = ()
    decision: Decision | None = field(default=None, repr=False)

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def where(self) -> str:
        return self.source if self.line is None else f"{self.source}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "source": self.source,
            "line": self.line,
            "name": self.name,
            "status": self.status,
            "diffs": list(self.diffs),
        }


@dataclass(frozen=True)
class PackTestRun:
    """Every case run, the packs that have no cases, and problems that stopped a pack or file."""

    cases: tuple[CaseResult, ...]
    packs_without_tests: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Every case passed (a pack without cases does not fail the run; it is listed)."""
        return all(case.passed for case in self.cases)

    ok = passed

    @property
    def failed(self) -> int:
        """How many cases failed or could not run."""
        return sum(1 for case in self.cases if not case.passed)

    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "error": 0}
        for case in self.cases:
            out[case.status] += 1
        return out

    def report(self, verbose: bool = False) -> str:
        """Text like `opa test`: failures with their diffs, then a summary line."""
        lines: list[str] = []
        for case in self.cases:
            if case.passed and not verbose:
                continue
            lines.append(f"{case.status.upper()} {case.pack}: {case.name} ({case.where})")
            lines += [f"  {diff}" for diff in case.diffs]
        for name in self.packs_without_tests:
            lines.append(f"WARN {name}: no example cases (add policies/tests/{name}/*.yaml)")
        c = self.counts()
        lines.append(
            f"{c['pass']} passed, {c['fail']} failed, {c['error']} errors in {len(self.cases)} cases"
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "counts": self.counts(),
            "cases": [case.to_dict() for case in self.cases],
            "packs_without_tests": list(self.packs_without_tests),
        }


def merge_facts(base: Any, override: Any) -> Any:
    """Deep merge: mappings merge key by key, anything else (lists, scalars, null) replaces."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge_facts(base[key], value) if key in base else value
        return merged
    return override


def run_pack_tests(
    policies_dir: str | Path | None = None,
    pack: str | None = None,
) -> PackTestRun:
    """Run the example cases of every pack in `policies_dir` (default: the shipped one), or of one pack.

    Never raises for a failing case or a bad case file: those come back as CaseResults with
    status "fail" or "error" and say where and why. Raises NotFound when `pack` does not exist.
    """
    folder = Path(policies_dir) if policies_dir is not None else default_policies_dir()
    paths = [Path(load_pack(pack, folder).source)] if pack is not None else list_packs(folder)
    cases: list[CaseResult] = []
    without: list[str] = []
    tests_root = folder / "tests"
    for path in paths:
        name = path.stem
        try:
            loaded = load_pack(path)
        except BadInput as error:
            cases.append(
                CaseResult(name, str(path), None, "the pack loads", "error", (str(error),))
            )
            continue
        suite_files = (
            sorted(
                p
                for p in (tests_root / name).glob("*")
                if p.is_file() and p.suffix in PACK_SUFFIXES
            )
            if (tests_root / name).is_dir()
            else []
        )
        if not suite_files:
            without.append(name)
        for suite in suite_files:
            cases += run_suite(loaded, suite)
    if pack is None and tests_root.is_dir():
        known = {p.stem for p in paths}
        for stray in sorted(d for d in tests_root.iterdir() if d.is_dir() and d.name not in known):
            cases.append(
                CaseResult(
                    stray.name,
                    str(stray),
                    None,
                    "the tests belong to a pack",
                    "error",
                    (
                        f"there is no pack {stray.name!r} in {folder}; rename the folder after its pack or remove it",
                    ),
                )
            )
    return PackTestRun(tuple(cases), tuple(without))


def run_suite(pack: Pack, path: str | Path) -> list[CaseResult]:
    """Run one suite file against a loaded pack."""
    source = str(path)
    try:
        located = load_located(Path(path).read_text(encoding="utf-8"), source)
    except (BadInput, OSError, UnicodeDecodeError) as error:
        return [CaseResult(pack.name, source, None, "the suite loads", "error", (str(error),))]
    data = plain(located.data)
    problems = [
        _at(located, tuple(e.absolute_path), e.message)
        for e in jsonschema.Draft202012Validator(SUITE_SCHEMA).iter_errors(data)
    ]
    problems += [
        _at(located, path, "this key appears twice; keep one") for path, _ in located.duplicate_keys
    ]
    if problems:
        return [
            CaseResult(
                pack.name,
                source,
                located.line_of(()),
                "the suite is valid",
                "error",
                tuple(problems),
            )
        ]
    base = data.get("base_facts", {})
    results = []
    for index, case in enumerate(data["cases"]):
        results.append(_run_case(pack, located, index, case, base, data.get("now")))
    return results


def _at(located: LocatedYaml, path: PathKey, message: str) -> str:
    line = located.line_of(path)
    key = ".".join(str(p) for p in path) or "(top level)"
    return f"{located.source}{'' if line is None else f', line {line}'}, key {key}: {message}"


def _facts_path(located: LocatedYaml, here: PathKey, key: PathKey) -> PathKey:
    """Where a facts key was written: the case's own facts, else base_facts (the longer match wins)."""

    def depth(root: PathKey) -> int:
        for size in range(len(key), -1, -1):
            if root + tuple(key[:size]) in located.lines:
                return size
        return -1

    case_depth, base_depth = depth(here + ("facts",)), depth(("base_facts",))
    if case_depth >= base_depth and case_depth >= 0:
        return here + ("facts",) + tuple(key)
    return ("base_facts",) + tuple(key) if base_depth >= 0 else here


def _run_case(
    pack: Pack,
    located: LocatedYaml,
    index: int,
    case: Mapping[str, Any],
    base: Any,
    suite_now: str | None,
) -> CaseResult:
    here: PathKey = ("cases", index)
    line = located.line_of(here)
    name = case["name"]

    def error(*messages: str) -> CaseResult:
        return CaseResult(pack.name, located.source, line, name, "error", tuple(messages))

    facts_data = merge_facts(base, case.get("facts", {}))
    problems = facts_problems(facts_data)
    if problems:
        return error(
            *(
                _at(located, _facts_path(located, here, key), f"facts: {message}")
                for key, message in problems
            )
        )
    now_text = case.get("now", suite_now)
    if now_text is None:
        return error(
            _at(
                located,
                here,
                "no `now`: set it on the suite or the case, e.g. now: 2025-06-01T00:00:00Z",
            )
        )
    try:
        now = parse_time(now_text, f"{located.source}, case {name!r}, key now")
        facts = SnapshotFacts.from_dict(facts_data, source=f"{located.source}, case {name!r}")
    except BadInput as exc:
        return error(str(exc))
    assert now is not None
    decision = evaluate(pack, facts, now)
    diffs = compare(decision, case["expect"])
    return CaseResult(
        pack.name, located.source, line, name, "fail" if diffs else "pass", tuple(diffs), decision
    )


def compare(decision: Decision, expect: Mapping[str, Any]) -> list[str]:
    """Every way the decision differs from the expectation, one line each."""
    diffs: list[str] = []
    if "outcome" in expect and expect["outcome"] != decision.outcome:
        why = "; ".join(
            f"{r.rule} {r.status}" for r in decision.results if r.status in ("fail", "pending")
        )
        diffs.append(
            f"outcome: expected {expect['outcome']}, got {decision.outcome}"
            + (f" ({why})" if why else "")
        )
    known = [r.rule for r in decision.results]
    for rule, status in expect.get("rules", {}).items():
        result = decision.result(rule)
        if result is None:
            diffs.append(
                f"{rule}: expected {status}, but the pack does not configure this rule (rules: {', '.join(known)})"
            )
        elif result.status != status:
            diffs.append(f"{rule}: expected {status}, got {result.status}: {result.message}")
    for rule, fields in expect.get("evidence", {}).items():
        result = decision.result(rule)
        if result is None:
            diffs.append(f"{rule}: evidence expected, but the pack does not configure this rule")
            continue
        for key, wanted in fields.items():
            if key not in result.evidence:
                diffs.append(
                    f"{rule} evidence {key}: expected {wanted!r}, but there is no such evidence ({', '.join(result.evidence)})"
                )
            elif result.evidence[key] != wanted:
                diffs.append(
                    f"{rule} evidence {key}: expected {wanted!r}, got {result.evidence[key]!r}"
                )
    if "excluded_record_ids" in expect:
        wanted_ids = sorted(expect["excluded_record_ids"])
        got = list(decision.excluded_record_ids)
        if wanted_ids != got:
            missing = sorted(set(wanted_ids) - set(got))
            extra = sorted(set(got) - set(wanted_ids))
            diffs.append(
                f"excluded_record_ids: expected {wanted_ids}, got {got} "
                f"(missing {missing or 'none'}, unexpected {extra or 'none'})"
            )
    return diffs
