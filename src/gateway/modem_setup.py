"""Bringing a modem into a known state, keeping it there, and reading its health.

The settings a modem needs (echo off, numeric errors, PDU mode) are volatile: a reset loses
them. So every operation first handles what the modem said meanwhile (boot lines, late answers)
and re-initialises it when it shows signs of a reset.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from gateway import sim
from gateway.at_channel import AtChannel, AtCommandError, AtTimeout
from gateway.errors import ModemError, NoNetworkError, NoSmsCentreError, SimBusyError
from gateway.modem_reports import route_reports
from gateway.registration import REGISTRATION_QUERIES, Registration, parse_registration

if TYPE_CHECKING:
    from gateway.modem import ModemSettings

log = logging.getLogger("gateway.modem")

# Best effort: not every modem knows these, and none of them is needed to send.
_OPTIONAL_SETUP = (
    "AT+CREG=0",  # registration is read, not reported unsolicited
    "AT+CGREG=0",
    "AT+CEREG=0",
    "AT+COPS=3,0",  # operator as a long name
)
#: ``+CFUN`` levels with the radio off: 0 (minimum functionality) and 4 (flight mode).
RADIO_OFF = frozenset({0, 4})
#: A busy SIM is asked again after ``poll_interval``, then twice as long each time, up to this
#: many poll intervals (and never past ``sim_ready_timeout``).
_BUSY_BACKOFF_CAP = 8

_OPTIONAL_SERVICE_SETUP = (
    'AT+CSCS="GSM"',  # string parameters (the SMS centre) as plain text
    # Incoming SMS stored and announced by +CMTI (gateway.incoming), no report lines; with
    # delivery reports, route_reports sets <ds> as well.
    "AT+CNMI=2,1,0,0,0",
)


class ModemSetup:
    """Initialisation and state of one open modem; used by :class:`gateway.modem.Modem`."""

    def __init__(
        self,
        channel: AtChannel,
        device: str,
        pin: str | None,
        settings: ModemSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._channel = channel
        self._device = device
        self._pin = pin
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self._service_ready = False
        self._smsc: str | None = None
        self._unsupported: set[str] = set()

    def start(self) -> None:
        """Find the modem (``AT`` until ``OK``, skipping whatever it says meanwhile, boot lines
        included), switch echo off and errors on."""
        channel = self._channel
        channel.echo_expected = True
        channel.booting = True
        try:
            settings = self._settings
            tries = channel.synchronise(settings.autobaud_attempts, settings.autobaud_wait)
            if tries > 1:
                log.info("the modem on %s answered AT after %d tries", self._device, tries)
            channel.resync(settings.command_timeout)
        finally:
            channel.booting = False
        channel.reset_seen = False
        self.run("ATE0")
        channel.echo_expected = False
        self.run("AT+CMEE=1")
        for command in _OPTIONAL_SETUP:
            self._try(command)

    def prepare_service(self) -> str:
        """Unlock the SIM, select PDU mode, wait for the network, and return the SMS centre."""
        settings = self._settings
        wait = partial(
            sim.wait_until_not_busy,
            self._run_once,
            settings.sim_ready_timeout,
            settings.poll_interval,
            clock=self._clock,
            sleep=self._sleep,
        )
        sim.unlock(self._run_once, self._pin, self._device, wait)
        self._switch_radio_on()
        self.run("AT+CMGF=0")
        for command in _OPTIONAL_SERVICE_SETUP:
            self._try(command)
        if settings.delivery_report:
            route_reports(self.run)
        self._wait_for_registration()
        self._smsc = self._read_smsc()
        self._service_ready = True
        return self._smsc

    def ensure_link(self) -> None:
        """Resync (ESC, then a marker command) and re-initialise the modem if it was reset.

        Done before every operation, as Gammu does: it cancels a prompt left open, drains a
        late answer, and whatever the modem printed before answering the marker (boot lines,
        echo) is read before we decide, so a reset is seen before the next send, not during.
        """
        channel = self._channel
        try:
            cmee = channel.resync(self._settings.command_timeout)
        except AtTimeout:
            # Silence: an autobauding modem that restarted answers only once found again.
            channel.synchronise(self._settings.autobaud_attempts, self._settings.autobaud_wait)
            log.warning("the modem on %s answered again after a silence", self._device)
            cmee = -1
        if cmee != 1:
            channel.reset_seen = True  # numeric errors are off again: settings were lost
        if channel.reset_seen:
            log.warning("re-initialising the modem on %s after a reset", self._device)
            self._service_ready = False
            self.start()

    def ensure_service(self) -> str:
        """:meth:`ensure_link`, then :meth:`prepare_service` if it is not (or no longer) done."""
        self.ensure_link()
        if not self._service_ready:
            return self.prepare_service()
        assert self._smsc is not None
        return self._smsc

    def run(self, command: str, *, prefix: str | None = None) -> list[str]:
        """Run a command, asking again while the modem or SIM says it is busy (bounded)."""
        poll = self._settings.poll_interval
        deadline = self._clock() + self._settings.sim_ready_timeout
        delay = poll
        while True:
            try:
                return self._run_once(command, prefix=prefix)
            except AtCommandError as exc:
                if exc.kind != "CME" or exc.code not in sim.BUSY_CODES:
                    raise
                remaining = deadline - self._clock()
                if remaining <= 0:
                    timeout = self._settings.sim_ready_timeout
                    raise SimBusyError(f"SIM or modem still busy after {timeout:g} s") from exc
            self._sleep(min(delay, remaining))
            delay = min(delay * 2, poll * _BUSY_BACKOFF_CAP)

    def registration(self) -> Registration:
        stats = {}
        for query in REGISTRATION_QUERIES:
            if query in self._unsupported:
                continue
            try:
                lines = self.run(f"AT+{query}?", prefix=f"+{query}:")
            except AtCommandError:
                self._unsupported.add(query)  # older modems know only +CREG
                continue
            stat = parse_registration(lines, query)
            if stat is not None:
                stats[query] = stat
        return Registration(stats)

    def radio_off(self) -> bool:
        """Whether the modem says its radio is switched off (``+CFUN: 0`` or ``4``)."""
        return self._radio_level() in RADIO_OFF

    def signal_dbm(self) -> int | None:
        lines = self._try("AT+CSQ", prefix="+CSQ:")
        fields = lines[-1][len("+CSQ:") :].split(",") if lines else []
        rssi = fields[0].strip() if fields else ""
        if not rssi.isdigit() or int(rssi) > 31:  # 99: not known
            return None
        return -113 + 2 * int(rssi)

    def operator(self) -> str | None:
        lines = self._try("AT+COPS?", prefix="+COPS:")
        fields = lines[-1][len("+COPS:") :].split(",") if lines else []
        name = fields[2].strip().strip('"') if len(fields) >= 3 else ""
        return name or None

    def sim_state(self) -> str:
        try:
            return sim.read_state(self._run_once)
        except ModemError:
            return "unknown"

    def _radio_level(self) -> int | None:
        """The ``<fun>`` of ``AT+CFUN?`` (``+CFUN: 1`` or ``+CFUN: 1,0``), None if not known."""
        lines = self._try("AT+CFUN?", prefix="+CFUN:")
        field = lines[-1][len("+CFUN:") :].split(",")[0].strip() if lines else ""
        return int(field) if field.isdigit() else None

    def _switch_radio_on(self) -> None:
        """Switch on a radio that is off at power-up; such a modem never registers by itself.

        Only from 0 or 4: other levels are vendor modes we leave alone, and ``AT+CFUN=1,1``
        (a reset) is never sent. The registration wait that follows is the bounded one.
        """
        level = self._radio_level()
        if level not in RADIO_OFF:
            return
        log.warning(
            "the radio of the modem on %s is off (+CFUN: %d); switching it on", self._device, level
        )
        self.run("AT+CFUN=1")

    def _wait_for_registration(self) -> None:
        timeout = self._settings.registration_timeout
        deadline = self._clock() + timeout
        while not (registration := self.registration()).registered:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise NoNetworkError(
                    f"no network after {timeout:g} s (registration: {registration.describe()})"
                )
            self._sleep(min(self._settings.poll_interval, remaining))

    def _read_smsc(self) -> str:
        """The SIM's SMS centre; restored if it was lost or wiped.

        Some modems lose it at a power cycle or wipe it on ``AT+CSMP`` (``+CSCA: "+",145``):
        the one read earlier on this modem, else the configured one, is written back.
        """
        number = self._query_smsc()
        restore = self._smsc or self._settings.smsc
        if number is None and restore:
            log.warning("the modem on %s has no SMS centre; setting it again", self._device)
            self.run(f'AT+CSCA="{restore}",145')
            number = self._query_smsc()
        if number is None:
            raise NoSmsCentreError(
                "the SIM has no SMS centre address; set ModemSettings.smsc (AT+CSCA)"
            )
        return number

    def _query_smsc(self) -> str | None:
        try:
            lines = self.run("AT+CSCA?", prefix="+CSCA:")
        except AtCommandError:  # +CMS ERROR: 330 (SMSC address unknown) and the like
            return None
        if not lines:
            return None
        number = lines[-1][len("+CSCA:") :].split(",")[0].strip().strip('"')
        # "+" alone is a wiped address, not one a message can go through.
        return number if any(ch.isdigit() for ch in number) else None

    def _run_once(self, command: str, *, prefix: str | None = None) -> list[str]:
        return self._channel.command(command, self._settings.command_timeout, prefix=prefix)

    def _try(self, command: str, *, prefix: str | None = None) -> list[str]:
        try:
            return self.run(command, prefix=prefix)
        except AtCommandError as exc:
            log.debug("%s failed (%s); carrying on", command, exc)
            return []
