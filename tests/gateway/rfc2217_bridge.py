"""A minimal RFC 2217 device server for tests: one TCP client bridged to one serial device.

What a Moxa or Lantronix box does in RFC 2217 mode, built on pyserial's own ``PortManager``
(as pyserial's ``examples/rfc2217_server.py``), so ``rfc2217://`` URLs are tested end to end.
"""

from __future__ import annotations

import socket
import threading

import serial
from serial import rfc2217


class Rfc2217Bridge:
    """Serves ``device`` on ``127.0.0.1:port`` until :meth:`close`."""

    def __init__(self, device: str) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"rfc2217://127.0.0.1:{self._listener.getsockname()[1]}"
        self._device = device
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stopping.set()
        self._listener.close()
        self._thread.join(timeout=10)

    def _serve(self) -> None:
        try:
            connection, _ = self._listener.accept()
        except OSError:
            return  # closed before anyone came
        with connection, _PtyPort(self._device, timeout=0.05) as port:
            manager = rfc2217.PortManager(port, _Writer(connection))
            connection.settimeout(0.05)
            while not self._stopping.is_set():
                data = port.read(port.in_waiting or 1)
                if data:
                    connection.sendall(b"".join(manager.escape(data)))
                try:
                    received = connection.recv(1024)
                except TimeoutError:
                    continue
                if not received:
                    return
                port.write(b"".join(manager.filter(received)))


class _Writer:
    """The ``write`` PortManager answers the client's negotiation through."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection

    def write(self, data: bytes) -> None:
        self._connection.sendall(data)


class _PtyPort(serial.Serial):
    """A pty has no modem control lines: DTR/RTS are ignored, CTS/DSR/RI/CD read as asserted."""

    def _update_dtr_state(self) -> None:
        pass

    def _update_rts_state(self) -> None:
        pass

    @property
    def cts(self) -> bool:
        return True

    @property
    def dsr(self) -> bool:
        return True

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return True
