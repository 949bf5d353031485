"""Received SMS in a modem thread: read between sends, kept in the outbox, handed to a hook.

Only the thread that owns the modem reads its port, so received messages are taken by that
thread between two sends, like status reports (:mod:`gateway.worker.reports`). A host acts on
replies such as "STOP" through ``on_received`` (a callable) or ``--on-received COMMAND``; that
is the host's business, not part of the login flow.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from gateway.errors import GatewayError
from gateway.incoming import ReceivedSms, StorageUse
from gateway.outbox import Outbox, ReceivedMessage
from gateway.worker.sender import Sender

log = logging.getLogger("gateway.worker")

#: Called with each received SMS once it is stored (from the modem's thread: be quick).
ReceivedHook = Callable[[ReceivedMessage], None]
Db = Callable[[Callable[[], ReceivedMessage], str], ReceivedMessage]


@runtime_checkable
class ReceivingSender(Protocol):
    """A :class:`~gateway.worker.sender.Sender` that reads incoming SMS (``Modem`` does)."""

    def take_received(self) -> list[ReceivedSms]: ...

    @property
    def storage(self) -> StorageUse | None: ...


class SlotReceived:
    """One modem thread's side of incoming SMS; :attr:`storage` is its SIM's as last read."""

    def __init__(
        self,
        modem: str,
        outbox: Outbox,
        hook: ReceivedHook | None = None,
        observe: Callable[[str], None] = lambda _modem: None,
    ) -> None:
        self._modem = modem
        self._outbox = outbox
        self._hook = hook
        self._observe = observe
        self.storage: StorageUse | None = None

    def collect(self, sender: Sender, db: Db) -> bool:
        """Take what the modem received, store each message, call the hook.

        :param db: runs a database call with the slot's retries.
        :return: False when the modem failed while being read (the slot reopens it).
        """
        if not isinstance(sender, ReceivingSender):
            return True
        try:
            messages = sender.take_received()
        except GatewayError as exc:
            log.warning("%s: reading received SMS failed: %s", self._modem, exc)
            return False
        self.storage = sender.storage
        for sms in messages:
            row = db(functools.partial(self._store, sms), "recording a received SMS")
            self._observe(self._modem)
            if self._hook is not None:
                try:
                    self._hook(row)
                except Exception:  # the host's hook must not stop the modem
                    log.exception("%s: the on_received hook failed", self._modem)
        return True

    def _store(self, sms: ReceivedSms) -> ReceivedMessage:
        return self._outbox.record_received(
            self._modem, sms.sender, sms.text, sent_at=sms.sent_at, segments=sms.segments
        )
