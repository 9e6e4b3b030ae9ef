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

Validation collects every problem, each with the file, line and key, and raises them together.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.canonical import sha256_hex
from govern.errors import BadInput

_ITEM_KEYS = {
    "name",
    "supported_entity",
    "supported_language",
    "patterns",
    "context",
    "deny_list",
    "deny_list_score",
    "case_sensitive",
}
_PATTERN_KEYS = {"name", "regex", "score"}
_ENTITY = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class PatternSpec:
    """One regex of a declared recognizer."""

    name: str
    regex: str
    score: float


@dataclass(frozen=True)
class RecognizerSpec:
    """A validated recognizer declaration, ready to become a Presidio PatternRecognizer."""

    name: str
    supported_entity: str
    supported_language: str | None
    patterns: tuple[PatternSpec, ...]
    context: tuple[str, ...]
    deny_list: tuple[str, ...]
    deny_list_score: float
    case_sensitive: bool
    source: str

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

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(f"{path}: not valid UTF-8 (byte {error.start})") from None
    try:
        root = safe_yaml.compose(text, path)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise BadInput(
            f"{path}{where}: invalid YAML: {getattr(error, 'problem', None) or error}"
        ) from None
    problems: list[str] = []
    specs: list[RecognizerSpec] = []

    def problem(node: Any, key: str, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        problems.append(f"{path}, line {line}: {key}: {message}")

    if root is None:
        return ()
    if not isinstance(root, yaml.MappingNode):
        problem(root, "(top level)", "expected a mapping with a `recognizers:` list")
    else:
        top = _mapping(root)
        for key, (key_node, _) in top.items():
            if key != "recognizers":
                problem(key_node, key, "unknown key; the file holds one key, `recognizers`")
        items_node = top.get("recognizers", (None, None))[1]
        if items_node is None:
            problem(root, "recognizers", "missing; add a list of recognizer declarations")
        elif not isinstance(items_node, yaml.SequenceNode):
            problem(items_node, "recognizers", "expected a list of recognizer declarations")
        else:
            names: set[str] = set()
            for index, item in enumerate(items_node.value):
                spec = _item(item, f"recognizers[{index}]", problem, path)
                if spec is not None:
                    if spec.name in names:
                        problem(item, f"recognizers[{index}].name", f"duplicate name {spec.name!r}")
                    names.add(spec.name)
                    specs.append(spec)
    if problems:
        raise BadInput(
            f"{path}: invalid recognizer file:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return tuple(specs)


def _mapping(node: Any) -> dict[str, tuple[Any, Any]]:
    return {str(k.value): (k, v) for k, v in node.value}


def _scalar(node: Any) -> Any:
    import yaml

    return yaml.safe_load(yaml.serialize(node)) if node is not None else None


def _item(node: Any, where: str, problem: Any, path: str) -> RecognizerSpec | None:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        problem(
            node, where, "expected a mapping with name, supported_entity and patterns or deny_list"
        )
        return None
    fields = _mapping(node)
    errors: list[str] = []

    def bad(n: Any, key: str, message: str) -> None:
        errors.append(key)
        problem(n, f"{where}.{key}", message)

    for key, (key_node, _) in fields.items():
        if key not in _ITEM_KEYS:
            bad(key_node, key, f"unknown key; allowed: {', '.join(sorted(_ITEM_KEYS))}")
    value = {key: _scalar(v) for key, (_, v) in fields.items()}
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        bad(fields.get("name", (node, node))[1], "name", "required: a non-empty string")
    entity = value.get("supported_entity")
    if not isinstance(entity, str) or not _ENTITY.match(entity):
        bad(
            fields.get("supported_entity", (node, node))[1],
            "supported_entity",
            f"required: an upper-case entity type such as EMPLOYEE_ID, got {entity!r}",
        )
    language = value.get("supported_language")
    if language is not None and not isinstance(language, str):
        bad(
            fields["supported_language"][1],
            "supported_language",
            "expected a language code such as en",
        )
    patterns: list[PatternSpec] = []
    pattern_node = fields.get("patterns", (None, None))[1]
    if pattern_node is not None:
        if not isinstance(pattern_node, yaml.SequenceNode):
            bad(pattern_node, "patterns", "expected a list of {name, regex, score}")
        else:
            for i, p_node in enumerate(pattern_node.value):
                spec = _pattern(p_node, f"patterns[{i}]", bad)
                if spec is not None:
                    patterns.append(spec)
    context = value.get("context") or []
    if not isinstance(context, list) or not all(isinstance(w, str) and w for w in context):
        bad(fields["context"][1], "context", "expected a list of words")
        context = []
    deny = value.get("deny_list") or []
    if not isinstance(deny, list) or not all(isinstance(w, str) and w.strip() for w in deny):
        bad(fields["deny_list"][1], "deny_list", "expected a list of non-empty strings")
        deny = []
    deny_score = value.get("deny_list_score", 0.8)
    if (
        isinstance(deny_score, bool)
        or not isinstance(deny_score, (int, float))
        or not 0 < deny_score <= 1
    ):
        bad(
            fields["deny_list_score"][1],
            "deny_list_score",
            f"expected a number in (0, 1], got {deny_score!r}",
        )
    case_sensitive = value.get("case_sensitive", False)
    if not isinstance(case_sensitive, bool):
        bad(
            fields["case_sensitive"][1],
            "case_sensitive",
            f"expected true or false, got {case_sensitive!r}",
        )
    if pattern_node is None and not deny and "deny_list" not in errors:
        bad(node, "patterns", "a recognizer needs `patterns` or a `deny_list`")
    if errors:
        return None
    assert name is not None and entity is not None  # `errors` is empty: both were checked above
    return RecognizerSpec(
        name=name.strip(),
        supported_entity=entity,
        supported_language=language,
        patterns=tuple(patterns),
        context=tuple(context),
        deny_list=tuple(deny),
        deny_list_score=float(deny_score),
        case_sensitive=case_sensitive,
        source=path,
    )


def _pattern(node: Any, where: str, bad: Any) -> PatternSpec | None:
    import regex
    import yaml

    if not isinstance(node, yaml.MappingNode):
        bad(node, where, "expected a mapping {name, regex, score}")
        return None
    fields = _mapping(node)
    ok = True
    for key, (key_node, _) in fields.items():
        if key not in _PATTERN_KEYS:
            bad(
                key_node,
                f"{where}.{key}",
                f"unknown key; allowed: {', '.join(sorted(_PATTERN_KEYS))}",
            )
            ok = False
    value = {key: _scalar(v) for key, (_, v) in fields.items()}
    raw = value.get("regex")
    if not isinstance(raw, str) or not raw:
        bad(
            fields.get("regex", (node, node))[1], f"{where}.regex", "required: a regular expression"
        )
        ok = False
    else:
        try:
            compiled = regex.compile(raw)
        except regex.error as error:
            bad(fields["regex"][1], f"{where}.regex", f"does not compile: {error}")
            ok = False
        else:
            if compiled.search("") is not None:
                bad(
                    fields["regex"][1],
                    f"{where}.regex",
                    "matches the empty string; it would flag every text",
                )
                ok = False
    score = value.get("score")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 < score <= 1:
        bad(
            fields.get("score", (node, node))[1],
            f"{where}.score",
            f"required: a number in (0, 1], got {score!r}",
        )
        ok = False
    name = value.get("name", where)
    if not ok:
        return None
    assert raw is not None and score is not None  # `ok`: both were checked above
    return PatternSpec(name=str(name), regex=raw, score=float(score))
