"""Errors raised by the gateway, and how a ``+CMS ERROR`` code is classified."""

from __future__ import annotations

import enum


class Outcome(enum.Enum):
    """What a failed send means for the caller."""

    #: Worth retrying later or on another modem (network congestion, modem busy...).
    TEMPORARY = "temporary"
    #: Retrying cannot help (invalid destination, barred SIM...).
    PERMANENT = "permanent"
    #: The modem stopped answering mid-send: the message may have gone out. Never resend blindly.
    UNKNOWN = "unknown"


class GatewayError(Exception):
    """Base class of every error the gateway raises."""


class ModemError(GatewayError):
    """The modem could not be opened or is not usable."""


class PortUnavailableError(ModemError):
    """The serial device does not exist, cannot be opened, or another process holds it."""


class PinRequiredError(ModemError):
    """The SIM asks for a PIN and none was configured."""


class WrongPinError(ModemError):
    """The SIM refused the PIN. It is never retried: three wrong tries lock the SIM (PUK)."""


class SimLockedError(ModemError):
    """The SIM needs its PUK (or another unlock code we do not handle)."""


class SimBusyError(ModemError):
    """The SIM stayed busy (``+CME ERROR: 14``) longer than the configured wait."""


class SimNotInsertedError(ModemError):
    """The modem reports no SIM card."""


class NoNetworkError(ModemError):
    """The modem did not register with a network in time."""


class NoSmsCentreError(ModemError):
    """The SIM has no SMS centre address, so nothing can be sent."""


class ModemNotRespondingError(ModemError):
    """The modem did not answer a command in time."""


class ModemDisconnectedError(ModemError):
    """The serial device went away (unplugged, pty closed)."""


class SendError(GatewayError):
    """A message was not (or maybe not) accepted by the network.

    :param reason: a short human explanation, safe to log (never the message text).
    :param outcome: whether a retry can help.
    :param cms_code: the modem's ``+CMS ERROR`` code, when it gave one.
    """

    def __init__(self, reason: str, *, outcome: Outcome, cms_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.outcome = outcome
        self.cms_code = cms_code

    @property
    def temporary(self) -> bool:
        return self.outcome is Outcome.TEMPORARY

    @property
    def permanent(self) -> bool:
        return self.outcome is Outcome.PERMANENT

    def __repr__(self) -> str:
        return f"SendError({self.reason!r}, outcome={self.outcome.value}, cms_code={self.cms_code})"


# 3GPP TS 27.005 §3.2.5 and 24.011 Annex E-2: causes a later retry may cure.
_TEMPORARY_CMS_CODES = frozenset(
    # 322: memory full; the gateway reads and deletes the stored SMS, then sending works again.
    {27, 38, 41, 42, 47, 98, 127, 300, 302, 314, 315, 322, 331, 332, 500, 512, 513, 514, 515}
)


def classify_cms_error(code: int) -> Outcome:
    """Map a ``+CMS ERROR`` code to whether a retry can help.

    Network congestion, temporary failures, SIM busy, no service and the catch-all 500 are
    temporary; unassigned numbers, barring, unsubscribed facilities and malformed PDUs are
    permanent.
    """
    if code in _TEMPORARY_CMS_CODES:
        return Outcome.TEMPORARY
    return Outcome.PERMANENT
