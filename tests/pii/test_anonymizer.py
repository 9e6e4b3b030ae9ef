"""The Anonymizer: operators per type, keyed pseudonyms, dropped records, validated files."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.errors import BadInput
from govern.pii import Anonymizer, OperatorConfig, load_operators
from govern.pii.scanner import Span

SECRET = b"a-test-secret-of-enough-length"


def spans_of(text: str, *pairs: tuple[str, str]) -> list[Span]:
    return [Span(text.index(v), text.index(v) + len(v), t, 0.9, "test") for v, t in pairs]


def test_by_default_every_finding_becomes_its_type_tag():
    text = "Mail Ann Lee at ann@example.com"
    result = Anonymizer().anonymize_text(
        text, spans_of(text, ("Ann Lee", "PERSON"), ("ann@example.com", "EMAIL_ADDRESS"))
    )
    assert result.text == "Mail <PERSON> at <EMAIL_ADDRESS>"


def test_the_same_value_gets_the_same_pseudonym_across_records_and_a_different_one_under_another_secret():
    operators = OperatorConfig.from_mapping({"PERSON": {"type": "pseudonym"}})
    first = Anonymizer(operators, secret=SECRET)
    texts = ["Ann Lee called.", "Then Bob Ray and Ann Lee met."]
    out = [
        first.anonymize_text(
            t, spans_of(t, *[(n, "PERSON") for n in ("Ann Lee", "Bob Ray") if n in t])
        ).text
        for t in texts
    ]
    ann = out[0].split()[0]
    assert ann.startswith("<PERSON_") and ann in out[1]
    assert out[1].count("<PERSON_") == 2 and len(set(out[1].split()) & {ann}) == 1
    other = Anonymizer(operators, secret=b"another-secret-of-enough-length").anonymize_text(
        texts[0], spans_of(texts[0], ("Ann Lee", "PERSON"))
    )
    assert other.text.split()[0] != ann
    assert "Ann" not in "".join(out)


def test_a_pseudonym_operator_without_a_secret_is_refused_with_the_fix():
    with pytest.raises(BadInput, match=r"needs a secret.*GOVERN_PSEUDONYM_SECRET"):
        Anonymizer(OperatorConfig.from_mapping({"PERSON": "pseudonym"}))


def test_the_drop_record_operator_drops_the_whole_record():
    operators = OperatorConfig.from_mapping({"US_SSN": {"type": "drop_record"}})
    anonymizer = Anonymizer(operators)
    record = {"id": 1, "text": "SSN 123-45-6789", "note": "Ann Lee"}
    findings = [
        type(
            "F", (), {"field": "text", "start": 4, "end": 15, "entity_type": "US_SSN", "score": 0.9}
        )()
    ]
    assert anonymizer.anonymize_record(record, findings) is None
    assert anonymizer.anonymize_record({"id": 2, "text": "nothing"}, []) == {
        "id": 2,
        "text": "nothing",
    }


def test_mask_redact_and_keep_do_what_they_say():
    operators = OperatorConfig.from_mapping(
        {
            "EMAIL_ADDRESS": {"type": "mask", "masking_char": "#"},
            "PHONE_NUMBER": {"type": "mask", "chars_to_mask": 4, "from_end": True},
            "PERSON": "redact",
            "LOCATION": "keep",
        }
    )
    text = "Ann at a@b.co, 415-555-0134, Paris"
    result = Anonymizer(operators).anonymize_text(
        text,
        spans_of(
            text,
            ("Ann", "PERSON"),
            ("a@b.co", "EMAIL_ADDRESS"),
            ("415-555-0134", "PHONE_NUMBER"),
            ("Paris", "LOCATION"),
        ),
    )
    assert result.text == " at ######, 415-555-****, Paris"


def test_overlapping_findings_of_different_types_are_replaced_once():
    text = "Visit 810 Charles Pike today"
    spans = [Span(6, 22, "LOCATION", 0.6, "a"), Span(10, 22, "PERSON", 0.5, "b")]
    assert Anonymizer().anonymize_text(text, spans).text == "Visit <LOCATION> today"


def test_an_operators_file_with_an_unknown_operator_is_rejected_with_its_line(tmp_path: Path):
    path = tmp_path / "ops.yaml"
    path.write_text(
        "DEFAULT: {type: replace}\nPERSON: {type: shred}\nEMAIL_ADDRESS: {type: mask, colour: red}\n"
    )
    with pytest.raises(BadInput) as error:
        load_operators(path)
    assert f"{path}, line 2: PERSON.type: unknown operator 'shred'" in str(error.value)
    assert f"{path}, line 3: EMAIL_ADDRESS.colour: not a parameter of mask" in str(error.value)


def test_an_operators_file_may_be_json(tmp_path: Path):
    path = tmp_path / "ops.json"
    path.write_text('{"PERSON": {"type": "replace", "new_value": "[name]"}}')
    config = load_operators(path)
    assert config.for_type("PERSON").param("new_value") == "[name]"
    assert config.for_type("EMAIL_ADDRESS").type == "replace"
    assert config.config_hash() != OperatorConfig().config_hash()
