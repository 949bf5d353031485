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


class DeliveryReport(enum.Enum):
    """What the network's status report said about a sent message (when one was requested)."""

    #: Requested; no final report yet (the SMS centre may still be trying).
    AWAITING = "awaiting"
    DELIVERED = "delivered"
    #: The SMS centre gave up: ``MessageStatus.delivery_reason`` says why.
    NOT_DELIVERED = "not_delivered"
    #: No final report came within the gateway's report window.
    NO_REPORT = "no_report"


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
    #: None when no status report was requested (or the message was not sent).
    delivery_report: DeliveryReport | None = None
    #: Why it was not delivered (or the centre's last temporary error), from TP-ST.
    delivery_reason: str | None = None
    #: When the SMS centre delivered the message or gave up (its own clock, TP-DT).
    delivery_report_at: datetime | None = None

    @property
    def not_delivered(self) -> bool:
        """True when a status report said the message did not reach the phone."""
        return self.delivery_report is DeliveryReport.NOT_DELIVERED

    @property
    def failed(self) -> bool:
        """True when the message will not arrive (failed, expired) or may not have (unknown)."""
        return self.state in (DeliveryState.FAILED, DeliveryState.EXPIRED, DeliveryState.UNKNOWN)
