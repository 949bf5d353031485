"""Test doubles shared by the extension's, the adversarial and the example app's tests."""

from __future__ import annotations

import time
from collections.abc import Callable

# The sender and the clock are the ones the package's test kit ships to hosts: one copy,
# used by every test here.
from flask_t2m2fa.testing import START as START
from flask_t2m2fa.testing import FakeClock as FakeClock
from flask_t2m2fa.testing import RecordingSender as RecordingSender
from flask_t2m2fa.testing import Sms as Sms
from gateway.outbox import OutboxKeys, new_key_text

#: The suite's outbox key (fresh each run): in-process outboxes use OUTBOX_KEYS; worker
#: processes read it from the key file that conftest.py names in T2M2FA_OUTBOX_KEY_FILE.
OUTBOX_KEY = new_key_text()
OUTBOX_KEYS = OutboxKeys.from_text(OUTBOX_KEY)


def eventually(check: Callable[[], bool], timeout: float = 30.0, interval: float = 0.01) -> None:
    """Wait until ``check()`` is true, polling every ``interval`` s; fail after ``timeout`` s.

    The timeout only bounds a failing run: a 2-core CI machine running the suite beside other
    work took more than 10 s for a worker to reopen its modem and read a full SIM storage."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(interval)
