"""Concatenated SMS (23.040 §9.2.3.24.1): the loopback modem puts the segments together again.

The recipient's phone shows a long message once all its segments have come; so does the
loopback inbox. Segments belong together when their destination, reference (8- or 16-bit),
count and encoding agree; a segment repeated replaces the earlier copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.fake.sms import Submitted

_IEI_CONCAT_8BIT = 0x00
_IEI_CONCAT_16BIT = 0x08


@dataclass(frozen=True)
class Part:
    """Which segment of which message: ``reference``, ``count`` and ``number`` (from 1)."""

    reference: int
    count: int
    number: int


def concatenation(header: bytes) -> Part | None:
    """The concatenation element of a user data header, None when it has none (or a bad one)."""
    pos = 0
    while pos + 2 <= len(header):
        iei, length = header[pos], header[pos + 1]
        data = header[pos + 2 : pos + 2 + length]
        pos += 2 + length
        if iei == _IEI_CONCAT_8BIT and len(data) == 3:
            part = Part(data[0], data[1], data[2])
        elif iei == _IEI_CONCAT_16BIT and len(data) == 4:
            part = Part(data[0] << 8 | data[1], data[2], data[3])
        else:
            continue
        return part if 1 <= part.number <= part.count else None
    return None


@dataclass
class Reassembler:
    """Holds segments until each of their message has come."""

    _waiting: dict[tuple[str, str, int, int], dict[int, Submitted]] = field(default_factory=dict)

    def add(self, submitted: Submitted) -> Submitted | None:
        """The whole message once ``submitted`` completes it (itself if it stands alone)."""
        part = submitted.part
        if part is None or part.count == 1:
            return submitted
        key = (submitted.to, submitted.encoding, part.reference, part.count)
        parts = self._waiting.setdefault(key, {})
        parts[part.number] = submitted
        if len(parts) < part.count:
            return None
        del self._waiting[key]
        text = "".join(parts[n].text for n in range(1, part.count + 1))
        return replace(submitted, text=text, segments=part.count)
