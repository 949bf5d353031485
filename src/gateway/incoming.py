"""Incoming SMS on a modem: read and deleted so that the SIM's storage never fills.

A SIM receives operator messages, replies from users ("STOP", "?") and, on some modems, status
reports in the same storage; full, it blocks delivery reports and on some modems even sending
(``+CMS ERROR: 322``). ``AT+CNMI=2,1,...`` has the modem store each SMS and announce it with
``+CMTI: <mem>,<index>``; :class:`IncomingLines` notes the announcement wherever it turns up
(inside an ``AT+CMGS`` too, where it must not break the send), and :func:`read_received`
lists the storage in PDU mode (``AT+CMGL=4``), decodes each message with python-gsmmodem-new,
and deletes it (``AT+CMGD``). Segments of a long message are put back together when all of
them are on the SIM; a segment whose siblings are not is kept as it is.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gsmmodem.exceptions import EncodingError
from gsmmodem.pdu import Concatenation, decodeSmsPdu

from gateway.at_channel import AtCommandError
from gateway.status_report import ReportLines, split_fields

log = logging.getLogger("gateway.modem")

Run = Callable[[str], list[str]]


@dataclass(frozen=True)
class ReceivedSms:
    """One SMS the modem received. ``sender`` is the full number: never log it."""

    sender: str
    text: str
    #: The SMS centre's time stamp (its own clock), None when unreadable.
    sent_at: datetime | None
    segments: int = 1

    def __repr__(self) -> str:  # the default would print the number and the text
        return f"ReceivedSms({len(self.text)} characters, segments={self.segments})"


@dataclass(frozen=True)
class StorageUse:
    """Messages in the memory incoming SMS are stored in (``AT+CPMS?``, its third memory)."""

    memory: str
    used: int
    total: int


class IncomingLines:
    """Notes ``+CMTI`` announcements among a modem's lines; :attr:`pending` says a read is due.

    Pending from the start: messages that arrived while nobody listened are on the SIM too.
    """

    def __init__(self) -> None:
        self.pending = True

    def feed(self, line: str) -> bool:
        if line.startswith("+CMTI:"):
            self.pending = True
            return True
        return False


def storage_use(run: Run) -> StorageUse | None:
    """``+CPMS: "SM",3,50,"SM",3,50,"SM",3,50``: the last memory (where SMS arrive)."""
    try:
        lines = run("AT+CPMS?")
    except AtCommandError as exc:
        log.debug("AT+CPMS? refused (%s)", exc)
        return None
    answer = next((line for line in lines if line.startswith("+CPMS:")), None)
    fields = split_fields(answer[6:].strip()) if answer else []
    if len(fields) < 3 or len(fields) % 3 or not (fields[-2].isdigit() and fields[-1].isdigit()):
        return None
    return StorageUse(fields[-3].strip('"').upper(), int(fields[-2]), int(fields[-1]))


def read_received(run: Run, reports: ReportLines) -> tuple[list[ReceivedSms], StorageUse | None]:
    """Read and delete every stored SMS; status reports found there join ``reports``.

    :return: the messages (long ones put together) and the storage use after deleting them.
    """
    use = storage_use(run)
    memory = use.memory if use is not None else "SM"
    if memory == "SR":  # nothing but reports is kept there; they are read elsewhere
        return [], use
    try:
        run(f'AT+CPMS="{memory}"')  # <mem1>: where AT+CMGL and AT+CMGD look
        listing = run("AT+CMGL=4")
    except AtCommandError as exc:
        log.warning("could not list received SMS (%s)", exc)
        return [], use
    segments: list[tuple[dict[str, Any], Concatenation | None]] = []
    for index, pdu in _entries(listing):
        decoded = _decode(pdu)
        if decoded is not None and decoded["type"] == "SMS-STATUS-REPORT":
            reports.add_pdu(pdu)
        elif decoded is not None and decoded["type"] == "SMS-DELIVER":
            segments.append((decoded, _concatenation(decoded)))
        _delete(run, index)
    return _assembled(segments), storage_use(run)


def _entries(listing: list[str]) -> list[tuple[int, str]]:
    """``(index, pdu)`` of each ``+CMGL: <index>,<stat>,[<alpha>],<length>`` and its PDU line."""
    entries = []
    for header, pdu in itertools.pairwise(listing):
        if header.startswith("+CMGL:") and not pdu.startswith("+CMGL:"):
            index = header[6:].split(",")[0].strip()
            if index.isdigit():
                entries.append((int(index), pdu.strip()))
    return entries


def _decode(pdu: str) -> dict[str, Any] | None:
    try:
        decoded: dict[str, Any] = decodeSmsPdu(pdu)
    except (EncodingError, StopIteration, ValueError, IndexError, KeyError, TypeError) as exc:
        log.warning("deleted an unreadable stored SMS (%s)", type(exc).__name__)
        return None
    return decoded


def _delete(run: Run, index: int) -> None:
    try:
        run(f"AT+CMGD={index}")
    except AtCommandError as exc:
        log.warning("could not delete stored SMS %d (%s)", index, exc)


def _concatenation(decoded: dict[str, Any]) -> Concatenation | None:
    for element in decoded.get("udh", []):
        if isinstance(element, Concatenation) and 1 <= element.number <= element.parts:
            return element
    return None


def _assembled(segments: list[tuple[dict[str, Any], Concatenation | None]]) -> list[ReceivedSms]:
    """Single messages as they are, long ones whole when every segment was listed."""
    messages: list[ReceivedSms] = []
    groups: dict[tuple[str, int, int], dict[int, dict[str, Any]]] = {}
    for decoded, part in segments:
        if part is None or part.parts == 1:
            messages.append(_message(decoded))
        else:
            key = (decoded["number"], part.reference, part.parts)
            groups.setdefault(key, {})[part.number] = decoded
    for (_, _, count), parts in groups.items():
        if len(parts) == count:
            text = "".join(str(parts[n].get("text", "")) for n in range(1, count + 1))
            messages.append(_message(parts[1], text=text, segments=count))
        else:
            messages += [_message(parts[n]) for n in sorted(parts)]
    return messages


def _message(decoded: dict[str, Any], *, text: str | None = None, segments: int = 1) -> ReceivedSms:
    sent_at = decoded.get("time")
    return ReceivedSms(
        sender=str(decoded.get("number") or ""),
        text=str(decoded.get("text", "")) if text is None else text,
        sent_at=sent_at if isinstance(sent_at, datetime) else None,
        segments=segments,
    )
