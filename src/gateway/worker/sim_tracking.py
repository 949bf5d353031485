"""Which SIM a modem holds, and that SIM's sends of the last day: the per-SIM caps' input.

The counts follow the SIM, not the serial port: after each (re)open the SIM is identified, and
when it is another SIM than before, its sends of the last day are read back from the outbox,
whichever port sent them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from gateway.errors import GatewayError
from gateway.outbox import Outbox
from gateway.sim_identity import SimIdentity
from gateway.worker.caps import DAY, CapState, SimCaps, SimUsage, cap_state
from gateway.worker.sender import Sender
from gateway.worker.slot_report import SlotReporter

log = logging.getLogger("gateway.worker")

#: ``(sent_at, recipient_key)`` of each send.
Sends = list[tuple[datetime, str]]


@runtime_checkable
class IdentifiesSim(Protocol):
    """A :class:`Sender` that can say which SIM it holds (``gateway.modem.Modem`` can)."""

    def sim_identity(self) -> SimIdentity: ...


@dataclass(frozen=True)
class CapUse:
    """What the SIM used of each cap at the last check (for metrics)."""

    per_minute: int = 0
    per_day: int = 0
    recipients_per_day: int = 0


class SimTracker:
    """The SIM of one modem thread and its usage; only that thread calls the methods."""

    def __init__(self, modem: str, outbox: Outbox, report: SlotReporter) -> None:
        self._modem = modem
        self._outbox = outbox
        self._report = report
        self._loaded = False
        self.key: str | None = None
        self.usage = SimUsage()
        #: Replaced whole at each check, so another thread may read it at any time.
        self.use = CapUse()

    def opened(self, sender: Sender, db: Callable[[Callable[[], Sends]], Sends]) -> None:
        """Identify the SIM of a freshly opened ``sender``; reload the usage if it changed.

        :param db: runs a database call with the modem thread's retries.
        """
        identity = identify(sender, self._modem)
        self._report.identify(identity)
        if self._loaded and identity.key == self.key:
            return
        since = self._outbox.clock() - DAY
        sends = db(lambda: self._outbox.sent_since(self._modem, since, sim=identity.key))
        self.usage, self.key, self._loaded = SimUsage(sends), identity.key, True

    def check(self, caps: SimCaps, now: datetime) -> CapState:
        """The caps as of ``now`` (see :func:`.caps.cap_state`)."""
        state = cap_state(caps, self.usage, now)
        usage = self.usage
        self.use = CapUse(len(usage.minute), len(usage.day), len(usage.recipients))
        return state

    def record(self, sent_at: datetime, recipient_key: str) -> None:
        self.usage.record(sent_at, recipient_key)


def identify(sender: Sender, modem: str) -> SimIdentity:
    """The SIM in ``sender``, or an empty identity when it cannot say."""
    if not isinstance(sender, IdentifiesSim):
        return SimIdentity()
    try:
        return sender.sim_identity()
    except GatewayError as exc:
        log.warning("%s: cannot read the SIM's identity (%s)", modem, type(exc).__name__)
        return SimIdentity()
