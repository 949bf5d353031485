"""What an exception from a modem's ``send`` means for the message and for the modem."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import (
    ModemDisconnectedError,
    ModemError,
    Outcome,
    PinRequiredError,
    SendError,
    SimLockedError,
    WrongPinError,
)

#: Opening errors that only a person can fix; retrying a wrong PIN would lock the SIM (PUK).
NEEDS_OPERATOR: tuple[type[ModemError], ...] = (WrongPinError, PinRequiredError, SimLockedError)


@dataclass(frozen=True)
class SendFailure:
    """:param error: what to record for the message.
    :param modem_broken: the modem must be closed and reopened before it sends again.
    """

    error: SendError
    modem_broken: bool


def classify_send_exception(exc: Exception) -> SendFailure:
    """Turn whatever ``send`` raised into the outcome the outbox records.

    The network's own answer (:class:`SendError`) is kept; a driver reports a submitted message
    that got no answer as :attr:`Outcome.UNKNOWN`, which is never sent again. Any other
    :class:`ModemError` means the modem failed before the message was handed over (or, if it
    vanished mid-exchange, as a crash would): another modem may try it at once, accepting at
    most one duplicate. Anything else is a bug whose effect is unknown: not sent again.
    """
    if isinstance(exc, SendError):
        return SendFailure(exc, modem_broken=False)
    name = type(exc).__name__
    if isinstance(exc, ModemDisconnectedError):
        error = SendError("modem disconnected while sending", outcome=Outcome.TEMPORARY)
    elif isinstance(exc, ModemError):
        error = SendError(f"modem failed before sending ({name})", outcome=Outcome.TEMPORARY)
    else:
        error = SendError(f"unexpected {name} while sending", outcome=Outcome.UNKNOWN)
    return SendFailure(error, modem_broken=True)
