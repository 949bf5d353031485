"""Operator commands the worker runs: ``--on-stuck``, ``--on-alert``, ``--on-received``.

A command is one shell line (``/bin/sh -c``), as smstools3's ``eventhandler`` or Gammu's
``RunOnFailure``: the operator writes it in the service's configuration, never a user. What it
needs comes in ``T2M2FA_*`` environment variables (never a full phone number, never a code);
its output is logged (first line), a failure or a time-out too, and neither stops the worker.
:class:`Alerter` pages at most once per window for each condition and modem.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.outbox import ReceivedMessage

log = logging.getLogger("gateway.worker")

#: Conditions ``--on-alert`` is run for (``T2M2FA_ALERT``).
ALERT_CONDITIONS = ("modem_stuck", "sim_locked", "no_registration", "queue_stale")


@dataclass(frozen=True)
class Hooks:
    """:param on_stuck: run when a modem is stuck (power cycle, GPIO reset...).
    :param on_alert: run to page someone (see :data:`ALERT_CONDITIONS`).
    :param timeout: seconds a command may take before it is killed.
    :param window: a command runs at most once per window for one modem and condition.
    """

    on_stuck: str | None = None
    on_alert: str | None = None
    timeout: float = 60.0
    window: timedelta = timedelta(minutes=10)


def run_command(
    command: str, env: Mapping[str, str], *, timeout: float, stdin: str | None = None
) -> bool:
    """Run ``command`` with ``env`` added to the worker's environment; True when it exits 0."""
    what = next(iter(env.values()), "")
    try:
        done = subprocess.run(  # noqa: S603 - the operator's own command line, as documented
            ["/bin/sh", "-c", command],
            env={**os.environ, **env},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        log.error("hook for %s: still running after %g s; killed", what, timeout)
        return False
    except OSError as exc:
        log.error("hook for %s: cannot run it (%s)", what, exc)
        return False
    output = (done.stdout or done.stderr or "").strip().splitlines()
    first = output[0][:200] if output else ""
    if done.returncode != 0:
        log.error("hook for %s: exit status %d %s", what, done.returncode, first)
        return False
    log.info("hook for %s: done %s", what, first)
    return True


def received_command(command: str, timeout: float) -> Callable[[ReceivedMessage], None]:
    """An ``on_received`` hook that runs ``command`` for each SMS: its text on standard input,
    ``T2M2FA_RECEIVED_ID``, ``T2M2FA_MODEM``, ``T2M2FA_SENDER_MASKED`` and
    ``T2M2FA_SENDER_DIGEST`` (see :meth:`gateway.outbox.Outbox.sender_digest`) in the
    environment. The full number is not given: the host matches the digest."""

    def hook(message: ReceivedMessage) -> None:
        env = {
            "T2M2FA_RECEIVED_ID": str(message.id),
            "T2M2FA_MODEM": message.modem,
            "T2M2FA_SENDER_MASKED": message.sender_masked,
            "T2M2FA_SENDER_DIGEST": message.sender_digest,
        }
        run_command(command, env, timeout=timeout, stdin=message.text or "")

    return hook


class Alerter:
    """Runs ``--on-alert`` at most once per window for each (condition, modem); thread-safe.

    :param observe: told each alert raised (condition), run or not, e.g. for metrics.
    """

    def __init__(
        self, hooks: Hooks, clock: Callable[[], datetime], observe: Callable[[str], None]
    ) -> None:
        self._hooks = hooks
        self._clock = clock
        self._observe = observe
        self._last: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def alert(self, condition: str, modem: str, detail: str) -> bool:
        """Raise an alert; return whether it was new in its window (and the command ran)."""
        now = self._clock()
        with self._lock:
            last = self._last.get((condition, modem))
            if last is not None and now - last < self._hooks.window:
                return False
            self._last[(condition, modem)] = now
        log.error("ALERT %s on %s: %s", condition, modem or "the outbox", detail)
        self._observe(condition)
        if self._hooks.on_alert:
            env = {"T2M2FA_ALERT": condition, "T2M2FA_MODEM": modem, "T2M2FA_ALERT_DETAIL": detail}
            run_command(self._hooks.on_alert, env, timeout=self._hooks.timeout)
        return True

    def clear(self, condition: str, modem: str) -> None:
        """The condition is over: the next one pages again at once."""
        with self._lock:
            self._last.pop((condition, modem), None)
