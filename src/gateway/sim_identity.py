"""Which SIM is in a modem: its IMSI (``AT+CIMI``) and ICCID (``AT+CCID`` or ``AT+ICCID``).

Operators count what a subscription sends, not what a serial port sends, so per-SIM caps are
keyed by the SIM (:attr:`SimIdentity.key`): a SIM moved to another port keeps its counts.
Neither number is a secret, but both identify a subscriber; logs and metrics show them with
the middle masked (:func:`mask_identifier`), the database keeps them whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.at_channel import AtCommandError
from gateway.sim import Runner

#: 27.007 §7.4: up to 15 digits (MCC, MNC, MSIN).
_IMSI = re.compile(r"[0-9]{6,15}")
#: ITU-T E.118: 18-20 digits; some modems pad an odd length with ``F``.
_ICCID = re.compile(r"[0-9]{18,20}[Ff]?")
#: Vendors disagree: u-blox and SIMCom ``AT+CCID``, Sierra and Telit ``AT+ICCID``.
ICCID_COMMANDS = ("AT+CCID", "AT+ICCID")
_MASK = "•••"


@dataclass(frozen=True)
class SimIdentity:
    """A SIM as the modem reports it; None for what the modem would not say."""

    imsi: str | None = None
    iccid: str | None = None

    @property
    def key(self) -> str | None:
        """What per-SIM caps are counted by: the IMSI, else the card's ICCID, else None."""
        if self.imsi:
            return self.imsi
        return f"iccid:{self.iccid}" if self.iccid else None

    def masked(self) -> str:
        """``imsi 23415•••001, iccid 894411•••0005``, for logs."""
        imsi = mask_identifier(self.imsi) if self.imsi else "unknown"
        iccid = mask_identifier(self.iccid) if self.iccid else "unknown"
        return f"imsi {imsi}, iccid {iccid}"


def mask_identifier(value: str) -> str:
    """Keep the network or issuer prefix and the last digits: ``23415•••001``.

    The prefix says which operator; the last digits match what is printed on the card.
    """
    if len(value) <= 8:
        return _MASK
    head = 6 if len(value) > 15 else 5
    tail = 4 if len(value) > 15 else 3
    return f"{value[:head]}{_MASK}{value[-tail:]}"


def read_sim_identity(run: Runner) -> SimIdentity:
    """Ask the modem for the IMSI and the ICCID; a refused or odd answer gives None.

    ``AT+CIMI`` needs an unlocked SIM (``+CME ERROR: 11`` before the PIN); the ICCID is usually
    readable without it.
    """
    imsi = _value(_answer(run, "AT+CIMI"), _IMSI)
    iccid = None
    for command in ICCID_COMMANDS:
        iccid = _value(_answer(run, command), _ICCID)
        if iccid is not None:
            break
    return SimIdentity(imsi=imsi, iccid=iccid)


def _answer(run: Runner, command: str) -> list[str]:
    try:
        return run(command)
    except AtCommandError:
        return []


def _value(lines: list[str], pattern: re.Pattern[str]) -> str | None:
    """The number in ``+CCID: "8944…"``, ``ICCID: 8944…`` or a bare ``8944…`` line."""
    for line in reversed(lines):
        value = line.rsplit(":", 1)[-1].strip().strip('"')
        if pattern.fullmatch(value):
            return value.rstrip("Ff")
    return None
