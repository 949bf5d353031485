"""What a :class:`gateway.modem.Modem` is told (settings) and what it reports (health)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from gateway.registration import REGISTERED_NAMES
from gateway.sms_pdu import DEFAULT_MAX_SEGMENTS


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
