"""Registration from CREG, CGREG and CEREG together."""

from __future__ import annotations

import pytest

from gateway.registration import Registration, parse_registration


@pytest.mark.parametrize(
    ("lines", "stat"),
    [
        (["+CREG: 0,1"], 1),
        (['+CREG: 2,5,"1A2B","0001F3C4",7'], 5),
        (["+CREG: 0,10"], 10),
        (['+CREG: 1,"1A2B","0001F3C4"', "+CREG: 0,2"], 2),  # a URC slipped in first
        (["+CREG: 3"], None),  # URC form only
        (["+CGREG: 0,1"], None),  # another query's line
        ([], None),
    ],
)
def test_parse_registration(lines: list[str], stat: int | None) -> None:
    assert parse_registration(lines, "CREG") == stat


@pytest.mark.parametrize(
    ("stats", "registered", "described"),
    [
        ({"CREG": 1}, True, "home"),
        ({"CREG": 0, "CGREG": 0, "CEREG": 1}, True, "home"),  # LTE: CS domain not registered
        ({"CREG": 6, "CEREG": 0}, True, "home (SMS only)"),
        ({"CREG": 7}, True, "roaming (SMS only)"),
        ({"CREG": 9}, True, "home"),
        ({"CREG": 0, "CEREG": 5}, True, "roaming"),
        ({"CREG": 0, "CGREG": 2, "CEREG": 3}, False, "denied"),
        ({"CREG": 2, "CEREG": 0}, False, "searching"),
        ({"CREG": 8}, False, "emergency only"),
        ({"CREG": 0}, False, "not registered"),
        ({}, False, "unknown"),
    ],
)
def test_registered_when_any_domain_is(
    stats: dict[str, int], registered: bool, described: str
) -> None:
    registration = Registration(stats)
    assert registration.registered is registered
    assert registration.describe() == described
