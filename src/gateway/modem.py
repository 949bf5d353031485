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
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType

import serial

from gateway import sim
from gateway.at_channel import CTRL_Z, ESC, AtChannel, AtCommandError, AtTimeout, SerialPort
from gateway.errors import (
    ModemDisconnectedError,
    ModemError,
    ModemNotRespondingError,
    Outcome,
    PortUnavailableError,
    SendError,
    classify_cms_error,
)
from gateway.modem_reports import read_stored
from gateway.modem_setup import ModemSetup
from gateway.registration import REGISTERED_NAMES
from gateway.serial_url import open_port
from gateway.sim_identity import SimIdentity, read_sim_identity
from gateway.sms_pdu import DEFAULT_MAX_SEGMENTS, SubmitPdu, build_submit_pdus
from gateway.status_report import ReportLines, StatusReport

#: How long one blocking read may wait: the granularity of every timeout.
READ_POLL = 0.05


@dataclass(frozen=True)
class ModemSettings:
    """Timeouts (seconds) and sending options of a :class:`Modem`.

    :param command_timeout: answer to an ordinary command, and the ``>`` prompt.
    :param registration_timeout: network registration at open.
    :param send_timeout: the network's answer to a submitted message. Vendors give up to 120 s;
        past it the outcome is *unknown* (the message may have gone out).
    :param sim_ready_timeout: how long a busy SIM (``+CME ERROR: 14``) is waited for.
    :param poll_interval: pause between two looks at a SIM or registration still changing.
    :param validity: validity period put in each SMS (the code's lifetime), None for the SMS
        centre's default. Rounded down to what TP-VP can say, and at least 5 minutes.
    :param delivery_report: route status reports to the host (``AT+CNMI``, for
        :meth:`Modem.take_reports`) and request one for each message unless :meth:`Modem.send`
        says otherwise (operators may charge for them).
    :param smsc: SMS centre to set with ``AT+CSCA`` when the SIM has none.
    :param max_segments: a longer text is refused (permanent error) rather than sent.
    :param autobaud_attempts: ``AT`` lines sent at most, ``autobaud_wait`` seconds apart, until
        the modem answers ``OK`` (an autobauding modem answers nothing before it locked on).
    """

    command_timeout: float = 10.0
    registration_timeout: float = 60.0
    send_timeout: float = 120.0
    sim_ready_timeout: float = 20.0
    poll_interval: float = 0.5
    validity: timedelta | None = timedelta(minutes=5)
    delivery_report: bool = False
    smsc: str | None = None
    max_segments: int = DEFAULT_MAX_SEGMENTS
    autobaud_attempts: int = 10
    autobaud_wait: float = 0.5


@dataclass(frozen=True)
class ModemHealth:
    """What :meth:`Modem.health` reports.

    :param signal_dbm: received signal strength, None when the modem does not know.
    :param registration: ``home``, ``roaming``, ``home (SMS only)``, ``searching``, ``denied``,
        ``not registered``, ``radio off`` (``+CFUN: 0`` or ``4``; the next send switches it on)...
    :param operator: network name, None when not registered.
    :param sim: ``ready``, ``PIN required``, ``PUK required``, ``not inserted``, ``busy``, ...
    """

    signal_dbm: int | None
    registration: str
    operator: str | None
    sim: str

    @property
    def registered(self) -> bool:
        return self.registration in REGISTERED_NAMES


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
        settings: ModemSettings = ModemSettings(),  # frozen, so sharing it is safe
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
        channel.line_hook = self._reports.feed
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
            return self._submit_all(pdus)

    def health(self) -> ModemHealth:
        """Signal, registration, operator and SIM state, read now."""
        with self._exclusive_use() as setup:
            setup.ensure_link()
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

    def _submit_all(self, pdus: list[SubmitPdu]) -> int:
        """Submit each segment in turn; the last one's reference."""
        reference = -1
        for number_of, pdu in enumerate(pdus, start=1):
            try:
                reference = self._submit(pdu)
            except SendError as exc:
                if number_of == 1:
                    raise
                raise SendError(
                    f"segment {number_of} of {len(pdus)}: {exc.reason}",
                    outcome=exc.outcome,
                    cms_code=exc.cms_code,
                ) from None
        return reference

    def _submit(self, pdu: SubmitPdu) -> int:
        channel = self._require_channel()
        command = f"AT+CMGS={pdu.tpdu_length}"
        channel.write(command.encode("ascii") + b"\r")
        try:
            channel.wait_prompt(command, self.settings.command_timeout)
        except AtTimeout:
            channel.write(ESC)
            raise SendError(
                "no '>' prompt from the modem; nothing was sent", outcome=Outcome.TEMPORARY
            ) from None
        except AtCommandError as exc:
            raise self._refusal(exc) from None
        channel.write(pdu.hex.encode("ascii") + CTRL_Z)
        try:
            lines = channel.collect(command, self.settings.send_timeout, prefix="+CMGS:")
        except AtTimeout as exc:
            channel.write(ESC)
            if exc.lines:  # the reference came, only the final OK is missing: it went out
                return _reference(exc.lines)
            raise SendError(
                f"no answer within {self.settings.send_timeout:g} s: the message may have gone out",
                outcome=Outcome.UNKNOWN,
            ) from None
        except AtCommandError as exc:
            raise self._refusal(exc) from None
        return _reference(lines)

    def _refusal(self, exc: AtCommandError) -> SendError:
        if exc.kind == "CMS" and exc.code is not None:
            return SendError(
                f"the modem refused the message (+CMS ERROR: {exc.code})",
                outcome=classify_cms_error(exc.code),
                cms_code=exc.code,
            )
        if exc.kind is None:  # numeric errors were switched on: the modem may have been reset
            self._require_channel().reset_seen = True
        return SendError(f"the modem refused the message ({exc})", outcome=Outcome.TEMPORARY)

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


def _reference(lines: list[str]) -> int:
    """The TP-MR of ``+CMGS: <mr>[,<scts>|<ackpdu>]``."""
    field = lines[-1][len("+CMGS:") :].split(",")[0].strip()
    if not field.isdigit():
        raise SendError(
            "the message was accepted but its reference is unreadable", outcome=Outcome.UNKNOWN
        )
    return int(field)


def _port_problem(port: str, exc: BaseException) -> str:
    code = getattr(exc, "errno", None)
    if code == errno.ENOENT:
        return f"no serial device {port}"
    if code in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY):
        return f"{port} is in use by another process"
    if code == errno.EACCES:
        return f"no permission to open {port}"
    return f"cannot open {port}: {exc}"
