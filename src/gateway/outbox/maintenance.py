"""Housekeeping and figures for the outbox: expiry, purge, queue statistics."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from gateway.message import DeliveryState
from gateway.outbox.retry import RetryPolicy
from gateway.outbox.schema import outbox_table as t
from gateway.outbox.schema import received_table, reports_table

log = logging.getLogger("gateway.outbox")

#: Sent rows are kept at least this long: the per-SIM daily caps count them.
MIN_RETENTION = timedelta(days=1)
DEFAULT_RETENTION = timedelta(days=7)

_FINAL = [s.value for s in DeliveryState if s not in (DeliveryState.QUEUED, DeliveryState.SENDING)]
_REDACTED = {"sealed": None, "lease_owner": None, "lease_until": None}


# Built once: an idle worker asks several times a second.
_NEXT_DUE = (
    sa.select(sa.func.min(t.c.next_attempt_at)).where(t.c.state == DeliveryState.QUEUED.value),
    sa.select(sa.func.min(t.c.lease_until)).where(t.c.state == DeliveryState.SENDING.value),
)


@dataclass(frozen=True)
class QueueStats:
    """Queue depth per state and the age of the oldest message still waiting."""

    counts: dict[DeliveryState, int] = field(default_factory=dict)
    oldest_queued_age: timedelta | None = None
    #: Queued messages whose next attempt is due now.
    due: int = 0


class MaintenanceMixin:
    """Outbox methods that workers and operators run from time to time."""

    engine: sa.Engine
    policy: RetryPolicy
    clock: Callable[[], datetime]

    def expire(self) -> int:
        """Finish rows that must not be sent any more, and return how many.

        Rows past ``expires_at`` become expired. Rows whose worker died while sending and that
        have used up their attempts become unknown: they may have gone out.
        """
        now = self.clock()
        not_sent = t.c.state.in_([DeliveryState.QUEUED.value, DeliveryState.SENDING.value])
        idle = sa.or_(t.c.state == DeliveryState.QUEUED.value, t.c.lease_until < now)
        expired = sa.update(t).where(not_sent, idle, t.c.expires_at <= now)
        lost = sa.update(t).where(
            t.c.state == DeliveryState.SENDING.value,
            t.c.lease_until < now,
            t.c.attempts >= self.policy.max_attempts,
        )
        with self.engine.begin() as conn:
            n_expired = conn.execute(
                expired.values(state=DeliveryState.EXPIRED.value, finished_at=now, **_REDACTED)
            ).rowcount
            n_lost = conn.execute(
                lost.values(
                    state=DeliveryState.UNKNOWN.value,
                    error="the worker stopped while sending",
                    error_outcome="unknown",
                    finished_at=now,
                    **_REDACTED,
                )
            ).rowcount
        if n_expired or n_lost:
            log.info("expired %d message(s); %d lost in flight", n_expired, n_lost)
        return int(n_expired + n_lost)

    def purge(self, retention: timedelta = DEFAULT_RETENTION) -> int:
        """Delete final rows older than ``retention`` (at least one day) and return how many;
        received SMS older than it go too."""
        if retention < MIN_RETENTION:
            raise ValueError("retention must be at least one day (the daily SIM caps use it)")
        cutoff = self.clock() - retention
        stmt = sa.delete(t).where(t.c.state.in_(_FINAL), t.c.finished_at < cutoff)
        with self.engine.begin() as conn:
            conn.execute(sa.delete(reports_table).where(reports_table.c.sent_at < cutoff))
            conn.execute(sa.delete(received_table).where(received_table.c.received_at < cutoff))
            return int(conn.execute(stmt).rowcount)

    def stats(self) -> QueueStats:
        """Counts per state, the oldest queued message's age, and how many are due."""
        now = self.clock()
        queued = t.c.state == DeliveryState.QUEUED.value
        # A queued row past its expiry will never be sent: it counts as expired already.
        overdue = sa.and_(queued, t.c.expires_at <= now)
        live = sa.and_(queued, sa.or_(t.c.expires_at.is_(None), t.c.expires_at > now))
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.state, sa.func.count()).group_by(t.c.state)).all()
            n_overdue = conn.execute(sa.select(sa.func.count()).where(overdue)).scalar_one()
            oldest = conn.execute(sa.select(sa.func.min(t.c.created_at)).where(live)).scalar()
            due = conn.execute(
                sa.select(sa.func.count()).where(live, t.c.next_attempt_at <= now)
            ).scalar_one()
        counts = {state: 0 for state in DeliveryState}
        counts.update({DeliveryState(state): int(n) for state, n in rows})
        counts[DeliveryState.QUEUED] -= int(n_overdue)
        counts[DeliveryState.EXPIRED] += int(n_overdue)
        age = None if oldest is None else now - oldest
        return QueueStats(counts=counts, oldest_queued_age=age, due=int(due))

    def next_due(self) -> datetime | None:
        """When the earliest waiting message becomes claimable (a retry or a lost lease)."""
        with self.engine.connect() as conn:
            times = [conn.execute(q).scalar() for q in _NEXT_DUE]
        present = [x for x in times if x is not None]
        return min(present) if present else None

    def sent_since(
        self, modem: str, since: datetime, *, sim: str | None = None
    ) -> list[tuple[datetime, str]]:
        """``(sent_at, recipient_key)`` of each message sent since ``since`` by a SIM.

        With ``sim`` (a :attr:`~gateway.sim_identity.SimIdentity.key`), the SIM's sends from
        any port, plus ``modem``'s sends whose SIM was not recorded (made before SIMs were, or
        by a modem that does not tell): counting too many is safer than an operator's bar.
        Without it, ``modem``'s sends. A restarted worker rebuilds its per-SIM counters from
        this.
        """
        by_modem = t.c.modem == modem
        if sim is not None:
            by_modem = sa.or_(t.c.sim == sim, sa.and_(by_modem, t.c.sim.is_(None)))
        stmt = (
            sa.select(t.c.sent_at, t.c.recipient_key)
            .where(by_modem, t.c.sent_at >= since)
            .order_by(t.c.sent_at)
        )
        with self.engine.connect() as conn:
            return [(row.sent_at, row.recipient_key) for row in conn.execute(stmt)]
