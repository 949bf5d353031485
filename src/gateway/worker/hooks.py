"""Operator commands the worker runs: ``--on-stuck``, ``--on-alert``, ``--on-received``.

A command is one shell line (``/bin/sh -c``), as smstools3's ``eventhandler`` or Gammu's
``RunOnFailure``: the operator writes it in the service's configuration, never a user. What it
needs comes in ``T2M2FA_*`` environment variables (never a full phone number, never a code);
its run is logged (with the first line of its error output when it fails, or a time-out), and
neither a failure nor a time-out stops the worker.
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

#: What the operator's hook commands find in their environment (``--on-received``,
#: ``--on-alert``, ``--on-stuck``): written by the gateway, never read as configuration.
HOOK_ENVIRONMENT = frozenset(
    {
        "T2M2FA_RECEIVED_ID", "T2M2FA_MODEM", "T2M2FA_SENDER_MASKED", "T2M2FA_SENDER_DIGEST",
        "T2M2FA_ALERT", "T2M2FA_ALERT_DETAIL", "T2M2FA_MODEM_PORT", "T2M2FA_STUCK_REASON",
    }
)  # fmt: skip

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
    command: str, env: Mapping[str, str], *, what: str, timeout: float, stdin: str | None = None
) -> bool:
    """Run ``command`` with ``env`` added to the worker's environment; True when it exits 0.

    :param what: names the hook in the log (``on-stuck fake1``...).
    """
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
        log.error("%s: still running after %g s; killed", what, timeout)
        return False
    except OSError as exc:
        log.error("%s: cannot run it (%s)", what, exc)
        return False
    if done.returncode != 0:
        # Only its error output, whose first line says why; what it prints is not logged (an
        # on-received command may echo the text it was given).
        errors = (done.stderr or "").strip().splitlines()
        first = errors[0][:200] if errors else ""
        log.error("%s: exit status %d %s", what, done.returncode, first)
        return False
    log.info("%s: done", what)
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
        what = f"on-received {message.id}"
        run_command(command, env, what=what, timeout=timeout, stdin=message.text or "")

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
            what = f"on-alert {condition}"
            run_command(self._hooks.on_alert, env, what=what, timeout=self._hooks.timeout)
        return True

    def clear(self, condition: str, modem: str) -> None:
        """The condition is over: the next one pages again at once."""
        with self._lock:
            self._last.pop((condition, modem), None)
