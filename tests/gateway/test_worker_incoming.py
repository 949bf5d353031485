"""Incoming SMS end to end: the worker reads and deletes them, so the SIM never fills, and a
``+CMTI`` or ``+CDSI`` inside an ``AT+CMGS`` never breaks the send."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from doubles import OUTBOX_KEYS
from doubles import eventually as _eventually
from gateway.cli import main
from gateway.fake import FakeModem, Faults
from gateway.fake.state import STORAGE_SIZE
from gateway.message import DeliveryState
from gateway.modem import Modem, ModemSettings
from gateway.outbox import Outbox, ReceivedMessage, utc_now
from gateway.worker import ModemSpec, Sender, SimCaps, SlotConfig, Worker, WorkerConfig

eventually = functools.partial(_eventually, timeout=20.0, interval=0.02)

SETTINGS = ModemSettings(
    command_timeout=1.0,
    registration_timeout=2.0,
    send_timeout=2.0,
    sim_ready_timeout=1.0,
    poll_interval=0.05,
    autobaud_wait=0.2,
)
NO_CAPS = SimCaps(per_minute=None, per_day=None, recipients_per_day=None)
NUMBER = "+32470123467"
Starter = Callable[..., "Bench"]
USER = "+32470555666"


class Bench:
    def __init__(self, tmp_path: Path, db_url: str, faults: Faults) -> None:
        self.fake = FakeModem(tmp_path / "fake", faults, name="fake1")
        self.fake.start()
        self.outbox = Outbox(db_url, keys=OUTBOX_KEYS)
        self.outbox.create_schema()
        self.seen: list[ReceivedMessage] = []

    def worker(self, settings: ModemSettings = SETTINGS) -> Worker:
        def factory() -> Sender:
            return Modem(self.fake.device, settings=settings)

        config = WorkerConfig(slot=SlotConfig(idle_poll=0.05, caps=NO_CAPS))
        spec = ModemSpec("fake1", factory, self.fake.device)
        return Worker(self.outbox, [spec], config=config, on_received=self.seen.append)

    def send(self, text: str = "code 1234") -> int:
        msg_id = self.outbox.enqueue(NUMBER, text, expires_at=utc_now() + timedelta(minutes=5))
        eventually(lambda: self.outbox.status(msg_id).state is not DeliveryState.QUEUED)
        eventually(lambda: self.outbox.status(msg_id).state is not DeliveryState.SENDING)
        return msg_id


@pytest.fixture
def start(tmp_path: Path, db_url: str) -> Iterator[Starter]:
    benches: list[Bench] = []

    def starter(**faults: Any) -> Bench:
        bench = Bench(tmp_path / str(len(benches)), db_url, Faults(**faults))
        benches.append(bench)
        return bench

    yield starter
    for bench in benches:
        bench.fake.stop()
        bench.outbox.engine.dispose()


def test_a_full_sim_storage_is_emptied_before_the_first_send(start: Starter) -> None:
    bench = start(storage_full=True)
    with bench.worker() as worker:
        msg_id = bench.send()
        assert bench.outbox.status(msg_id).state is DeliveryState.SENT
        assert bench.outbox.status(msg_id).attempts == 1  # never refused with +CMS ERROR: 322
        assert bench.fake.stored_messages == []
        eventually(lambda: len(bench.outbox.received(limit=100)) == STORAGE_SIZE)
        storage = worker.slots[0].received.storage
        assert storage is not None and (storage.used, storage.total) == (0, STORAGE_SIZE)


def test_a_modem_refusing_for_full_memory_is_read_and_retried(
    start: Starter,
) -> None:
    bench = start()
    with bench.worker():
        bench.send()  # the storage was read at start (empty)
        bench.fake.fill_storage()  # then fills between two looks, without a +CMTI seen
        msg_id = bench.send()
        eventually(lambda: bench.outbox.status(msg_id).state is DeliveryState.SENT)
        assert bench.outbox.status(msg_id).attempts == 2  # 322 once, read, then sent
        assert bench.fake.stored_messages == []


@pytest.mark.parametrize("faults", [{"cmti_during_send": True}, {"urc_during_send": True}])
def test_an_indication_inside_cmgs_never_breaks_the_send(
    start: Starter, faults: dict[str, bool]
) -> None:
    bench = start(**faults)
    with bench.worker():
        ids = [bench.send(f"code {n}") for n in range(3)]
        assert [bench.outbox.status(i).state for i in ids] == [DeliveryState.SENT] * 3
        assert [bench.outbox.status(i).attempts for i in ids] == [1, 1, 1]
        if faults.get("cmti_during_send"):  # each +CMTI was a "STOP" from a user: stored
            eventually(lambda: len(bench.seen) == 3)
            assert {m.text for m in bench.seen} == {"STOP"}
            assert bench.fake.stored_messages == []


def test_a_reply_is_stored_sealed_masked_and_handed_to_the_hook(
    start: Starter,
) -> None:
    bench = start()
    with bench.worker():
        bench.send()
        bench.fake.receive(USER, "STOP — nie wysyłaj")
        eventually(lambda: len(bench.seen) == 1)
    (message,) = bench.seen
    assert (message.sender, message.text) == (USER, "STOP — nie wysyłaj")
    assert message.sender_masked == "+•••66"
    assert message.sender_digest == bench.outbox.sender_digest(USER)
    assert message.sender_digest != bench.outbox.sender_digest(NUMBER)
    stored = Outbox(bench.outbox.engine).received()  # without the keys: nothing in clear
    assert (stored[0].sender, stored[0].text) == (None, None)
    assert stored[0].sender_masked == "+•••66"


def test_received_messages_go_with_the_retention(start: Starter) -> None:
    bench = start()
    bench.outbox.record_received("fake1", USER, "STOP")
    bench.outbox.clock = lambda: utc_now() + timedelta(days=8)
    bench.outbox.purge(timedelta(days=7))
    assert bench.outbox.received() == []


def test_inbox_received_lists_them(start: Starter, outbox_key_file: Path, db_url: str) -> None:
    bench = start()
    bench.outbox.record_received("fake1", USER, "STOP")
    url = bench.outbox.engine.url.render_as_string(hide_password=False)
    shown = CliRunner().invoke(
        main, ["inbox-received", "--database", url, "--key-file", str(outbox_key_file)]
    )
    assert shown.exit_code == 0, shown.output
    assert "+•••66" in shown.output and "STOP" in shown.output and USER not in shown.output
    no_key = {"T2M2FA_OUTBOX_KEY_FILE": None}
    sealed = CliRunner().invoke(main, ["inbox-received", "--database", url, "--json"], env=no_key)
    row = json.loads(sealed.output)
    assert row["from"] == "+•••66" and row["text"] is None
