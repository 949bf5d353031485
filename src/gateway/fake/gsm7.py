"""The GSM 03.38 / 23.038 default alphabet: basic table, extension table, septet unpacking."""

from __future__ import annotations

# Index = septet value (3GPP TS 23.038 §6.2.1). 0x1B is the escape to the extension table.
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
ESCAPE = 0x1B

# 23.038 §6.2.1.1: the extension characters of the default alphabet.
EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

assert len(BASIC) == 128


def unpack_septets(data: bytes, count: int) -> list[int]:
    """Unpack ``count`` 7-bit values packed LSB-first into ``data`` (23.038 §6.1.2.1)."""
    septets: list[int] = []
    for index in range(count):
        bit = index * 7
        byte, shift = divmod(bit, 8)
        if byte >= len(data):
            raise ValueError("user data shorter than its length")
        value = data[byte] >> shift
        if shift > 1 and byte + 1 < len(data):
            value |= data[byte + 1] << (8 - shift)
        septets.append(value & 0x7F)
    return septets


def decode_septets(septets: list[int]) -> str:
    """Map septets to text, following escapes into the extension table.

    An unknown extension code shows the basic character, as 23.038 asks of a receiver.
    """
    chars: list[str] = []
    escaped = False
    for septet in septets:
        if escaped:
            escaped = False
            chars.append(EXTENSION.get(septet, " " if septet == ESCAPE else BASIC[septet]))
        elif septet == ESCAPE:
            escaped = True
        else:
            chars.append(BASIC[septet])
    return "".join(chars)


def decode_packed(data: bytes, septet_count: int, skip: int = 0) -> str:
    """Decode packed GSM-7 user data of ``septet_count`` septets, ignoring the first ``skip``."""
    return decode_septets(unpack_septets(data, septet_count)[skip:])


def decode_semi_octets(data: bytes) -> str:
    """Swapped-nibble BCD digits (addresses, timestamps); an 0xF nibble is filler."""
    digits = []
    for octet in data:
        for nibble in (octet & 0x0F, octet >> 4):
            if nibble == 0x0F:
                continue
            digits.append("0123456789*#abc"[nibble])
    return "".join(digits)
