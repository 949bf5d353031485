"""Per-SIM caps follow the SIM, not the serial port; the outbox records which SIM sent what."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from doubles import OUTBOX_KEYS, eventually
from gateway.fake import FakeModem, Faults
from gateway.message import DeliveryState
from gateway.modem import Modem, ModemSettings
from gateway.outbox import Outbox, metadata, utc_now
from gateway.worker import ModemSpec, SimCaps, SlotConfig, Worker, WorkerConfig

SIM_A = ("234150000000001", "8944150000000000017")
SIM_B = ("234150000000002", "8944150000000000025")
#: Two a day, so a SIM that sent two is capped for the rest of the day.
TWO_A_DAY = SimCaps(per_minute=None, per_day=2, recipients_per_day=None)
SETTINGS = ModemSettings(command_timeout=5, registration_timeout=5)


@pytest.fixture
def outbox(sqlite_url: str) -> Iterator[Outbox]:
    box = Outbox(sqlite_url, keys=OUTBOX_KEYS)
    box.create_schema()
    yield box
    box.engine.dispose()


def port(fake: FakeModem, name: str) -> ModemSpec:
    return ModemSpec(name, lambda: Modem(fake.device, settings=SETTINGS))


def insert_sim(fake: FakeModem, sim: tuple[str, str]) -> None:
    fake.faults.imsi, fake.faults.iccid = sim


def worker(outbox: Outbox, *specs: ModemSpec) -> Worker:
    slot = SlotConfig(lease=timedelta(seconds=30), idle_poll=0.2, caps=TWO_A_DAY)
    return Worker(outbox, list(specs), config=WorkerConfig(slot=slot))


def enqueue(outbox: Outbox, n: int) -> list[int]:
    expiry = utc_now() + timedelta(minutes=5)
    return [outbox.enqueue(f"+3247000001{i}", f"code {i}", expires_at=expiry) for i in range(n)]


def sent(outbox: Outbox, ids: list[int]) -> bool:
    return all(outbox.status(i).state is DeliveryState.SENT for i in ids)


def test_a_sim_moved_to_another_port_keeps_its_counts(
    outbox: Outbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with FakeModem(tmp_path / "a", Faults()) as fake1, FakeModem(tmp_path / "b") as fake2:
        insert_sim(fake1, SIM_A)
        first = enqueue(outbox, 2)
        with worker(outbox, port(fake1, "port1")):
            eventually(lambda: sent(outbox, first))
        # SIM A goes to port 2 (its daily cap used up); port 1 gets a fresh SIM B.
        insert_sim(fake2, SIM_A)
        insert_sim(fake1, SIM_B)
        with worker(outbox, port(fake1, "port1"), port(fake2, "port2")) as w:
            slots = {slot.name: slot for slot in w.slots}
            eventually(lambda: slots["port2"].report.state == "capped")
            eventually(lambda: slots["port1"].report.state == "ready")
            second = enqueue(outbox, 2)
            eventually(lambda: sent(outbox, second))
    assert {outbox.status(i).modem for i in second} == {"port1"}
    with outbox.engine.connect() as conn:
        sims = conn.execute(sa.text("SELECT id, sim FROM t2m2fa_outbox ORDER BY id")).all()
    assert [sim for _, sim in sims] == [SIM_A[0]] * 2 + [SIM_B[0]] * 2
    reports = {r.name: r for r in outbox.modem_reports()}
    assert (reports["port2"].imsi, reports["port2"].iccid) == SIM_A
    assert (reports["port1"].imsi, reports["port1"].iccid) == SIM_B
    # Identifiers are masked in the log, kept whole in the database.
    assert "23415•••001" in caplog.text
    assert SIM_A[0] not in caplog.text and SIM_A[1] not in caplog.text


def test_sent_since_counts_the_sims_sends_from_any_port(outbox: Outbox) -> None:
    ids = enqueue(outbox, 4)
    modems = ["port1", "port2", "port1", "port1"]
    for msg_id, modem, sim in zip(ids, modems, [SIM_A[0], SIM_A[0], SIM_B[0], None], strict=True):
        outbox.mark_sent(msg_id, 1, modem, sim=sim)
    day_ago = utc_now() - timedelta(days=1)
    assert len(outbox.sent_since("port2", day_ago, sim=SIM_A[0])) == 2
    # port1's unattributed send counts for whichever SIM port1 now holds: safer to over-count.
    assert len(outbox.sent_since("port1", day_ago, sim=SIM_B[0])) == 2
    assert len(outbox.sent_since("port1", day_ago)) == 3  # a modem that cannot tell its SIM


NEW_COLUMNS = {
    "t2m2fa_outbox": {"sim"},
    "t2m2fa_gateway_modems": {"registration", "sim_state", "imsi", "iccid"},
}
NEW_INDEXES = {"ix_t2m2fa_outbox_sim_sent", "ix_t2m2fa_outbox_state_created"}


def test_create_schema_adds_new_columns_to_an_existing_database(db_url: str) -> None:
    old = sa.MetaData()
    for table in metadata.sorted_tables:
        columns = [
            c._copy() for c in table.columns if c.name not in NEW_COLUMNS.get(table.name, set())
        ]
        sa.Table(table.name, old, *columns)
    engine = sa.create_engine(db_url)
    old.create_all(engine)
    now = utc_now()
    with engine.begin() as conn:
        # Through the table's typed columns: a datetime in raw SQL would use sqlite3's default
        # adapter, deprecated since Python 3.12.
        conn.execute(
            old.tables["t2m2fa_outbox"]
            .insert()
            .values(
                kind="code",
                destination_masked="+•••01",
                recipient_key="01abc",
                state="sent",
                attempts=1,
                next_attempt_at=now,
                created_at=now,
            )
        )
    outbox = Outbox(engine, keys=OUTBOX_KEYS)
    outbox.create_schema()
    outbox.create_schema()  # a second start finds nothing to add
    inspector = sa.inspect(engine)
    for table, columns in NEW_COLUMNS.items():
        assert columns <= {c["name"] for c in inspector.get_columns(table)}
    assert {i["name"] for i in inspector.get_indexes("t2m2fa_outbox")} >= NEW_INDEXES
    assert outbox.stats().counts[DeliveryState.SENT] == 1  # the old row is still there
    engine.dispose()
