"""The TCP transport: the loopback modem behind a serial device server, on 127.0.0.1.

Like a device server in TCP-server mode it serves one client at a time (a second connection is
closed at once: the port is in use), and the modem behind it keeps running when a client goes
away: echo, the PIN entered, a send in flight are what the next client finds. Output written
while no client is connected is lost, as on a device server that buffers nothing.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from collections.abc import Callable

HOST = "127.0.0.1"
_READ_SIZE = 4096
_WRITE_STALL = 2.0  # seconds a client may leave its side unread before output is dropped


class TcpTransport:
    """Listens on ``127.0.0.1:port`` (0: any free port) and passes what it reads to ``on_data``.

    :param on_data: called with each chunk the client wrote.
    :param on_idle: called after every wake-up (data or timeout), to run due timers.
    :param next_deadline: the clock time the next timer is due, or None.
    """

    def __init__(
        self,
        on_data: Callable[[bytes], None],
        on_idle: Callable[[], None],
        next_deadline: Callable[[], float | None],
        *,
        port: int = 0,
    ) -> None:
        self._on_data = on_data
        self._on_idle = on_idle
        self._next_deadline = next_deadline
        self.port = port
        self.device = ""
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None
        self._client_lock = threading.Lock()
        self._wake_r, self._wake_w = -1, -1
        self._thread: threading.Thread | None = None
        self._stopping = False

    def open(self) -> str:
        """Listen and start serving; return the pyserial URL (``socket://127.0.0.1:PORT``)."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((HOST, self.port))
            listener.listen(4)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        self.device = f"socket://{HOST}:{self.port}"
        self._wake_r, self._wake_w = os.pipe()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"fake-modem {self.device}")
        self._thread.daemon = True
        self._thread.start()
        return self.device

    def write(self, data: bytes) -> None:
        """Write to the client, if one is connected; otherwise the output is lost."""
        with self._client_lock:
            client = self._client
            if client is None:
                return
            try:
                client.sendall(data)
            except OSError:  # gone, or not reading: a device server drops the output
                return

    def drop_client(self) -> None:
        """Cut the current connection (a network failure); the modem keeps running."""
        with self._client_lock:
            if self._client is not None:
                self._client.shutdown(socket.SHUT_RDWR)  # the reader sees EOF and closes it

    def close(self) -> None:
        """Stop serving: the listener and any connection close."""
        if self._thread is None:
            return
        self._stopping = True
        os.write(self._wake_w, b"x")
        self._thread.join()
        self._thread = None
        self._set_client(None)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._wake_r = self._wake_w = -1

    def _set_client(self, client: socket.socket | None) -> None:
        with self._client_lock:
            old, self._client = self._client, client
        if old is not None:
            old.close()

    def _timeout(self) -> float | None:
        due = self._next_deadline()
        return None if due is None else max(0.0, due - time.monotonic())

    def _run(self) -> None:
        assert self._listener is not None
        while not self._stopping:
            client = self._client
            watched: list[socket.socket | int] = [self._listener, self._wake_r]
            if client is not None:
                watched.append(client)
            readable, _, _ = select.select(watched, [], [], self._timeout())
            if self._listener in readable:
                self._accept(self._listener)
            if client is not None and client in readable:
                self._read(client)
            self._on_idle()

    def _accept(self, listener: socket.socket) -> None:
        connection, _ = listener.accept()
        if self._client is not None:
            connection.close()  # one client at a time: the port is in use
            return
        connection.settimeout(_WRITE_STALL)
        self._set_client(connection)

    def _read(self, client: socket.socket) -> None:
        try:
            data = client.recv(_READ_SIZE)
        except OSError:
            data = b""
        if data:
            self._on_data(data)
        else:  # the client went away; the next one finds the modem as it is
            self._set_client(None)
