"""How codes leave: any object with ``send`` and ``status``; the gateway's outbox by default.

The extension hands a sender the number, the text and the moment the code expires; it keeps
only the message id the sender returns, to show a failure the gateway reports later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from gateway.message import MessageStatus

if TYPE_CHECKING:
    import sqlalchemy as sa

    from gateway.outbox import OutboxKeys
logger = logging.getLogger(__name__)
OUTBOX_TABLE = "t2m2fa_outbox"


class OutboxMissingError(RuntimeError):
    """The outbox table does not exist in the app's database."""


class SmsSender(Protocol):
    """What the extension needs from an SMS channel."""

    def send(self, to: str, text: str, *, expires_at: datetime, kind: str) -> str:
        """Queue or send ``text`` to the E.164 number ``to``; return a message id.

        Raise any exception when the message cannot even be queued: the user is then told
        that the code could not be sent. A sender that writes in the login's transaction and
        may fail after writing runs in a savepoint (see :func:`needs_savepoint`).
        """
        ...

    def status(self, message_id: str) -> MessageStatus | None:
        """What became of a message, or None when the sender cannot tell."""
        ...


def needs_savepoint(sender: object) -> bool:
    """Must a send by ``sender`` run in a savepoint, so that its failure leaves the transaction
    usable (on PostgreSQL)? Yes, unless the sender says ``needs_savepoint = False``."""
    return bool(getattr(sender, "needs_savepoint", True))


class OutboxSender:
    """Queue codes in the gateway's outbox, in the same transaction as the challenge.

    :param outbox: a :class:`gateway.outbox.Outbox`.
    :param connection: returns the connection of the current transaction (the host's
        ``db.session.connection``), so a rolled-back challenge queues nothing.
    """

    #: Its send fails before writing anything (a bad number, no outbox table, no key: all
    #: checked before the insert), or on a database fault that ends the transaction whatever
    #: a savepoint would do. The two statements of a savepoint buy nothing here.
    needs_savepoint = False

    def __init__(self, outbox: Any, connection: Callable[[], sa.Connection] | None = None) -> None:
        self.outbox = outbox
        self.connection = connection

    def send(self, to: str, text: str, *, expires_at: datetime, kind: str) -> str:
        try:
            conn = self.connection() if self.connection is not None else None
            message_id = self.outbox.enqueue(
                to, text, expires_at=expires_at, kind=kind, connection=conn
            )
        except OutboxMissingError:
            raise  # already logged with what to do
        except Exception as exc:
            # The user only reads "could not send": the operator needs the cause.
            logger.warning("t2m2fa: could not queue the SMS in the outbox: %s", _cause(exc))
            raise
        return str(message_id)

    def status(self, message_id: str) -> MessageStatus | None:
        if not message_id.isdecimal():
            return None
        conn = self.connection() if self.connection is not None else None
        try:
            result: MessageStatus | None = self.outbox.status(int(message_id), connection=conn)
        except LookupError:  # purged after its retention
            return None
        return result


class DatabaseOutbox:
    """The gateway outbox on the host's database engine, created on first use.

    The engine is only known inside an app context, hence the lazy creation.

    :param keys: seal each message's destination and text (see ``outbox_keys.py``).
    """

    def __init__(self, engine: Callable[[], sa.Engine], keys: OutboxKeys | None = None) -> None:
        self._engine = engine
        self._keys = keys
        self._outbox: Any = None

    def _get(self, *, check: bool = True, connection: sa.Connection | None = None) -> Any:
        engine = self._engine()
        if self._outbox is None or self._outbox.engine is not engine:
            from gateway.outbox import Outbox

            if check:
                _require_table(connection if connection is not None else engine)
            self._outbox = Outbox(engine, keys=self._keys)
        return self._outbox

    def enqueue(self, to: str, text: str, **kwargs: Any) -> int:
        return int(self._get(connection=kwargs.get("connection")).enqueue(to, text, **kwargs))

    def status(self, message_id: int, *, connection: sa.Connection | None = None) -> MessageStatus:
        outbox = self._get(connection=connection)
        result: MessageStatus = outbox.status(message_id, connection=connection)
        return result

    def create_schema(self) -> None:
        self._get(check=False).create_schema()


def _require_table(bind: sa.Engine | sa.Connection) -> None:
    """Fail loudly, before the first insert, when nobody created the outbox table.

    Checked before the insert because on PostgreSQL a failed insert would abort the whole
    login transaction; checked again until it exists, so creating it needs no restart. Checked
    on the request's own connection when there is one (one pooled connection per request).
    """
    import sqlalchemy as sa

    if not sa.inspect(bind).has_table(OUTBOX_TABLE):
        logger.warning(
            "t2m2fa: table %s is missing, no login code can be sent; create it with "
            "db.create_all(), 'flask t2m2fa init-db' or 'flask db upgrade'",
            OUTBOX_TABLE,
        )
        raise OutboxMissingError(f"table {OUTBOX_TABLE} does not exist")


def _cause(exc: Exception) -> str:
    """The exception's class and first line, without SQL parameters (they hold the number)."""
    orig = getattr(exc, "orig", None)
    detail = str(orig if orig is not None else exc).strip().splitlines()
    return f"{type(exc).__name__}: {detail[0] if detail else ''}"
