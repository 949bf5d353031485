"""The loopback GSM modem: a real AT-command peer on a pseudo-terminal, for tests and demos.

It answers what python-gsmmodem-new, Gammu and our own driver send, decodes each submitted
message with its own PDU decoder, records it in an :class:`Inbox` other processes can read,
and injects :class:`Faults` on request.
"""

from __future__ import annotations

from gateway.fake.faults import REGISTRATIONS, Faults
from gateway.fake.inbox import DeliveredMessage, Inbox
from gateway.fake.loopback import FakeModem

__all__ = ["REGISTRATIONS", "DeliveredMessage", "FakeModem", "Faults", "Inbox"]
