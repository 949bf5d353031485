"""SMS the modems received, kept in the outbox database (``t2m2fa_received``).

The sender's number and the text are sealed with the outbox keys (as queued messages are).
What stays readable without the keys: the masked sender, a digest of the sender keyed with the
current outbox key (a host finds one user's replies by :meth:`ReceivedMixin.sender_digest`, the
number itself is never stored in clear), the modem and the times. Rows are purged with the
outbox's retention (:meth:`~gateway.outbox.Outbox.purge`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from gateway.outbox.masking import mask_number
from gateway.outbox.schema import received_table as r
from gateway.outbox.sealing import OutboxKeys, SealedMessageError

log = logging.getLogger("gateway.outbox")

#: The ``kind`` the seal authenticates: a received row cannot pass for a queued one.
SEALED_KIND = "received"
_COLUMNS = ("modem", "sender_masked", "sender_digest", "segments", "received_at", "sent_at")
_SEAL = sa.update(r).where(r.c.id == sa.bindparam("b_id")).values(sealed=sa.bindparam("b_sealed"))


@dataclass(frozen=True)
class ReceivedMessage:
    """One received SMS as stored. ``sender`` and ``text`` are None without the keys."""

    id: int
    modem: str
    sender_masked: str
    sender_digest: str
    received_at: datetime
    sent_at: datetime | None
    segments: int
    sender: str | None = None
    text: str | None = None

    def __repr__(self) -> str:  # the default would print the number and the text
        return f"ReceivedMessage(id={self.id}, from {self.sender_masked}, modem={self.modem!r})"


class ReceivedMixin:
    """Outbox methods for received SMS."""

    engine: sa.Engine
    keys: OutboxKeys | None
    clock: Callable[[], datetime]
    require_keys: Callable[[], OutboxKeys]

    def sender_digest(self, number: str) -> str:
        """The digest stored for SMS from ``number`` (digits only count), under the current
        outbox key: compare it with :attr:`ReceivedMessage.sender_digest`."""
        digits = "".join(ch for ch in number if ch.isdigit())
        return self.require_keys().digest("t2m2fa-sender", digits)

    def record_received(
        self,
        modem: str,
        sender: str,
        text: str,
        *,
        sent_at: datetime | None = None,
        segments: int = 1,
    ) -> ReceivedMessage:
        """Keep one received SMS; return its row (with the sender and text)."""
        keys = self.require_keys()
        message = ReceivedMessage(
            id=0,
            modem=modem,
            sender_masked=mask_number(sender),
            sender_digest=self.sender_digest(sender),
            received_at=self.clock(),
            sent_at=sent_at,
            segments=segments,
        )
        row = {name: getattr(message, name) for name in _COLUMNS}
        with self.engine.begin() as conn:
            row_id = int(conn.execute(sa.insert(r).returning(r.c.id), row).scalar_one())
            sealed = keys.seal(row_id, SEALED_KIND, sender, text)
            conn.execute(_SEAL, {"b_id": row_id, "b_sealed": sealed})
        log.info("received an SMS from %s on %s (row %d)", message.sender_masked, modem, row_id)
        return replace(message, id=row_id, sender=sender, text=text)

    def received(self, *, limit: int = 100, since: datetime | None = None) -> list[ReceivedMessage]:
        """The latest received SMS, newest first; opened when this outbox has the keys."""
        query = sa.select(r).order_by(r.c.received_at.desc(), r.c.id.desc()).limit(limit)
        if since is not None:
            query = query.where(r.c.received_at >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [self._opened(row._mapping) for row in rows]

    def _opened(self, m: sa.RowMapping) -> ReceivedMessage:
        sender = text = None
        if self.keys is not None and m["sealed"] is not None:
            try:
                sender, text = self.keys.open(m["id"], SEALED_KIND, m["sealed"])
            except SealedMessageError as exc:
                log.warning("received SMS %d cannot be opened: %s", m["id"], exc)
        return ReceivedMessage(
            id=m["id"],
            modem=m["modem"],
            sender_masked=m["sender_masked"],
            sender_digest=m["sender_digest"],
            received_at=m["received_at"],
            sent_at=m["sent_at"],
            segments=m["segments"],
            sender=sender,
            text=text,
        )
