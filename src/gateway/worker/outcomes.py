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

    The network's own answer (:class:`SendError`) is kept. A modem that vanished
    (unplugged) had not finished the exchange, so another modem may try the message again,
    accepting at most one duplicate as with any crash. Any other modem failure during a send
    leaves it unknown whether the message went out: it is not sent again.
    """
    if isinstance(exc, SendError):
        return SendFailure(exc, modem_broken=False)
    if isinstance(exc, ModemDisconnectedError):
        error = SendError("modem disconnected while sending", outcome=Outcome.TEMPORARY)
        return SendFailure(error, modem_broken=True)
    name = type(exc).__name__
    if isinstance(exc, ModemError):
        error = SendError(f"modem failed while sending ({name})", outcome=Outcome.UNKNOWN)
    else:
        error = SendError(f"unexpected {name} while sending", outcome=Outcome.UNKNOWN)
    return SendFailure(error, modem_broken=True)
