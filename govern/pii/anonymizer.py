"""The Anonymizer: rewrites found spans with an operator per entity type, over Presidio's
AnonymizerEngine.

Operators (an operators file maps entity types, and DEFAULT, to one of them):

    replace     the span becomes a type tag, `<PERSON>` (or `new_value`)
    mask        every character (or `chars_to_mask` of them, `from_end`) becomes `masking_char`
    redact      the span is removed
    pseudonym   `<PERSON_1f3a9c0b2e7d>`: an HMAC-SHA256 of the value under a secret held outside
                the catalog, so one value maps to one pseudonym across records and snapshots
    drop_record the whole record is left out of the output
    keep        the span is left as it is

    # operators.yaml
    DEFAULT: {type: replace}
    PERSON: {type: pseudonym}
    EMAIL_ADDRESS: {type: mask, masking_char: "#", chars_to_mask: 6, from_end: false}
    US_SSN: {type: drop_record}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.canonical import hash_value, keyed_hash
from govern.errors import BadInput

_PARAMS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "replace": {"new_value": str},
    "mask": {"masking_char": str, "chars_to_mask": int, "from_end": bool},
    "redact": {},
    "pseudonym": {"length": int, "format": str},
    "drop_record": {},
    "keep": {},
}
DEFAULT_KEY = "DEFAULT"
SECRET_HELP = "pass a secret file (--secret-file PATH) or set GOVERN_PSEUDONYM_SECRET"


@dataclass(frozen=True)
class Operator:
    """One operator and its parameters."""

    type: str
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)


@dataclass(frozen=True)
class OperatorConfig:
    """Operators per entity type, with a default for the others; validated, hashable."""

    operators: Mapping[str, Operator] = field(default_factory=dict)
    default: Operator = Operator("replace")
    source: str = "<defaults>"

    def for_type(self, entity_type: str) -> Operator:
        return self.operators.get(entity_type, self.default)

    def content(self) -> dict[str, Any]:
        return {
            "default": {"type": self.default.type, **dict(self.default.params)},
            "operators": {
                k: {"type": v.type, **dict(v.params)} for k, v in sorted(self.operators.items())
            },
        }

    def config_hash(self) -> str:
        """SHA-256 of the canonical operator configuration."""
        return hash_value(self.content())

    def uses(self, kind: str) -> bool:
        return self.default.type == kind or any(op.type == kind for op in self.operators.values())

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        source: str = "operators",
        lines: Mapping[str, int] | None = None,
    ) -> OperatorConfig:
        """Validate `{ENTITY_TYPE or DEFAULT: {type: ..., params...}}`; every problem is reported."""
        lines = lines or {}
        problems: list[str] = []
        parsed: dict[str, Operator] = {}
        if not isinstance(data, Mapping):
            raise BadInput(
                f"{source}: expected a mapping of entity types to operators, got {type(data).__name__}"
            )
        for entity, spec in data.items():
            where = f"{source}, line {lines[entity]}" if entity in lines else source
            if not isinstance(entity, str) or not (
                entity == DEFAULT_KEY or (entity.replace("_", "").isalnum() and entity.isupper())
            ):
                problems.append(
                    f"{where}: {entity!r}: expected an upper-case entity type such as PERSON, or DEFAULT"
                )
                continue
            if isinstance(spec, str):
                spec = {"type": spec}
            if not isinstance(spec, Mapping) or "type" not in spec:
                problems.append(
                    f"{where}: {entity}: expected a mapping with a `type` ({', '.join(_PARAMS)})"
                )
                continue
            kind = spec["type"]
            if kind not in _PARAMS:
                problems.append(
                    f"{where}: {entity}.type: unknown operator {kind!r}; choose one of {', '.join(_PARAMS)}"
                )
                continue
            params = {k: v for k, v in spec.items() if k != "type"}
            for name, value in params.items():
                expected = _PARAMS[kind].get(name)
                if expected is None:
                    allowed = ", ".join(_PARAMS[kind]) or "none"
                    problems.append(
                        f"{where}: {entity}.{name}: not a parameter of {kind} (allowed: {allowed})"
                    )
                elif not isinstance(value, expected) or (
                    expected is int and isinstance(value, bool)
                ):
                    problems.append(
                        f"{where}: {entity}.{name}: expected {getattr(expected, '__name__', expected)}, got {value!r}"
                    )
            char = params.get("masking_char", "*")
            if kind == "mask" and isinstance(char, str) and len(char) != 1:
                problems.append(f"{where}: {entity}.masking_char: expected one character")
            if kind == "pseudonym":
                length = params.get("length", 12)
                if isinstance(length, int) and not 6 <= length <= 64:
                    problems.append(
                        f"{where}: {entity}.length: expected 6 to 64 hex digits, got {length}"
                    )
                fmt = params.get("format", "<{entity_type}_{digest}>")
                if isinstance(fmt, str) and "{digest}" not in fmt:
                    problems.append(f"{where}: {entity}.format: must contain {{digest}}")
            parsed[entity] = Operator(kind, tuple(sorted(params.items())))
        if problems:
            raise BadInput(
                f"{source}: invalid operators:\n" + "\n".join(f"  - {p}" for p in problems)
            )
        default = parsed.pop(DEFAULT_KEY, Operator("replace"))
        return cls(operators=parsed, default=default, source=source)


def load_operators(path: Path) -> OperatorConfig:
    """Read an operators file (YAML or JSON); errors name the file and line."""
    import yaml

    from govern import safe_yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such operators file") from None
    except UnicodeDecodeError as error:
        raise BadInput(f"{path}: not valid UTF-8 (byte {error.start})") from None
    try:
        node = safe_yaml.compose(text, path)
        data = safe_yaml.construct(node, path)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise BadInput(
            f"{path}{where}: invalid YAML/JSON: {getattr(error, 'problem', None) or error}"
        ) from None
    if data is None:
        return OperatorConfig(source=str(path))
    lines = (
        {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
        if isinstance(node, yaml.MappingNode)
        else {}
    )
    return OperatorConfig.from_mapping(data, source=str(path), lines=lines)


@dataclass(frozen=True)
class AnonymizedText:
    """A text after anonymization, or the news that its record must be dropped."""

    text: str | None
    dropped: bool
    replaced: int


def resolve_overlaps(spans: Sequence[Any]) -> list[tuple[int, int, str, float]]:
    """Fuse overlapping spans of any type into one, typed by its best-scoring part."""
    ordered = sorted(
        ((s.start, s.end, s.entity_type, s.score) for s in spans), key=lambda s: (s[0], -s[1])
    )
    merged: list[tuple[int, int, str, float]] = []
    for start, end, entity_type, score in ordered:
        if merged and start < merged[-1][1]:
            m_start, m_end, m_type, m_score = merged[-1]
            best_type, best_score = (m_type, m_score) if m_score >= score else (entity_type, score)
            merged[-1] = (m_start, max(m_end, end), best_type, best_score)
        else:
            merged.append((start, end, entity_type, score))
    return merged


class Anonymizer:
    """Applies an OperatorConfig to texts and records, given their findings."""

    def __init__(
        self, operators: OperatorConfig | None = None, secret: bytes | None = None
    ) -> None:
        from presidio_anonymizer import AnonymizerEngine

        self.operators = operators or OperatorConfig()
        if self.operators.uses("pseudonym") and not secret:
            raise BadInput(
                f"{self.operators.source}: the pseudonym operator needs a secret; {SECRET_HELP}"
            )
        self._secret = secret
        self._engine = AnonymizerEngine()  # type: ignore[no-untyped-call]  # unannotated __init__
        self._presidio_ops: dict[str, Any] = {}

    def config_hash(self) -> str:
        """Hash of the operators, and of a fingerprint of the secret when pseudonyms are used."""
        content = self.operators.content()
        if self._secret and self.operators.uses("pseudonym"):
            content["secret_fingerprint"] = keyed_hash(self._secret, "govern-pseudonym-fingerprint")
        return hash_value(content)

    def pseudonym(
        self, value: str, entity_type: str, length: int = 12, fmt: str = "<{entity_type}_{digest}>"
    ) -> str:
        """The keyed pseudonym of a value: the same value and secret always give the same one."""
        assert self._secret is not None
        return fmt.format(entity_type=entity_type, digest=keyed_hash(self._secret, value)[:length])

    def _presidio_operator(self, entity_type: str) -> Any:
        from presidio_anonymizer.entities import OperatorConfig as PresidioOperator

        if entity_type in self._presidio_ops:
            return self._presidio_ops[entity_type]
        op = self.operators.for_type(entity_type)
        if op.type == "replace":
            result = PresidioOperator(
                "replace", {"new_value": op.param("new_value", f"<{entity_type}>")}
            )
        elif op.type == "redact":
            result = PresidioOperator("redact", {})
        elif op.type == "keep":
            result = PresidioOperator("keep", {})
        elif op.type == "mask" and op.param("chars_to_mask") is not None:
            result = PresidioOperator(
                "mask",
                {
                    "masking_char": op.param("masking_char", "*"),
                    "chars_to_mask": op.param("chars_to_mask"),
                    "from_end": op.param("from_end", False),
                },
            )
        elif op.type == "mask":
            char = op.param("masking_char", "*")
            result = PresidioOperator("custom", {"lambda": lambda value, c=char: c * len(value)})
        elif op.type == "pseudonym":
            length, fmt = op.param("length", 12), op.param("format", "<{entity_type}_{digest}>")
            result = PresidioOperator(
                "custom",
                {
                    "lambda": lambda value, t=entity_type, n=length, f=fmt: self.pseudonym(
                        value, t, n, f
                    )
                },
            )
        else:
            raise AssertionError(op.type)
        self._presidio_ops[entity_type] = result
        return result

    def anonymize_text(self, text: str, spans: Sequence[Any]) -> AnonymizedText:
        """Rewrite `spans` (anything with start, end, entity_type, score) of `text`."""
        from presidio_anonymizer.entities import RecognizerResult

        merged = resolve_overlaps(spans)
        if not merged:
            return AnonymizedText(text, False, 0)
        if any(self.operators.for_type(t).type == "drop_record" for _, _, t, _ in merged):
            return AnonymizedText(None, True, 0)
        results = [RecognizerResult(t, s, e, sc) for s, e, t, sc in merged]
        operators = {t: self._presidio_operator(t) for _, _, t, _ in merged}
        return AnonymizedText(
            self._engine.anonymize(text=text, analyzer_results=results, operators=operators).text,
            False,
            len(merged),
        )

    def anonymize_record(
        self, record: Mapping[str, Any], findings: Sequence[Any]
    ) -> dict[str, Any] | None:
        """A copy of the record with each finding's field rewritten; None if it must be dropped."""
        by_field: dict[str, list[Any]] = {}
        for finding in findings:
            by_field.setdefault(finding.field, []).append(finding)
        out = dict(record)
        for name, spans in by_field.items():
            result = self.anonymize_text(record[name], spans)
            if result.dropped:
                return None
            out[name] = result.text
        return out


def secret_from_file(path: Path) -> bytes:
    """Read a pseudonym secret; it must hold at least 16 bytes."""
    try:
        secret = Path(path).read_bytes().strip()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such secret file; {SECRET_HELP}") from None
    if len(secret) < 16:
        raise BadInput(
            f"{path}: the pseudonym secret is shorter than 16 bytes; use e.g. `head -c 32 /dev/urandom | base64`"
        )
    return secret
