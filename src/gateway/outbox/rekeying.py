"""Re-sealing waiting messages under the current outbox key, the last step of a key rotation."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.message import DeliveryState
from gateway.outbox.schema import outbox_table as t
from gateway.outbox.sealing import OutboxKeys, SealedMessageError

log = logging.getLogger("gateway.outbox")

_WAITING = [DeliveryState.QUEUED.value, DeliveryState.SENDING.value]


@dataclass(frozen=True)
class Resealed:
    """What a re-sealing did: rows moved to the current key, rows no given key opens."""

    resealed: int
    unopenable: int


def reseal_waiting(engine: sa.Engine, keys: OutboxKeys) -> Resealed:
    """Seal every waiting message under ``keys``' current key; old keys can then be dropped.

    Each row changes only if its sealed value is still the one read, so a worker sending it
    meanwhile (or one marking it sent, which clears it) is never overwritten.
    """
    resealed = unopenable = 0
    pick = sa.select(t.c.id, t.c.kind, t.c.sealed).where(
        t.c.state.in_(_WAITING), t.c.sealed.is_not(None)
    )
    with engine.begin() as conn:
        for row in conn.execute(pick).all():
            if keys.is_current(row.sealed):
                continue
            try:
                destination, text = keys.open(row.id, row.kind, row.sealed)
            except SealedMessageError as exc:
                log.error("message %d not re-sealed: %s", row.id, exc)
                unopenable += 1
                continue
            new = keys.seal(row.id, row.kind, destination, text)
            same = sa.and_(t.c.id == row.id, t.c.sealed == row.sealed)
            resealed += conn.execute(sa.update(t).where(same).values(sealed=new)).rowcount
    return Resealed(resealed, unopenable)
