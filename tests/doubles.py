"""Test doubles shared by the extension's, the adversarial and the example app's tests."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gateway.message import DeliveryState, MessageStatus
from gateway.outbox import OutboxKeys, new_key_text

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CODE_RE = re.compile(r"\b([0-9]{4,8})\b")
#: The suite's outbox key (fresh each run): in-process outboxes use OUTBOX_KEYS; worker
#: processes read it from the key file that conftest.py names in T2M2FA_OUTBOX_KEY_FILE.
OUTBOX_KEY = new_key_text()
OUTBOX_KEYS = OutboxKeys.from_text(OUTBOX_KEY)


class FakeClock:
    """The extension's clock; tests move it by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


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
        found = CODE_RE.search(self.text)
        assert found is not None, "no code in the SMS"
        return found.group(1)


@dataclass
class RecordingSender:
    """Keeps what would have gone out; can fail at once or report a later failure.

    Thread-safe, for the parallel-request tests.
    """

    clock: Callable[[], datetime] | None = None
    messages: list[Sms] = field(default_factory=list)
    #: The next send raises, as a gateway that cannot even queue the message.
    fail_next: bool = False
    #: Message ids whose status reports a failure (as the gateway would, later).
    failed_ids: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

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
        return self.messages[-1]

    def last_to(self, number: str) -> Sms:
        sent = [m for m in self.messages if m.to == number]
        assert sent, "no SMS to that number"
        return sent[-1]


def eventually(check: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01) -> None:
    """Wait until ``check()`` is true, polling every ``interval`` s; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(interval)
