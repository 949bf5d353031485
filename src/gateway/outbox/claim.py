"""Taking queued messages with a lease, so that two workers never send the same row at once.

PostgreSQL locks the chosen rows with ``FOR UPDATE SKIP LOCKED`` so concurrent workers each get
different rows without waiting. SQLite has one writer at a time, so a single
``UPDATE … RETURNING`` statement is already atomic.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from gateway.message import DeliveryState
from gateway.outbox.schema import outbox_table as t

SUPPORTED_DIALECTS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class ClaimedMessage:
    """A message leased to one modem. ``destination`` and ``body`` go to the modem only."""

    id: int
    destination: str
    body: str
    kind: str
    #: :func:`gateway.outbox.recipient_key` of the destination, for the per-SIM caps.
    recipient_key: str
    #: Sends tried so far, counting this one.
    attempts: int
    expires_at: datetime | None
    #: Taken before its back-off ended because another modem had just failed to send it.
    failover: bool

    def __repr__(self) -> str:  # the default would print the number and the code
        return f"ClaimedMessage(id={self.id}, kind={self.kind!r}, attempts={self.attempts})"


def eligible(now: datetime, modem: str, max_attempts: int) -> sa.ColumnElement[bool]:
    """Rows a modem may take now: due, or failing over from another modem, or a lost lease."""
    queued = sa.and_(
        t.c.state == DeliveryState.QUEUED.value,
        sa.or_(
            t.c.next_attempt_at <= now,
            sa.and_(t.c.failover_from.is_not(None), t.c.failover_from != modem),
        ),
    )
    lease_lost = sa.and_(
        t.c.state == DeliveryState.SENDING.value,
        t.c.lease_until < now,
        t.c.attempts < max_attempts,
    )
    not_expired = sa.or_(t.c.expires_at.is_(None), t.c.expires_at > now)
    return sa.and_(sa.or_(queued, lease_lost), not_expired)


def claim_statement(
    dialect: str,
    *,
    owner: str,
    modem: str,
    now: datetime,
    lease_until: datetime,
    limit: int,
    max_attempts: int,
    recipients: Collection[str] | None = None,
) -> sa.Update:
    """The ``UPDATE … RETURNING`` that leases up to ``limit`` rows to ``owner`` on ``modem``.

    :param recipients: only rows for these recipient keys (a SIM at its distinct-recipient cap).
    """
    if dialect not in SUPPORTED_DIALECTS:
        raise ValueError(f"the outbox supports {', '.join(SUPPORTED_DIALECTS)}, not {dialect}")
    pick = sa.select(t.c.id).where(eligible(now, modem, max_attempts))
    if recipients is not None:
        pick = pick.where(t.c.recipient_key.in_(sorted(recipients)))
    pick = pick.order_by(t.c.next_attempt_at, t.c.id).limit(limit)
    if dialect == "postgresql":
        chosen = pick.with_for_update(skip_locked=True).cte("chosen")
        where: sa.ColumnElement[bool] = t.c.id == chosen.c.id
    else:
        where = t.c.id.in_(pick.scalar_subquery())
    return (
        sa.update(t)
        .where(where)
        .values(
            state=DeliveryState.SENDING.value,
            lease_owner=owner,
            lease_until=lease_until,
            modem=modem,
            attempts=t.c.attempts + 1,
            failover_from=None,
        )
        .returning(
            t.c.id,
            t.c.destination,
            t.c.body,
            t.c.kind,
            t.c.recipient_key,
            t.c.attempts,
            t.c.expires_at,
            t.c.next_attempt_at,
        )
    )


def to_claimed(row: sa.Row[tuple[object, ...]], now: datetime) -> ClaimedMessage:
    """Build a :class:`ClaimedMessage` from a row returned by :func:`claim_statement`."""
    m = row._mapping
    return ClaimedMessage(
        id=int(m["id"]),
        destination=str(m["destination"]),
        body=str(m["body"]),
        kind=str(m["kind"]),
        recipient_key=str(m["recipient_key"]),
        attempts=int(m["attempts"]),
        expires_at=m["expires_at"],
        failover=m["next_attempt_at"] > now,
    )
