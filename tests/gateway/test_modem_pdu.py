"""The PDU we submit, checked with the loopback modem's own (independent) decoder."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.errors import Outcome, SendError
from gateway.fake.concat import Part, concatenation
from gateway.fake.pdu import decode_submit
from gateway.sms_pdu import SubmitPdu, build_submit_pdus, is_gsm7, segment_count


def build_submit_pdu(
    number: str, text: str, *, validity: timedelta | None, status_report: bool
) -> SubmitPdu:
    """The one PDU of a message that fits one SMS."""
    (pdu,) = build_submit_pdus(number, text, validity=validity, status_report=status_report)
    return pdu


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
    assert segment_count("€" * 80) == 1
    assert segment_count("€" * 80 + "a") == 2


@pytest.mark.parametrize(
    ("number", "text"),
    [
        ("+32 470 12 34 56", "hi"),  # the library would encode it as an alphanumeric address
        ("", "hi"),
        ("+32470123456", "é" * 210 + "Ж"),  # UCS-2, 4 segments: over the cap of 3
        ("+32470123456", "x" * (3 * 153 + 1)),  # GSM-7, 4 segments
        ("+32470123456", ""),
        ("+32470123456", "code 🔑 1234"),  # outside the BMP
        ("+32470123456", "a\x1bb"),
    ],
)
def test_unsendable_input_is_a_permanent_send_error(number: str, text: str) -> None:
    with pytest.raises(SendError) as caught:
        build_submit_pdus(number, text, validity=None, status_report=False)
    assert caught.value.outcome is Outcome.PERMANENT
    assert caught.value.cms_code is None


def test_a_long_text_goes_as_concatenated_segments_with_one_reference() -> None:
    text = "Zażółć gęślą jaźń. " * 10  # 190 characters: UCS-2, 3 segments of at most 67
    pdus = build_submit_pdus(
        "+48601234567", text, validity=None, status_report=False, reference=200
    )
    decoded = [decode_submit(pdu.hex) for pdu in pdus]
    assert [pdu.encoding for pdu in pdus] == ["ucs2"] * 3
    assert [concatenation(d.user_data_header) for d in decoded] == [
        Part(200, 3, 1),
        Part(200, 3, 2),
        Part(200, 3, 3),
    ]
    assert all(d.reference == 0 for d in decoded)  # TP-MR: the modem numbers each segment
    assert "".join(d.text for d in decoded) == text


def test_a_gsm7_text_of_three_segments_splits_at_153_septets() -> None:
    text = "0123456789" * 45  # 450 septets
    pdus = build_submit_pdus("+32470123456", text, validity=None, status_report=False)
    decoded = [decode_submit(pdu.hex) for pdu in pdus]
    assert [len(d.text) for d in decoded] == [153, 153, 144]
    assert "".join(d.text for d in decoded) == text
    assert segment_count(text) == 3


def test_the_segment_cap_is_a_setting() -> None:
    text = "x" * 200
    with pytest.raises(SendError, match="2 GSM-7 segments; at most 1"):
        build_submit_pdus("+32470123456", text, validity=None, status_report=False, max_segments=1)
    assert len(build_submit_pdus("+32470123456", text, validity=None, status_report=False)) == 2
