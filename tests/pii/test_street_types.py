"""Street addresses with Australian and New Zealand road types (AS/NZS 4819) the USPS list lacks."""

from __future__ import annotations

import pytest

from govern.pii import Scanner


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Send the parcel to 23 Amanda Deviation, Hobart TAS 7000.", "23 Amanda Deviation"),
        ("She moved to 529 Wilkinson Laneway last spring.", "529 Wilkinson Laneway"),
        ("Meter read at 145 Hahn Thoroughfare on Tuesday.", "145 Hahn Thoroughfare"),
        ("Deliver to 8 Kauri Ridgeway, Taupo 3330.", "8 Kauri Ridgeway"),
    ],
)
def test_a_house_number_before_an_anzs_road_type_is_an_address(
    loaded_scanner: Scanner, text: str, address: str
) -> None:
    start = text.index(address)
    spans = loaded_scanner.scan_text(text)
    assert any(
        s.entity_type == "LOCATION" and s.start <= start and s.end >= start + len(address)
        for s in spans
    ), spans


@pytest.mark.parametrize(
    "text", ["Phase 3 Main Waters project slipped a week.", "Use gate 2 Main Entrance today."]
)
def test_road_types_that_are_everyday_words_are_left_out(text: str) -> None:
    from govern.pii.recognizers.address import _STREET

    assert not list(_STREET.finditer(text))
