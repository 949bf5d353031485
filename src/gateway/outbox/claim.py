"""Taking queued messages with a lease, so that two workers never send the same row at once.

PostgreSQL, MariaDB and MySQL lock the chosen rows with ``FOR UPDATE SKIP LOCKED`` so concurrent
workers each get different rows without waiting. SQLite has one writer at a time, so a single
``UPDATE … RETURNING`` statement is already atomic. :class:`gateway.claiming.Claim` writes the
form each database needs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from gateway.claiming import Claim
from gateway.message import DeliveryState
from gateway.outbox.schema import outbox_table as t
from gateway.outbox.sealing import OutboxKeys, SealedMessageError
from gateway.sqltypes import UTCDateTime


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


_now = sa.bindparam("now", type_=UTCDateTime)
_modem = sa.bindparam("modem_name", type_=sa.String)


def eligible() -> sa.ColumnElement[bool]:
    """Rows a modem may take now: due, or failing over from another modem, or a lost lease.

    Parameters: ``now``, ``modem_name``, ``max_attempts``.
    """
    queued = sa.and_(
        t.c.state == DeliveryState.QUEUED.value,
        sa.or_(
            t.c.next_attempt_at <= _now,
            sa.and_(t.c.failover_from.is_not(None), t.c.failover_from != _modem),
        ),
    )
    lease_lost = sa.and_(
        t.c.state == DeliveryState.SENDING.value,
        t.c.lease_until < _now,
        t.c.attempts < sa.bindparam("max_attempts", type_=sa.Integer),
    )
    not_expired = sa.or_(t.c.expires_at.is_(None), t.c.expires_at > _now)
    return sa.and_(sa.or_(queued, lease_lost), not_expired)


@functools.cache
def claim_of(*, by_recipient: bool = False) -> Claim:
    """The claim that leases up to ``limit`` rows to ``owner`` on ``modem``, oldest due first.

    Built once and reused, since building and keying a statement of this size costs more than
    running it. Parameters: ``now``, ``modem_name``, ``max_attempts``, ``owner``, ``until`` (end
    of the lease), ``limit``, and with ``by_recipient`` the ``recipients`` to keep to (a SIM at
    its distinct-recipient cap).
    """
    where = eligible()
    if by_recipient:
        where = sa.and_(where, t.c.recipient_key.in_(sa.bindparam("recipients", expanding=True)))
    return Claim(
        t,
        where=where,
        values={
            "state": DeliveryState.SENDING.value,
            "lease_owner": sa.bindparam("owner", type_=sa.String),
            "lease_until": sa.bindparam("until", type_=UTCDateTime),
            "modem": _modem,
            "attempts": t.c.attempts + 1,
            "failover_from": None,
        },
        returning=(
            t.c.id,
            t.c.sealed,
            t.c.kind,
            t.c.recipient_key,
            t.c.attempts,
            t.c.expires_at,
            t.c.next_attempt_at,
        ),
        order_by=(t.c.next_attempt_at, t.c.id),
        limit=sa.bindparam("limit", type_=sa.Integer),
        skip_locked=True,
    )


def to_claimed(row: sa.Row[tuple[object, ...]], now: datetime, keys: OutboxKeys) -> ClaimedMessage:
    """Build a :class:`ClaimedMessage` from a row returned by :func:`claim_of`.

    :raises SealedMessageError: the row's destination and text do not open with ``keys``.
    """
    m = row._mapping
    msg_id, kind = int(m["id"]), str(m["kind"])
    if m["sealed"] is None:
        raise SealedMessageError("the message has no sealed destination and text")
    destination, body = keys.open(msg_id, kind, m["sealed"])
    return ClaimedMessage(
        id=msg_id,
        destination=destination,
        body=body,
        kind=kind,
        recipient_key=str(m["recipient_key"]),
        attempts=int(m["attempts"]),
        expires_at=m["expires_at"],
        failover=m["next_attempt_at"] > now,
    )


def open_claimed(
    rows: Sequence[sa.Row[tuple[object, ...]]], now: datetime, keys: OutboxKeys
) -> tuple[list[ClaimedMessage], list[tuple[int, str]]]:
    """The claimed rows decrypted, oldest first, and ``(id, reason)`` of those that do not open."""
    opened: list[ClaimedMessage] = []
    failed: list[tuple[int, str]] = []
    for row in rows:
        try:
            opened.append(to_claimed(row, now, keys))
        except SealedMessageError as exc:
            failed.append((int(row._mapping["id"]), str(exc)))
    return sorted(opened, key=lambda c: c.id), failed
