"""A synchronous AT-command channel over a serial port.

There is no reader thread: the caller reads only while it waits for an answer, so an
unsolicited line can never be taken for, or slip into, another command. Bytes are decoded
tolerantly, a ``>`` prompt is accepted with or without its space, and :meth:`AtChannel.resync`
(ESC, then a marker command, before every operation) drains a late answer left by a timeout
instead of letting it be read as the next command's reply. :meth:`AtChannel.synchronise`
finds an autobauding modem (SIMCom, Quectel at power-up) by sending ``AT`` until ``OK``.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import serial

from gateway.errors import ModemDisconnectedError

log = logging.getLogger("gateway.modem")

ESC = b"\x1b"
CTRL_Z = b"\x1a"

# Lines a modem prints by itself when it (re)starts (SIMCom, Quectel, Cinterion...).
_BOOT_LINES = frozenset(
    {"RDY", "SMS Ready", "Call Ready", "PB DONE", "^SYSSTART", "+CFUN: 1", "+CFUN: 0", "+CFUN: 4"}
)
# Prefixes of unsolicited lines, for commands whose answer has no prefix of its own.
_URC_PREFIXES = (
    "+CMTI:", "+CMT:", "+CDSI:", "+CDS:", "+CBM", "+CREG:", "+CGREG:", "+CEREG:", "RING",
    "+CRING:", "+CLIP:", "+CUSD:", "+CIEV:", "+CGEV:", "+CPIN:", "+QIND:", "^",
)  # fmt: skip
_ERROR_LINES = frozenset({"ERROR", "COMMAND NOT SUPPORT", "TOO MANY PARAMETERS"})
_CODED_ERROR = re.compile(r"\+(CME|CMS) ERROR: *(.*)")
_HEX_DATA = re.compile(r"[0-9A-Fa-f\x1a]{16,}")
_MARKER = "AT+CMEE?"
# Commands some modems answer with their information line and no final result (Wavecom
# Multiband: "+CPIN: READY" and nothing more).
_MAY_LACK_FINAL = frozenset({"AT+CPIN?"})


class SerialPort(Protocol):
    """What the channel needs from a port; :class:`serial.Serial` has it."""

    def read(self, size: int = 1) -> bytes: ...
    def write(self, data: bytes, /) -> int | None: ...
    @property
    def in_waiting(self) -> int: ...
    def close(self) -> None: ...


class AtTimeout(Exception):
    """No final result in time. ``lines`` holds the answer lines read so far."""

    def __init__(self, command: str, lines: list[str]) -> None:
        super().__init__(f"no answer to {_redact(command)}")
        self.lines = lines


class AtCommandError(Exception):
    """The modem ended a command with an error result.

    :param kind: ``"CME"``, ``"CMS"`` or None for a plain ``ERROR``.
    :param code: the numeric code, None when there is none (plain or verbose errors).
    """

    def __init__(self, line: str, kind: str | None, code: int | None) -> None:
        super().__init__(line)
        self.kind = kind
        self.code = code


@dataclass(frozen=True)
class _Final:
    ok: bool
    line: str


class AtChannel:
    """Commands and answers, one at a time, on one serial port.

    ``reset_seen`` turns True when the modem shows signs of having restarted (boot lines, an
    unsolicited ``+CPIN:``, or the echo of a command once echo was switched off); the owner
    re-initialises the modem and clears it.
    """

    def __init__(self, port: SerialPort, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._port = port
        self._clock = clock
        self._buffer = bytearray()
        self._in_stray_marker = False
        self.echo_expected = True
        self.reset_seen = False
        self._final_may_follow = False
        #: References of messages whose ``+CMGS`` came after we gave up waiting (the latest few).
        self.late_references: deque[int] = deque(maxlen=32)
        #: Sees every line first; a line it returns True for is consumed (status reports).
        self.line_hook: Callable[[str], bool] | None = None
        #: While True, boot lines are expected (the modem is being found) and not a reset sign.
        self.booting = False

    def command(self, command: str, timeout: float, *, prefix: str | None = None) -> list[str]:
        """Send ``command`` and return its answer lines (without the final ``OK``).

        :param prefix: answer lines start with it; other lines are unsolicited and skipped.
            Without it every line that does not look unsolicited is part of the answer.
        :raise AtCommandError: on ``ERROR``, ``+CME ERROR`` or ``+CMS ERROR``.
        :raise AtTimeout: when no final result came in time.
        """
        if self._final_may_follow:  # drain the OK an answer without one may still get
            self.resync(timeout)
        self.write(command.encode("ascii") + b"\r")
        return self.collect(command, timeout, prefix=prefix)

    def collect(self, command: str, timeout: float, *, prefix: str | None = None) -> list[str]:
        """Read the answer to ``command`` (already written) up to its final result."""
        deadline = self._clock() + timeout
        lines: list[str] = []
        while True:
            line = self._read_line(deadline)
            if line is None:
                raise AtTimeout(command, lines)
            if self._is_stray_marker(line) or self._is_echo(line, command):
                continue
            final = _final_result(line)
            if final is not None:
                if final.ok:
                    return lines
                raise _command_error(line)
            if _belongs(line, prefix):
                lines.append(line)
                if command.upper() in _MAY_LACK_FINAL:
                    return self._answer_without_final(lines)
            else:
                self._unsolicited(line)

    def _answer_without_final(self, lines: list[str]) -> list[str]:
        """Take an information line as the whole answer, not waiting for a final result.

        A final result already read is consumed; one that may still come is left for the
        resync the next command starts with, so it is never taken as that command's answer.
        """
        while (line := self._pop_line()) is not None:  # what was read already; no waiting
            if _final_result(line) is not None:
                return lines
            self._stray(line)
        self._final_may_follow = True
        return lines

    def wait_prompt(self, command: str, timeout: float) -> None:
        """Wait for the ``>`` prompt (a space after it is optional) that ``AT+CMGS`` asks for."""
        deadline = self._clock() + timeout
        while True:
            self._skip_separators()
            if self._buffer.startswith(b">"):
                del self._buffer[: 2 if self._buffer.startswith(b"> ") else 1]
                return
            line = self._pop_line()
            if line is not None:
                if not (self._is_stray_marker(line) or self._is_echo(line, command)):
                    if _final_result(line) is not None:
                        raise _command_error(line)
                    self._unsolicited(line)
                continue
            if self._clock() >= deadline:
                raise AtTimeout(command, [])
            self._fill()

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except serial.SerialTimeoutException as exc:
            raise AtTimeout("write", []) from exc
        except (serial.SerialException, OSError) as exc:
            raise ModemDisconnectedError(f"serial port failed: {exc}") from exc

    def resync(self, timeout: float) -> int:
        """Cancel any prompt and skip everything up to the answer of a marker command.

        The marker (``AT+CMEE?``) is the only command we send whose answer has a ``+CMEE:`` line,
        and a modem answers in order: what comes before that line (a late ``+CMGS``/``OK``,
        boot lines) is dropped. A marker answer that arrives later still (its resync timed out)
        is recognised and skipped wherever it turns up.

        :return: the ``+CMEE`` mode the modem reports (0 after a reset).
        """
        # ESC leaves a pending prompt; CR ends a half-typed line.
        self.write(ESC + b"\r" + _MARKER.encode("ascii") + b"\r")
        deadline = self._clock() + timeout
        cmee = None
        while True:
            line = self._read_line(deadline)
            if line is None:
                raise AtTimeout("resync", [])
            if line.startswith("+CMEE:"):
                cmee = _int_or(line[6:].strip(), -1)
            elif cmee is not None and _final_result(line) is not None:
                self._in_stray_marker = self._final_may_follow = False
                return cmee
            elif not self._is_echo(line, _MARKER):
                self._stray(line)

    def synchronise(self, attempts: int, wait: float) -> int:
        """Send ``AT`` until the modem answers ``OK``: at most ``attempts`` times, ``wait``
        seconds apart. Return how many it took.

        An autobauding modem answers nothing, not even an echo, until it has found the baud
        rate from the ``AT`` it receives (SIMCom: "send AT until OK"); then it may print its
        boot lines, which :attr:`booting` keeps from being taken for a reset.

        :raise AtTimeout: no ``OK`` after ``attempts`` tries.
        """
        for attempt in range(1, max(attempts, 1) + 1):
            self.write(b"AT\r")
            deadline = self._clock() + wait
            while (line := self._read_line(deadline)) is not None:
                if line.upper() == "AT":
                    continue  # our echo (the echo setting is not known yet)
                if line == "OK":
                    return attempt
                self._stray(line)
        raise AtTimeout(f"AT ({attempts} tries)", [])

    def drain(self) -> None:
        """Read what the modem said by itself since the last command, without sending anything.

        Complete lines go where lines outside any answer go (:attr:`line_hook`, late answers,
        unsolicited lines); a partial line waits in the buffer for the next read.
        """
        try:
            waiting = self._port.in_waiting
            if waiting:
                self._buffer += self._port.read(waiting)
        except (serial.SerialException, OSError) as exc:
            raise ModemDisconnectedError(f"serial port failed: {exc}") from exc
        while (line := self._pop_line()) is not None:
            if not self._is_stray_marker(line):
                self._stray(line)

    def close(self) -> None:
        try:
            self._port.close()
        except (serial.SerialException, OSError):
            log.debug("closing the serial port failed", exc_info=True)

    def _is_stray_marker(self, line: str) -> bool:
        """Whether a line belongs to the answer of a marker whose resync gave up waiting."""
        if line.startswith("+CMEE:"):
            self._in_stray_marker = True
            return True
        if self._in_stray_marker and _final_result(line) is not None:
            self._in_stray_marker = False
            return True
        return self._is_echo(line, _MARKER)

    def _is_echo(self, line: str, command: str) -> bool:
        if line.upper() != command.upper():
            return False
        if not self.echo_expected:
            log.warning("the modem echoes commands again: it has probably been reset")
            self.reset_seen = True
        return True

    def _unsolicited(self, line: str) -> None:
        if self.booting:
            log.debug("boot line while finding the modem: %s", _loggable(line))
        elif line in _BOOT_LINES or line.startswith("+CPIN:"):
            log.warning("the modem printed %r: it has probably been reset", line)
            self.reset_seen = True
        else:
            log.debug("unsolicited: %s", _loggable(line))

    def _stray(self, line: str) -> None:
        """A line that answers no current command: a late answer or an unsolicited line."""
        if line.startswith("+CMGS:"):
            reference = _int_or(line[6:].split(",")[0].strip(), -1)
            log.warning("late +CMGS: message reference %d was accepted after all", reference)
            self.late_references.append(reference)
        elif _final_result(line) is not None:
            log.debug("dropped a late final result: %s", line)
        else:
            self._unsolicited(line)

    def _read_line(self, deadline: float) -> str | None:
        while True:
            line = self._pop_line()
            if line is not None:
                return line
            if self._clock() >= deadline:
                return None
            self._fill()

    def _pop_line(self) -> str | None:
        while True:
            self._skip_separators()
            ends = [i for i in (self._buffer.find(b"\r"), self._buffer.find(b"\n")) if i >= 0]
            if not ends:
                return None
            end = min(ends)
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            # Tolerant decoding: one bad byte must not cost more than one character.
            line = raw.decode("utf-8", errors="replace").strip()
            # A late prompt glued to the next line; no answer line starts with ">".
            line = line.lstrip("> ") if line.startswith(">") else line
            if line and not (self.line_hook is not None and self.line_hook(line)):
                return line

    def _skip_separators(self) -> None:
        start = 0
        while start < len(self._buffer) and self._buffer[start] in b"\r\n":
            start += 1
        del self._buffer[:start]

    def _fill(self) -> None:
        """Read what is there, or wait for one byte at most the port's read timeout."""
        try:
            data = self._port.read(1)
            if data:
                waiting = self._port.in_waiting
                if waiting:
                    data += self._port.read(waiting)
        except (serial.SerialException, OSError) as exc:
            raise ModemDisconnectedError(f"serial port failed: {exc}") from exc
        self._buffer += data


def _final_result(line: str) -> _Final | None:
    if line == "OK":
        return _Final(True, line)
    if line in _ERROR_LINES or _CODED_ERROR.fullmatch(line):
        return _Final(False, line)
    return None


def _command_error(line: str) -> AtCommandError:
    match = _CODED_ERROR.fullmatch(line)
    if match is None:
        return AtCommandError(line, None, None)
    code = match.group(2).strip()
    return AtCommandError(line, match.group(1), int(code) if code.isdigit() else None)


def _belongs(line: str, prefix: str | None) -> bool:
    """Whether a line answers the command (else it is unsolicited)."""
    if prefix is not None:
        return line.startswith(prefix)
    return line not in _BOOT_LINES and not line.startswith(_URC_PREFIXES)


def _int_or(text: str, default: int) -> int:
    return int(text) if text.isdigit() else default


def _redact(command: str) -> str:
    """Never show a PIN in an error or a log."""
    return "AT+CPIN=<PIN>" if command.upper().startswith("AT+CPIN=") else command


def _loggable(line: str) -> str:
    """PDUs carry the number and the text (the code): never log them."""
    return _HEX_DATA.sub(lambda m: f"<{len(m.group())} hex chars>", line)
