"""Local numbers of seven or eight digits right after a word that can only mean a phone."""

from __future__ import annotations

import pytest

from govern.pii import Scanner


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Customer rang back; ph 8212.5809 after 5pm.", "8212.5809"),
        ("Please phone 75912868 tomorrow about the lease.", "75912868"),
        ("She asked us to call her on 2879149 today.", "2879149"),
    ],
)
def test_a_local_number_after_a_phone_word_is_a_phone(
    loaded_scanner: Scanner, text: str, number: str
) -> None:
    start = text.index(number)
    assert any(
        s.entity_type == "PHONE_NUMBER" and s.start <= start and s.end >= start + len(number)
        for s in loaded_scanner.scan_text(text)
    )


@pytest.mark.parametrize(
    "text", ["Ticket no 2879149 was closed.", "Invoice 28791490 paid in full.", "phone 2024.12.01"]
)
def test_runs_after_other_words_or_dates_are_not_phones(loaded_scanner: Scanner, text: str) -> None:
    assert not [s for s in loaded_scanner.scan_text(text) if s.entity_type == "PHONE_NUMBER"]
