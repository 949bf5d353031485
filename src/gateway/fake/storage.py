"""The SIM's message storage (27.005 §3.1, §3.4): status reports ("SR") and received SMS
("SM"; "ME" is the same store here), read with ``AT+CMGL``/``AT+CMGR``, deleted with
``AT+CMGD``, counted by ``AT+CPMS``."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import replace
from datetime import UTC
from typing import TypeVar

from gateway.fake.incoming import Received
from gateway.fake.reports import Report
from gateway.fake.state import STORAGE_SIZE, AtError, ModemState
from gateway.fake.syntax import Command, int_arg, parse_args

T = TypeVar("T")
MEMORIES = ("ME", "SM", "SR")
#: ``AT+CMGL`` ``<stat>`` in PDU mode, and its text-mode names.
_STATS = {0: "REC UNREAD", 1: "REC READ", 4: "ALL"}


def cpms(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "test":
        return ['+CPMS: ("ME","SM","SR"),("ME","SM"),("ME","SM")']
    state.require_sim()
    if cmd.kind == "read":
        current = state.settings.storage
        return ["+CPMS: " + ",".join(f'"{m}",{_used(state, m)},{STORAGE_SIZE}' for m in current)]
    values = [v.upper() for v in parse_args(cmd.args)]
    if not values or any(v not in MEMORIES for v in values):
        raise AtError("CMS", 302)
    old = state.settings.storage
    mems = [*values[:3], *old[len(values) :]]
    state.settings.storage = (mems[0], mems[1], mems[2])
    return [
        "+CPMS: " + ",".join(f"{_used(state, m)},{STORAGE_SIZE}" for m in state.settings.storage)
    ]


def _used(state: ModemState, memory: str) -> int:
    return len(state.status_reports) if memory == "SR" else len(state.received)


def cmgr(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "test":
        return []
    state.require_sim()
    index = int_arg(parse_args(cmd.args), 0)
    if state.settings.storage[0] != "SR":
        message = state.received.get(index)
        if message is None:
            raise AtError("CMS", 321)
        state.received[index] = replace(message, read=True)
        if state.settings.text_mode:
            return [_text_header("+CMGR:", None, message), message.text]
        return [f"+CMGR: {int(message.read)},,{message.pdu_length()}", message.pdu()]
    report = state.status_reports.get(index)
    if report is None:
        raise AtError("CMS", 321)
    return report.cmgr(state.settings.text_mode)


def cmgd(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "test":
        return ["+CMGD: (1-50),(0-4)"]
    state.require_sim()
    values = parse_args(cmd.args)
    if state.settings.storage[0] == "SR":
        _delete(state.status_reports, values)
    else:
        _delete(state.received, values)
    return []


def _delete(store: MutableMapping[int, T], values: list[str]) -> None:
    """``<index>[,<delflag>]``: a flag above 0 deletes every message of the memory."""
    if int_arg(values, 1, 0) > 0:
        store.clear()
    else:
        store.pop(int_arg(values, 0), None)


def cmgl(state: ModemState, cmd: Command) -> list[str]:
    if cmd.kind == "test":
        return ["+CMGL: (0-4)" if not state.settings.text_mode else '+CMGL: ("ALL")']
    state.require_sim()
    if state.settings.storage[0] != "SR":
        return _list_received(state, parse_args(cmd.args))
    lines: list[str] = []
    for index, report in sorted(state.status_reports.items()):
        if state.settings.text_mode:
            lines.append(f'+CMGL: {index},"REC READ",{report.text()}')
        else:
            lines += [f"+CMGL: {index},1,,{report.pdu_length()}", report.pdu()]
    return lines


def _list_received(state: ModemState, values: list[str]) -> list[str]:
    """``AT+CMGL=<stat>``: 4 (or ``"ALL"``) every message, 0 unread, 1 read; listing marks
    them read."""
    wanted = values[0].upper() if values else ("REC UNREAD" if state.settings.text_mode else "0")
    if wanted.isdigit():
        wanted = _STATS.get(int(wanted), "")
    if wanted not in _STATS.values():
        raise AtError("CMS", 302)
    lines: list[str] = []
    for index, message in sorted(state.received.items()):
        status = "REC READ" if message.read else "REC UNREAD"
        if wanted not in ("ALL", status):
            continue
        state.received[index] = replace(message, read=True)
        if state.settings.text_mode:
            lines += [_text_header("+CMGL:", index, message), message.text]
        else:
            lines += [f"+CMGL: {index},{int(message.read)},,{message.pdu_length()}", message.pdu()]
    return lines


def _text_header(prefix: str, index: int | None, message: Received) -> str:
    status = "REC READ" if message.read else "REC UNREAD"
    stamp = f"{message.sent_at.astimezone(UTC):%y/%m/%d,%H:%M:%S}+00"
    where = f"{index}," if index is not None else ""
    return f'{prefix} {where}"{status}","{message.sender}",,"{stamp}"'


def store_status_report(state: ModemState, reference: int, destination: str) -> int:
    """Keep a "delivered" status report for ``reference`` in SR memory; return its index."""
    now = state.now()
    return store_report(state, Report(reference, destination, now, now))


def store_report(state: ModemState, report: Report) -> int:
    """Keep ``report`` in SR memory; return its index."""
    index = next(i for i in range(1, STORAGE_SIZE + 2) if i not in state.status_reports)
    state.status_reports[index] = report
    return index
