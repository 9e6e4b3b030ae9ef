"""The one configuration layer: pydantic models checked against line-aware YAML."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field, model_validator

from govern.config_models import KeyedError, Model, Number, StrictBool, StrictInt, check, validate
from govern.errors import BadInput
from govern.safe_yaml import load_located


class Inner(Model):
    size: StrictInt = Field(8, ge=1, description="an integer >= 1")
    mode: Literal["fast", "slow"] = "fast"


class Outer(Model):
    name: str = Field(min_length=1, description="a non-empty name")
    scale: Number = 1
    enabled: StrictBool = True
    inner: Inner = Inner()
    items: tuple[Inner, ...] = ()

    @model_validator(mode="after")
    def _slow_needs_size(self) -> Outer:
        if self.inner.mode == "slow" and self.inner.size < 4:
            raise KeyedError("slow mode needs size >= 4", key=("inner", "size"))
        return self


TEXT = "name: x\ninner:\n  size: 0\n  mode: medium\n  colour: red\nitems:\n  - size: true\nenabled: 1\n"


def test_every_problem_is_named_by_file_line_and_key() -> None:
    located = load_located(TEXT, "thing.yaml")
    with pytest.raises(BadInput) as caught:
        validate(Outer, located.data, "thing.yaml", located, what="thing")
    message = str(caught.value)
    assert message.startswith("thing.yaml: invalid thing (5 problems):")
    assert "thing.yaml, line 3: inner.size: expected an integer >= 1, got 0" in message
    assert "thing.yaml, line 4: inner.mode: 'medium' is not one of fast, slow" in message
    assert "line 5: inner.colour: unknown key; allowed keys here: mode, size" in message
    assert "line 7: items.0.size: expected an integer >= 1, got True" in message
    assert "line 8: enabled: Input should be a valid boolean" in message


def test_a_missing_required_key_and_list_indexes_in_brackets() -> None:
    _, problems = check(Outer, {"items": [{"size": 2}, {"sise": 2}]})
    assert [(p.indexed_key, p.message) for p in problems] == [
        ("name", "required key is missing"),
        ("items[1].sise", "unknown key; allowed keys here: mode, size"),
    ]


def test_a_validator_names_the_sub_key_it_found_wrong() -> None:
    located = load_located("name: x\ninner:\n  mode: slow\n  size: 2\n", "t.yaml")
    _, problems = check(Outer, located.data, located)
    assert [(p.key, p.line, p.message) for p in problems] == [
        ("inner.size", 4, "slow mode needs size >= 4")
    ]


def test_numbers_keep_their_type_and_booleans_are_not_numbers() -> None:
    assert type(Outer(name="x", scale=2).scale) is int
    assert type(Outer(name="x", scale=2.0).scale) is float
    _, problems = check(Outer, {"name": "x", "scale": True})
    assert [p.key for p in problems] == ["scale"]


def test_a_misspelt_govern_toml_key_is_refused_not_ignored(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from govern.config import load_config

    path = tmp_path / "govern.toml"
    path.write_text("[ingest]\nmax_record_byte = 10\n[astrology]\nsign = 1\n")
    with pytest.raises(BadInput) as caught:
        load_config(path)
    message = str(caught.value)
    assert "ingest.max_record_byte: unknown key; allowed keys here: max_record_bytes" in message
    assert "astrology: unknown section; known: catalog, ingest, pii, reports, training" in message


def test_an_operators_file_names_the_line_of_each_bad_parameter(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from govern.pii import load_operators

    path = tmp_path / "ops.yaml"
    path.write_text("PERSON:\n  type: pseudonym\n  length: 3\n  format: 'x'\nIBAN_CODE: mask\n")
    with pytest.raises(BadInput) as caught:
        load_operators(path)
    message = str(caught.value)
    assert f"{path}, line 3: PERSON.length: expected 6 to 64 hex digits, got 3" in message
    assert f"{path}, line 4: PERSON.format: must contain {{digest}}" in message
    path.write_text("PERSON: {type: mask, chars_to_mask: 4}\nIBAN_CODE: pseudonym\n")
    operators = load_operators(path)
    assert operators.for_type("PERSON").params == (("chars_to_mask", 4),)  # only what was written
    assert operators.for_type("IBAN_CODE").params == ()


def test_a_pack_key_set_to_null_is_refused_not_read_as_left_out() -> None:
    from govern.policy.pack import default_policies_dir, validate_pack_text

    text = (default_policies_dir() / "default.yaml").read_text(encoding="utf-8")
    nulled = text.replace("    max_delta: 1.0e-5\n", "    max_delta: null\n", 1)
    nulled = nulled.replace("legal_bases: [consent]", "legal_bases: [consent, consent]", 1)
    assert nulled.count("null") == 1 and "[consent, consent]" in nulled
    _, violations = validate_pack_text(nulled, "default.yaml", expected_name="default")
    lines = nulled.splitlines()
    assert sorted((v.key, v.message, lines[v.line - 1].strip()) for v in violations if v.line) == [
        (
            "rules.dp.max_delta",
            "null is not a value here; give one or remove the key",
            "max_delta: null",
        ),
        (
            "rules.provenance.legal_bases",
            "has repeated items; list each once",
            "legal_bases: [consent, consent]",
        ),
    ]
