"""The outbox: web processes enqueue messages, gateway workers claim, send and mark them."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from gateway.errors import Outcome, SendError
from gateway.message import DeliveryState, MessageStatus
from gateway.outbox import maintenance
from gateway.outbox.claim import ClaimedMessage, claim_of, open_claimed
from gateway.outbox.delivery import DeliveryMixin, awaiting_row, delivery_fields
from gateway.outbox.engine import create_outbox_engine
from gateway.outbox.leases import LeasesMixin
from gateway.outbox.masking import mask_number, recipient_key
from gateway.outbox.modems import ModemsMixin
from gateway.outbox.received import ReceivedMixin
from gateway.outbox.retry import RetryPolicy, Verdict, after_failure
from gateway.outbox.schema import metadata
from gateway.outbox.schema import outbox_table as t
from gateway.outbox.sealing import OutboxKeyError, OutboxKeys
from gateway.outbox.upgrade import add_missing_columns_and_indexes, upgrade_schema
from gateway.sqltypes import UTCDateTime

log = logging.getLogger("gateway.outbox")

#: PostgreSQL channel notified (on commit) for every enqueued message; workers LISTEN on it.
NOTIFY_CHANNEL = "t2m2fa_outbox"
#: Long enough for the slowest ``AT+CMGS`` answer vendors document (120 s), with a margin.
DEFAULT_LEASE = timedelta(seconds=150)

_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")

# Built once (SQLAlchemy reuses their compiled form): an enqueue is on every login's path.
# The new id comes by RETURNING where the database has it, else by the driver's lastrowid (MySQL).
_INSERT = sa.insert(t)
_SEAL = sa.update(t).where(t.c.id == sa.bindparam("b_id")).values(sealed=sa.bindparam("b_sealed"))
#: On PostgreSQL the sealing statement also wakes the workers: delivered when the caller's
#: transaction commits, dropped if it rolls back. Channels span the database: the schema says
#: whose outbox got a message.
_SEAL_AND_NOTIFY = _SEAL.returning(sa.func.pg_notify(NOTIFY_CHANNEL, sa.func.current_schema()))


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnknownMessageError(LookupError):
    """No outbox row has this id (never enqueued, or purged after the retention)."""


class Outbox(LeasesMixin, maintenance.MaintenanceMixin, ModemsMixin, DeliveryMixin, ReceivedMixin):
    """A durable queue of SMS messages in a SQL database (SQLite, PostgreSQL, MariaDB or MySQL).

    :param engine_or_url: an engine, or a URL for which one is created with the outbox's SQLite
        settings (:func:`~gateway.outbox.engine.create_outbox_engine`).
    :param keys: the keys that seal each message's destination and text (current first); needed
        to queue and to claim, not to read statuses or statistics.
    :param policy: how temporary failures are retried.
    :param clock: returns the current aware UTC time; tests inject their own.
    """

    metadata = metadata

    def __init__(
        self,
        engine_or_url: sa.Engine | str | sa.URL,
        *,
        keys: OutboxKeys | None = None,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.keys = keys
        if isinstance(engine_or_url, sa.Engine):
            self.engine = engine_or_url
        else:
            self.engine = create_outbox_engine(engine_or_url)
        self.policy = policy or RetryPolicy()
        self.clock = clock

    def require_keys(self) -> OutboxKeys:
        """The outbox keys; a clear error when this outbox was opened without them."""
        if self.keys is None:
            raise OutboxKeyError("no outbox key: give Outbox(..., keys=OutboxKeys...)")
        return self.keys

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create_schema(self) -> None:
        """Create the gateway's tables if they do not exist yet, and add newer columns."""
        with self.engine.begin() as conn:
            if self.dialect == "sqlite":
                # WAL is a property of the database file: set once, every process gets it.
                conn.exec_driver_sql("PRAGMA journal_mode = WAL")
            metadata.create_all(conn)
            upgrade_schema(conn, self.clock())
            add_missing_columns_and_indexes(conn)

    def enqueue(
        self,
        to: str,
        text: str,
        *,
        expires_at: datetime | None,
        kind: str = "code",
        connection: sa.Connection | None = None,
    ) -> int:
        """Queue ``text`` for ``to`` (E.164) and return the message id.

        :param expires_at: the message is never sent after this moment (a login code's expiry).
        :param connection: run inside the caller's transaction, so that a rolled-back challenge
            queues nothing; the caller commits. Without it, the message is committed at once.
        """
        if not _NUMBER.fullmatch(to):
            raise ValueError("destination must be a phone number in E.164 form")
        if not text:
            raise ValueError("an SMS needs a text")
        if expires_at is not None and expires_at.tzinfo is None:
            raise ValueError("expires_at must be an aware UTC datetime")
        keys = self.require_keys()
        now = self.clock()
        row = {
            "kind": kind,
            "destination_masked": mask_number(to),
            "recipient_key": recipient_key(to),
            "state": DeliveryState.QUEUED.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "expires_at": expires_at,
        }

        def seal(msg_id: int) -> bytes:
            return keys.seal(msg_id, kind, to, text)

        if connection is not None:
            msg_id = self._insert(connection, row, seal)
        else:
            with self.engine.begin() as conn:
                msg_id = self._insert(conn, row, seal)
        log.info("queued message %d (%s) for %s", msg_id, kind, mask_number(to))
        return msg_id

    @staticmethod
    def _insert(conn: sa.Connection, row: dict[str, object], seal: Callable[[int], bytes]) -> int:
        key = conn.execute(_INSERT, row).inserted_primary_key
        assert key is not None  # a single-row INSERT always has one
        msg_id = int(key[0])
        # Sealed once the id is known, which it authenticates; the clear values never reach SQL.
        sealing = _SEAL_AND_NOTIFY if conn.dialect.name == "postgresql" else _SEAL
        conn.execute(sealing, {"b_id": msg_id, "b_sealed": seal(msg_id)})
        return msg_id

    @staticmethod
    def _status_row(conn: sa.Connection, msg_id: int) -> tuple[Any, Any]:
        row = conn.execute(sa.select(t).where(t.c.id == msg_id)).one_or_none()
        return row, delivery_fields(conn, msg_id)

    def status(self, msg_id: int, *, connection: sa.Connection | None = None) -> MessageStatus:
        """Where message ``msg_id`` stands, in terms the web app can show.

        :param connection: read on the caller's connection (a web request holds one already:
            asking the pool for a second could wait for ever when every request does it).
        :raises UnknownMessageError: no such message (or it was purged).
        """
        if connection is not None:
            row, delivery = self._status_row(connection, msg_id)
        else:
            with self.engine.connect() as conn:
                row, delivery = self._status_row(conn, msg_id)
        if row is None:
            raise UnknownMessageError(f"no outbox message {msg_id}")
        m = row._mapping
        state = DeliveryState(m["state"])
        if state is DeliveryState.QUEUED and _past(m["expires_at"], self.clock()):
            # No worker will send it any more; the row is marked when a worker next tidies up.
            state = DeliveryState.EXPIRED
        reason = m["error"]
        if state is DeliveryState.EXPIRED and reason is None:
            reason = "expired before it could be sent"
        permanent = None if m["error_outcome"] is None else m["error_outcome"] == "permanent"
        return MessageStatus(
            id=msg_id,
            state=state,
            attempts=m["attempts"],
            reason=reason,
            permanent=permanent,
            sent_at=m["sent_at"],
            modem=m["modem"],
            **delivery,
        )

    def claim(
        self,
        owner: str,
        modem: str,
        *,
        limit: int = 1,
        lease: timedelta = DEFAULT_LEASE,
        recipients: Collection[str] | None = None,
    ) -> list[ClaimedMessage]:
        """Lease up to ``limit`` due messages to ``modem`` of worker ``owner``, oldest first.

        A message whose lease runs out before it is marked (its worker died) is claimed again.
        Expired messages are never returned.

        :param recipients: take only messages for these :func:`.recipient_key` values.
        """
        if recipients is not None and not recipients:
            return []
        keys = self.require_keys()
        now = self.clock()
        params: dict[str, object] = {
            "now": now,
            "modem_name": modem,
            "max_attempts": self.policy.max_attempts,
            "owner": owner,
            "until": now + lease,
            "limit": limit,
        }
        if recipients is not None:
            params["recipients"] = sorted(recipients)
        claim = claim_of(by_recipient=recipients is not None)
        with self.engine.begin() as conn:
            rows = claim.execute(conn, params)
        claimed, unopened = open_claimed(rows, now, keys)
        for msg_id, reason in unopened:  # a key is missing: fail for good, with the reason
            log.error("message %d cannot be sent: %s", msg_id, reason)
            self.mark_failed(msg_id, SendError(reason, outcome=Outcome.PERMANENT))
        for c in claimed:
            log.debug("message %d claimed by %s (attempt %d)", c.id, modem, c.attempts)
        return claimed

    def mark_sent(
        self,
        msg_id: int,
        reference: int,
        modem: str,
        *,
        sim: str | None = None,
        report_for: str | None = None,
    ) -> None:
        """Record that ``modem`` handed message ``msg_id`` to the network; redact it.

        :param sim: the sending SIM's :attr:`~gateway.sim_identity.SimIdentity.key`, which the
            per-SIM caps count by.
        :param report_for: the destination, when a status report was requested: the message
            then awaits it (see :meth:`record_report`).
        """
        now = self.clock()
        params = {"msg_id": msg_id, "ref": reference, "modem_name": modem, "sim": sim, "now": now}
        with self.engine.begin() as conn:
            conn.execute(_MARK_SENT, params)
            if report_for is not None:
                conn.execute(awaiting_row(msg_id, modem, reference, report_for, now))
        log.info("message %d sent by %s (reference %d)", msg_id, modem, reference)

    def mark_failed(
        self,
        msg_id: int,
        error: SendError,
        *,
        modem: str | None = None,
        allow_failover: bool = False,
    ) -> DeliveryState | None:
        """Record a failed send and decide what follows (see :func:`.retry.after_failure`).

        :param modem: the modem that failed; when given, the row is changed only while that
            modem still holds it.
        :param allow_failover: another modem may retry at once, without waiting for the back-off.
        :return: the message's new state, or None when the row was no longer being sent.
        """
        now = self.clock()
        with self.engine.begin() as conn:
            holds = [t.c.id == msg_id, t.c.state == DeliveryState.SENDING.value]
            if modem is not None:
                holds.append(t.c.modem == modem)
            row = conn.execute(sa.select(t.c.attempts, t.c.expires_at).where(*holds)).one_or_none()
            if row is None:
                return None
            failover = allow_failover and modem is not None
            verdict = after_failure(
                error.outcome, row.attempts, now, row.expires_at, self.policy, failover=failover
            )
            values = _failure_values(verdict, error, now)
            if verdict.state is DeliveryState.QUEUED and failover:
                values["failover_from"] = modem
            conn.execute(sa.update(t).where(*holds).values(**values))
        log.warning(
            "message %d: %s (%s, cms %s) -> %s",
            msg_id,
            error.reason,
            error.outcome.value,
            error.cms_code,
            verdict.state.value,
        )
        return verdict.state


_now = sa.bindparam("now", type_=UTCDateTime)
# Built once: building an UPDATE costs more than running it (the worker's hot path).
_MARK_SENT = (
    sa.update(t)
    .where(t.c.id == sa.bindparam("msg_id"), t.c.state != DeliveryState.SENT.value)
    .values(
        state=DeliveryState.SENT.value,
        reference=sa.bindparam("ref", type_=sa.Integer),
        modem=sa.bindparam("modem_name", type_=sa.String),
        sim=sa.bindparam("sim", type_=sa.String),
        sent_at=_now,
        finished_at=_now,
        sealed=None,
        lease_owner=None,
        lease_until=None,
    )
)


def _cleared() -> dict[str, object]:
    """Column values that end a lease and forget the number and the text."""
    return {"sealed": None, "lease_owner": None, "lease_until": None}


def _failure_values(verdict: Verdict, error: SendError, now: datetime) -> dict[str, object]:
    values: dict[str, object] = {
        "state": verdict.state.value,
        "error": error.reason[:200],
        "error_outcome": error.outcome.value,
        "cms_code": error.cms_code,
        "failover_from": None,
    }
    if verdict.state is DeliveryState.QUEUED:
        assert verdict.next_attempt_at is not None
        values.update(next_attempt_at=verdict.next_attempt_at, lease_owner=None, lease_until=None)
    else:
        values.update(finished_at=now, **_cleared())
    return values


__all__ = ["DEFAULT_LEASE", "NOTIFY_CHANNEL", "Outbox", "UnknownMessageError", "utc_now"]


def _past(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now
