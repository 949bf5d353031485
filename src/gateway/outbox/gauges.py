"""Queue figures cheap enough to read at every metrics scrape, however large the outbox grows.

Each query walks ``ix_t2m2fa_outbox_state_created`` (state, created_at) and nothing else: the
counts stop at :data:`COUNT_LIMIT` rows, and the oldest queued message is the first entry of
the index for ``queued``. :meth:`Outbox.stats` counts every row and is for ``status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from gateway.message import DeliveryState
from gateway.outbox.schema import outbox_table as t

#: Counts above this are reported as this: a queue that deep needs an operator anyway.
COUNT_LIMIT = 100_000
#: The states a message waits in; final states are counted by the worker's send counters.
WAITING = (DeliveryState.QUEUED, DeliveryState.SENDING)


@dataclass(frozen=True)
class QueueDepth:
    """Messages per waiting state (at most :data:`COUNT_LIMIT` each) and the oldest's age."""

    counts: dict[DeliveryState, int]
    oldest_queued_age: timedelta | None


def _count(state: DeliveryState) -> sa.Select[Any]:
    rows = sa.select(t.c.id).where(t.c.state == state.value).limit(COUNT_LIMIT).subquery()
    return sa.select(sa.func.count()).select_from(rows)


_COUNTS = {state: _count(state) for state in WAITING}
_OLDEST = sa.select(sa.func.min(t.c.created_at)).where(t.c.state == DeliveryState.QUEUED.value)


def queue_depth(engine: sa.Engine, now: datetime) -> QueueDepth:
    """Read the waiting messages' counts and the oldest queued one's age."""
    with engine.connect() as conn:
        counts = {state: int(conn.execute(q).scalar_one()) for state, q in _COUNTS.items()}
        oldest = conn.execute(_OLDEST).scalar()
    return QueueDepth(counts, None if oldest is None else max(now - oldest, timedelta(0)))
