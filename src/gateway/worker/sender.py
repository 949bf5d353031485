"""What the worker needs from a modem: a small protocol, so tests can hand in their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol


class Health(Protocol):
    """The parts of a modem's health the worker reports (``gateway.modem.ModemHealth`` has them)."""

    @property
    def signal_dbm(self) -> int | None: ...

    @property
    def operator(self) -> str | None: ...


class Sender(Protocol):
    """A modem the worker owns: ``gateway.modem.Modem`` satisfies it.

    ``send`` returns the network's message reference. It raises
    :class:`~gateway.errors.SendError` when the network refused the message, or with
    :attr:`~gateway.errors.Outcome.UNKNOWN` when the message was submitted but not answered;
    it raises :class:`~gateway.errors.ModemError` when the modem failed before the message was
    handed over (or vanished, as unplugged, during the exchange).
    """

    def open(self) -> None: ...

    def send(self, number: str, text: str, *, validity: timedelta | None = None) -> int: ...

    def health(self) -> Health: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ModemSpec:
    """One modem for the worker.

    :param name: stable and unique among all workers (host name and device), used to record
        which modem sent what and to count per-SIM caps.
    :param factory: makes a fresh, unopened modem; called again to reopen after a failure.
    :param port: its device or URL, given to the ``--on-stuck`` command.
    """

    name: str
    factory: Callable[[], Sender]
    port: str = ""
