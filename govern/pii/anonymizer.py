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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, field_validator

from govern.canonical import hash_value, keyed_hash
from govern.config_models import (
    GOVERN_MESSAGES,
    Model,
    Problem,
    StrictBool,
    StrictInt,
    StrictStr,
    check,
    problems_error,
)
from govern.errors import BadInput
from govern.safe_yaml import LocatedYaml, load_located


class _Params(Model):
    """The parameters of one operator; a new parameter is one field on its operator's model."""

    type: str
    messages: ClassVar[dict[str, str]] = {
        **GOVERN_MESSAGES,
        "extra_forbidden": "not a parameter of {{operator}} (allowed: {allowed})",
    }


class _Replace(_Params):
    new_value: StrictStr | None = Field(None, description="a string (default: the type tag)")


class _Mask(_Params):
    masking_char: StrictStr = Field("*", min_length=1, max_length=1, description="one character")
    chars_to_mask: StrictInt | None = Field(None, description="an integer (default: all)")
    from_end: StrictBool = Field(False, description="true or false")


class _Pseudonym(_Params):
    length: StrictInt = Field(12, ge=6, le=64, description="6 to 64 hex digits")
    format: StrictStr = Field("<{entity_type}_{digest}>", description="a string with {digest}")

    @field_validator("format")
    @classmethod
    def _has_digest(cls, value: str) -> str:
        if "{digest}" not in value:
            raise ValueError("must contain {digest}")
        return value


OPERATOR_PARAMS: dict[str, type[_Params]] = {
    "replace": _Replace,
    "mask": _Mask,
    "redact": _Params,
    "pseudonym": _Pseudonym,
    "drop_record": _Params,
    "keep": _Params,
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
        located: LocatedYaml | None = None,
    ) -> OperatorConfig:
        """Validate `{ENTITY_TYPE or DEFAULT: {type: ..., params...}}`; every problem is reported."""
        if not isinstance(data, Mapping):
            raise BadInput(
                f"{source}: expected a mapping of entity types to operators, got {type(data).__name__}"
            )
        problems: list[Problem] = []
        parsed: dict[str, Operator] = {}
        for entity, spec in data.items():
            found, operator = _operator(entity, spec, located)
            problems += found
            if operator is not None:
                parsed[entity] = operator
        if problems:
            raise problems_error(source, "operators", problems)
        default = parsed.pop(DEFAULT_KEY, Operator("replace"))
        return cls(operators=parsed, default=default, source=source)


def load_operators(path: Path) -> OperatorConfig:
    """Read an operators file (YAML or JSON); errors name the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such operators file") from None
    except UnicodeDecodeError as error:
        raise BadInput(f"{path}: not valid UTF-8 (byte {error.start})") from None
    located = load_located(text, path)
    if located.data is None:
        return OperatorConfig(source=str(path))
    return OperatorConfig.from_mapping(located.data, source=str(path), located=located)


def _operator(
    entity: Any, spec: Any, located: LocatedYaml | None
) -> tuple[list[Problem], Operator | None]:
    """One entry of an operators file, validated against its operator's parameters."""
    line = located.line_of((str(entity),)) if located is not None else None
    if not isinstance(entity, str) or not (
        entity == DEFAULT_KEY or (entity.replace("_", "").isalnum() and entity.isupper())
    ):
        message = "expected an upper-case entity type such as PERSON, or DEFAULT"
        return [Problem((repr(entity),), line, message)], None
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, Mapping) or "type" not in spec:
        message = f"expected a mapping with a `type` ({', '.join(OPERATOR_PARAMS)})"
        return [Problem((entity,), line, message)], None
    model = OPERATOR_PARAMS.get(spec["type"]) if isinstance(spec["type"], str) else None
    if model is None:
        message = f"unknown operator {spec['type']!r}; choose one of {', '.join(OPERATOR_PARAMS)}"
        where = located.line_of((entity, "type")) if located is not None else None
        return [Problem((entity, "type"), where, message)], None
    params, problems = check(model, spec, located, prefix=(entity,))
    model_name = str(spec["type"])
    problems = [replace(p, message=p.message.replace("{operator}", model_name)) for p in problems]
    if params is None:
        return problems, None
    given = params.model_dump(exclude_unset=True, exclude={"type"})
    return [], Operator(params.type, tuple(sorted(given.items())))


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
