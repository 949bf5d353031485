"""SMS gateway: sends short messages through serial GSM modems.

This package never imports Flask: it runs as its own process on the host that has the modem.
The web side only writes to the outbox (:mod:`gateway.outbox`).
"""

from __future__ import annotations

from gateway.errors import GatewayError, ModemError, Outcome, SendError
from gateway.message import DeliveryState, MessageStatus

__all__ = [
    "DeliveryState",
    "GatewayError",
    "MessageStatus",
    "ModemError",
    "Outcome",
    "SendError",
]
