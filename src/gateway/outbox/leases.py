"""Giving claimed messages back: a send never started, or a worker that died."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from gateway.message import DeliveryState
from gateway.outbox.schema import outbox_table as t

log = logging.getLogger("gateway.outbox")


class LeasesMixin:
    """Outbox methods that end leases early."""

    engine: sa.Engine

    def release(self, msg_id: int, modem: str) -> None:
        """Give back a claimed message that was never handed to the modem; its attempt is undone."""
        stmt = (
            sa.update(t)
            .where(t.c.id == msg_id, t.c.state == DeliveryState.SENDING.value, t.c.modem == modem)
            .values(
                state=DeliveryState.QUEUED.value,
                attempts=t.c.attempts - 1,
                lease_owner=None,
                lease_until=None,
            )
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def recover_modem(self, modem: str, owner: str) -> int:
        """Requeue rows a dead worker left "sending" on ``modem``, which ``owner`` now holds.

        Only one process can hold a serial port, so rows still leased to that modem by another
        owner belong to a worker that is gone: no need to wait for their leases to run out.
        The interrupted send may have gone out, so this can repeat it once.
        """
        stmt = (
            sa.update(t)
            .where(
                t.c.state == DeliveryState.SENDING.value,
                t.c.modem == modem,
                t.c.lease_owner != owner,
            )
            .values(state=DeliveryState.QUEUED.value, lease_owner=None, lease_until=None)
        )
        with self.engine.begin() as conn:
            count = conn.execute(stmt).rowcount
        if count:
            log.warning("requeued %d message(s) a dead worker left on %s", count, modem)
        return count
