"""The modems ``t2m2fa-gateway run`` hands to the worker: serial ports, or loopback modems."""

from __future__ import annotations

import functools
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from gateway.fake import FakeModem, Faults
from gateway.modem import Modem, ModemSettings
from gateway.worker import ModemSpec, Sender


def modem_name(device: str) -> str:
    """A name unique among every worker's modems: the host and the device."""
    return f"{socket.gethostname()}:{device}"


def serial_modems(
    ports: Sequence[str], *, pin: str | None, settings: ModemSettings
) -> list[ModemSpec]:
    """One spec per serial port; each reopen makes a fresh :class:`Modem`."""
    return [
        ModemSpec(
            modem_name(port), functools.partial(Modem, port, pin=pin, settings=settings), port
        )
        for port in ports
    ]


@contextmanager
def loopback_modems(
    count: int, state_dir: Path, *, send_delay: float, settings: ModemSettings
) -> Iterator[list[ModemSpec]]:
    """Start ``count`` loopback modems sharing the inbox in ``state_dir``; stop them after."""
    faults = functools.partial(Faults, send_delay=send_delay, status_reports=True)
    fakes = [FakeModem(state_dir, faults(), name=f"fake{n}") for n in range(1, count + 1)]
    try:
        for fake in fakes:
            fake.start()
        yield [_loopback_spec(fake, settings) for fake in fakes]
    finally:
        for fake in fakes:
            fake.stop()


def _loopback_spec(fake: FakeModem, settings: ModemSettings) -> ModemSpec:
    def factory() -> Sender:
        # Read at each reopen: a replugged loopback modem gets a new pty.
        return Modem(fake.device, settings=settings)

    return ModemSpec(modem_name(fake.name or fake.device), factory, fake.device)
