"""``t2m2fa-gateway send`` and ``status``: output, and one-line errors without tracebacks."""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli import main
from gateway.fake import FakeModem

NUMBER = "+32470123456"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_one_line_error(result: Result, exit_code: int) -> None:
    assert result.exit_code == exit_code
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr


def test_send_prints_the_reference(fake_modem: FakeModem) -> None:
    result = run("send", "--port", fake_modem.device, NUMBER, "Your code is 1234")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "1\n"
    [message] = fake_modem.inbox.messages()
    assert (message.to, message.text) == (NUMBER, "Your code is 1234")


def test_send_with_pin(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "4321"
    result = run("send", "--port", fake_modem.device, "--pin", "4321", NUMBER, "hello")
    assert result.exit_code == 0, result.stderr
    assert len(fake_modem.inbox.messages()) == 1


def test_status_prints_health(fake_modem: FakeModem) -> None:
    fake_modem.faults.signal_rssi = 21
    result = run("status", "--port", fake_modem.device)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"modem:        {fake_modem.device}" in lines
    assert "signal:       -71 dBm" in lines
    assert "registration: home" in lines
    assert "operator:     FakeNet" in lines
    assert "sim:          ready" in lines


def test_status_of_a_modem_that_cannot_send_says_why(fake_modem: FakeModem) -> None:
    fake_modem.faults.pin = "4321"
    fake_modem.faults.registration = "searching"
    result = run("status", "--port", fake_modem.device)
    assert result.exit_code == 0, result.stderr
    assert "sim:          PIN required" in result.stdout
    assert "registration: searching" in result.stdout
    assert "operator:     none" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["send", "--port", "/dev/null", "not-a-number", "hi"],
        ["send", "--port", "/dev/null", NUMBER],
        ["send", NUMBER, "hi"],
        ["send", "--port", "/dev/null", "--pin", "12", NUMBER, "hi"],
        ["send", "--port", "/dev/null", "--wait", "-1", NUMBER, "hi"],
        ["status"],
        ["status", "--bogus"],
    ],
)
def test_bad_arguments_give_one_line(args: list[str]) -> None:
    assert_one_line_error(run(*args), exit_code=2)


def test_missing_port_gives_one_line() -> None:
    result = run("send", "--port", "/dev/t2m2fa-no-such-port", NUMBER, "hi")
    assert_one_line_error(result, exit_code=1)
    assert "no serial device" in result.stderr


def test_modem_failures_give_one_line(fake_modem: FakeModem) -> None:
    fake_modem.faults.registration = "none"
    result = run("send", "--port", fake_modem.device, "--wait", "0.2", NUMBER, "hi")
    assert_one_line_error(result, exit_code=1)
    assert "NoNetworkError" in result.stderr


def test_refused_send_gives_one_line_with_its_code(fake_modem: FakeModem) -> None:
    fake_modem.faults.fail_next(42)
    result = run("send", "--port", fake_modem.device, NUMBER, "hi")
    assert_one_line_error(result, exit_code=1)
    assert "(temporary, +CMS ERROR: 42)" in result.stderr


def test_status_of_a_busy_port_gives_one_line(fake_modem: FakeModem) -> None:
    with open(fake_modem.device, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run("status", "--port", fake_modem.device)
    assert_one_line_error(result, exit_code=1)
    assert "in use" in result.stderr


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from gateway.cli import main; main()", *args]


def test_readme_flow_fake_modem_send_inbox_in_separate_processes(tmp_path: Path) -> None:
    state = str(tmp_path / "state")
    with subprocess.Popen(
        _cli("fake-modem", "--state", state),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as fake:
        try:
            _send_then_read_inbox(fake, state)
        finally:
            fake.terminate()
            fake.wait(timeout=30)


def _send_then_read_inbox(fake: subprocess.Popen[str], state: str) -> None:
    assert fake.stdout is not None
    device = fake.stdout.readline().strip()
    send = subprocess.run(
        _cli("send", "--port", device, NUMBER, "Your code is 1234"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (send.returncode, send.stdout, send.stderr) == (0, "1\n", "")
    inbox = subprocess.run(
        _cli("inbox", "--state", state), capture_output=True, text=True, timeout=60
    )
    assert "Your code is 1234" in inbox.stdout
    assert NUMBER not in inbox.stdout  # masked
