"""Recognizers declared as data: regex patterns, deny-lists and context words in YAML.

    recognizers:
      - name: EmployeeIdRecognizer
        supported_entity: EMPLOYEE_ID
        patterns:
          - {name: employee id, regex: "\\bEMP-\\d{6}\\b", score: 0.6}
        context: [employee, staff]
        deny_list: [Project Nightingale]      # exact words or phrases, case-insensitive
        deny_list_score: 0.8
        case_sensitive: false

The structure is declared once, as the models below (govern/config_models.py); validation collects
every problem, each with the file, line and key, and raises them together.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    PrivateAttr,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)

from govern.canonical import sha256_hex
from govern.config_models import KeyedError, Model, Number, StrictBool, check, problems_error
from govern.errors import BadInput

_ENTITY = r"^[A-Z][A-Z0-9_]*$"


def _none_is_empty(value: Any) -> Any:
    return () if value is None else value


Words = Annotated[
    tuple[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), Strict()], ...],
    BeforeValidator(_none_is_empty),
]


class PatternSpec(Model):
    """One regex of a declared recognizer."""

    name: str
    regex: Annotated[str, Strict()] = Field(description="a regular expression")
    score: Number = Field(gt=0, le=1, description="a number in (0, 1]")

    @field_validator("regex")
    @classmethod
    def _compiles_and_matches_something(cls, value: str) -> str:
        import regex

        try:
            compiled = regex.compile(value)
        except regex.error as error:
            raise ValueError(f"does not compile: {error}") from None
        if compiled.search("") is not None:
            raise ValueError("matches the empty string; it would flag every text")
        return value


class RecognizerSpec(Model):
    """A validated recognizer declaration, ready to become a Presidio PatternRecognizer."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), Strict()] = Field(
        description="a non-empty string"
    )
    supported_entity: Annotated[str, Strict()] = Field(
        pattern=_ENTITY, description="an upper-case entity type such as EMPLOYEE_ID"
    )
    supported_language: Annotated[str, Strict()] | None = Field(
        None, description="a language code such as en"
    )
    patterns: tuple[PatternSpec, ...] = Field((), description="a list of {name, regex, score}")
    context: Words = Field((), description="a list of words")
    deny_list: Words = Field((), description="a list of non-empty strings")
    deny_list_score: Number = Field(0.8, gt=0, le=1, description="a number in (0, 1]")
    case_sensitive: StrictBool = Field(False, description="true or false")
    _source: str = PrivateAttr("<string>")

    @model_validator(mode="before")
    @classmethod
    def _name_the_patterns(cls, data: Any) -> Any:
        patterns = data.get("patterns") if isinstance(data, dict) else None
        if isinstance(patterns, list):
            data = dict(data)
            data["patterns"] = [
                {"name": f"patterns[{i}]", **p} if isinstance(p, dict) and "name" not in p else p
                for i, p in enumerate(patterns)
            ]
        return data

    @model_validator(mode="after")
    def _finds_something(self) -> RecognizerSpec:
        if not self.patterns and not self.deny_list:
            raise KeyedError("a recognizer needs `patterns` or a `deny_list`", key=("patterns",))
        return self

    def model_post_init(self, context: Any) -> None:
        if isinstance(context, dict) and "source" in context:
            self._source = str(context["source"])

    @property
    def source(self) -> str:
        """The file that declared it."""
        return self._source

    def build(self, language: str) -> Any:
        """The Presidio recognizer this declaration describes."""
        from presidio_analyzer import Pattern, PatternRecognizer

        flags = re.DOTALL | re.MULTILINE | (0 if self.case_sensitive else re.IGNORECASE)
        patterns = [Pattern(p.name, p.regex, p.score) for p in self.patterns]
        if self.deny_list:
            words = "|".join(re.escape(w) for w in sorted(self.deny_list, key=len, reverse=True))
            patterns.append(
                Pattern(
                    f"{self.name} deny-list", rf"(?<!\w)(?:{words})(?!\w)", self.deny_list_score
                )
            )
        return PatternRecognizer(
            supported_entity=self.supported_entity,
            name=self.name,
            supported_language=self.supported_language or language,
            patterns=patterns,
            context=list(self.context) or None,  # type: ignore[arg-type]  # None means no context words
            global_regex_flags=flags,
        )


class RecognizerFile(Model):
    """A recognizer YAML file: one key, `recognizers`, a list of declarations."""

    recognizers: tuple[RecognizerSpec, ...]

    @model_validator(mode="after")
    def _names_are_unique(self) -> RecognizerFile:
        seen: set[str] = set()
        for index, spec in enumerate(self.recognizers):
            if spec.name in seen:
                raise KeyedError(
                    f"duplicate name {spec.name!r}", key=("recognizers", index, "name")
                )
            seen.add(spec.name)
        return self


def load_recognizer_specs(path: Path) -> tuple[RecognizerSpec, ...]:
    """Parse and validate a recognizer YAML; BadInput lists every problem with its line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such recognizer file; fix [pii] recognizers") from None
    return _load_cached(str(path), sha256_hex(data), data)


@functools.lru_cache(maxsize=32)
def _load_cached(path: str, digest: str, data: bytes) -> tuple[RecognizerSpec, ...]:
    import yaml

    from govern import safe_yaml
    from govern.safe_yaml import load_located

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(f"{path}: not valid UTF-8 (byte {error.start})") from None
    try:
        safe_yaml.compose(text, path)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise BadInput(
            f"{path}{where}: invalid YAML: {getattr(error, 'problem', None) or error}"
        ) from None
    located = load_located(text, path)
    if located.data is None:
        return ()
    loaded, problems = check(RecognizerFile, located.data, located, context={"source": path})
    if problems or loaded is None:
        raise problems_error(path, "recognizer file", problems, indexed=True)
    return loaded.recognizers
