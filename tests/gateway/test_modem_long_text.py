"""Texts in any language and of any length (up to the segment cap), through the loopback modem.

The loopback modem decodes each PDU with its own decoder and puts concatenated segments back
together, as the recipient's phone does: its inbox shows the whole text and its encoding.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import main
from gateway.errors import SendError
from gateway.fake import FakeModem
from gateway.modem import Modem, ModemSettings

FAST = ModemSettings(command_timeout=3.0, registration_timeout=3.0, send_timeout=3.0)
NUMBER = "+48601234567"
POLISH = "Kod logowania Talk2M: 123456. Ważny 5 min. Nie udostępniaj go."


def test_a_polish_code_goes_as_ucs2_in_one_segment(fake_modem: FakeModem) -> None:
    with Modem(fake_modem.device, settings=FAST) as modem:
        modem.send(NUMBER, POLISH)
    (message,) = fake_modem.inbox.messages()
    assert (message.text, message.encoding, message.segments) == (POLISH, "ucs2", 1)


def test_a_three_segment_message_is_delivered_whole(fake_modem: FakeModem) -> None:
    text = " ".join(f"Zdanie numer {n} ma polskie litery: ąćęłńóśźż." for n in range(4))
    assert 134 < len(text) <= 201  # UCS-2: three segments of at most 67 characters
    with Modem(fake_modem.device, settings=FAST) as modem:
        modem.send(NUMBER, text)
        modem.send(NUMBER, "x" * 400)  # GSM-7: three segments of at most 153 septets
    first, second = fake_modem.inbox.messages()
    assert (first.text, first.encoding, first.segments) == (text, "ucs2", 3)
    assert (second.text, second.encoding, second.segments) == ("x" * 400, "gsm7", 3)
    assert sum(c.upper().startswith("AT+CMGS=") for c in fake_modem.commands) == 6


def test_two_long_messages_to_one_phone_get_different_references(fake_modem: FakeModem) -> None:
    with Modem(fake_modem.device, settings=FAST) as modem:
        modem.send(NUMBER, "a" * 200)
        modem.send(NUMBER, "b" * 200)
    assert [m.text for m in fake_modem.inbox.messages()] == ["a" * 200, "b" * 200]


def test_over_the_cap_is_refused_before_anything_is_sent(fake_modem: FakeModem) -> None:
    with Modem(fake_modem.device, settings=FAST) as modem, pytest.raises(SendError) as caught:
        modem.send(NUMBER, "x" * 500)
    assert caught.value.permanent and "4 GSM-7 segments; at most 3" in caught.value.reason
    assert fake_modem.inbox.messages() == []


def test_inbox_shows_the_text_its_encoding_and_segments(
    fake_modem: FakeModem, tmp_path: Path
) -> None:
    with Modem(fake_modem.device, settings=FAST) as modem:
        modem.send(NUMBER, "ż" * 100)
    state = str(fake_modem.state_dir)
    shown = CliRunner().invoke(main, ["inbox", "--state", state])
    assert "ucs2 ×2" in shown.output and "ż" * 100 in shown.output
    as_json = json.loads(CliRunner().invoke(main, ["inbox", "--state", state, "--json"]).output)
    assert (as_json["encoding"], as_json["segments"], as_json["text"]) == ("ucs2", 2, "ż" * 100)
