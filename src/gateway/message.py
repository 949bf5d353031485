"""Delivery state of an outbox message, as the web app sees it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class DeliveryState(enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    #: The modem timed out mid-send: the message may or may not have gone out.
    UNKNOWN = "unknown"
    EXPIRED = "expired"


@dataclass(frozen=True)
class MessageStatus:
    """What :meth:`gateway.outbox.Outbox.status` reports for one message.

    ``reason`` is safe to show or log: it never contains the body or the full number.
    """

    id: int
    state: DeliveryState
    attempts: int = 0
    reason: str | None = None
    permanent: bool | None = None
    sent_at: datetime | None = None
    modem: str | None = None

    @property
    def failed(self) -> bool:
        """True when the message will not arrive (failed, expired) or may not have (unknown)."""
        return self.state in (DeliveryState.FAILED, DeliveryState.EXPIRED, DeliveryState.UNKNOWN)
