"""Our modem driver: one GSM modem on a serial port, sending SMS in PDU mode.

The AT dialogue is driven here, synchronously, on pyserial (see :mod:`gateway.at_channel`);
python-gsmmodem-new only encodes the PDU (:mod:`gateway.sms_pdu`).
"""

from __future__ import annotations

import errno
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import TracebackType

import serial

from gateway import sim
from gateway.at_channel import AtChannel, AtCommandError, AtTimeout, SerialPort
from gateway.errors import (
    ModemDisconnectedError,
    ModemError,
    ModemNotRespondingError,
    PortUnavailableError,
)
from gateway.incoming import IncomingLines, ReceivedSms, StorageUse, read_received
from gateway.modem_reports import read_stored
from gateway.modem_settings import ModemHealth, ModemSettings
from gateway.modem_setup import ModemSetup
from gateway.modem_submit import submit_all
from gateway.serial_url import open_port
from gateway.sim_identity import SimIdentity, read_sim_identity
from gateway.sms_pdu import build_submit_pdus
from gateway.status_report import ReportLines, StatusReport

#: How long one blocking read may wait: the granularity of every timeout.
READ_POLL = 0.05
#: ``+CMS ERROR: 322``: the SIM's message storage is full.
MEMORY_FULL = 322
#: Frozen, so every modem may share it.
DEFAULT_SETTINGS = ModemSettings()

__all__ = ["DEFAULT_SETTINGS", "READ_POLL", "Modem", "ModemHealth", "ModemSettings"]


class Modem:
    """A GSM modem on a serial port.

    One instance is used by one thread: it reads the port only while it waits for an answer,
    and a second thread calling it at the same time gets :class:`RuntimeError`. The port is
    locked exclusively, so no other process can talk to the modem meanwhile.

    :param port: serial device, e.g. ``/dev/serial/by-id/usb-...``, or a pyserial URL for a
        modem behind a serial device server: ``rfc2217://10.0.0.5:4001``,
        ``socket://10.0.0.5:4001``. A lost connection is a disconnection, as an unplugged cable.
    :param pin: SIM PIN (4-8 digits), sent at most once and never after the SIM refused it.
    :param serial_factory: opens the port, called as ``factory(port, baudrate=..., timeout=...,
        write_timeout=..., exclusive=True)``; defaults to :func:`gateway.serial_url.open_port`
        (a plain device path opens a :class:`serial.Serial`).
    """

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 115200,
        pin: str | None = None,
        settings: ModemSettings = DEFAULT_SETTINGS,
        serial_factory: Callable[..., SerialPort] = open_port,
    ) -> None:
        sim.check_pin(pin)
        self.port = port
        self.baudrate = baudrate
        self.settings = settings
        self.smsc: str | None = None
        self._pin = pin
        self._serial_factory = serial_factory
        self._channel: AtChannel | None = None
        self._setup: ModemSetup | None = None
        self._in_use = threading.Lock()
        self._reports = ReportLines()
        self._incoming = IncomingLines()
        #: The storage of received SMS as last read (:meth:`take_received`), None if unknown.
        self.storage: StorageUse | None = None
        # The concatenation reference, rolled per long message; a random start so that a
        # restarted gateway does not reuse the reference of a message just sent.
        self._concat_reference = secrets.randbelow(256)

    def open(self, *, wait_for_service: bool = True) -> None:
        """Open the port and initialise the modem.

        :param wait_for_service: unlock the SIM, wait for the network and read the SMS centre.
            Without it only the AT link is set up, enough for :meth:`health`; the rest is done
            by the first :meth:`send`.
        :raise PortUnavailableError, PinRequiredError, WrongPinError, SimLockedError,
            SimNotInsertedError, SimBusyError, NoNetworkError, NoSmsCentreError,
            ModemNotRespondingError, ModemDisconnectedError:
        """
        if self._channel is not None:
            raise RuntimeError("the modem is already open")
        channel = AtChannel(self._open_port())
        channel.line_hook = self._take_line
        self._incoming.pending = True
        self._channel = channel
        self._setup = ModemSetup(channel, self.port, self._pin, self.settings)
        try:
            with self._exclusive_use():
                self._setup.start()
                if wait_for_service:
                    self.smsc = self._setup.prepare_service()
        except BaseException:
            self.close()
            raise

    def send(
        self,
        number: str,
        text: str,
        *,
        validity: timedelta | None = None,
        status_report: bool | None = None,
    ) -> int:
        """Send one message and return the network's message reference (TP-MR, 0-255).

        GSM-7 text goes as is, other text as UCS-2; a text longer than one SMS goes as
        concatenated segments (at most :attr:`ModemSettings.max_segments`), and the reference
        returned is the last segment's.

        :param number: destination, international (``+32470123456``) or national digits.
        :param validity: overrides :attr:`ModemSettings.validity` for this message.
        :param status_report: request a status report (TP-SRR); default
            :attr:`ModemSettings.delivery_report`.
        :raise SendError: the message was refused (``outcome`` temporary or permanent, with the
            ``+CMS ERROR`` code) or may have gone out (``outcome`` unknown: do not resend).
            A refusal after the first segment keeps its outcome: a retry sends every segment
            again, under a new reference.
        :raise ModemError: the modem failed (disconnected, or reset and not re-initialised).
        """
        pdus = build_submit_pdus(
            number,
            text,
            validity=validity if validity is not None else self.settings.validity,
            status_report=(
                self.settings.delivery_report if status_report is None else status_report
            ),
            reference=self._concat_reference,
            max_segments=self.settings.max_segments,
        )
        if len(pdus) > 1:
            self._concat_reference = (self._concat_reference + 1) % 256
        with self._exclusive_use() as setup:
            self.smsc = setup.ensure_service()
            return submit_all(self._require_channel(), pdus, self.settings, self._refused)

    def health(self) -> ModemHealth:
        """Signal, registration, operator and SIM state, read now."""
        with self._exclusive_use() as setup:
            setup.ensure_link()
            # Also a time to look at the SIM storage: an SMS that came while the modem was
            # restarting was stored without a +CMTI we could see.
            self._incoming.pending = True
            return ModemHealth(
                signal_dbm=setup.signal_dbm(),
                registration=(
                    "radio off" if setup.radio_off() else setup.registration().describe()
                ),
                operator=setup.operator(),
                sim=sim.describe(setup.sim_state()),
            )

    def sim_identity(self) -> SimIdentity:
        """IMSI and ICCID of the SIM, read now (per-SIM caps follow the SIM, not the port)."""
        with self._exclusive_use() as setup:
            setup.ensure_link()
            return read_sim_identity(setup.run)

    def take_reports(self) -> list[StatusReport]:
        """The status reports that arrived since the last call, oldest first.

        Reads what the modem said since the last command without sending anything, then
        reads and deletes the reports it stored (``+CDSI``). Call it between sends.
        """
        with self._exclusive_use():
            self._require_channel().drain()
            if self.settings.delivery_report:
                read_stored(self._reports_run, self._reports)
            self._reports.stored.clear()
            reports = list(self._reports.reports)
            self._reports.reports.clear()
            return reports

    def take_received(self) -> list[ReceivedSms]:
        """The SMS received since the last call, read and deleted from the SIM storage.

        Reads the storage at the first call after :meth:`open`, after each ``+CMTI``, after a
        health check and after a send refused for a full memory; otherwise only what the
        modem said since the last command is read, without sending anything. Updates
        :attr:`storage`. Call it between sends.
        """
        with self._exclusive_use():
            self._require_channel().drain()
            if not self._incoming.pending:
                return []
            self._incoming.pending = False
            received, self.storage = read_received(self._reports_run, self._reports)
            return received

    def _take_line(self, line: str) -> bool:
        """Status-report and incoming-SMS lines, wherever they come (even inside a send)."""
        return self._reports.feed(line) or self._incoming.feed(line)

    def _reports_run(self, command: str) -> list[str]:
        return self._require_channel().command(command, self.settings.command_timeout)

    @property
    def late_references(self) -> tuple[int, ...]:
        """References of messages whose ``+CMGS`` came after :meth:`send` had given up (the
        outcome was *unknown*): those went out after all. The latest 32, oldest first."""
        return tuple(self._channel.late_references) if self._channel is not None else ()

    def close(self) -> None:
        """Release the port. Safe to call twice."""
        channel, self._channel, self._setup = self._channel, None, None
        if channel is not None:
            channel.close()

    def __enter__(self) -> Modem:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _refused(self, exc: AtCommandError) -> None:
        """What a refusal says about the modem's state."""
        if exc.kind == "CMS" and exc.code == MEMORY_FULL:
            self._incoming.pending = True  # read and delete what fills it before the retry
        if exc.kind is None:  # numeric errors were switched on: the modem may have been reset
            self._require_channel().reset_seen = True

    @contextmanager
    def _exclusive_use(self) -> Iterator[ModemSetup]:
        if not self._in_use.acquire(blocking=False):
            raise RuntimeError("a Modem is used by one thread at a time; give each thread its own")
        try:
            if self._setup is None:
                raise ModemError("the modem is not open")
            yield self._setup
        except ModemDisconnectedError:
            self.close()
            raise
        except AtTimeout as exc:
            raise ModemNotRespondingError(
                f"the modem on {self.port} stopped answering ({exc})"
            ) from None
        except AtCommandError as exc:
            # _submit turns its own refusals into SendError; one reaching here came from
            # (re-)initialisation, before anything was handed over: retrying is safe.
            raise ModemError(f"the modem on {self.port} refused a set-up command ({exc})") from None
        finally:
            self._in_use.release()

    def _require_channel(self) -> AtChannel:
        if self._channel is None:
            raise ModemError("the modem is not open")
        return self._channel

    def _open_port(self) -> SerialPort:
        try:
            return self._serial_factory(
                self.port,
                baudrate=self.baudrate,
                timeout=READ_POLL,
                write_timeout=self.settings.command_timeout,
                exclusive=True,
            )
        except (serial.SerialException, OSError, ValueError) as exc:  # ValueError: bad URL
            raise PortUnavailableError(_port_problem(self.port, exc)) from None


def _port_problem(port: str, exc: BaseException) -> str:
    code = getattr(exc, "errno", None)
    if code == errno.ENOENT:
        return f"no serial device {port}"
    if code in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY):
        return f"{port} is in use by another process"
    if code == errno.EACCES:
        return f"no permission to open {port}"
    return f"cannot open {port}: {exc}"
