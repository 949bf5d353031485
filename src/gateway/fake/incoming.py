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


@dataclass(frozen=True)
class Received:
    """One SMS on the SIM. ``read``: listed once already (``REC READ``)."""

    sender: str
    text: str
    sent_at: datetime
    read: bool = False

    def pdu(self) -> str:
        return deliver_pdu(self.sender, self.text, self.sent_at)

    def pdu_length(self) -> int:
        return len(self.pdu()) // 2 - 1


def deliver_pdu(sender: str, text: str, sent_at: datetime) -> str:
    """An SMS-DELIVER as hex with an empty SMSC field; GSM-7 when it can, else UCS-2."""
    septets = _septets(text)
    if septets is None:
        dcs, length, data = 0x08, len(text) * 2, text.encode("utf-16-be")
    else:
        dcs, length, data = 0x00, len(septets), _pack(septets)
    # First octet 04: SMS-DELIVER, no more messages waiting.
    header = f"0004{encode_address(sender)}00{dcs:02X}{encode_timestamp(sent_at)}"
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
