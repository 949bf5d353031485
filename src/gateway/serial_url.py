"""Opening a modem's port: a device path, or a pyserial URL for a modem behind a device server.

pyserial's :func:`serial.serial_for_url` does both (``/dev/ttyUSB0``, ``rfc2217://host:port``,
``socket://host:port``), with the same read timeout. Two fixes on top:

- its ``socket://`` port does not close the socket when ``shutdown`` fails, which it does once
  the other end has gone (a dropped connection, a device server that hung up), so every
  reconnect of a long-running worker would leak a file descriptor;
- its ``rfc2217://`` port refuses a write timeout (``NotImplementedError``); its socket has a
  5 s timeout of its own, which bounds a write instead.
"""

from __future__ import annotations

import socket
from typing import Any

import serial
from serial.urlhandler import protocol_socket

from gateway.at_channel import SerialPort


class _SocketPort(protocol_socket.Serial):
    """pyserial's ``socket://`` port, with a socket that is closed even after the peer left."""

    def close(self) -> None:
        sock: socket.socket | None = getattr(self, "_socket", None)
        try:
            super().close()
        finally:
            if sock is not None:
                sock.close()  # closing twice is harmless


def open_port(port: str, **options: Any) -> SerialPort:
    """Open ``port`` (a device path or a pyserial URL) with pyserial's ``options``.

    :raise serial.SerialException: the port cannot be opened (no such device, refused...).
    :raise ValueError: a URL whose scheme pyserial does not know.
    """
    if port.lower().startswith("socket://"):
        opened = _SocketPort(None, **options)
        opened.port = port
        opened.open()
        return opened
    if port.lower().startswith("rfc2217://"):
        options.pop("write_timeout", None)
    return serial.serial_for_url(port, **options)
