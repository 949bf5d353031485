"""The fake modem's AT engine: bytes in, bytes out, no I/O of its own.

A transport feeds it what the TE wrote and calls :meth:`AtEngine.tick` when
:meth:`AtEngine.next_deadline` passes; the engine answers through the ``write`` callback.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from gateway.fake import device, incoming, sms, storage
from gateway.fake.autobaud import Autobaud
from gateway.fake.faults import STATUS_URCS, Faults
from gateway.fake.incoming import Received
from gateway.fake.reports import Report, ReportQueue
from gateway.fake.state import AtError, ModemState, Prompt
from gateway.fake.syntax import AtSyntaxError, split_line

CTRL_Z, ESC, CR, LF, BACKSPACE, DELETE = 0x1A, 0x1B, 0x0D, 0x0A, 0x08, 0x7F
MAX_LINE = 2048
HANDLERS = {**device.HANDLERS, **sms.HANDLERS}
BOOT_URCS = ("RDY", "+CFUN: 1", "+CPIN: {sim}", "SMS Ready")

#: Who answers "STOP" in the middle of a send (``Faults.cmti_during_send``).
REPLIER = "+32470999888"

#: Called with each message the network accepted and its TP-MR.
Deliver = Callable[[sms.Submitted, int], None]


@dataclass
class _Pending:
    """A submitted message waiting for the (emulated) network's answer."""

    due: float
    submitted: sms.Submitted
    error: int | None


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class AtEngine:
    """One modem's command interpreter and state. Not thread-safe: callers serialise."""

    def __init__(
        self,
        faults: Faults,
        write: Callable[[bytes], None],
        deliver: Deliver,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.state = ModemState(faults, clock=clock, now=now)
        self.commands: list[str] = []
        self._write = write
        self._deliver = deliver
        self._line = bytearray()
        self._body = bytearray()
        self._held = bytearray()  # input that arrived while a send was in progress
        self._pending: _Pending | None = None
        self._late_final = b""  # an answer's final result held back until the next line
        self._reports = ReportQueue()
        self._autobaud = Autobaud(faults.autobaud)
        self._concat_references = itertools.count(1)  # of long SMS received

    @property
    def faults(self) -> Faults:
        return self.state.faults

    def feed(self, data: bytes) -> None:
        """Take bytes the TE wrote. While a send waits for the network, input is held."""
        for pos, byte in enumerate(data):
            if self._pending is not None:
                self._held += data[pos:]
                return
            if self.state.prompt is not None:
                self._prompt_byte(byte)
            else:
                self._command_byte(byte)

    def next_deadline(self) -> float | None:
        """When :meth:`tick` has something to do (clock time), or None."""
        if self._pending is not None:
            return self._pending.due
        return None if self.state.prompt is not None else self._reports.next_due()

    def tick(self) -> None:
        """Give the network's late answer once it is due, then run held input; send the
        status reports whose delay passed (not while a send is in progress)."""
        if self._pending is None and self.state.prompt is None:
            for report in self._reports.pop_due(self.state.clock()):
                self._route_report(report)
        pending = self._pending
        if pending is None or self.state.clock() < pending.due:
            return
        self._pending = None
        self._complete(pending)
        held, self._held = bytes(self._held), bytearray()
        self.feed(held)

    def reset(self, *, announce: bool = True) -> None:
        """Reboot: settings lost, boot messages sent (``announce``), SIM counters kept.

        A send in flight is delivered silently: the network had it, the answer is lost.
        """
        if self._pending is not None and self._pending.error is None:
            self._deliver(self._pending.submitted, self.state.take_reference())
        self._pending = None
        self._line.clear()
        self._body.clear()
        self._held.clear()
        self._late_final = b""
        self.state.reboot()
        self._autobaud = Autobaud(self.faults.autobaud)
        if self._autobaud.searching:  # an autobauding modem says nothing until it found the rate
            return
        for urc in BOOT_URCS if announce else ():
            self.send_urc(urc.format(sim=self.state.sim_status()).encode())

    def receive(self, message: Received) -> int | None:
        """An SMS arrives from the network: stored on the SIM (a long one as its segments) and,
        as ``AT+CNMI`` ``<mt>=1`` asks, each announced by ``+CMTI``. The last index, or None
        when the storage was full (the rest is lost)."""
        parts = incoming.split(message.text, next(self._concat_references))
        index = None
        for part in parts or [message]:
            stored = replace(part, sender=message.sender, sent_at=message.sent_at)
            index = self.state.store_received(stored)
            if index is None:
                return None
            if self.state.settings.cnmi[1] == 1:
                self.send_urc(f'+CMTI: "SM",{index}'.encode())
        return index

    def send_urc(self, line: bytes) -> None:
        """Write an unsolicited result line now."""
        self._write(b"\r\n" + line + b"\r\n")

    def _echo(self, byte: int) -> None:
        if self.state.settings.echo and not self.faults.mute and not self._autobaud.searching:
            self._write(bytes([byte]))

    def _command_byte(self, byte: int) -> None:
        if byte in (CTRL_Z, ESC):  # a stray submit/abort outside the prompt cancels the line
            self._line.clear()
            return
        self._echo(byte)
        if byte == CR:
            line, self._line = bytes(self._line), bytearray()
            self._run_line(line.decode("latin-1").strip())
        elif byte in (BACKSPACE, DELETE):
            del self._line[-1:]
        elif byte != LF and len(self._line) < MAX_LINE:
            self._line.append(byte)

    def _prompt_byte(self, byte: int) -> None:
        prompt = self.state.prompt
        assert prompt is not None
        if byte == CTRL_Z:
            self.state.prompt = None
            body, self._body = bytes(self._body), bytearray()
            self._submit(prompt, _decode(body))
        elif byte == ESC:
            self.state.prompt = None
            self._body.clear()
            self._respond([], None)
        elif byte == CR and prompt.text_mode:
            self._body.append(LF)
            self._write_prompt()
        elif byte in (BACKSPACE, DELETE):
            del self._body[-1:]
        elif byte not in (CR, LF):
            self._echo(byte)
            self._body.append(byte)

    def _run_line(self, text: str) -> None:
        late, self._late_final = self._late_final, b""
        if late and not self.faults.mute:
            self._write(late)
        start = text.upper().find("AT")
        if start < 0:  # V.250: a line without "AT" is not a command; a modem ignores it
            return
        text = text[start:]
        self.commands.append(text)
        if self.faults.mute or self._autobaud.lose():
            return
        info: list[str] = []
        try:
            for command in split_line(text[2:]):
                handler = HANDLERS.get(command.name)
                if handler is None:
                    raise AtError()
                info += handler(self.state, command)
                if self.state.prompt is not None:  # AT+CMGS ends the line: prompt now
                    self._respond(info, None, final=False)
                    self._status_urcs()
                    self._write_prompt()
                    return
        except AtSyntaxError:
            self._respond(info, AtError())
        except AtError as error:
            self._respond(info, error)
        else:
            self._respond(info, None, final=not self._cpin_without_final(text))

    def _cpin_without_final(self, text: str) -> bool:
        """``AT+CPIN?`` on a modem that omits its ``OK`` (or, ``cpin_late_ok``, sends it late)."""
        faults = self.faults
        if text.upper().replace(" ", "") != "AT+CPIN?":
            return False
        if faults.cpin_late_ok:
            self._late_final = b"\r\nOK\r\n" if self.state.settings.verbose else b"0\r"
        return faults.cpin_without_ok or faults.cpin_late_ok

    def _status_urcs(self) -> None:
        if self.faults.status_urcs_in_send:
            for line in STATUS_URCS:
                self.send_urc(line.encode())

    def _write_prompt(self) -> None:
        self._write(b"\r\n>\r\n" if self.faults.prompt_without_space else b"\r\n> ")

    def _respond(self, info: list[str], error: AtError | None, *, final: bool = True) -> None:
        """Information lines then the final result, in verbose (V1) or numeric (V0) form."""
        if self.faults.mute:
            return
        settings = self.state.settings
        out = ""
        if info:
            body = "\r\n".join(info)
            out = f"\r\n{body}\r\n" if settings.verbose else f"{body}\r\n"
        if final and not settings.quiet:
            result = "OK" if error is None else error.result(settings.cmee)
            if settings.verbose:
                out += f"\r\n{result}\r\n"
            else:
                out += {"OK": "0\r", "ERROR": "4\r"}.get(result, f"{result}\r\n")
        self._write(out.encode("utf-8"))
        for line in self._autobaud.boot_lines(self.state.sim_status()):
            self.send_urc(line.encode())

    def _submit(self, prompt: Prompt, body: str) -> None:
        try:
            submitted = sms.accept(self.state, prompt, body)
        except AtError as error:
            self._respond([], error)
            return
        errors = self.faults.send_errors
        pending = _Pending(
            due=self.state.clock() + max(self.faults.send_delay, 0.0),
            submitted=submitted,
            error=errors.pop(0) if errors else None,
        )
        if self.faults.send_delay > 0:
            self._pending = pending
        else:
            self._complete(pending)

    def _complete(self, pending: _Pending) -> None:
        if pending.error is not None:
            self._respond([], AtError("CMS", pending.error))
            return
        submitted = pending.submitted
        reference = self.state.take_reference()
        self._deliver(submitted, reference)  # in the inbox before the TE reads +CMGS
        if self.faults.urc_during_send:
            index = storage.store_status_report(self.state, reference, submitted.to)
            self.send_urc(f'+CDSI: "SR",{index}'.encode())
        if self.faults.cmti_during_send:
            self.receive(Received(REPLIER, "STOP", self.state.now()))
        self._status_urcs()
        answer = f"+CMGS: {reference}"
        if self.faults.cmgs_with_scts:
            answer += f',"{self.state.now().astimezone(UTC):%y/%m/%d,%H:%M:%S}+00"'
        self._respond([answer], None)
        self._report_delivery(submitted, reference)

    def _report_delivery(self, submitted: sms.Submitted, reference: int) -> None:
        """Status reports routed per ``AT+CNMI`` ``<ds>``, when the fault asks for them."""
        if not (self.faults.status_reports and submitted.status_report_requested):
            return
        now, delay = self.state.now(), max(self.faults.report_delay, 0.0)
        report = Report(
            reference, submitted.to, now, now + timedelta(seconds=delay), self.faults.report_status
        )
        if delay > 0:
            self._reports.schedule(self.state.clock() + delay, report)
        else:
            self._route_report(report)

    def _route_report(self, report: Report) -> None:
        ds = self.state.settings.cnmi[3]
        if ds == 2:
            index = storage.store_report(self.state, report)
            self.send_urc(f'+CDSI: "SR",{index}'.encode())
        elif ds == 1:
            self.send_urc(report.cds(self.state.settings.text_mode).encode())
