"""``t2m2fa-gateway status --database URL --json``: stable keys for scripts."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner

from doubles import OUTBOX_KEYS, FakeClock
from gateway.cli import main
from gateway.message import DeliveryState
from gateway.outbox import ModemReport, Outbox

MODEM_KEYS = {
    "name", "worker", "state", "detail", "stale", "updated_at", "signal_dbm", "operator",
    "registration", "sim_state", "imsi", "iccid", "last_success_at", "sent_last_24h",
    "last_error",
}  # fmt: skip


def test_status_json_gives_queue_and_modems(sqlite_url: str) -> None:
    clock = FakeClock()
    outbox = Outbox(sqlite_url, clock=clock, keys=OUTBOX_KEYS)
    outbox.create_schema()
    sent, queued = (outbox.enqueue("+32470000001", "c", expires_at=None) for _ in range(2))
    outbox.claim("w", "host:/dev/ttyUSB0")
    outbox.mark_sent(sent, 7, "host:/dev/ttyUSB0", sim="234150000000001")
    report = ModemReport(
        name="host:/dev/ttyUSB0",
        worker="host:1:abc",
        state="ready",
        updated_at=clock(),
        signal_dbm=-73,
        operator="FakeNet",
        registration="home",
        sim_state="ready",
        imsi="234150000000001",
        iccid="8944150000000000017",
    )
    outbox.report_modem(report)
    clock.advance(seconds=30)
    outbox.engine.dispose()
    # The real clock is far from FakeClock's: the report counts as stale, as a dead worker's.
    result = CliRunner().invoke(main, ["status", "--database", sqlite_url, "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert set(answer) == {"version", "outbox", "modems"} and answer["version"] == 1
    counts = answer["outbox"]["counts"]
    assert set(counts) == {state.value for state in DeliveryState}
    assert (counts["queued"], counts["sent"]) == (1, 1)
    assert answer["outbox"]["due"] == 1
    assert answer["outbox"]["oldest_queued_age_seconds"] > 0
    [modem] = answer["modems"]
    assert set(modem) == MODEM_KEYS
    assert modem["imsi"] == "234150000000001" and modem["iccid"] == "8944150000000000017"
    assert (modem["state"], modem["stale"], modem["registration"]) == ("ready", True, "home")
    assert modem["last_success_at"] == (clock() - timedelta(seconds=30)).isoformat()
    assert queued != sent


def test_status_json_unreachable_database_is_one_line(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/no/such/dir.sqlite3"
    result = CliRunner().invoke(main, ["status", "--database", url, "--json"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot read the outbox")
