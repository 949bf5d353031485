"""Watching one modem for what needs a person or a power cycle: the ``--on-stuck`` command and
the ``--on-alert`` conditions of a modem (stuck, SIM locked, no registration for too long)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from gateway.worker.hooks import Alerter, Hooks, run_command
from gateway.worker.sender import Health
from gateway.worker.stuck import StuckPolicy, StuckWatch

log = logging.getLogger("gateway.worker")


class ModemWatch:
    """The signs one modem thread reports, and the commands they trigger.

    :param port: the modem's device or URL, for the command's environment.
    :param no_registration_for: how long a modem may stay unregistered before an alert.
    :param observe_stuck: told each time the stuck command runs (the modem's name).
    """

    def __init__(
        self,
        modem: str,
        port: str,
        *,
        policy: StuckPolicy,
        hooks: Hooks,
        alerter: Alerter,
        no_registration_for: timedelta,
        observe_stuck: Callable[[str], None] = lambda _modem: None,
    ) -> None:
        self.modem = modem
        self.port = port
        self.stuck = StuckWatch(policy)
        self._hooks = hooks
        self._alerter = alerter
        self._no_registration_for = no_registration_for
        self._observe_stuck = observe_stuck
        self._unregistered_since: datetime | None = None

    def check(self, now: datetime) -> bool:
        """Run the stuck command if the modem is stuck and the window allows it.

        :return: True when it ran: the caller closes the modem and opens it afresh.
        """
        reason = self.stuck.reason(now)
        if reason is None or not self.stuck.due(now):
            return False
        log.error("%s: the modem is stuck (%s)", self.modem, reason)
        self._observe_stuck(self.modem)
        if self._hooks.on_stuck:
            env = {
                "T2M2FA_MODEM": self.modem,
                "T2M2FA_MODEM_PORT": self.port,
                "T2M2FA_STUCK_REASON": reason,
            }
            what = f"on-stuck {self.modem}"
            run_command(self._hooks.on_stuck, env, what=what, timeout=self._hooks.timeout)
        self._alerter.alert("modem_stuck", self.modem, reason)
        return True

    def needs_operator(self, error: str) -> None:
        """The SIM wants a PIN or PUK the worker must not guess."""
        self._alerter.alert("sim_locked", self.modem, error)

    def health(self, health: Health, now: datetime) -> None:
        """Alert when the modem stays unregistered longer than allowed."""
        registered = getattr(health, "registered", True)
        if registered:
            self._unregistered_since = None
            self._alerter.clear("no_registration", self.modem)
            return
        if self._unregistered_since is None:
            self._unregistered_since = now
        elif now - self._unregistered_since >= self._no_registration_for:
            since = self._unregistered_since.strftime("%H:%M:%S UTC")
            registration = getattr(health, "registration", "not registered")
            self._alerter.alert("no_registration", self.modem, f"{registration} since {since}")
