"""``t2m2fa-gateway run`` and ``status --database`` as an operator uses them."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from doubles import OUTBOX_KEYS
from gateway.cli import main
from gateway.cli.outbox_status import format_outbox_status
from gateway.fake import FakeModem, Faults, Inbox
from gateway.message import DeliveryState
from gateway.outbox import ModemReport, Outbox, QueueStats, utc_now


def gateway(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from gateway.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_run_sends_through_loopback_modems_and_stops_on_sigterm(
    db_url: str, tmp_path: Path
) -> None:
    outbox = Outbox(db_url, keys=OUTBOX_KEYS)
    outbox.create_schema()
    ids = [outbox.enqueue(f"+3247000000{i}", f"code {i}", expires_at=None) for i in range(3)]
    state = tmp_path / "fake"
    worker = gateway("run", "--database", db_url, "--fake", "2", "--fake-state", str(state))
    try:
        messages = Inbox(state).wait_for(3, timeout=30)
        deadline = time.monotonic() + 10
        while any(outbox.status(i).state is not DeliveryState.SENT for i in ids):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert sorted(m.text for m in messages) == ["code 0", "code 1", "code 2"]
    assert "+3247000000" not in output  # numbers are masked in the log
    assert {r.state for r in outbox.modem_reports()} == {"stopped"}
    result = CliRunner().invoke(main, ["status", "--database", db_url])
    assert result.exit_code == 0, result.output
    assert "sent:         3" in result.output
    outbox.engine.dispose()


def test_run_exits_3_when_every_modem_needs_an_operator(sqlite_url: str, tmp_path: Path) -> None:
    with FakeModem(tmp_path / "fake", Faults(pin="1234")) as fake:
        worker = gateway("run", "--database", sqlite_url, "--modem", fake.device)
        output, _ = worker.communicate(timeout=60)
        commands = fake.commands
    assert worker.returncode == 3, output
    assert "every modem needs an operator" in output
    assert not any(c.upper().startswith("AT+CPIN=") for c in commands)  # no PIN was guessed


def test_run_needs_a_modem() -> None:
    result = CliRunner().invoke(main, ["run", "--database", "sqlite://"])
    assert result.exit_code == 2
    assert "--modem DEV, or --fake N" in result.output


def test_run_reports_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"
    result = CliRunner().invoke(main, ["run", "--database", url, "--fake", "1"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot reach the database")


def test_status_needs_a_source() -> None:
    result = CliRunner(env={"T2M2FA_GATEWAY_DATABASE": None, "T2M2FA_MODEM_PORT": None}).invoke(
        main, ["status"]
    )
    assert result.exit_code == 2


def test_status_flags_a_stale_worker_and_cap_details() -> None:
    now = utc_now()
    stats = QueueStats(
        counts={DeliveryState.QUEUED: 4, DeliveryState.SENT: 9},
        oldest_queued_age=timedelta(seconds=42),
        due=3,
    )
    reports = [
        ModemReport("h:/dev/ttyUSB0", "h:1:ab", "capped", now, detail="30 per minute reached"),
        ModemReport("h:/dev/ttyUSB1", "h:1:ab", "ready", now - timedelta(minutes=10)),
    ]
    text = "\n".join(format_outbox_status(stats, reports, now))
    assert "queued:       4 (3 due now, oldest 42 s)" in text
    assert "state:      capped (30 per minute reached)" in text
    assert "ready? (no report for 10 min: worker down?)" in text
    assert "last sent:  never" in text


def test_run_help_points_to_the_pin_environment_variable() -> None:
    # A PIN in argv is visible to every user of the machine.
    result = CliRunner().invoke(main, ["run", "--help"])
    assert "T2M2FA_GATEWAY_PIN" in result.output


def test_run_wires_the_operator_hooks(db_url: str, tmp_path: Path) -> None:
    """``--on-stuck`` for a hung modem, ``--on-received`` for a reply on a working one."""
    stuck_log, received_log = tmp_path / "stuck.log", tmp_path / "received.log"
    with (
        FakeModem(tmp_path / "hung", Faults(mute=True)) as hung,
        FakeModem(tmp_path / "live") as live,
    ):
        hooks = [
            *("--stuck-after-failures", "1", "--hook-window", "3600"),
            *("--on-stuck", f'echo "$T2M2FA_MODEM_PORT" >> {stuck_log}'),
            *("--on-received", f'(cat; echo " $T2M2FA_SENDER_MASKED") >> {received_log}'),
        ]
        modems = ["--modem", hung.device, "--modem", live.device]
        worker = gateway("run", "--database", db_url, *modems, *hooks)
        try:
            live.receive("+32470555666", "STOP")
            deadline = time.monotonic() + 60
            while not (stuck_log.exists() and received_log.exists()):
                assert time.monotonic() < deadline and worker.poll() is None, "no hook ran"
                time.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGTERM)
            output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert stuck_log.read_text() == f"{hung.device}\n"  # once: the window is an hour
    assert received_log.read_text() == "STOP +•••66\n"
