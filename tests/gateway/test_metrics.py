"""Prometheus metrics: scraped over real HTTP while a worker sends through the loopback modem."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from doubles import OUTBOX_KEYS, FakeClock, eventually
from gateway.cli import main
from gateway.cli.worker_modems import modem_name
from gateway.fake import FakeModem, Inbox
from gateway.fake.faults import DEFAULT_IMSI
from gateway.message import DeliveryState
from gateway.metrics import GatewayMetrics, MetricsServer
from gateway.modem import Modem, ModemSettings
from gateway.outbox import Outbox, utc_now
from gateway.outbox.gauges import _COUNTS, _OLDEST
from gateway.worker import ModemSpec, SimCaps, SlotConfig, Worker, WorkerConfig

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
CAPS = SimCaps(per_minute=None, per_day=50, recipients_per_day=None)


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(url, timeout=10) as answer:
        text = answer.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture
def outbox(sqlite_url: str) -> Iterator[Outbox]:
    box = Outbox(sqlite_url, keys=OUTBOX_KEYS)
    box.create_schema()
    yield box
    box.engine.dispose()


def test_worker_metrics_over_http(outbox: Outbox, fake_modem: FakeModem) -> None:
    metrics = GatewayMetrics(outbox)
    settings = ModemSettings(command_timeout=5, registration_timeout=5)
    spec = ModemSpec("fake", lambda: Modem(fake_modem.device, settings=settings))
    slot = SlotConfig(lease=timedelta(seconds=30), idle_poll=0.2, caps=CAPS)
    worker = Worker(outbox, [spec], config=WorkerConfig(slot=slot), observer=metrics)
    metrics.watch(lambda: worker.slots, CAPS)
    server = MetricsServer(metrics.registry)
    fake_modem.faults.fail_next(1)  # unassigned number: permanent
    expiry = utc_now() + timedelta(minutes=5)
    ids = [outbox.enqueue("+32470000001", "code 1", expires_at=expiry) for _ in range(2)]
    try:
        with worker:
            done = (DeliveryState.FAILED, DeliveryState.SENT)
            eventually(lambda: all(outbox.status(i).state in done for i in ids))
            metrics.delivery_report("delivered")  # as the delivery-report reader does
            samples = scrape(server.url)
    finally:
        server.close()
    assert server.url.startswith("http://127.0.0.1:")
    assert value(samples, "gateway_sends_total", modem="fake", outcome="sent") == 1
    assert value(samples, "gateway_sends_total", modem="fake", outcome="permanent") == 1
    assert value(samples, "gateway_send_duration_seconds_count", modem="fake") == 2
    assert value(samples, "gateway_delivery_reports_total", outcome="delivered") == 1
    assert value(samples, "gateway_outbox_up") == 1
    assert value(samples, "gateway_outbox_messages", state="queued") == 0
    assert value(samples, "gateway_outbox_oldest_queued_age_seconds") == 0
    assert value(samples, "gateway_modem_state", modem="fake", state="ready") == 1
    assert value(samples, "gateway_modem_signal_dbm", modem="fake") == -73
    assert value(samples, "gateway_modem_registered", modem="fake") == 1
    assert value(samples, "gateway_modem_sim_ready", modem="fake") == 1
    info = {"modem": "fake", "registration": "home", "sim_state": "ready"}
    masked = {"imsi": "23415•••001", "iccid": "894415•••0017"}
    assert value(samples, "gateway_modem_info", **info, **masked) == 1
    assert value(samples, "gateway_sim_cap_used", modem="fake", cap="per_day") == 1
    assert value(samples, "gateway_sim_cap_limit", modem="fake", cap="per_day") == 50
    assert value(samples, "gateway_sim_cap_limit", modem="fake", cap="per_minute") is None
    # A private registry: nothing reached the library's global one.
    sent = {"modem": "fake", "outcome": "sent"}
    assert REGISTRY.get_sample_value("gateway_sends_total", sent) is None


def test_queue_depth_and_oldest_age_are_read_at_scrape_time(sqlite_url: str) -> None:
    clock = FakeClock()
    outbox = Outbox(sqlite_url, clock=clock, keys=OUTBOX_KEYS)
    outbox.create_schema()
    metrics = GatewayMetrics(outbox)
    server = MetricsServer(metrics.registry)
    try:
        assert value(scrape(server.url), "gateway_outbox_messages", state="queued") == 0
        for _ in range(3):
            outbox.enqueue("+32470000001", "code", expires_at=None)
        clock.advance(seconds=90)
        outbox.claim("w", "m1")
        samples = scrape(server.url)
    finally:
        server.close()
        outbox.engine.dispose()
    assert value(samples, "gateway_outbox_messages", state="queued") == 2
    assert value(samples, "gateway_outbox_messages", state="sending") == 1
    assert value(samples, "gateway_outbox_oldest_queued_age_seconds") == 90


def test_two_workers_metrics_do_not_share_counters(outbox: Outbox) -> None:
    first, second = GatewayMetrics(outbox), GatewayMetrics(outbox)
    first.send_finished("m1", "sent", 1.0)
    labels = {"modem": "m1", "outcome": "sent"}
    assert first.registry.get_sample_value("gateway_sends_total", labels) == 1
    assert second.registry.get_sample_value("gateway_sends_total", labels) is None


def test_scrape_queries_walk_the_state_index(outbox: Outbox) -> None:
    with outbox.engine.connect() as conn:
        for query in [*_COUNTS.values(), _OLDEST]:
            sql = str(query.compile(outbox.engine, compile_kwargs={"literal_binds": True}))
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            # SEARCH: the walk starts at state = ?, within an index (never a table SCAN).
            assert re.search(r"SEARCH t2m2fa_outbox USING (COVERING )?INDEX \w+ \(state=", plan)
            assert "SCAN t2m2fa_outbox" not in plan, plan


def test_unreachable_outbox_is_a_metric_not_an_error(tmp_path: Path) -> None:
    outbox = Outbox(f"sqlite:///{tmp_path}/missing-dir/x.sqlite3", keys=OUTBOX_KEYS)
    metrics = GatewayMetrics(outbox)
    server = MetricsServer(metrics.registry)
    try:
        samples = scrape(server.url)
    finally:
        server.close()
    assert value(samples, "gateway_outbox_up") == 0


def test_run_metrics_port_serves_while_the_demo_runs(sqlite_url: str, tmp_path: Path) -> None:
    outbox = Outbox(sqlite_url, keys=OUTBOX_KEYS)
    outbox.create_schema()
    state = tmp_path / "fake"
    args = ["run", "--database", sqlite_url, "--fake", "1", "--fake-state", str(state)]
    worker = subprocess.Popen(
        [sys.executable, "-c", "from gateway.cli import main; main()", *args, "--metrics-port=0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    modem = modem_name("fake1")
    try:
        assert worker.stdout is not None
        url = ""
        for line in worker.stdout:
            if match := re.match(r"metrics on (http://127\.0\.0\.1:\d+/metrics)", line):
                url = match.group(1)
                break
        assert url, "no metrics line"
        outbox.enqueue("+32470000001", "code 1", expires_at=None)
        Inbox(state).wait_for(1, timeout=30)
        eventually(
            lambda: value(scrape(url), "gateway_sends_total", modem=modem, outcome="sent") == 1
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
        outbox.engine.dispose()
    assert worker.returncode == 0, output
    assert DEFAULT_IMSI not in output  # masked in the log


def test_metrics_port_in_use_is_a_one_line_error(sqlite_url: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        args = ["run", "--database", sqlite_url, "--fake", "1", "--metrics-port", port]
        args += ["--fake-state", str(tmp_path / "fake")]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "cannot serve metrics on 127.0.0.1:" in result.output
    assert "Traceback" not in result.output
