"""``t2m2fa-gateway run --delivery-reports`` with loopback modems."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from doubles import OUTBOX_KEYS, eventually
from gateway.cli import main
from gateway.message import DeliveryReport
from gateway.outbox import Outbox


def test_run_with_delivery_reports_for_codes_only(sqlite_url: str, tmp_path: Path) -> None:
    outbox = Outbox(sqlite_url, keys=OUTBOX_KEYS)
    outbox.create_schema()
    code = outbox.enqueue("+32470000001", "code 1", expires_at=None, kind="code")
    notice = outbox.enqueue("+32470000002", "notice", expires_at=None, kind="notice")
    args = ["run", "--database", sqlite_url, "--fake", "1", "--fake-state", str(tmp_path / "f")]
    args += ["--delivery-reports", "code"]
    worker = subprocess.Popen(
        [sys.executable, "-c", "from gateway.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        eventually(
            lambda: outbox.status(code).delivery_report is DeliveryReport.DELIVERED, timeout=30
        )
        eventually(lambda: outbox.status(notice).sent_at is not None)
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert outbox.status(notice).delivery_report is None
    assert "+3247000000" not in output
    outbox.engine.dispose()


def test_run_refuses_a_malformed_kind() -> None:
    args = ["run", "--database", "sqlite://", "--fake", "1", "--delivery-reports", "code,Bad Kind"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "not a message kind: Bad Kind" in result.output
