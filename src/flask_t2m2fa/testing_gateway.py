"""End-to-end kit: a loopback GSM modem on a pseudo-terminal and a gateway worker sending to it.

The ``t2m2fa_loopback`` fixture of :mod:`flask_t2m2fa.testing`. The app queues codes in the
outbox of its own database (the default sender); :meth:`Loopback.start_worker` runs the real
worker, with the real modem driver, on that database; the SMS arrive in the loopback modem's
inbox, where :meth:`Loopback.wait_for_code` reads them as the user's phone would::

    def test_code_goes_through_the_gateway(app, t2m2fa_loopback):
        t2m2fa_loopback.start_worker(app.config["SQLALCHEMY_DATABASE_URI"],
                                     keys=outbox_keys(app.config))
        client.post("/login", data=...)
        code = t2m2fa_loopback.wait_for_code("+32470123456")
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

from gateway.fake import DeliveredMessage, FakeModem, Faults
from gateway.modem import Modem
from gateway.outbox import Outbox, OutboxKeys
from gateway.worker import ModemSpec, SlotConfig, Worker, WorkerConfig

#: Seconds to wait for an SMS: the worker sends in its own threads.
SMS_TIMEOUT = 30.0
#: Seconds to wait for the worker's threads on stop.
STOP_TIMEOUT = 10.0
_CODE = re.compile(r"\b([0-9]{4,8})\b")
_CODE_IN_TEXT = re.compile(r"\bcode is ([0-9]{4,8})\b")


class Loopback:
    """One loopback modem (its inbox in ``state_dir``) and, once started, one worker thread."""

    def __init__(self, state_dir: Path) -> None:
        self.modem = FakeModem(state_dir, Faults(status_reports=True), name="kit")
        self.worker: Worker | None = None

    @property
    def device(self) -> str:
        """The pty of the modem (``/dev/pts/N``), for a worker started another way."""
        return self.modem.device

    def start(self) -> None:
        self.modem.start()

    def start_worker(self, database_url: str, *, keys: OutboxKeys) -> Worker:
        """Send the outbox of ``database_url`` (sealed with ``keys``) through the modem."""
        if self.worker is not None:
            raise RuntimeError("the worker is already running")
        outbox = Outbox(database_url, keys=keys)
        outbox.create_schema()
        spec = ModemSpec("kit", lambda: Modem(self.modem.device))
        slot = SlotConfig(lease=timedelta(seconds=30), idle_poll=0.2)
        self.worker = Worker(outbox, [spec], config=WorkerConfig(slot=slot))
        self.worker.start()
        return self.worker

    def messages(self) -> list[DeliveredMessage]:
        """Every SMS the modem delivered, oldest first."""
        return self.modem.inbox.messages()

    def wait_for_sms(self, to: str, *, count: int = 1, timeout: float = SMS_TIMEOUT) -> str:
        """The text of the ``count``-th SMS delivered to ``to`` (E.164), waiting for it."""
        inbox = self.modem.inbox
        deadline = time.monotonic() + timeout
        while True:
            delivered = inbox.messages()
            sent = [m for m in delivered if m.to == to]
            if len(sent) >= count:
                return sent[count - 1].text
            try:  # the inbox's own wait: until one more message, to anyone, arrives
                inbox.wait_for(len(delivered) + 1, max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                missing = f"no SMS number {count} to that number in {timeout} s"
                raise AssertionError(missing) from None

    def wait_for_code(self, to: str, *, count: int = 1, timeout: float = SMS_TIMEOUT) -> str:
        """The code in the ``count``-th SMS delivered to ``to``."""
        text = self.wait_for_sms(to, count=count, timeout=timeout)
        found = _CODE_IN_TEXT.search(text) or _CODE.search(text)
        if found is None:
            raise AssertionError("no code in the SMS")
        return found.group(1)

    def stop(self) -> None:
        """Stop the worker (after the SMS it is sending), then the modem."""
        if self.worker is not None:
            self.worker.stop()
            self.worker.join(STOP_TIMEOUT)
            self.worker.outbox.engine.dispose()
            self.worker = None
        self.modem.stop()
