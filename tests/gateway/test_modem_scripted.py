"""Our modem driver against a scripted modem: what the loopback modem cannot do.

A reset that prints no boot line (only echo back, or numeric errors lost), and a modem that
answers commands but never gives the ``>`` prompt.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from gateway.errors import ModemError, Outcome, SendError
from gateway.modem import Modem, ModemSettings

SETTINGS = ModemSettings(command_timeout=1.0, registration_timeout=0.5, poll_interval=0.01)

ANSWERS = {
    "AT+CPIN?": "+CPIN: READY",
    "AT+CREG?": "+CREG: 0,1",
    "AT+CGREG?": "+CGREG: 0,1",
    "AT+CEREG?": "+CEREG: 0,1",
    "AT+CSCA?": '+CSCA: "+32475161616",145',
}


class SilentlyResettingModem:
    """Answers our dialogue; :meth:`reset` turns echo back on and CMEE off, printing nothing."""

    def __init__(self) -> None:
        self.echo, self.cmee, self.at_prompt, self.reference = True, 0, False, 0
        self.prompts = True
        self.refused: set[str] = set()  # commands answered with ERROR
        self.read_timeout = 0.0
        self.commands: list[str] = []
        self.written: list[bytes] = []
        self.incoming = bytearray()

    def __call__(self, port: str, **options: Any) -> SilentlyResettingModem:
        assert options["exclusive"] is True
        self.read_timeout = options["timeout"]
        return self

    def reset(self, *, echo: bool, cmee: int) -> None:
        self.echo, self.cmee = echo, cmee

    def write(self, data: bytes, /) -> int:
        self.written.append(data)
        if self.at_prompt:  # the PDU and its Ctrl-Z
            self.at_prompt = False
            self.reference += 1
            self._out(data.rstrip(b"\x1a").decode() + "\r\n" if self.echo else "")
            self._out(f"\r\n+CMGS: {self.reference}\r\n\r\nOK\r\n")
            return len(data)
        for line in data.decode().replace("\x1b", "").split("\r")[:-1]:
            if line:
                self._command(line)
        return len(data)

    def _command(self, line: str) -> None:
        self.commands.append(line)
        if self.echo:
            self._out(line + "\r")
        if line == "ATE0":
            self.echo = False
        elif line == "AT+CMEE=1":
            self.cmee = 1
        elif line.startswith("AT+CMGS="):
            self.at_prompt = self.prompts
            self._out("\r\n> " if self.prompts else "")
            return
        if line in self.refused:
            self._out("\r\nERROR\r\n")
            return
        answer = f"+CMEE: {self.cmee}" if line == "AT+CMEE?" else ANSWERS.get(line)
        self._out((f"\r\n{answer}\r\n" if answer else "") + "\r\nOK\r\n")

    def _out(self, text: str) -> None:
        self.incoming += text.encode()

    def read(self, size: int = 1) -> bytes:
        if not self.incoming:
            time.sleep(self.read_timeout)  # what a serial port does when nothing comes
        data = bytes(self.incoming[:size])
        del self.incoming[:size]
        return data

    @property
    def in_waiting(self) -> int:
        return len(self.incoming)

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("echo", "cmee"), [(True, 0), (True, 1), (False, 0)])
def test_a_silent_reset_is_seen_before_the_next_send(echo: bool, cmee: int) -> None:
    scripted = SilentlyResettingModem()
    with Modem("/dev/scripted", settings=SETTINGS, serial_factory=scripted) as modem:
        assert modem.send("+32470123456", "one") == 1
        scripted.reset(echo=echo, cmee=cmee)
        assert modem.send("+32470123456", "two") == 2
    assert scripted.commands.count("ATE0") == 2
    assert scripted.commands.count("AT+CMEE=1") == 2
    reinit = len(scripted.commands) - scripted.commands[::-1].index("ATE0") - 1
    assert "AT+CMGF=0" in scripted.commands[reinit:]
    assert scripted.commands[-1].startswith("AT+CMGS=")


def test_no_prompt_is_temporary_and_the_prompt_is_cancelled() -> None:
    scripted = SilentlyResettingModem()
    settings = ModemSettings(command_timeout=0.3, registration_timeout=0.5, poll_interval=0.01)
    with Modem("/dev/scripted", settings=settings, serial_factory=scripted) as modem:
        scripted.prompts = False
        with pytest.raises(SendError) as caught:
            modem.send("+32470123456", "no prompt")
        assert caught.value.outcome is Outcome.TEMPORARY
        assert scripted.written[-1] == b"\x1b"
        scripted.prompts = True
        assert modem.send("+32470123456", "prompt again") == 1


def test_a_failed_re_initialisation_is_a_modem_error_not_an_unknown_send() -> None:
    """The worker resends after a ModemError but never after an unknown outcome: a set-up
    command refused after a reset must not look like a message that may have gone out."""
    scripted = SilentlyResettingModem()
    with Modem("/dev/scripted", settings=SETTINGS, serial_factory=scripted) as modem:
        assert modem.send("+32470123456", "one") == 1
        scripted.reset(echo=True, cmee=0)
        scripted.refused.add("AT+CMGF=0")
        with pytest.raises(ModemError):
            modem.send("+32470123456", "two")
    assert not any(c.startswith("AT+CMGS=") for c in scripted.commands[-3:])
