"""``t2m2fa-gateway fake-modem`` and ``t2m2fa-gateway inbox``."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import main
from gateway.fake import DeliveredMessage, Inbox

PDU = "0021000C91447700091032000011D9775D0E1ABFC965507A0EA2E16431"
CLI = [sys.executable, "-c", "from gateway.cli import main; main()"]


def _message(text: str = "Your code is 4821") -> DeliveredMessage:
    return DeliveredMessage(
        to="+32470123456",
        text=text,
        received_at=datetime(2026, 11, 28, 18, 0, tzinfo=UTC),
        reference=7,
        encoding="gsm7",
        validity=timedelta(minutes=5),
        status_report_requested=False,
        modem="fake0",
    )


def test_inbox_masks_numbers_by_default(tmp_path: Path) -> None:
    with Inbox(tmp_path) as inbox:
        inbox.add(_message())
    result = CliRunner().invoke(main, ["inbox", "--state", str(tmp_path)])
    assert result.exit_code == 0
    assert result.output == "2026-11-28 18:00:00Z  +•••56  ref 7  gsm7  Your code is 4821\n"


def test_inbox_json_with_full_numbers(tmp_path: Path) -> None:
    with Inbox(tmp_path) as inbox:
        inbox.add(_message("Ваш код 4821"))
    result = CliRunner().invoke(
        main, ["inbox", "--state", str(tmp_path), "--json", "--full-numbers"]
    )
    record = json.loads(result.output)
    assert (record["to"], record["text"], record["validity_seconds"]) == (
        "+32470123456",
        "Ваш код 4821",
        300.0,
    )


def test_inbox_clear_and_empty(tmp_path: Path) -> None:
    with Inbox(tmp_path) as inbox:
        inbox.add(_message())
    runner = CliRunner()
    assert runner.invoke(main, ["inbox", "--state", str(tmp_path), "--clear"]).exit_code == 0
    result = runner.invoke(main, ["inbox", "--state", str(tmp_path)])
    assert (result.exit_code, result.stdout) == (0, "")
    assert "no messages" in result.stderr


def test_unreadable_inbox_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "inbox.sqlite3").write_bytes(b"not a database" * 100)
    result = CliRunner().invoke(main, ["inbox", "--state", str(tmp_path)])
    assert result.exit_code == 1
    assert (
        result.output.startswith("Error: cannot read the inbox") and result.output.count("\n") == 1
    )


@pytest.mark.parametrize(
    "args",
    [
        ["fake-modem", "--registration", "moon"],
        ["fake-modem", "--send-delay", "soon"],
        ["fake-modem", "--signal", "50"],
        ["fake-modem", "--fail-next", "x"],
        ["inbox", "--bogus"],
    ],
)
def test_bad_arguments_give_one_line(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert isinstance(result.exception, SystemExit)


def test_fake_modem_serves_until_sigterm_and_shares_the_default_state(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.pop("T2M2FA_FAKE_MODEM_STATE", None)
    with subprocess.Popen(
        [*CLI, "fake-modem", "--send-delay", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as process:
        try:
            assert process.stdout is not None
            device = process.stdout.readline().decode().strip()  # printed and flushed at once
            assert device.startswith("/dev/pts/")
            _send_raw(device)
            [message] = Inbox(tmp_path / "var" / "fake-modem").messages()  # the default --state
            assert message.text == "Your code is 4821"
            assert (tmp_path / "var" / "fake-modem" / "device").read_text().strip() == device
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            process.kill()


def _send_raw(device: str) -> None:
    fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
    try:
        answer = b""
        os.write(fd, b"ATE0\rAT+CMGS=28\r")
        while not answer.endswith(b"> "):
            assert select.select([fd], [], [], 5)[0], answer
            answer += os.read(fd, 1024)
        os.write(fd, PDU.encode() + b"\x1a")
        while b"+CMGS:" not in answer:
            assert select.select([fd], [], [], 5)[0], answer
            answer += os.read(fd, 1024)
    finally:
        os.close(fd)


def test_inbox_defaults_to_the_fake_modems_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("T2M2FA_FAKE_MODEM_STATE", raising=False)
    with Inbox(tmp_path / "var" / "fake-modem") as inbox:
        inbox.add(_message())
    assert "Your code is 4821" in CliRunner().invoke(main, ["inbox"]).output
