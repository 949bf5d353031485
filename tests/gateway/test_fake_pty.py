"""The loopback modem over its pseudo-terminal, driven by a minimal raw AT client."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.fake import FakeModem, Faults, Inbox

PDU = "0021000C91447700091032000011D9775D0E1ABFC965507A0EA2E16431"
FINAL = re.compile(rb"\r\n(OK|ERROR|\+CM[ES] ERROR: [^\r]*)\r\n$|\r\n> $")


class RawClient:
    """Just enough of a TE: write bytes, read until a final result or a quiet period."""

    def __init__(self, device: str) -> None:
        self.fd = os.open(device, os.O_RDWR | os.O_NOCTTY)

    def close(self) -> None:
        os.close(self.fd)

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def read(self, timeout: float, until: re.Pattern[bytes] | None = FINAL) -> bytes:
        data = b""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if not select.select([self.fd], [], [], left)[0]:
                break
            data += os.read(self.fd, 4096)
            if until is not None and until.search(data):
                break
        return data

    def at(self, line: str, timeout: float = 3.0) -> bytes:
        self.write(line.encode() + b"\r")
        return self.read(timeout)


@pytest.fixture
def client(fake_modem: FakeModem) -> Iterator[RawClient]:
    raw = RawClient(fake_modem.device)
    raw.at("ATE0")
    raw.at("AT+CMEE=1")
    yield raw
    raw.close()


def test_device_is_a_pty_and_echo_starts_on(fake_modem: FakeModem) -> None:
    assert fake_modem.device.startswith("/dev/pts/")
    raw = RawClient(fake_modem.device)
    try:
        assert raw.at("AT") == b"AT\r\r\nOK\r\n"
    finally:
        raw.close()


def test_pdu_send_over_the_pty(fake_modem: FakeModem, client: RawClient) -> None:
    assert client.at("AT+CMGS=28") == b"\r\n> "
    client.write(PDU.encode() + b"\x1a")
    assert client.read(3.0) == b"\r\n+CMGS: 1\r\n\r\nOK\r\n"
    [message] = fake_modem.inbox.messages()
    assert (message.to, message.text, message.reference) == (
        "+447700900123",
        "Your code is 4821",
        1,
    )
    assert message.received_at.utcoffset() is not None
    assert fake_modem.commands == ["ATE0", "AT+CMEE=1", "AT+CMGS=28"]


def test_late_network_answer_still_delivers(fake_modem: FakeModem, client: RawClient) -> None:
    fake_modem.faults.send_delay = 0.5
    client.at("AT+CMGS=28")
    client.write(PDU.encode() + b"\x1a")
    assert client.read(0.1) == b""  # the client gives up here: outcome unknown
    client.write(b"AT+CSQ\r")  # the next command waits behind the send
    late = client.read(3.0, until=re.compile(rb"\+CSQ.*OK\r\n$", re.S))
    assert late == b"\r\n+CMGS: 1\r\n\r\nOK\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
    assert len(fake_modem.inbox.messages()) == 1


def test_faults_change_while_running(fake_modem: FakeModem, client: RawClient) -> None:
    assert client.at("AT+CREG?") == b"\r\n+CREG: 0,1\r\n\r\nOK\r\n"
    fake_modem.faults.registration = "denied"
    assert client.at("AT+CREG?") == b"\r\n+CREG: 0,3\r\n\r\nOK\r\n"
    fake_modem.faults.mute = True
    assert client.at("AT", timeout=0.2) == b""
    fake_modem.faults.mute = False
    assert client.at("AT") == b"\r\nOK\r\n"


def test_prompt_without_space_and_escape(fake_modem: FakeModem, client: RawClient) -> None:
    fake_modem.faults.prompt_without_space = True
    client.write(b"AT+CMGS=28\r")
    assert client.read(1.0, until=re.compile(rb">\r\n$")) == b"\r\n>\r\n"
    client.write(b"\x1b")
    assert client.read(3.0) == b"\r\nOK\r\n"


def test_send_urc_writes_any_bytes(fake_modem: FakeModem, client: RawClient) -> None:
    fake_modem.send_urc(b'+CDSI: "SR",1\xe9')
    assert client.read(3.0, until=re.compile(rb"\xe9\r\n$")) == b'\r\n+CDSI: "SR",1\xe9\r\n'


def test_reset_over_the_pty(fake_modem: FakeModem, client: RawClient) -> None:
    client.at("AT+CMGF=1")
    fake_modem.reset()
    boot = client.read(3.0, until=re.compile(rb"SMS Ready\r\n$"))
    assert boot == b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n"
    assert client.at("AT+CMGF?") == b"AT+CMGF?\r\r\n+CMGF: 0\r\n\r\nOK\r\n"


def test_unplug_then_plug_in_again(fake_modem: FakeModem, client: RawClient) -> None:
    fake_modem.unplug()
    assert not fake_modem.running
    with pytest.raises(OSError):
        client.write(b"AT\r")
        client.read(1.0)  # a hung-up pty: EIO
    device = fake_modem.start()
    again = RawClient(device)
    try:
        assert again.at("AT") == b"AT\r\r\nOK\r\n"  # powered on afresh: echo on
    finally:
        again.close()


def test_stop_is_idempotent_and_restart_keeps_the_inbox(tmp_path: Path) -> None:
    modem = FakeModem(tmp_path, Faults(send_delay=10.0))
    modem.start()
    client = RawClient(modem.device)
    client.write(b"AT+CMGS=28\r")
    client.read(3.0)
    client.write(PDU.encode() + b"\x1a")  # never answered: stop must not wait for it
    started = time.monotonic()
    modem.stop()
    modem.stop()
    client.close()
    assert time.monotonic() - started < 1.0
    assert modem.inbox.messages() == []


def test_inbox_is_readable_from_another_process(fake_modem: FakeModem, client: RawClient) -> None:
    client.at("AT+CMGS=28")
    client.write(PDU.encode() + b"\x1a")
    client.read(3.0)
    code = (
        "import sys; from gateway.fake import Inbox\n"
        "print(Inbox(sys.argv[1]).wait_for(1, timeout=5)[0].text)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(fake_modem.state_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "Your code is 4821"


def test_wait_for_times_out(tmp_path: Path) -> None:
    with pytest.raises(TimeoutError):
        Inbox(tmp_path).wait_for(1, timeout=0.05)


def test_absolute_validity_is_stored_as_time_left(fake_modem: FakeModem, client: RawClient) -> None:
    # VPF=11: valid until 2099-01-01 00:00 UTC, far after "now".
    pdu = "0019000B916407281553F80000991010000000000AE8329BFD4697D9EC37"
    client.at(f"AT+CMGS={len(pdu) // 2 - 1}")
    client.write(pdu.encode() + b"\x1a")
    assert b"+CMGS: 1" in client.read(3.0)
    [message] = fake_modem.inbox.messages()
    assert message.validity is not None
    expected = datetime(2099, 1, 1, tzinfo=UTC) - message.received_at
    assert abs(message.validity - expected) < timedelta(seconds=1)


def test_unplug_keeps_the_sim_and_the_command_log(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "1234"
    first = RawClient(fake_modem.device)
    for _ in range(3):
        first.at('AT+CPIN="0000"')
    first.close()
    fake_modem.unplug()
    second = RawClient(fake_modem.start())
    try:
        assert b"+CPIN: SIM PUK" in second.at("AT+CPIN?")
    finally:
        second.close()
    assert fake_modem.commands.count('AT+CPIN="0000"') == 3
