"""One modem, one thread: claim a message, send it, record the outcome, again.

Only this thread ever talks to its modem, so AT exchanges never interleave. A modem that fails
is closed and reopened with back-off; one that keeps failing rests for a while (cool-down); one
over a per-SIM cap waits. Meanwhile the other modems' threads keep sending.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from gateway.errors import GatewayError, Outcome
from gateway.outbox import ClaimedMessage, Outbox, mask_number
from gateway.worker.cooldown import FailureStreak, blames_modem, reopen_delay
from gateway.worker.dbretry import DatabaseUnavailableError, grace_after, retry_db
from gateway.worker.hooks import Alerter, Hooks
from gateway.worker.observer import SENT, NoObserver, SendObserver
from gateway.worker.outcomes import NEEDS_OPERATOR, classify_send_exception
from gateway.worker.received import ReceivedHook, SlotReceived
from gateway.worker.reports import SlotReports
from gateway.worker.sender import ModemSpec, Sender
from gateway.worker.sim_tracking import SimTracker
from gateway.worker.slot_config import SlotConfig
from gateway.worker.slot_report import SlotReporter
from gateway.worker.wakeup import Wakeup
from gateway.worker.watch import ModemWatch

log = logging.getLogger("gateway.worker")

T = TypeVar("T")


class ModemSlot:
    """The thread that owns one modem. Start it with :meth:`start`; it stops with ``stopping``."""

    def __init__(
        self,
        spec: ModemSpec,
        outbox: Outbox,
        wakeup: Wakeup,
        stopping: threading.Event,
        *,
        owner: str,
        config: SlotConfig,
        observer: SendObserver | None = None,
        hooks: Hooks | None = None,
        alerter: Alerter | None = None,
        on_received: ReceivedHook | None = None,
    ) -> None:
        self.name = spec.name
        self._factory = spec.factory
        self._outbox = outbox
        self._wakeup = wakeup
        self._stopping = stopping
        self._owner = owner
        self._config = config
        self._sender: Sender | None = None
        self._needs_check = False
        self._needs_operator = False
        self._streak = FailureStreak(config.cooldown)
        self._observer: SendObserver = observer or NoObserver()
        self.report = SlotReporter(spec.name, owner, outbox)
        self.sim = SimTracker(spec.name, outbox, self.report)
        self._reports = SlotReports(
            spec.name, outbox, config.reports, observe=self._observer.delivery_report
        )
        self.received = SlotReceived(
            spec.name, outbox, on_received, observe=self._observer.message_received
        )
        hooks = hooks or Hooks()
        self.watch = ModemWatch(
            spec.name,
            spec.port,
            policy=config.stuck,
            hooks=hooks,
            alerter=alerter or Alerter(hooks, outbox.clock, self._observer.alert),
            no_registration_for=config.no_registration_for,
            observe_stuck=self._observer.modem_stuck,
        )
        self.sent = 0
        self._thread = threading.Thread(target=self._run, name=f"modem {spec.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    # -- the loop ---------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping.is_set() and not self._needs_operator:
                self._step()
        except DatabaseUnavailableError:
            log.warning("%s: stopping while the database is unavailable", self.name)
        finally:
            self._close()
            self.report.set("stopped", self.report.detail if self._needs_operator else None)

    def _step(self) -> None:
        if self.watch.check(self._outbox.clock()):
            self._drop_sender("stuck; opened afresh")
        try:
            if self._sender is None:
                self._open()
            elif self._needs_check:
                self._check_health()
            else:
                self._claim_and_send()
        except DatabaseUnavailableError:
            raise
        except Exception:  # a bug must not silence the modem: log, reopen, carry on
            log.exception("%s: unexpected error; reopening the modem", self.name)
            self._drop_sender("unexpected error")
            self._stopping.wait(self._config.cooldown.reopen_base.total_seconds())

    def _claim_and_send(self) -> None:
        assert self._sender is not None
        if not self._reports.collect(self._sender, self._db):
            self._drop_sender("reading status reports failed")
            return
        if not self.received.collect(self._sender, self._db):
            self._drop_sender("reading received SMS failed")
            return
        now = self._outbox.clock()
        if self._streak.resting(now):
            assert self._streak.resting_until is not None
            self.report.set(
                "cooldown", f"failing; resting until {_hms(self._streak.resting_until)}"
            )
            self._wait_until(self._streak.resting_until)
            return
        limits = self.sim.check(self._config.caps, now)
        if limits.blocked_until is not None:
            self.report.set(
                "capped", f"{limits.reason} reached; waits until {_hms(limits.blocked_until)}"
            )
            self._wait_until(limits.blocked_until)
            return
        generation = self._wakeup.generation
        claimed = self._db(
            lambda: self._outbox.claim(
                self._owner, self.name, lease=self._config.lease, recipients=limits.only_to
            ),
            "claiming a message",
        )
        if claimed:
            self._deliver(claimed[0])
        else:
            self.report.set("capped" if limits.reason else "ready", _cap_detail(limits.reason))
            self._idle(generation)

    # -- sending ----------------------------------------------------------------------------

    def _deliver(self, message: ClaimedMessage) -> None:
        now = self._outbox.clock()
        validity = None if message.expires_at is None else message.expires_at - now
        if self._stopping.is_set() or (validity is not None and validity <= timedelta(0)):
            # Never started: give it back (an expired one is then swept as expired).
            self._mark(lambda: self._outbox.release(message.id, self.name), "releasing")
            return
        assert self._sender is not None
        self.report.set("sending")
        log.debug(
            "%s: sending message %d to %s", self.name, message.id, mask_number(message.destination)
        )
        started = time.monotonic()
        try:
            reference = self._reports.send(self._sender, message, validity)
        except Exception as exc:
            outcome = self._send_failed(message, exc)
        else:
            self._sent(message, reference)
            outcome = SENT
        self._observer.send_finished(self.name, outcome, time.monotonic() - started)
        self.report.set("ready")

    def _sent(self, message: ClaimedMessage, reference: int) -> None:
        now = self._outbox.clock()
        sim = self.sim.key
        report_for = self._reports.report_for(self._sender, message)
        self._mark(
            lambda: self._outbox.mark_sent(
                message.id, reference, self.name, sim=sim, report_for=report_for
            ),
            "recording a send",
        )
        self.sim.record(now, message.recipient_key)
        self._streak.success()
        self.watch.stuck.sent()
        self.sent += 1

    def _send_failed(self, message: ClaimedMessage, exc: Exception) -> str:
        failure = classify_send_exception(exc)
        error = failure.error
        if not isinstance(exc, GatewayError):
            log.error("%s: bug while sending message %d", self.name, message.id, exc_info=exc)
        self._mark(
            lambda: self._outbox.mark_failed(
                message.id, error, modem=self.name, allow_failover=not message.failover
            ),
            "recording a failed send",
        )
        self.report.error(error.reason)
        self.watch.stuck.waiting(self._outbox.clock())
        if failure.modem_broken:
            self._drop_sender(error.reason)
        elif error.outcome is Outcome.UNKNOWN:
            self._needs_check = True  # make sure the modem answers before the next message
        if blames_modem(error):
            rest_until = self._streak.failure(self._outbox.clock())
            if rest_until is not None:
                log.warning("%s: failing repeatedly; set aside until %s", self.name, rest_until)
        self._wakeup.notify()  # another modem may take the message over at once
        return error.outcome.value

    # -- the modem --------------------------------------------------------------------------

    def _open(self) -> None:
        self.report.set("opening", self.report.detail if self.watch.stuck.open_failures else None)
        sender = self._factory()
        try:
            sender.open()
        except NEEDS_OPERATOR as exc:
            log.error("%s: %s; not retrying (needs an operator)", self.name, type(exc).__name__)
            self.report.set("stopped", f"{type(exc).__name__}: needs an operator")
            self.watch.needs_operator(type(exc).__name__)
            self._needs_operator = True
            _close_quietly(sender)
            return
        except Exception as exc:
            self._open_failed(sender, exc)
            return
        self._sender = sender
        self.watch.stuck.opened()
        log.info("%s: modem open", self.name)
        self._db(lambda: self._outbox.recover_modem(self.name, self._owner), "recovering")
        self.sim.opened(sender, lambda fn: self._db(fn, "reading the SIM's usage"))
        self._check_health()

    def _open_failed(self, sender: Sender, exc: Exception) -> None:
        _close_quietly(sender)
        self.watch.stuck.open_failed()
        failures = self.watch.stuck.open_failures
        delay = reopen_delay(failures, self._config.cooldown).total_seconds()
        reason = f"{type(exc).__name__}; retrying in {delay:g} s"
        if failures == 1:
            log.warning("%s: cannot open the modem: %s", self.name, reason)
        self.report.set("opening", reason)
        self._stopping.wait(delay)

    def _check_health(self) -> None:
        assert self._sender is not None
        try:
            health = self._sender.health()
        except Exception as exc:
            self._drop_sender(f"health check failed ({type(exc).__name__})")
            return
        self._needs_check = False
        self.report.health(health)
        self.watch.health(health, self._outbox.clock())
        self.report.set("ready")

    def _drop_sender(self, reason: str) -> None:
        if self._sender is not None:
            log.warning("%s: closing the modem: %s", self.name, reason)
        self._close()
        self.report.set("opening", reason)

    def _close(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None:
            _close_quietly(sender)

    # -- waiting and the database -----------------------------------------------------------

    def _idle(self, generation: int) -> None:
        timeout = self._config.idle_poll
        due = self._db(self._outbox.next_due, "looking for retries")
        if due is None:
            self.watch.stuck.idle()  # nothing waits: this modem cannot be late
        now = self._outbox.clock()
        if due is not None and due > now:
            timeout = min(timeout, (due - now).total_seconds())
        if not self._wakeup.wait(generation, timeout) and self.report.heartbeat_due(
            self._config.heartbeat
        ):
            self._check_health()

    def _wait_until(self, moment: datetime) -> None:
        seconds = (moment - self._outbox.clock()).total_seconds()
        self._stopping.wait(min(max(seconds, 0.0), self._config.heartbeat))

    def _db(self, fn: Callable[[], T], what: str) -> T:
        return retry_db(fn, what=what, give_up=self._stopping.is_set)

    def _mark(self, fn: Callable[[], object], what: str) -> None:
        """Record an outcome; keep trying a while after a stop: the send did happen."""
        retry_db(fn, what=what, give_up=grace_after(self._stopping, self._config.mark_grace))


def _close_quietly(sender: Sender) -> None:
    try:
        sender.close()
    except Exception:
        log.debug("error while closing a modem", exc_info=True)


def _hms(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S UTC")


def _cap_detail(reason: str | None) -> str | None:
    return None if reason is None else f"{reason} reached; only earlier recipients"
