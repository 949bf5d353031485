"""The PDU we submit, checked with the loopback modem's own (independent) decoder."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.errors import Outcome, SendError
from gateway.fake.pdu import decode_submit
from gateway.sms_pdu import build_submit_pdu, is_gsm7


def test_gsm7_text_with_validity_and_no_status_report() -> None:
    pdu = build_submit_pdu(
        "+32470123456", "Your code is 1234", validity=timedelta(minutes=10), status_report=False
    )
    decoded = decode_submit(pdu.hex)
    assert pdu.encoding == "gsm7"
    assert decoded.smsc is None
    assert decoded.tpdu_length == pdu.tpdu_length == len(pdu.hex) // 2 - 1
    assert (decoded.destination, decoded.text) == ("+32470123456", "Your code is 1234")
    assert decoded.validity == timedelta(minutes=10)
    assert not decoded.status_report_requested


def test_non_gsm7_text_goes_as_ucs2() -> None:
    pdu = build_submit_pdu("+32470123456", "Ваш код 1234", validity=None, status_report=True)
    decoded = decode_submit(pdu.hex)
    assert pdu.encoding == "ucs2"
    assert decoded.text == "Ваш код 1234"
    assert decoded.validity is None
    assert decoded.status_report_requested


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        (timedelta(minutes=1), timedelta(minutes=5)),  # TP-VP cannot say less
        (timedelta(minutes=7), timedelta(minutes=5)),  # rounded down, never past the code
        (timedelta(days=400), timedelta(weeks=57)),
        (timedelta(days=1000), timedelta(weeks=63)),
    ],
)
def test_validity_is_clamped_and_rounded_down(asked: timedelta, sent: timedelta) -> None:
    pdu = build_submit_pdu("+32470123456", "x", validity=asked, status_report=False)
    assert decode_submit(pdu.hex).validity == sent


def test_gsm7_extension_characters_count_twice() -> None:
    assert is_gsm7("{€}")
    assert not is_gsm7("a\x1bb")  # ESC would corrupt the extension escapes
    build_submit_pdu("+32470123456", "€" * 80, validity=None, status_report=False)
    with pytest.raises(SendError, match="161 GSM-7 septets"):
        build_submit_pdu("+32470123456", "€" * 80 + "a", validity=None, status_report=False)


@pytest.mark.parametrize(
    ("number", "text"),
    [
        ("+32 470 12 34 56", "hi"),  # the library would encode it as an alphanumeric address
        ("", "hi"),
        ("+32470123456", "é" * 160 + "Ж"),  # UCS-2, 161 characters
        ("+32470123456", "code 🔑 1234"),  # outside the BMP
        ("+32470123456", "a\x1bb"),
    ],
)
def test_unsendable_input_is_a_permanent_send_error(number: str, text: str) -> None:
    with pytest.raises(SendError) as caught:
        build_submit_pdu(number, text, validity=None, status_report=False)
    assert caught.value.outcome is Outcome.PERMANENT
    assert caught.value.cms_code is None
