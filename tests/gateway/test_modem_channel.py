"""The AT channel against a scripted port: the dialogue details real modems get wrong."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from gateway.at_channel import AtChannel, AtCommandError, AtTimeout
from gateway.errors import ModemDisconnectedError

Responder = Callable[[bytes], bytes]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ScriptedPort:
    """A serial port whose modem answers each write through ``respond``.

    An empty read stands for the port's read timeout: it advances the clock instead of waiting.
    """

    def __init__(self, respond: Responder, clock: FakeClock) -> None:
        self.respond = respond
        self.clock = clock
        self.written: list[bytes] = []
        self.incoming = bytearray()
        self.closed = False

    def feed(self, data: bytes) -> None:
        self.incoming += data

    def write(self, data: bytes, /) -> int:
        self.written.append(data)
        self.incoming += self.respond(data)
        return len(data)

    def read(self, size: int = 1) -> bytes:
        if not self.incoming:
            self.clock.now += 0.05
            return b""
        data = bytes(self.incoming[:size])
        del self.incoming[:size]
        return data

    @property
    def in_waiting(self) -> int:
        return len(self.incoming)

    def close(self) -> None:
        self.closed = True


def table(answers: dict[bytes, bytes]) -> Responder:
    return lambda data: answers.get(data, b"")


def make_channel(respond: Responder) -> tuple[AtChannel, ScriptedPort]:
    clock = FakeClock()
    port = ScriptedPort(respond, clock)
    channel = AtChannel(port, clock=clock)
    channel.echo_expected = False
    return channel, port


def test_command_returns_answer_lines_without_final_ok() -> None:
    channel, _ = make_channel(table({b"AT+CSQ\r": b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n"}))
    assert channel.command("AT+CSQ", 1.0, prefix="+CSQ:") == ["+CSQ: 20,99"]


def test_unsolicited_lines_are_skipped_not_taken_as_the_answer() -> None:
    answer = b'\r\n+CDSI: "SR",3\r\n\r\n+CSQ: 20,99\r\n\r\n+CMTI: "SM",1\r\n\r\nOK\r\n'
    channel, _ = make_channel(table({b"AT+CSQ\r": answer}))
    assert channel.command("AT+CSQ", 1.0, prefix="+CSQ:") == ["+CSQ: 20,99"]
    assert not channel.reset_seen


def test_a_non_utf8_byte_costs_one_character_not_the_channel() -> None:
    answer = b'\r\n+COPS: 0,0,"Caf\xe9Net",7\r\n\r\nOK\r\n'
    channel, _ = make_channel(table({b"AT+COPS?\r": answer}))
    assert channel.command("AT+COPS?", 1.0, prefix="+COPS:") == ['+COPS: 0,0,"Caf\ufffdNet",7']


def test_coded_errors_keep_their_kind_and_code() -> None:
    channel, _ = make_channel(table({b"AT+CPIN?\r": b"\r\n+CME ERROR: 10\r\n"}))
    with pytest.raises(AtCommandError) as caught:
        channel.command("AT+CPIN?", 1.0, prefix="+CPIN:")
    assert (caught.value.kind, caught.value.code) == ("CME", 10)


def test_plain_and_verbose_errors_have_no_code() -> None:
    channel, _ = make_channel(
        table({b"AT+X\r": b"\r\nERROR\r\n", b"AT+Y\r": b"\r\n+CMS ERROR: unknown error\r\n"})
    )
    for command, kind in (("AT+X", None), ("AT+Y", "CMS")):
        with pytest.raises(AtCommandError) as caught:
            channel.command(command, 1.0)
        assert (caught.value.kind, caught.value.code) == (kind, None)


@pytest.mark.parametrize("prompt", [b"\r\n> ", b"\r\n>", b"\r\n>\r\n"])
def test_prompt_is_accepted_with_or_without_its_space(prompt: bytes) -> None:
    channel, port = make_channel(table({b"AT+CMGS=20\r": prompt}))
    port.write(b"AT+CMGS=20\r")
    channel.wait_prompt("AT+CMGS=20", 1.0)
    port.feed(b"\r\n+CMGS: 7\r\n\r\nOK\r\n")
    assert channel.collect("AT+CMGS=20", 1.0, prefix="+CMGS:") == ["+CMGS: 7"]


def test_prompt_after_an_unsolicited_line() -> None:
    channel, port = make_channel(table({b"AT+CMGS=20\r": b'\r\n+CDSI: "SR",1\r\n\r\n> '}))
    port.write(b"AT+CMGS=20\r")
    channel.wait_prompt("AT+CMGS=20", 1.0)


def test_error_instead_of_prompt_is_raised() -> None:
    channel, port = make_channel(table({b"AT+CMGS=20\r": b"\r\n+CMS ERROR: 330\r\n"}))
    port.write(b"AT+CMGS=20\r")
    with pytest.raises(AtCommandError) as caught:
        channel.wait_prompt("AT+CMGS=20", 1.0)
    assert caught.value.code == 330


def test_resync_drops_a_late_answer_so_the_next_command_gets_its_own() -> None:
    late = b"\r\n+CMGS: 42\r\n\r\nOK\r\n"
    marker = b"\r\n+CMEE: 1\r\n\r\nOK\r\n"
    channel, port = make_channel(
        table(
            {
                b"\x1b\rAT+CMEE?\r": late + marker,
                b"AT+CSQ\r": b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n",
            }
        )
    )
    assert channel.resync(1.0) == 1
    assert list(channel.late_references) == [42]
    assert port.written[0].startswith(b"\x1b\r")
    assert channel.command("AT+CSQ", 1.0, prefix="+CSQ:") == ["+CSQ: 20,99"]


def test_a_marker_answer_after_its_resync_gave_up_is_skipped() -> None:
    answers = iter([b"", b"\r\n+CMEE: 1\r\n\r\nOK\r\n"])
    channel, port = make_channel(lambda data: next(answers) if b"AT+CMEE?" in data else b"")
    with pytest.raises(AtTimeout):
        channel.resync(0.5)
    channel.resync(0.5)  # takes the first marker answer for its own...
    port.feed(b"\r\n+CMEE: 1\r\n\r\nOK\r\n")  # ...so its own comes later, before the CSQ's
    port.feed(b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
    assert channel.command("AT+CSQ", 0.5, prefix="+CSQ:") == ["+CSQ: 20,99"]
    assert port.incoming == b""


def test_a_late_marker_answer_is_no_prompt_either() -> None:
    channel, port = make_channel(table({}))
    port.feed(b"\r\n+CMEE: 1\r\n\r\nOK\r\n\r\n> ")
    channel.wait_prompt("AT+CMGS=20", 0.5)


def test_a_late_marker_answer_is_not_the_answer_of_a_command_without_prefix() -> None:
    channel, port = make_channel(table({b"ATI\r": b"\r\nFakeModemCo FM-1\r\n\r\nOK\r\n"}))
    port.feed(b"\r\n+CMEE: 1\r\n\r\nOK\r\n")
    assert channel.command("ATI", 0.5) == ["FakeModemCo FM-1"]


def test_echo_after_echo_was_switched_off_means_a_reset() -> None:
    channel, _ = make_channel(table({b"AT+CSQ\r": b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n"}))
    assert channel.command("AT+CSQ", 1.0, prefix="+CSQ:") == ["+CSQ: 20,99"]
    assert channel.reset_seen


def test_echo_before_ate0_is_expected() -> None:
    channel, _ = make_channel(table({b"ATE0\r": b"ATE0\r\r\nOK\r\n"}))
    channel.echo_expected = True
    channel.command("ATE0", 1.0)
    assert not channel.reset_seen


MARKER_ANSWER = b"\r\n+CMEE: 1\r\n\r\nOK\r\n"


def answer_marker(data: bytes) -> bytes:
    return MARKER_ANSWER if data.endswith(b"AT+CMEE?\r") else b""


@pytest.mark.parametrize("boot_line", [b"RDY", b"SMS Ready", b"+CPIN: SIM PIN", b"+CFUN: 1"])
def test_boot_lines_read_before_the_marker_mean_a_reset(boot_line: bytes) -> None:
    channel, port = make_channel(answer_marker)
    port.feed(b"\r\n" + boot_line + b"\r\n")
    assert channel.resync(1.0) == 1
    assert channel.reset_seen


def test_numeric_errors_switched_off_are_reported_by_the_marker() -> None:
    channel, _ = make_channel(table({b"\x1b\rAT+CMEE?\r": b"\r\n+CMEE: 0\r\n\r\nOK\r\n"}))
    assert channel.resync(1.0) == 0


def test_resync_records_a_late_reference() -> None:
    channel, port = make_channel(answer_marker)
    port.feed(b'\r\n+CMGS: 9,"26/11/28,10:00:00+00"\r\n\r\nOK\r\n')
    channel.resync(1.0)
    assert list(channel.late_references) == [9]
    assert not channel.reset_seen


def test_pdu_echo_is_never_logged(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another test's logging.config call may have disabled the logger for the whole process.
    monkeypatch.setattr(logging.getLogger("gateway.modem"), "disabled", False)
    pdu = b"0011000B912374101432F60000001131D98C56B3DD70B97018"
    channel, port = make_channel(answer_marker)
    port.feed(pdu + b"\x1a\r\n")
    with caplog.at_level("DEBUG", logger="gateway.modem"):
        channel.resync(1.0)
    assert "<51 hex chars>" in caplog.text
    assert pdu.decode() not in caplog.text


def test_a_port_error_is_a_disconnection() -> None:
    channel, port = make_channel(table({}))

    def broken(size: int = 1) -> bytes:
        raise OSError(5, "Input/output error")

    port.read = broken  # type: ignore[method-assign]
    with pytest.raises(ModemDisconnectedError):
        channel.command("AT", 1.0)
