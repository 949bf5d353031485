"""A modem thread's state, as ``t2m2fa-gateway status`` shows it (written to the database)."""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa

from gateway.outbox import ModemReport, Outbox
from gateway.sim_identity import SimIdentity
from gateway.worker.sender import Health

log = logging.getLogger("gateway.worker")


class SlotReporter:
    """Keeps one modem's state and writes it to the outbox database when it changes.

    Writing is best effort: a database outage must never stop a modem from sending.
    """

    def __init__(self, name: str, worker: str, outbox: Outbox) -> None:
        self.name = name
        self.worker = worker
        self.state = "starting"
        self.detail: str | None = None
        self.signal_dbm: int | None = None
        self.operator: str | None = None
        self.last_error: str | None = None
        self.registration: str | None = None
        self.sim_state: str | None = None
        self.sim = SimIdentity()
        self._outbox = outbox
        self._written_at = 0.0
        self._persisted: tuple[str, str | None] | None = None

    def set(self, state: str, detail: str | None = None) -> None:
        """Change the state; written out unless it is the brief ``sending``.

        Skipping ``sending`` saves two commits per message; ``status`` shows in-flight
        messages from the outbox itself.
        """
        self.state, self.detail = state, detail
        if state != "sending" and (state, detail) != self._persisted:
            log.info("%s: %s%s", self.name, state, f" ({detail})" if detail else "")
            self._write()

    def error(self, reason: str) -> None:
        self.last_error = reason

    def health(self, health: Health) -> None:
        """Record a health check; registration and SIM state when the modem tells them."""
        self.signal_dbm, self.operator = health.signal_dbm, health.operator
        self.registration = _optional_str(health, "registration")
        self.sim_state = _optional_str(health, "sim")
        self._write()

    def identify(self, identity: SimIdentity) -> None:
        """Record the SIM found in the modem (written with the next state change)."""
        if identity != self.sim:
            log.info("%s: SIM %s", self.name, identity.masked())
        self.sim = identity

    def heartbeat_due(self, interval: float) -> bool:
        return time.monotonic() - self._written_at >= interval

    def snapshot(self) -> ModemReport:
        return ModemReport(
            name=self.name,
            worker=self.worker,
            state=self.state,
            updated_at=self._outbox.clock(),
            detail=self.detail,
            signal_dbm=self.signal_dbm,
            operator=self.operator,
            last_error=self.last_error,
            registration=self.registration,
            sim_state=self.sim_state,
            imsi=self.sim.imsi,
            iccid=self.sim.iccid,
        )

    def _write(self) -> None:
        self._written_at = time.monotonic()
        self._persisted = (self.state, self.detail)
        try:
            self._outbox.report_modem(self.snapshot())
        except (sa.exc.OperationalError, sa.exc.InterfaceError):
            log.debug("%s: could not record the modem state", self.name, exc_info=True)


def _optional_str(health: Health, name: str) -> str | None:
    """A field :class:`gateway.modem.ModemHealth` has and the :class:`Health` protocol
    does not require (test doubles may lack it)."""
    value = getattr(health, name, None)
    return None if value is None else str(value)
