"""Test helpers for hosts: a sender that keeps the SMS instead of sending them.

Usage in a host's tests::

    from flask_t2m2fa.testing import RecordingSender

    sms = RecordingSender()
    two_factor.init_app(app, db=db, ..., sender=sms)
    client.post("/login", data={"email": "ann@example.com", "password": "..."})
    client.post("/t2m2fa/code", data={"code": sms.last_code_for("+32470123456")})
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from gateway.message import DeliveryState, MessageStatus

#: The code in the extension's SMS text (``"<app>: your login code is 1234. ..."``).
_CODE_IN_TEXT = re.compile(r"\bcode is ([0-9]{4,8})\b")
_ANY_CODE = re.compile(r"\b([0-9]{4,8})\b")
_PUNCTUATION = re.compile(r"[\s().-]")


@dataclass(frozen=True)
class Sms:
    """One SMS handed to the sender; ``at`` is the sender clock's time, when it has one."""

    to: str
    text: str
    expires_at: datetime
    kind: str
    at: datetime | None = None

    @property
    def code(self) -> str:
        """The code in the text (the app name may hold digits: the phrase is looked for first)."""
        found = _CODE_IN_TEXT.search(self.text) or _ANY_CODE.search(self.text)
        if found is None:
            raise AssertionError("no code in the SMS")
        return found.group(1)


@dataclass
class RecordingSender:
    """Keeps what would have gone out; can fail at once or report a later failure.

    Thread-safe, for tests that send requests in parallel. Its helpers raise
    ``AssertionError`` (a test failure) when the SMS looked for was not sent.

    :param clock: stamps each SMS with this clock's time (``Sms.at``).
    """

    clock: Callable[[], datetime] | None = None
    messages: list[Sms] = field(default_factory=list)
    #: The next send raises, as a gateway that cannot even queue the message.
    fail_next: bool = False
    #: Message ids whose status reports a failure (as the gateway would, later).
    failed_ids: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, to: str, text: str, *, expires_at: datetime, kind: str) -> str:
        with self._lock:
            if self.fail_next:
                self.fail_next = False
                raise ConnectionError("gateway unreachable")
            at = self.clock() if self.clock is not None else None
            self.messages.append(Sms(to, text, expires_at, kind, at))
            return str(len(self.messages))

    def status(self, message_id: str) -> MessageStatus | None:
        state = DeliveryState.FAILED if message_id in self.failed_ids else DeliveryState.QUEUED
        return MessageStatus(id=int(message_id), state=state)

    @property
    def last(self) -> Sms:
        """The latest SMS, to any number."""
        if not self.messages:
            raise AssertionError("no SMS was sent")
        return self.messages[-1]

    def last_to(self, number: str) -> Sms:
        """The latest SMS to ``number`` (E.164; spaces, dots, dashes and brackets are ignored)."""
        wanted = _PUNCTUATION.sub("", number)
        sent = [m for m in self.messages if m.to == wanted]
        if not sent:
            raise AssertionError("no SMS to that number")
        return sent[-1]

    def last_code_for(self, number: str) -> str:
        """The code of the latest SMS to ``number``."""
        return self.last_to(number).code

    def clear(self) -> None:
        """Forget every SMS kept so far."""
        with self._lock:
            self.messages.clear()
