"""Handing the segments of one message to the modem: ``AT+CMGS``, the prompt, the PDU, and
what its answer (or silence) means for the message."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gateway.at_channel import CTRL_Z, ESC, AtChannel, AtCommandError, AtTimeout
from gateway.errors import Outcome, SendError, classify_cms_error
from gateway.sms_pdu import SubmitPdu

if TYPE_CHECKING:
    from gateway.modem_settings import ModemSettings

#: Told of each refusal before it becomes a :class:`SendError` (the modem may need care).
OnRefusal = Callable[[AtCommandError], None]


def submit_all(
    channel: AtChannel, pdus: list[SubmitPdu], settings: ModemSettings, refused: OnRefusal
) -> int:
    """Submit each segment in turn; the last one's reference.

    A refusal after the first segment keeps its outcome (a retry sends them all again).
    """
    reference = -1
    for number_of, pdu in enumerate(pdus, start=1):
        try:
            reference = submit(channel, pdu, settings, refused)
        except SendError as exc:
            if number_of == 1:
                raise
            raise SendError(
                f"segment {number_of} of {len(pdus)}: {exc.reason}",
                outcome=exc.outcome,
                cms_code=exc.cms_code,
            ) from None
    return reference


def submit(channel: AtChannel, pdu: SubmitPdu, settings: ModemSettings, refused: OnRefusal) -> int:
    """One ``AT+CMGS``: the network's reference, or :class:`SendError`."""
    command = f"AT+CMGS={pdu.tpdu_length}"
    channel.write(command.encode("ascii") + b"\r")
    try:
        channel.wait_prompt(command, settings.command_timeout)
    except AtTimeout:
        channel.write(ESC)
        raise SendError(
            "no '>' prompt from the modem; nothing was sent", outcome=Outcome.TEMPORARY
        ) from None
    except AtCommandError as exc:
        raise _refusal(exc, refused) from None
    channel.write(pdu.hex.encode("ascii") + CTRL_Z)
    try:
        lines = channel.collect(command, settings.send_timeout, prefix="+CMGS:")
    except AtTimeout as exc:
        channel.write(ESC)
        if exc.lines:  # the reference came, only the final OK is missing: it went out
            return _reference(exc.lines)
        raise SendError(
            f"no answer within {settings.send_timeout:g} s: the message may have gone out",
            outcome=Outcome.UNKNOWN,
        ) from None
    except AtCommandError as exc:
        raise _refusal(exc, refused) from None
    return _reference(lines)


def _refusal(exc: AtCommandError, refused: OnRefusal) -> SendError:
    refused(exc)
    if exc.kind == "CMS" and exc.code is not None:
        return SendError(
            f"the modem refused the message (+CMS ERROR: {exc.code})",
            outcome=classify_cms_error(exc.code),
            cms_code=exc.code,
        )
    return SendError(f"the modem refused the message ({exc})", outcome=Outcome.TEMPORARY)


def _reference(lines: list[str]) -> int:
    """The TP-MR of ``+CMGS: <mr>[,<scts>|<ackpdu>]``."""
    field = lines[-1][len("+CMGS:") :].split(",")[0].strip()
    if not field.isdigit():
        raise SendError(
            "the message was accepted but its reference is unreadable", outcome=Outcome.UNKNOWN
        )
    return int(field)
