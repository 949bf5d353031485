"""How codes leave: any object with ``send`` and ``status``; the gateway's outbox by default.

The extension hands a sender the number, the text and the moment the code expires; it keeps
only the message id the sender returns, to show a failure the gateway reports later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from gateway.message import MessageStatus

if TYPE_CHECKING:
    import sqlalchemy as sa

    from gateway.outbox import OutboxKeys


class SmsSender(Protocol):
    """What the extension needs from an SMS channel."""

    def send(self, to: str, text: str, *, expires_at: datetime, kind: str) -> str:
        """Queue or send ``text`` to the E.164 number ``to``; return a message id.

        Raise any exception when the message cannot even be queued: the user is then told
        that the code could not be sent.
        """
        ...

    def status(self, message_id: str) -> MessageStatus | None:
        """What became of a message, or None when the sender cannot tell."""
        ...


class OutboxSender:
    """Queue codes in the gateway's outbox, in the same transaction as the challenge.

    :param outbox: a :class:`gateway.outbox.Outbox`.
    :param connection: returns the connection of the current transaction (the host's
        ``db.session.connection``), so a rolled-back challenge queues nothing.
    """

    def __init__(self, outbox: Any, connection: Callable[[], sa.Connection] | None = None) -> None:
        self.outbox = outbox
        self.connection = connection

    def send(self, to: str, text: str, *, expires_at: datetime, kind: str) -> str:
        conn = self.connection() if self.connection is not None else None
        message_id = self.outbox.enqueue(
            to, text, expires_at=expires_at, kind=kind, connection=conn
        )
        return str(message_id)

    def status(self, message_id: str) -> MessageStatus | None:
        if not message_id.isdecimal():
            return None
        try:
            result: MessageStatus | None = self.outbox.status(int(message_id))
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

    def _get(self) -> Any:
        engine = self._engine()
        if self._outbox is None or self._outbox.engine is not engine:
            from gateway.outbox import Outbox

            self._outbox = Outbox(engine, keys=self._keys)
        return self._outbox

    def enqueue(self, to: str, text: str, **kwargs: Any) -> int:
        return int(self._get().enqueue(to, text, **kwargs))

    def status(self, message_id: int) -> MessageStatus:
        result: MessageStatus = self._get().status(message_id)
        return result

    def create_schema(self) -> None:
        self._get().create_schema()
