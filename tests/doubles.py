"""Test doubles shared by the extension's, the adversarial and the example app's tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

# The recording sender is the one the package ships to hosts: one copy, tested by every test.
from flask_t2m2fa.testing import RecordingSender as RecordingSender
from flask_t2m2fa.testing import Sms as Sms
from gateway.outbox import OutboxKeys, new_key_text

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
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


def eventually(check: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01) -> None:
    """Wait until ``check()`` is true, polling every ``interval`` s; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(interval)
