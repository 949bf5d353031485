"""Modems behind serial device servers: pyserial URLs, end to end over 127.0.0.1.

The loopback modem listens on a TCP port (``FakeModem(tcp_port=0)``, ``fake-modem --tcp``)
and the gateway reaches it as ``socket://127.0.0.1:PORT``.
"""

from __future__ import annotations

import functools
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from rfc2217_bridge import Rfc2217Bridge

from doubles import OUTBOX_KEYS
from doubles import eventually as _eventually
from gateway.cli import main
from gateway.errors import ModemDisconnectedError, ModemError, PortUnavailableError
from gateway.fake import FakeModem, Faults, Inbox
from gateway.message import DeliveryState
from gateway.modem import Modem, ModemSettings
from gateway.outbox import Outbox, RetryPolicy, utc_now
from gateway.worker import (
    CoolDownPolicy,
    ModemSpec,
    Sender,
    SimCaps,
    SlotConfig,
    Worker,
    WorkerConfig,
)

eventually = functools.partial(_eventually, timeout=20.0, interval=0.02)
SETTINGS = ModemSettings(
    command_timeout=2.0,
    registration_timeout=2.0,
    send_timeout=3.0,
    sim_ready_timeout=1.0,
    poll_interval=0.05,
)
NUMBER = "+32470123456"


@pytest.fixture
def tcp_modem(tmp_path: Path) -> Iterator[FakeModem]:
    with FakeModem(tmp_path / "fake", tcp_port=0, name="tcp") as fake:
        yield fake


def submits(fake: FakeModem) -> int:
    return sum(1 for c in fake.commands if c.upper().startswith("AT+CMGS="))


def test_send_through_a_socket_url(tcp_modem: FakeModem) -> None:
    assert tcp_modem.device.startswith("socket://127.0.0.1:")
    with Modem(tcp_modem.device, settings=SETTINGS) as modem:
        assert modem.send(NUMBER, "over the network") == 1
        assert modem.health().registration == "home"
    [message] = tcp_modem.inbox.messages()
    assert (message.to, message.text) == (NUMBER, "over the network")


def test_cli_send_and_status_through_a_socket_url(tcp_modem: FakeModem) -> None:
    runner = CliRunner()
    sent = runner.invoke(main, ["send", "--port", tcp_modem.device, NUMBER, "Your code is 1234"])
    assert (sent.exit_code, sent.stdout) == (0, "1\n"), sent.stderr
    status = runner.invoke(main, ["status", "--port", tcp_modem.device])
    assert status.exit_code == 0, status.stderr
    assert "registration: home" in status.stdout.splitlines()


def test_one_client_at_a_time(tcp_modem: FakeModem) -> None:
    with Modem(tcp_modem.device, settings=SETTINGS) as first:
        with pytest.raises(ModemError):
            Modem(tcp_modem.device, settings=SETTINGS).open()
        assert first.send(NUMBER, "the first client is undisturbed") == 1


def test_unreachable_or_unknown_url_is_port_unavailable(tcp_modem: FakeModem) -> None:
    url = tcp_modem.device
    tcp_modem.stop()  # nothing listens any more
    for port in (url, "nosuch://127.0.0.1:1"):
        with pytest.raises(PortUnavailableError):
            Modem(port, settings=SETTINGS).open()


def test_connection_dropped_mid_send_is_a_disconnection_then_a_reconnect(
    tcp_modem: FakeModem,
) -> None:
    tcp_modem.faults.send_delay = 0.5
    modem = Modem(tcp_modem.device, settings=SETTINGS)
    modem.open()
    failed: list[BaseException] = []

    def send() -> None:
        try:
            modem.send(NUMBER, "dropped")
        except BaseException as exc:
            failed.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    eventually(lambda: submits(tcp_modem) == 1)
    tcp_modem.drop_connection()
    sender.join(timeout=30)
    assert [type(exc) for exc in failed] == [ModemDisconnectedError]
    tcp_modem.faults.send_delay = 0.0
    with Modem(tcp_modem.device, settings=SETTINGS) as again:  # the modem kept running
        assert again.send(NUMBER, "after the reconnect") == 2
    texts = [m.text for m in tcp_modem.inbox.messages()]
    assert texts == ["dropped", "after the reconnect"]  # the network had the first one


def test_worker_reconnects_after_a_drop_mid_send(tmp_path: Path, sqlite_url: str) -> None:
    outbox = Outbox(
        sqlite_url, keys=OUTBOX_KEYS, policy=RetryPolicy(base_delay=timedelta(seconds=0.2))
    )
    outbox.create_schema()
    cooldown = CoolDownPolicy(
        reopen_base=timedelta(seconds=0.05), reopen_max=timedelta(seconds=0.3)
    )
    caps = SimCaps(per_minute=None, per_day=None, recipients_per_day=None)
    config = WorkerConfig(
        slot=SlotConfig(lease=timedelta(seconds=10), idle_poll=0.2, caps=caps, cooldown=cooldown),
        housekeeping_interval=0.2,
    )
    with FakeModem(tmp_path / "fake", Faults(send_delay=0.5), tcp_port=0) as fake:

        def factory() -> Sender:
            return Modem(fake.device, settings=SETTINGS)

        msg_id = outbox.enqueue(NUMBER, "dropped", expires_at=utc_now() + timedelta(minutes=5))
        with Worker(outbox, [ModemSpec("tcp", factory)], config=config):
            eventually(lambda: submits(fake) == 1)
            fake.drop_connection()
            fake.faults.send_delay = 0.0
            eventually(lambda: outbox.status(msg_id).state is DeliveryState.SENT)
        copies = Counter(m.text for m in fake.inbox.messages())
    # As for an unplugged cable: never lost, at most one duplicate (the network had the first).
    assert 1 <= copies["dropped"] <= 2
    assert outbox.status(msg_id).attempts == 2
    outbox.engine.dispose()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from gateway.cli import main; main()", *args]


def test_fake_modem_tcp_and_run_through_the_url(tmp_path: Path, sqlite_url: str) -> None:
    state = tmp_path / "state"
    with subprocess.Popen(
        _cli("fake-modem", "--state", str(state), "--tcp", "0", "--radio-off"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as fake:
        try:
            assert fake.stdout is not None
            url = fake.stdout.readline().strip()
            assert url.startswith("socket://127.0.0.1:")
            status = CliRunner().invoke(main, ["status", "--port", url])
            assert "registration: radio off" in status.stdout.splitlines(), status.output
            _run_worker_through(url, state, sqlite_url)  # the worker switches the radio on
        finally:
            fake.terminate()
            fake.wait(timeout=30)


def _run_worker_through(url: str, state: Path, database: str) -> None:
    outbox = Outbox(database, keys=OUTBOX_KEYS)
    outbox.create_schema()
    outbox.enqueue(NUMBER, "through run", expires_at=None)
    with subprocess.Popen(
        _cli("run", "--database", database, "--modem", url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as worker:
        try:
            [message] = Inbox(state).wait_for(1, timeout=30)
        finally:
            worker.send_signal(signal.SIGTERM)
            output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert message.text == "through run"
    outbox.engine.dispose()


# pyserial's RFC 2217 client names its reader thread with the deprecated setDaemon/setName.
@pytest.mark.filterwarnings("ignore:set.* is deprecated:DeprecationWarning")
def test_send_through_an_rfc2217_url(fake_modem: FakeModem) -> None:
    bridge = Rfc2217Bridge(fake_modem.device)
    try:
        with Modem(bridge.url, settings=SETTINGS) as modem:
            assert modem.send(NUMBER, "through a device server") == 1
    finally:
        bridge.close()
    assert [m.text for m in fake_modem.inbox.messages()] == ["through a device server"]
