"""The pseudo-terminal transport: the fake owns the master side, clients open the slave."""

from __future__ import annotations

import errno
import os
import select
import threading
import time
import tty
from collections.abc import Callable

_READ_SIZE = 4096
_WRITE_STALL = 2.0  # seconds a client may leave its side unread before output is dropped


class PtyTransport:
    """Runs a reader thread on a pty master and passes what it reads to ``on_data``.

    :param on_data: called with each chunk the client wrote.
    :param on_idle: called after every wake-up (data or timeout), to run due timers.
    :param next_deadline: the clock time the next timer is due, or None.
    """

    def __init__(
        self,
        on_data: Callable[[bytes], None],
        on_idle: Callable[[], None],
        next_deadline: Callable[[], float | None],
    ) -> None:
        self._on_data = on_data
        self._on_idle = on_idle
        self._next_deadline = next_deadline
        self._master = -1
        self._slave = -1
        self._wake_r, self._wake_w = -1, -1
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.device = ""

    def open(self) -> str:
        """Create the pty and start reading; return the slave's path."""
        self._master, self._slave = os.openpty()
        # Raw, so the line discipline neither echoes nor translates CR/LF: the fake does that.
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self._wake_r, self._wake_w = os.pipe()
        self.device = os.ttyname(self._slave)
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name=f"fake-modem {self.device}", daemon=True
        )
        self._thread.start()
        return self.device

    def write(self, data: bytes) -> None:
        """Write to the client; gives up (drops output) if the client stops reading."""
        deadline = time.monotonic() + _WRITE_STALL
        view = memoryview(data)
        while view and self._master >= 0:
            try:
                view = view[os.write(self._master, view) :]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                select.select([], [self._master], [], 0.05)
            except OSError:
                return

    def close(self) -> None:
        """Stop the reader, then close the fds (in that order: a recycled fd number must not
        reach a reader thread that is still running)."""
        if self._thread is None:
            return
        self._stopping = True
        os.write(self._wake_w, b"x")
        self._thread.join()
        self._thread = None
        for fd in (self._master, self._slave, self._wake_r, self._wake_w):
            os.close(fd)
        self._master = self._slave = self._wake_r = self._wake_w = -1

    def _timeout(self) -> float | None:
        due = self._next_deadline()
        return None if due is None else max(0.0, due - time.monotonic())

    def _run(self) -> None:
        while not self._stopping:
            readable, _, _ = select.select([self._master, self._wake_r], [], [], self._timeout())
            if self._master in readable:
                try:
                    data = os.read(self._master, _READ_SIZE)
                except BlockingIOError:
                    data = b""
                except OSError as exc:  # EIO: no client has the slave open; keep serving
                    if exc.errno != errno.EIO:
                        raise
                    data = b""
                if data:
                    self._on_data(data)
            self._on_idle()
