"""SMS the loopback modem receives: kept in SIM storage, announced by ``+CMTI``, listed by
``AT+CMGL`` as SMS-DELIVER PDUs (23.040 §9.2.2.1) that this module encodes itself.

Our own encoder, not gsmmodem's: the gateway decodes with the library, so a bug on either side
shows up instead of being mirrored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.fake.gsm7 import BASIC, ESCAPE, EXTENSION
from gateway.fake.reports import encode_address, encode_timestamp

_SEPTET: dict[str, tuple[int, ...]] = {
    char: (value,) for value, char in enumerate(BASIC) if value != ESCAPE
}
_SEPTET.update({char: (ESCAPE, value) for value, char in EXTENSION.items()})


#: UCS-2 characters per segment of a concatenated SMS.
UCS2_PART = 67


@dataclass(frozen=True)
class Received:
    """One SMS on the SIM. ``read``: listed once already (``REC READ``); ``part``: ``(reference,
    count, number)`` of a segment of a long message."""

    sender: str
    text: str
    sent_at: datetime
    read: bool = False
    part: tuple[int, int, int] | None = None

    def pdu(self) -> str:
        return deliver_pdu(self.sender, self.text, self.sent_at, self.part)

    def pdu_length(self) -> int:
        return len(self.pdu()) // 2 - 1


def split(text: str, reference: int) -> list[Received] | None:
    """The segments of a text longer than one UCS-2 SMS (sender and time left blank), or None
    when it fits one SMS."""
    septets = _septets(text)
    if len(text) <= 70 or (septets is not None and len(septets) <= 160):
        return None
    chunks = [text[i : i + UCS2_PART] for i in range(0, len(text), UCS2_PART)]
    return [
        Received("", chunk, datetime.min, part=(reference % 256, len(chunks), n))
        for n, chunk in enumerate(chunks, start=1)
    ]


def deliver_pdu(
    sender: str, text: str, sent_at: datetime, part: tuple[int, int, int] | None = None
) -> str:
    """An SMS-DELIVER as hex with an empty SMSC field; GSM-7 when it can, else UCS-2. A
    segment (``part``) goes as UCS-2 after a concatenation header (IEI 00, 8-bit reference)."""
    septets = None if part else _septets(text)
    udh = b"" if part is None else bytes([5, 0, 3, *part])
    if septets is None:
        data = udh + text.encode("utf-16-be")
        dcs, length = 0x08, len(data)
    else:
        dcs, length, data = 0x00, len(septets), _pack(septets)
    # First octet 04: SMS-DELIVER, no more messages waiting; 0x40: a user data header.
    first = 0x44 if part else 0x04
    header = f"00{first:02X}{encode_address(sender)}00{dcs:02X}{encode_timestamp(sent_at)}"
    return f"{header}{length:02X}{data.hex().upper()}"


def _septets(text: str) -> list[int] | None:
    out: list[int] = []
    for char in text:
        codes = _SEPTET.get(char)
        if codes is None:
            return None
        out.extend(codes)
    return out


def _pack(septets: list[int]) -> bytes:
    """Septets packed LSB first (23.038 §6.1.2.1)."""
    value = sum(septet << (7 * index) for index, septet in enumerate(septets))
    return value.to_bytes((len(septets) * 7 + 7) // 8, "little")
