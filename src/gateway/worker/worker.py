"""The gateway worker: one thread per modem, a wake-up source, and periodic housekeeping."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from types import TracebackType

import sqlalchemy as sa

from gateway.outbox import DEFAULT_RETENTION, Outbox
from gateway.worker.hooks import Alerter, Hooks
from gateway.worker.modem_slot import ModemSlot
from gateway.worker.observer import NoObserver, SendObserver
from gateway.worker.received import ReceivedHook
from gateway.worker.sender import ModemSpec
from gateway.worker.slot_config import SlotConfig
from gateway.worker.wakeup import Wakeup, start_wakeup_source

log = logging.getLogger("gateway.worker")


@dataclass(frozen=True)
class WorkerConfig:
    """:param housekeeping_interval: seconds between sweeps of expired messages.
    :param retention: final messages are purged after this long.
    :param purge_interval: seconds between purges.
    :param hooks: operator commands (``--on-stuck``, ``--on-alert``, ``--on-received``).
    :param queue_alert_after: a message queued longer than this raises an alert (a login code
        older than its lifetime is useless).
    """

    slot: SlotConfig = field(default_factory=SlotConfig)
    housekeeping_interval: float = 10.0
    retention: timedelta = DEFAULT_RETENTION
    purge_interval: float = 3600.0
    hooks: Hooks = field(default_factory=Hooks)
    queue_alert_after: timedelta = timedelta(minutes=5)


def default_worker_id() -> str:
    """Host, process and a random suffix: unique even when a pid is reused after a crash."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    """Sends the outbox's messages through ``modems``, each from its own thread.

    :param outbox: the shared outbox.
    :param modems: the modems this process owns (a serial port belongs to one process).
    :param observer: told of each send's outcome and duration (metrics).
    :param on_received: called with each SMS a modem received, once stored (e.g. to act on a
        "STOP"); runs in the modem's thread, so it must be quick.
    """

    def __init__(
        self,
        outbox: Outbox,
        modems: Sequence[ModemSpec],
        *,
        config: WorkerConfig | None = None,
        worker_id: str | None = None,
        observer: SendObserver | None = None,
        on_received: ReceivedHook | None = None,
    ) -> None:
        if not modems:
            raise ValueError("a worker needs at least one modem")
        if len({m.name for m in modems}) != len(modems):
            raise ValueError("modem names must be unique")
        self.outbox = outbox
        self.config = config or WorkerConfig()
        self.worker_id = worker_id or default_worker_id()
        self.wakeup = Wakeup()
        self._stopping = threading.Event()
        observer = observer or NoObserver()
        hooks = self.config.hooks
        self.alerter = Alerter(hooks, outbox.clock, observer.alert)
        self.slots = [
            ModemSlot(
                spec,
                outbox,
                self.wakeup,
                self._stopping,
                owner=self.worker_id,
                config=self.config.slot,
                observer=observer,
                hooks=hooks,
                alerter=self.alerter,
                on_received=on_received,
            )
            for spec in modems
        ]
        self._source: threading.Thread | None = None
        self._keeper = threading.Thread(target=self._keep_house, name="housekeeping", daemon=True)
        self._no_modem_left = False

    def start(self) -> None:
        """Start the wake-up source, every modem thread and the housekeeping thread."""
        self._source = start_wakeup_source(self.outbox, self.wakeup)
        for slot in self.slots:
            slot.start()
        self._keeper.start()
        log.info("worker %s started with %d modem(s)", self.worker_id, len(self.slots))

    def stop(self) -> None:
        """Ask every thread to stop after the message it is sending (safe from a signal handler)."""
        self._stopping.set()
        self.wakeup.close()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the threads; True once every modem thread has ended."""
        for slot in self.slots:
            slot.join(timeout)
        for thread in (self._source, self._keeper):
            if thread is not None and thread.ident is not None:
                thread.join(timeout)
        return not any(slot.is_alive() for slot in self.slots)

    def run(self) -> bool:
        """Start, wait for :meth:`stop` (or for every modem to give up), then for the threads.

        :return: False when the worker ended because no modem could be used.
        """
        self.start()
        while not self._stopping.wait(0.5):  # short waits: signal handlers run in between
            if not any(slot.is_alive() for slot in self.slots):
                log.error("no modem left that can send; stopping")
                self._no_modem_left = True
                self.stop()
        self.join()
        log.info("worker %s stopped", self.worker_id)
        return not self._no_modem_left

    def _keep_house(self) -> None:
        next_purge = 0.0
        while not self._stopping.wait(self.config.housekeeping_interval):
            next_purge = self.housekeep(next_purge)

    def housekeep(self, next_purge: float = 0.0) -> float:
        """Sweep expired messages, and purge old ones when ``next_purge`` (monotonic) is past."""
        try:
            self.outbox.expire()
            self.outbox.close_unreported(self.config.slot.reports.window)
            self._watch_queue()
            if next_purge <= time.monotonic():
                self.outbox.purge(self.config.retention)
                next_purge = time.monotonic() + self.config.purge_interval
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            log.warning("housekeeping skipped: database unavailable (%s)", type(exc).__name__)
        return next_purge

    def _watch_queue(self) -> None:
        """Alert when the oldest queued message waited longer than a code lives."""
        age = self.outbox.stats().oldest_queued_age
        if age is not None and age >= self.config.queue_alert_after:
            minutes = age.total_seconds() / 60
            self.alerter.alert("queue_stale", "", f"a message has waited {minutes:.0f} min")
        else:
            self.alerter.clear("queue_stale", "")

    def __enter__(self) -> Worker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self.join()
