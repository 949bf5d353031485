"""Our own SMS-SUBMIT decoder (3GPP TS 23.040 §9.2.2.2), independent of gsmmodem's codec.

The fake modem decodes what a client submits with this module, so a bug in a client's encoder
shows up as a wrong inbox entry instead of being mirrored by the same library's decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

from gateway.fake.gsm7 import decode_packed, decode_semi_octets

Encoding = Literal["gsm7", "ucs2", "8bit"]

# Type-of-number bits of an address type octet (23.040 §9.1.2.5).
_TON_INTERNATIONAL = 0x10
_TON_ALPHANUMERIC = 0x50


class PduError(ValueError):
    """The PDU is not a well-formed SMS-SUBMIT (a real modem answers ``+CMS ERROR: 304``)."""


@dataclass(frozen=True)
class SubmitPdu:
    """One decoded SMS-SUBMIT.

    ``validity`` is a :class:`timedelta` for relative and enhanced formats, an aware
    :class:`datetime` for the absolute format, or ``None`` when the PDU has no TP-VP.
    """

    smsc: str | None
    tpdu_length: int
    reference: int
    destination: str
    status_report_requested: bool
    reject_duplicates: bool
    protocol_id: int
    dcs: int
    encoding: Encoding
    validity: timedelta | datetime | None
    user_data_header: bytes
    text: str


class _Reader:
    """A cursor over the PDU octets that turns running short into :class:`PduError`."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise PduError("PDU shorter than its fields say")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def octet(self) -> int:
        return self.take(1)[0]

    def rest(self) -> bytes:
        return self.take(len(self.data) - self.pos)


def decode_submit(hex_pdu: str) -> SubmitPdu:
    """Decode an SMS-SUBMIT given as hex, with the leading SMSC field (``00`` = none).

    :raise PduError: for bad hex, a wrong message type or a truncated PDU.
    """
    try:
        data = bytes.fromhex(hex_pdu.strip())
    except ValueError as exc:
        raise PduError("PDU is not hexadecimal") from exc
    reader = _Reader(data)
    smsc_length = reader.octet()
    smsc = _decode_address(reader.take(smsc_length), octet_count=True) if smsc_length else None
    tpdu_length = len(data) - reader.pos
    first = reader.octet()
    if first & 0x03 != 0x01:
        raise PduError("not an SMS-SUBMIT")
    reference = reader.octet()
    digits = reader.octet()
    address = reader.take(1 + (digits + 1) // 2)
    destination = _decode_address(address, octet_count=False, digits=digits)
    protocol_id = reader.octet()
    dcs = reader.octet()
    validity = _decode_validity((first >> 3) & 0x03, reader)
    encoding = _encoding_of(dcs)
    header, text = _decode_user_data(reader, encoding, has_header=bool(first & 0x40))
    return SubmitPdu(
        smsc=smsc,
        tpdu_length=tpdu_length,
        reference=reference,
        destination=destination,
        status_report_requested=bool(first & 0x20),
        reject_duplicates=bool(first & 0x04),
        protocol_id=protocol_id,
        dcs=dcs,
        encoding=encoding,
        validity=validity,
        user_data_header=header,
        text=text,
    )


def _decode_address(field: bytes, *, octet_count: bool, digits: int = 0) -> str:
    """An address: type octet then semi-octet digits (or packed GSM-7 when alphanumeric)."""
    if not field:
        raise PduError("empty address")
    kind, body = field[0], field[1:]
    if kind & 0x70 == _TON_ALPHANUMERIC:
        septets = (len(body) * 8) // 7 if octet_count else (digits * 4) // 7
        return decode_packed(body, septets)
    number = decode_semi_octets(body)
    if not octet_count:
        number = number[:digits]
    return "+" + number if kind & 0x70 == _TON_INTERNATIONAL else number


def _decode_validity(vpf: int, reader: _Reader) -> timedelta | datetime | None:
    """TP-VP in any of its formats (23.040 §9.2.3.12)."""
    if vpf == 0:
        return None
    if vpf == 2:
        return relative_validity(reader.octet())
    if vpf == 3:
        return decode_timestamp(reader.take(7))
    return _decode_enhanced_validity(reader.take(7))


def relative_validity(value: int) -> timedelta:
    """The relative TP-VP octet as a duration (23.040 §9.2.3.12.1)."""
    if value <= 143:
        return timedelta(minutes=(value + 1) * 5)
    if value <= 167:
        return timedelta(hours=12, minutes=(value - 143) * 30)
    if value <= 196:
        return timedelta(days=value - 166)
    return timedelta(weeks=value - 192)


def _decode_enhanced_validity(field: bytes) -> timedelta | None:
    """Enhanced TP-VP (23.040 §9.2.3.12.3): a functionality octet then the period."""
    indicator, pos = field[0], 1
    while indicator & 0x80 and pos < len(field):  # extension octets carry nothing we use
        indicator = field[pos]
        pos += 1
    kind = indicator & 0x07
    if kind == 0:
        return None
    if pos >= len(field):
        raise PduError("enhanced validity period truncated")
    if kind == 1:
        return relative_validity(field[pos])
    if kind == 2:
        return timedelta(seconds=field[pos])
    if kind == 3:
        hh, mm, ss = (int(decode_semi_octets(field[pos + i : pos + i + 1])) for i in range(3))
        return timedelta(hours=hh, minutes=mm, seconds=ss)
    raise PduError("reserved enhanced validity format")


def decode_timestamp(field: bytes) -> datetime:
    """A 7-octet service-centre time stamp (23.040 §9.2.3.11) as an aware datetime."""
    digits = decode_semi_octets(field[:6])
    if len(digits) != 12 or not digits.isdigit():
        raise PduError("bad time stamp")
    zone = field[6]
    quarters = int(f"{zone & 0x07:x}{zone >> 4:x}", 10) if (zone >> 4) < 10 else 0
    offset = timedelta(minutes=15 * quarters) * (-1 if zone & 0x08 else 1)
    year, month, day, hour, minute, second = (int(digits[i : i + 2]) for i in range(0, 12, 2))
    try:
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError as exc:
        raise PduError("bad time stamp") from exc


def _encoding_of(dcs: int) -> Encoding:
    """The alphabet a TP-DCS selects (23.038 §4)."""
    group = dcs >> 4
    if group <= 0x07:  # general data coding (0x0_-0x3_) and automatic deletion (0x4_-0x7_)
        if dcs & 0x20:
            raise PduError("compressed user data is not supported")
        return ("gsm7", "8bit", "ucs2", "gsm7")[(dcs >> 2) & 0x03]
    if group in (0x0C, 0x0D):
        return "gsm7"
    if group == 0x0E:
        return "ucs2"
    if group == 0x0F:
        return "8bit" if dcs & 0x04 else "gsm7"
    raise PduError("reserved data coding scheme")


def _decode_user_data(
    reader: _Reader, encoding: Encoding, *, has_header: bool
) -> tuple[bytes, str]:
    """TP-UDL and TP-UD: skip the user data header, decode the text."""
    length = reader.octet()
    data = reader.rest()
    header = data[1 : 1 + data[0]] if has_header and data else b""
    header_octets = len(header) + 1 if has_header else 0
    if encoding == "gsm7":
        if (length * 7 + 7) // 8 > len(data):
            raise PduError("user data shorter than TP-UDL")
        skip = (header_octets * 8 + 6) // 7  # the header plus fill bits, in septets
        return header, decode_packed(data, length, skip)
    if length > len(data):
        raise PduError("user data shorter than TP-UDL")
    body = data[header_octets:length]
    if encoding == "ucs2":
        return header, body.decode("utf-16-be", errors="replace")
    return header, body.decode("latin-1")
