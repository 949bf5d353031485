"""``FakeModem``: the AT engine on a pseudo-terminal, recording into an inbox."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol

from gateway.fake.at import AtEngine
from gateway.fake.concat import Reassembler
from gateway.fake.faults import Faults
from gateway.fake.inbox import DeliveredMessage, Inbox
from gateway.fake.incoming import Received
from gateway.fake.pty import PtyTransport
from gateway.fake.sms import Submitted
from gateway.fake.state import OPERATOR
from gateway.fake.tcp import TcpTransport

logger = logging.getLogger(__name__)


class _Transport(Protocol):
    def open(self) -> str: ...
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class FakeModem:
    """A loopback GSM modem: a real AT peer on a pty that pyserial, python-gsmmodem-new and
    Gammu drive as they would a USB modem. What it "sends" lands in :attr:`inbox`.

    :param state_dir: where the inbox file lives (created if missing).
    :param faults: faults to start with; change :attr:`faults` fields at any time.
    :param name: the modem name recorded with each message (default: the device path).
    :param tcp_port: serve on ``127.0.0.1:tcp_port`` (0: any free port) instead of a pty, as a
        modem behind a serial device server; :attr:`device` is then ``socket://127.0.0.1:PORT``.
    """

    def __init__(
        self,
        state_dir: Path | str,
        faults: Faults | None = None,
        *,
        name: str | None = None,
        tcp_port: int | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.inbox = Inbox(self.state_dir)
        self.name = name
        self.device = ""
        self._lock = threading.RLock()
        self._faults = faults if faults is not None else Faults()
        self._engine = AtEngine(self._faults, self._write, self._deliver)
        self._transport: _Transport | None = None
        self._tcp_port = tcp_port
        self._started_once = False
        self._segments = Reassembler()

    @property
    def faults(self) -> Faults:
        return self._faults

    @property
    def commands(self) -> list[str]:
        """Every AT command line received, in order (a copy)."""
        with self._lock:
            return list(self._engine.commands)

    @property
    def running(self) -> bool:
        return self._transport is not None

    def start(self) -> str:
        """Create a fresh pty (a new device after :meth:`unplug`) or listen on the TCP port (the
        same one after :meth:`unplug`), serve it, and return the device."""
        if self._transport is not None:
            return self.device
        if self._started_once:
            # Plugged in again: powered on afresh, but the SIM keeps its PIN tries and the
            # message reference counter. Boot messages went out before anyone had the port open.
            with self._lock:
                self._engine.reset(announce=False)
        self._started_once = True
        self.state_dir.mkdir(parents=True, exist_ok=True)
        transport: PtyTransport | TcpTransport
        if self._tcp_port is None:
            transport = PtyTransport(self._on_data, self._on_idle, self._next_deadline)
            self.device = transport.open()
        else:
            transport = TcpTransport(
                self._on_data, self._on_idle, self._next_deadline, port=self._tcp_port
            )
            self.device = transport.open()
            self._tcp_port = transport.port  # plugged in again on the same port
        self._transport = transport
        return self.device

    def stop(self) -> None:
        """Stop serving and close the pty. Safe to call twice."""
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
        self.inbox.close()

    def unplug(self) -> None:
        """Pull the cable: the pty closes and the client's next read or write fails."""
        self.stop()

    def drop_connection(self) -> None:
        """Cut the TCP connection (the network, not the modem, fails): the client's next read
        fails; the modem carries on, and a send in flight still reaches the network."""
        transport = self._transport
        if not isinstance(transport, TcpTransport):
            raise RuntimeError("drop_connection needs a loopback modem started with tcp_port")
        transport.drop_client()

    def reset(self) -> None:
        """Reboot: boot messages, echo back on, CMGF/CMEE/CNMI/CSCS lost, PIN asked again."""
        with self._lock:
            self._engine.reset()

    def receive(self, sender: str, text: str) -> int | None:
        """An SMS from ``sender`` reaches the SIM (``+CMTI`` if the host asked for it); return
        its storage index, None when the storage was full."""
        with self._lock:
            return self._engine.receive(Received(sender, text, self._engine.state.now()))

    def fill_storage(self) -> None:
        """Fill the SIM storage with operator messages, announced to nobody (they came while
        the host was not listening): sends then fail with ``+CMS ERROR: 322``."""
        with self._lock:
            state = self._engine.state
            while state.store_received(Received(OPERATOR, "Offer: 1 GB free", state.now())):
                pass

    @property
    def stored_messages(self) -> list[str]:
        """The texts of the SMS still on the SIM, oldest index first."""
        with self._lock:
            return [m.text for _, m in sorted(self._engine.state.received.items())]

    def send_urc(self, line: bytes) -> None:
        """Write an unsolicited line now (any bytes, e.g. a non-UTF-8 one)."""
        with self._lock:
            self._engine.send_urc(line)

    def __enter__(self) -> FakeModem:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None:
            transport.write(data)

    def _deliver(self, segment: Submitted, reference: int) -> None:
        submitted = self._segments.add(segment)
        if submitted is None:  # the phone waits for the other segments
            return
        received_at = self._engine.state.now()
        validity = submitted.validity
        if isinstance(validity, datetime):
            validity = validity - received_at  # absolute format: time left from now
        self.inbox.add(
            DeliveredMessage(
                to=submitted.to,
                text=submitted.text,
                received_at=received_at,
                reference=reference,
                encoding=submitted.encoding,
                validity=validity,
                status_report_requested=submitted.status_report_requested,
                modem=self.name or self.device,
                segments=submitted.segments,
            )
        )

    def _on_data(self, data: bytes) -> None:
        with self._lock:
            try:
                self._engine.feed(data)
            except Exception:  # a bug in the fake must not silently kill its reader thread
                logger.exception("fake modem failed on input %r", data[:80])

    def _on_idle(self) -> None:
        with self._lock:
            self._engine.tick()

    def _next_deadline(self) -> float | None:
        with self._lock:
            return self._engine.next_deadline()
