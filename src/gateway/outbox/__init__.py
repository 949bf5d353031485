"""The durable SMS outbox (SQLAlchemy Core; SQLite, PostgreSQL, MariaDB ≥ 10.6 or MySQL ≥ 8.0).

Web processes :meth:`~Outbox.enqueue` messages, if they like inside their own transaction; a
gateway worker claims them with a lease, sends them and marks the outcome. Usage::

    keys = OutboxKeys.from_file("instance/outbox.key")   # the same keys in the worker
    outbox = Outbox("sqlite:///instance/gateway.sqlite3", keys=keys)
    outbox.create_schema()
    msg_id = outbox.enqueue("+32470123456", "Your code: 1234", expires_at=expiry)
    outbox.status(msg_id).state   # DeliveryState.QUEUED, then SENT...
"""

from __future__ import annotations

from gateway.outbox.claim import ClaimedMessage
from gateway.outbox.delivery import DEFAULT_REPORT_WINDOW
from gateway.outbox.engine import configure_sqlite, create_outbox_engine
from gateway.outbox.gauges import COUNT_LIMIT, QueueDepth, queue_depth
from gateway.outbox.maintenance import DEFAULT_RETENTION, QueueStats
from gateway.outbox.masking import mask_number, recipient_key
from gateway.outbox.modems import ModemReport
from gateway.outbox.received import ReceivedMessage
from gateway.outbox.retry import RetryPolicy
from gateway.outbox.schema import metadata
from gateway.outbox.sealing import OutboxKeyError, OutboxKeys, SealedMessageError, new_key_text
from gateway.outbox.store import (
    DEFAULT_LEASE,
    NOTIFY_CHANNEL,
    Outbox,
    UnknownMessageError,
    utc_now,
)

__all__ = [
    "COUNT_LIMIT",
    "DEFAULT_LEASE",
    "DEFAULT_REPORT_WINDOW",
    "DEFAULT_RETENTION",
    "NOTIFY_CHANNEL",
    "ClaimedMessage",
    "ModemReport",
    "Outbox",
    "OutboxKeyError",
    "OutboxKeys",
    "QueueDepth",
    "QueueStats",
    "ReceivedMessage",
    "RetryPolicy",
    "SealedMessageError",
    "UnknownMessageError",
    "configure_sqlite",
    "create_outbox_engine",
    "mask_number",
    "metadata",
    "new_key_text",
    "queue_depth",
    "recipient_key",
    "utc_now",
]
